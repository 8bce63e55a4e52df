"""SM4-CBC and SM4-ECB, only for exchanging data with systems that require them.

Neither mode authenticates anything: a flipped bit decrypts to garbage, and CBC
with padding errors can become a padding oracle if its failures are observable.
ECB also shows which blocks repeat. Jimu's own data uses SM4-GCM
(:class:`.national.NationalProvider`); use these only at an interface whose other
side dictates them, with a fresh random IV per CBC message
(``secrets.token_bytes(16)``), and authenticate the result some other way (an SM2
signature or HMAC-SM3 over the ciphertext).

Padding is PKCS#7 unless ``padding=False`` (then lengths must be whole blocks).
"""

from __future__ import annotations

from cryptography.hazmat.primitives import padding as crypto_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .errors import CryptoError

BLOCK_BYTES = 16
KEY_BYTES = 16


def _cipher(key: bytes, mode: modes.Mode) -> Cipher:
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise CryptoError("An SM4 key is 16 bytes.")
    return Cipher(algorithms.SM4(key), mode)


def _pad(data: bytes, padding: bool) -> bytes:
    if padding:
        padder = crypto_padding.PKCS7(BLOCK_BYTES * 8).padder()
        return padder.update(data) + padder.finalize()
    if len(data) % BLOCK_BYTES:
        raise CryptoError("Without padding the data must be a whole number of 16-byte blocks.")
    return data


def _unpad(data: bytes, padding: bool) -> bytes:
    if not padding:
        return data
    unpadder = crypto_padding.PKCS7(BLOCK_BYTES * 8).unpadder()
    try:
        return unpadder.update(data) + unpadder.finalize()
    except ValueError:
        raise CryptoError("The SM4 ciphertext could not be decrypted.") from None


def _run(cipher: Cipher, data: bytes, *, encrypt: bool) -> bytes:
    context = cipher.encryptor() if encrypt else cipher.decryptor()
    return context.update(data) + context.finalize()


def _check_ciphertext(data: bytes) -> None:
    if len(data) % BLOCK_BYTES:
        raise CryptoError("The SM4 ciphertext could not be decrypted.")


def _iv(iv: bytes) -> modes.CBC:
    if not isinstance(iv, bytes) or len(iv) != BLOCK_BYTES:
        raise CryptoError("An SM4-CBC IV is 16 bytes.")
    return modes.CBC(iv)


def sm4_cbc_encrypt(key: bytes, iv: bytes, plaintext: bytes, *, padding: bool = True) -> bytes:
    """SM4-CBC encryption (no integrity: see the module docstring)."""
    return _run(_cipher(key, _iv(iv)), _pad(plaintext, padding), encrypt=True)


def sm4_cbc_decrypt(key: bytes, iv: bytes, ciphertext: bytes, *, padding: bool = True) -> bytes:
    """SM4-CBC decryption; ``CryptoError`` on a bad length or padding."""
    _check_ciphertext(ciphertext)
    return _unpad(_run(_cipher(key, _iv(iv)), ciphertext, encrypt=False), padding)


def sm4_ecb_encrypt(key: bytes, plaintext: bytes, *, padding: bool = True) -> bytes:
    """SM4-ECB encryption: equal blocks give equal ciphertext. Interop only."""
    mode = modes.ECB()  # noqa: S305 - ECB is what this interop module is for  # nosec B305
    return _run(_cipher(key, mode), _pad(plaintext, padding), encrypt=True)


def sm4_ecb_decrypt(key: bytes, ciphertext: bytes, *, padding: bool = True) -> bytes:
    """SM4-ECB decryption; ``CryptoError`` on a bad length or padding."""
    _check_ciphertext(ciphertext)
    mode = modes.ECB()  # noqa: S305 - ECB is what this interop module is for  # nosec B305
    return _unpad(_run(_cipher(key, mode), ciphertext, encrypt=False), padding)
