"""The ``national`` provider: SM4-GCM, SM2, SM3, HMAC-SM3, PBKDF2-HMAC-SM3.

SM4 and SM3 go through ``cryptography`` (OpenSSL); SM4 in GCM mode needs
``cryptography`` ≥ 42 built on OpenSSL ≥ 3.0, checked when the provider is built
(a clear error, never a silent fallback). SM2 goes through :mod:`.sm2`.

Formats:

* :meth:`NationalProvider.encrypt`: 12-byte random nonce ‖ ciphertext ‖ 16-byte tag
  (SM4-GCM as in RFC 8998; the key is 16 bytes).
* keys are PEM: PKCS#8 private, SubjectPublicKeyInfo public (id-ecPublicKey with the
  SM2 curve OID), as OpenSSL and Tongsuo write them. One key pair serves signing and
  encryption, but deployments should keep separate pairs for the two.
* signatures: DER; verify also takes raw r ‖ s.
* :meth:`NationalProvider.asymmetric_encrypt`: SM2 encryption, C1C3C2.

SM4-CBC/ECB for systems that need them live in :mod:`.interop`, not here.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from zope.interface import implementer

from jimucrm.core.interfaces import ICryptoProvider

from . import sm2
from .base import DigestsAndPasswords
from .errors import CryptoError
from .password_schemes import (
    PBKDF2_SM3_DEFAULT_ITERATIONS,
    Argon2id,
    PasswordPolicy,
    Pbkdf2Sm3,
)

NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 16
_ALTERED = "The data could not be decrypted: wrong key, or it was altered."


def sm4_gcm_supported() -> bool:
    """True when this ``cryptography``/OpenSSL pair runs SM4 in GCM mode."""
    try:
        Cipher(algorithms.SM4(bytes(KEY_BYTES)), modes.GCM(bytes(NONCE_BYTES))).encryptor()
    except UnsupportedAlgorithm:
        return False
    return True


@lru_cache(maxsize=256)
def _private_key(pem: bytes) -> sm2.SM2PrivateKey:
    return sm2.load_private_key(pem)


@lru_cache(maxsize=1024)
def _public_key(pem: bytes) -> sm2.SM2PublicKey:
    return sm2.load_public_key(pem)


def _key_bytes(key: bytes | str) -> bytes:
    if isinstance(key, str):
        return key.encode("ascii", "replace")
    if isinstance(key, bytes | bytearray | memoryview):
        return bytes(key)
    raise CryptoError("An SM2 key must be PEM bytes or text.")


@implementer(ICryptoProvider)
class NationalProvider(DigestsAndPasswords):
    """Chinese national cryptography for private deployments (``jimu.crypto = national``)."""

    name = "national"
    digest = hashes.SM3

    def __init__(self, *, pbkdf2_iterations: int = PBKDF2_SM3_DEFAULT_ITERATIONS,
                 sm2_backend: str | None = None) -> None:
        if not sm4_gcm_supported():
            raise CryptoError(
                "This cryptography/OpenSSL build has no SM4-GCM; national cryptography "
                "needs cryptography 42 or later on OpenSSL 3.0 or later."
            )
        if sm2_backend is not None:
            sm2.signing_backend(backend=sm2_backend)  # refuses an unknown or missing one
        self.sm2_backend = sm2_backend
        # Argon2id hashes (from a standard deployment) still verify, then rehash.
        self.passwords = PasswordPolicy(Pbkdf2Sm3(pbkdf2_iterations), Argon2id())

    # -- symmetric ------------------------------------------------------------------------

    def generate_symmetric_key(self) -> bytes:
        return secrets.token_bytes(KEY_BYTES)

    @staticmethod
    def _check_key(key: bytes) -> None:
        if not isinstance(key, bytes) or len(key) != KEY_BYTES:
            raise CryptoError("An SM4 key is 16 bytes.")

    def encrypt(self, key: bytes, plaintext: bytes, associated_data: bytes = b"") -> bytes:
        self._check_key(key)
        nonce = secrets.token_bytes(NONCE_BYTES)
        encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        if associated_data:
            encryptor.authenticate_additional_data(associated_data)
        body = encryptor.update(plaintext) + encryptor.finalize()
        return b"".join((nonce, body, encryptor.tag))

    def decrypt(self, key: bytes, ciphertext: bytes, associated_data: bytes = b"") -> bytes:
        self._check_key(key)
        if len(ciphertext) < NONCE_BYTES + TAG_BYTES:
            raise CryptoError(_ALTERED)
        view = memoryview(ciphertext)
        mode = modes.GCM(bytes(view[:NONCE_BYTES]), bytes(view[-TAG_BYTES:]))
        decryptor = Cipher(algorithms.SM4(key), mode).decryptor()
        if associated_data:
            decryptor.authenticate_additional_data(associated_data)
        try:
            return decryptor.update(view[NONCE_BYTES:-TAG_BYTES]) + decryptor.finalize()
        except InvalidTag:
            raise CryptoError(_ALTERED) from None

    # -- SM2 ------------------------------------------------------------------------------

    def generate_signing_key(self) -> tuple[bytes, bytes]:
        key = sm2.generate_private_key()
        return key.to_pem(), key.public.to_pem()

    generate_encryption_key = generate_signing_key

    def sign(self, private_key: bytes, message: bytes, *, uid: bytes = sm2.DEFAULT_UID) -> bytes:
        key = _private_key(_key_bytes(private_key))
        return sm2.sign(key, message, uid, backend=self.sm2_backend)

    def verify(self, public_key: bytes, message: bytes, signature: bytes, *,
               uid: bytes = sm2.DEFAULT_UID) -> bool:
        try:
            key = _public_key(_key_bytes(public_key))
            return sm2.verify(key, message, signature, uid, backend=self.sm2_backend)
        except CryptoError:
            return False

    def asymmetric_encrypt(self, public_key: bytes, plaintext: bytes, *,
                           order: sm2.Order = "C1C3C2") -> bytes:
        return sm2.encrypt(_public_key(_key_bytes(public_key)), plaintext, order=order)

    def asymmetric_decrypt(self, private_key: bytes, ciphertext: bytes, *,
                           order: sm2.Order = "C1C3C2") -> bytes:
        return sm2.decrypt(_private_key(_key_bytes(private_key)), ciphertext, order=order)

