"""Password hashing schemes: Argon2id (standard) and PBKDF2-HMAC-SM3 (national).

Each provider hashes with its own scheme and *verifies* both, so a deployment that
switches ``jimu.crypto`` keeps its users able to log in; ``needs_rehash`` is then
True and the login code rehashes with the configured scheme.

PBKDF2-HMAC-SM3 hashes are self-describing:
``pbkdf2-sm3$<iterations>$<salt, base64 without padding>$<32-byte key, same>``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

PBKDF2_SM3_DEFAULT_ITERATIONS = 600_000
"""OWASP's 2023 floor for PBKDF2-HMAC-SHA-256, taken as is for SM3 (no published SM3 figure)."""

PBKDF2_SM3_MIN_ITERATIONS = 1_000
_PBKDF2_SM3_MAX_ITERATIONS = 50_000_000  # a stored hash may not ask for minutes of CPU
_SALT_BYTES = 16
_KEY_BYTES = 32
_PBKDF2_SM3 = re.compile(
    r"\Apbkdf2-sm3\$([1-9][0-9]{0,8})\$([A-Za-z0-9+/]{16,})\$([A-Za-z0-9+/]{43})\Z"
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _utf8(password: str) -> bytes:
    return password.encode("utf-8") if isinstance(password, str) else b""


class Pbkdf2Sm3:
    """PBKDF2 (RFC 8018) with HMAC-SM3, through ``cryptography``."""

    name = "pbkdf2-sm3"

    def __init__(self, iterations: int = PBKDF2_SM3_DEFAULT_ITERATIONS) -> None:
        iterations = int(iterations)
        if not PBKDF2_SM3_MIN_ITERATIONS <= iterations <= _PBKDF2_SM3_MAX_ITERATIONS:
            raise ValueError(
                f"PBKDF2-HMAC-SM3 iterations must be between {PBKDF2_SM3_MIN_ITERATIONS:,} "
                f"and {_PBKDF2_SM3_MAX_ITERATIONS:,}"
            )
        self.iterations = iterations

    @staticmethod
    def _derive(password: str, salt: bytes, iterations: int) -> bytes:
        kdf = PBKDF2HMAC(algorithm=hashes.SM3(), length=_KEY_BYTES, salt=salt,
                         iterations=iterations)
        return kdf.derive(_utf8(password))

    def identify(self, password_hash: str) -> bool:
        return isinstance(password_hash, str) and password_hash.startswith(self.name + "$")

    def hash(self, password: str) -> str:
        salt = secrets.token_bytes(_SALT_BYTES)
        key = self._derive(password, salt, self.iterations)
        return f"{self.name}${self.iterations}${_b64(salt)}${_b64(key)}"

    def _parse(self, password_hash: str) -> tuple[int, bytes, bytes] | None:
        match = _PBKDF2_SM3.match(password_hash) if isinstance(password_hash, str) else None
        if not match:
            return None
        iterations = int(match.group(1))
        if iterations > _PBKDF2_SM3_MAX_ITERATIONS:
            return None
        try:
            return iterations, _unb64(match.group(2)), _unb64(match.group(3))
        except binascii.Error:
            return None

    def verify(self, password_hash: str, password: str) -> bool:
        parsed = self._parse(password_hash)
        if parsed is None:
            return False
        iterations, salt, expected = parsed
        return hmac.compare_digest(self._derive(password, salt, iterations), expected)

    def needs_rehash(self, password_hash: str) -> bool:
        parsed = self._parse(password_hash)
        return parsed is None or parsed[0] < self.iterations or len(parsed[1]) < _SALT_BYTES


class Argon2id:
    """Argon2id through argon2-cffi, RFC 9106 low-memory profile by default."""

    name = "argon2id"

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()

    def identify(self, password_hash: str) -> bool:
        return isinstance(password_hash, str) and password_hash.startswith("$argon2id$")

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        if not self.identify(password_hash) or not isinstance(password, str):
            return False
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        if not self.identify(password_hash):
            return True
        try:
            return self.hasher.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError):
            return True


class PasswordPolicy:
    """Hash with ``primary``; verify any of ``primary`` and ``legacy``.

    A hash no scheme recognises (``None`` for a user who does not exist, or garbage)
    is verified against a throw-away hash of the primary scheme before the answer
    False, so the time taken does not tell whether the account exists.
    """

    def __init__(self, primary: Pbkdf2Sm3 | Argon2id, *legacy: Pbkdf2Sm3 | Argon2id) -> None:
        self.primary = primary
        self.schemes = (primary, *legacy)
        self._dummy: str | None = None

    def _spend_time(self, password: str) -> None:
        if self._dummy is None:
            self._dummy = self.primary.hash(secrets.token_urlsafe(16))
        self.primary.verify(self._dummy, password if isinstance(password, str) else "")

    def hash(self, password: str) -> str:
        if not isinstance(password, str):
            raise TypeError("password must be a str")
        return self.primary.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        for scheme in self.schemes:
            if scheme.identify(password_hash):
                return scheme.verify(password_hash, password)
        self._spend_time(password)
        return False

    def needs_rehash(self, password_hash: str) -> bool:
        return not self.primary.identify(password_hash) or self.primary.needs_rehash(password_hash)
