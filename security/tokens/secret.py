"""Token strings: ``jimu_<prefix>_<secret>``, made, taken apart and digested.

The prefix (12 hex digits) is public: it finds the row and names the token in
lists. The secret is 32 random bytes from :mod:`secrets`, URL-safe base64. Only
a digest of the secret is stored; with 256 random bits there is nothing to
guess, so one fast digest (SHA-256, or SM3 with national cryptography) is right
and a slow password hash would only cost time on every request.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass

from jimucrm.core.interfaces import ICryptoProvider

SCHEME = "jimu"
PREFIX_BYTES = 6
SECRET_BYTES = 32
# The prefix has no "_", so the first two underscores split the string; the
# secret's alphabet (URL-safe base64) may contain "_".
TOKEN = re.compile(r"jimu_(?P<prefix>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{43})")
# Domain separation: this digest means "an API token secret", nothing else.
CONTEXT = b"jimu api token\x00"


@dataclass(frozen=True)
class TokenString:
    prefix: str
    secret: str

    def __str__(self) -> str:
        return f"{SCHEME}_{self.prefix}_{self.secret}"

    def __repr__(self) -> str:  # never in a log or traceback
        return f"TokenString(prefix={self.prefix!r}, secret=…)"


def new_token() -> TokenString:
    return TokenString(secrets.token_hex(PREFIX_BYTES), secrets.token_urlsafe(SECRET_BYTES))


def parse(text: str) -> TokenString | None:
    """The parts of a presented token string; None when it is not one."""
    match = TOKEN.fullmatch(text)
    if match is None:
        return None
    return TokenString(match["prefix"], match["secret"])


def digest(crypto: ICryptoProvider, token: TokenString) -> bytes:
    """The stored form of ``token``'s secret (bound to its prefix)."""
    return crypto.hash(CONTEXT + token.prefix.encode() + b"\x00" + token.secret.encode())


def matches(crypto: ICryptoProvider, token: TokenString, stored: bytes) -> bool:
    """Whether ``token`` is the one ``stored`` was made from (constant time)."""
    return hmac.compare_digest(digest(crypto, token), bytes(stored))
