# semgrep-fixture-path: tests/security/crypto/test_crypto_vectors.py
# GB/T 32907's one-million-iteration vector runs the raw block cipher.
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def test_vector(key):
    # ok: jimu-ecb-mode
    return Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
