"""The native SM2 backend: ``tongsuopy`` (Tongsuo, an OpenSSL fork), when installed.

``pip install 'jimu-crm[national-native]'`` adds it. It signs and verifies SM2 with
SM3 and the *default* user ID only (it exposes no way to set another) and has no
SM2 encryption, so ``sm2`` uses it for exactly that and the hardened gmssl path for
the rest. Nonces are OpenSSL's (``RAND_bytes``), never Python's :mod:`random`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from .errors import CryptoError
from .sm2_curve import Point

try:  # an optional extra; a missing or broken wheel simply leaves it unused
    from tongsuopy.crypto import hashes as _hashes
    from tongsuopy.crypto.asymciphers import ec as _ec
    from tongsuopy.crypto.exceptions import InvalidSignature as _InvalidSignature
except (ImportError, OSError):  # pragma: no cover - depends on the installation
    _ec = None
    _hashes = None
    _InvalidSignature = Exception

AVAILABLE: bool = _ec is not None
"""True when ``tongsuopy`` imported; ``sm2`` reads it at every call (tests patch it)."""


def _require() -> None:
    if not AVAILABLE:
        raise CryptoError("The native SM2 backend (tongsuopy) is not installed.")


@lru_cache(maxsize=128)
def _private_key(d: int, x: int, y: int) -> Any:
    public = _ec.EllipticCurvePublicNumbers(x, y, _ec.SM2())
    return _ec.EllipticCurvePrivateNumbers(d, public).private_key()


@lru_cache(maxsize=128)
def _public_key(x: int, y: int) -> Any:
    return _ec.EllipticCurvePublicNumbers(x, y, _ec.SM2()).public_key()


class TongsuoBackend:
    """SM2 signatures (recommended curve, SM3, default user ID) through Tongsuo."""

    name = "tongsuo"

    def public_point(self, d: int) -> Point:
        """[d]G."""
        _require()
        numbers = _ec.derive_private_key(d, _ec.SM2()).public_key().public_numbers()
        return (numbers.x, numbers.y)

    def sign(self, d: int, point: Point, message: bytes) -> tuple[int, int]:
        """(r, s) over SM3(Z ‖ message) with the default user ID."""
        _require()
        try:
            der = _private_key(d, *point).sign(message, _ec.ECDSA(_hashes.SM3()))
        except ValueError:
            raise CryptoError("The SM2 private key does not match its public key.") from None
        return decode_dss_signature(der)

    def verify(self, point: Point, message: bytes, r: int, s: int) -> bool:
        """True for a valid signature over ``message`` with the default user ID."""
        _require()
        try:
            _public_key(*point).verify(
                encode_dss_signature(r, s), message, _ec.ECDSA(_hashes.SM3())
            )
        except (_InvalidSignature, ValueError):
            return False
        return True
