# semgrep-fixture-path: addons/exports/crypto.py
# ECB mode outside the interop module, in each library's spelling.
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.modes import ECB


def encrypt(key, data, pycryptodome_aes, gmssl_sm4):
    # ruleid: jimu-ecb-mode
    one = Cipher(algorithms.SM4(key), modes.ECB()).encryptor().update(data)
    # ruleid: jimu-ecb-mode
    two = Cipher(algorithms.AES(key), ECB()).encryptor().update(data)
    # ruleid: jimu-ecb-mode
    three = pycryptodome_aes.new(key, pycryptodome_aes.MODE_ECB)
    # ruleid: jimu-ecb-mode
    four = gmssl_sm4.crypt_ecb(data)
    # ok: jimu-ecb-mode
    five = Cipher(algorithms.SM4(key), modes.GCM(b"\0" * 12)).encryptor()
    # ok: jimu-ecb-mode
    six = Cipher(algorithms.AES(key), modes.CBC(b"\0" * 16)).encryptor()
    return one, two, three, four, five, six
