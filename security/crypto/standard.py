"""The ``standard`` provider: AES-256-GCM, Ed25519, X25519 ECIES, SHA-256, Argon2id.

Everything goes through ``cryptography`` (and argon2-cffi for passwords).

Formats:

* :meth:`StandardProvider.encrypt`: 12-byte random nonce ‖ ciphertext ‖ 16-byte tag.
  Random 96-bit nonces keep the collision risk below 2⁻³² for up to 2³² messages
  per key (NIST SP 800-38D §8.3); data keys are rotated long before that.
* keys are PEM: PKCS#8 private, SubjectPublicKeyInfo public.
* :meth:`StandardProvider.asymmetric_encrypt`: ephemeral X25519 public key (32) ‖
  AES-256-GCM ciphertext ‖ tag. Key and nonce come from HKDF-SHA-256 over the shared
  secret, with both public keys in ``info``; the key is used once.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from zope.interface import implementer

from jimucrm.core.interfaces import ICryptoProvider

from .base import DigestsAndPasswords
from .errors import CryptoError
from .keys import dump_key_pair, load_private, load_public, raw_public
from .password_schemes import Argon2id, PasswordPolicy, Pbkdf2Sm3

NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32
_ECIES_INFO = b"jimu-crm ecies x25519 hkdf-sha256 aes-256-gcm v1"
_ALTERED = "The data could not be decrypted: wrong key, or it was altered."


@implementer(ICryptoProvider)
class StandardProvider(DigestsAndPasswords):
    """Cryptography for SaaS deployments (``jimu.crypto = standard``)."""

    name = "standard"
    digest = hashes.SHA256

    def __init__(self, *, argon2: Argon2id | None = None) -> None:
        # PBKDF2-HMAC-SM3 hashes (from a national deployment) still verify, then rehash.
        self.passwords = PasswordPolicy(argon2 or Argon2id(), Pbkdf2Sm3())

    # -- symmetric ------------------------------------------------------------------------

    def generate_symmetric_key(self) -> bytes:
        return secrets.token_bytes(KEY_BYTES)

    @staticmethod
    def _aead(key: bytes) -> AESGCM:
        if not isinstance(key, bytes) or len(key) != KEY_BYTES:
            raise CryptoError("An AES-256-GCM key is 32 bytes.")
        return AESGCM(key)

    def encrypt(self, key: bytes, plaintext: bytes, associated_data: bytes = b"") -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead(key).encrypt(nonce, plaintext, associated_data or None)

    def decrypt(self, key: bytes, ciphertext: bytes, associated_data: bytes = b"") -> bytes:
        aead = self._aead(key)
        if len(ciphertext) < NONCE_BYTES + TAG_BYTES:
            raise CryptoError(_ALTERED)
        view = memoryview(ciphertext)  # no copy of a large body
        try:
            return aead.decrypt(view[:NONCE_BYTES], view[NONCE_BYTES:], associated_data or None)
        except InvalidTag:
            raise CryptoError(_ALTERED) from None

    # -- signatures -----------------------------------------------------------------------

    def generate_signing_key(self) -> tuple[bytes, bytes]:
        return dump_key_pair(ed25519.Ed25519PrivateKey.generate())

    def sign(self, private_key: bytes, message: bytes) -> bytes:
        return load_private(private_key, ed25519.Ed25519PrivateKey, "Ed25519").sign(message)

    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        try:
            key = load_public(public_key, ed25519.Ed25519PublicKey, "Ed25519")
            key.verify(signature, message)
        except (CryptoError, InvalidSignature, TypeError, ValueError):
            return False
        return True

    # -- public-key encryption ------------------------------------------------------------

    def generate_encryption_key(self) -> tuple[bytes, bytes]:
        return dump_key_pair(x25519.X25519PrivateKey.generate())

    @staticmethod
    def _ecies_aead(shared: bytes, ephemeral: bytes, recipient: bytes) -> tuple[AESGCM, bytes]:
        material = HKDF(
            algorithm=hashes.SHA256(), length=KEY_BYTES + NONCE_BYTES, salt=None,
            info=_ECIES_INFO + ephemeral + recipient,
        ).derive(shared)
        return AESGCM(material[:KEY_BYTES]), material[KEY_BYTES:]

    def asymmetric_encrypt(self, public_key: bytes, plaintext: bytes) -> bytes:
        recipient = load_public(public_key, x25519.X25519PublicKey, "X25519")
        ephemeral = x25519.X25519PrivateKey.generate()
        try:
            shared = ephemeral.exchange(recipient)
        except ValueError:  # a low-order public key: the shared secret would be zero
            raise CryptoError("The X25519 public key is not usable.") from None
        ephemeral_raw = raw_public(ephemeral.public_key())
        aead, nonce = self._ecies_aead(shared, ephemeral_raw, raw_public(recipient))
        return ephemeral_raw + aead.encrypt(nonce, plaintext, None)

    def asymmetric_decrypt(self, private_key: bytes, ciphertext: bytes) -> bytes:
        key = load_private(private_key, x25519.X25519PrivateKey, "X25519")
        if len(ciphertext) < 32 + TAG_BYTES:
            raise CryptoError(_ALTERED)
        ephemeral_raw = ciphertext[:32]
        try:
            shared = key.exchange(x25519.X25519PublicKey.from_public_bytes(ephemeral_raw))
            aead, nonce = self._ecies_aead(shared, ephemeral_raw, raw_public(key.public_key()))
            return aead.decrypt(nonce, ciphertext[32:], None)
        except (InvalidTag, ValueError):
            raise CryptoError(_ALTERED) from None

