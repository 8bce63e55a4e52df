"""What both providers share: digests by algorithm, and passwords by policy."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac

from .password_schemes import PasswordPolicy


class DigestsAndPasswords:
    """Mixin: ``hash``/``hmac`` with ``digest`` (SHA-256 or SM3), passwords by ``passwords``."""

    digest: type[hashes.HashAlgorithm]
    passwords: PasswordPolicy

    def hash(self, data: bytes) -> bytes:
        digest = hashes.Hash(self.digest())
        digest.update(data)
        return digest.finalize()

    def hmac(self, key: bytes, data: bytes) -> bytes:
        mac = crypto_hmac.HMAC(key, self.digest())
        mac.update(data)
        return mac.finalize()

    def hash_password(self, password: str) -> str:
        return self.passwords.hash(password)

    def verify_password(self, password_hash: str, password: str) -> bool:
        return self.passwords.verify(password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return self.passwords.needs_rehash(password_hash)
