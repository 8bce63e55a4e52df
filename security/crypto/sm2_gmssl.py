"""The only module that touches ``gmssl``: its point arithmetic and signature core, fenced.

``gmssl`` 3.2.2 used raw has three defects (measured here, see
``tests/security/crypto/test_crypto_gmssl_defects.py``), and this wrapper closes each:

1. Its nonces come from :mod:`random` (``func.random_hex``: Mersenne Twister, whose
   state an observer can recover). We never let it draw one: every ``k`` is passed
   in, drawn from :mod:`secrets` by the caller, and we never call its ``encrypt`` or
   ``sign_with_sm3``.
2. Its constructor strips public keys with ``lstrip("04")``, which eats every leading
   ``0`` and ``4`` hex digit of the key itself. We construct it without a public key
   and set the 128-hex-digit ``x ‖ y`` string afterwards.
3. Its ``decrypt`` never checks C3. We do not use its encryption at all; the SM2
   encryption scheme (with the C3 check) is ours, in ``sm2_scheme``, on top of the
   scalar multiplication below.

Its ``mode`` argument says "default is 1 (C1C3C2)" but defaults to 0 (C1C2C3); since
we do not use its encryption, that does not reach us either.
"""

from __future__ import annotations

from functools import lru_cache

from gmssl import sm2 as _gmssl_sm2

from .errors import CryptoError
from .sm2_curve import Curve, Point

_HEX = "{:064x}"


def _table(curve: Curve) -> dict[str, str]:
    return {
        "n": _HEX.format(curve.n),
        "p": _HEX.format(curve.p),
        "g": _HEX.format(curve.gx) + _HEX.format(curve.gy),
        "a": _HEX.format(curve.a),
        "b": _HEX.format(curve.b),
    }


def _point_hex(point: Point) -> str:
    return _HEX.format(point[0]) + _HEX.format(point[1])


class GmsslBackend:
    """SM2 arithmetic from ``gmssl``, called only with inputs we have validated.

    Nothing here draws randomness; nothing here accepts unvalidated points.
    """

    name = "gmssl"

    def __init__(self, curve: Curve) -> None:
        self.curve = curve
        self._ecc_table = _table(curve)

    def _engine(self, d: int = 0, point: Point | None = None) -> _gmssl_sm2.CryptSM2:
        engine = _gmssl_sm2.CryptSM2(
            private_key=_HEX.format(d), public_key="", ecc_table=self._ecc_table, mode=1
        )
        # Set after construction: the constructor would lstrip("04") the key.
        engine.public_key = _point_hex(point) if point is not None else ""
        return engine

    def multiply(self, k: int, point: Point) -> Point:
        """[k]P for 1 ≤ k < n and P a validated curve point."""
        if not 1 <= k < self.curve.n:
            raise CryptoError("SM2 scalar out of range.")
        result = self._engine()._kg(k, _point_hex(point))
        if result is None:  # the point at infinity: impossible for valid inputs
            raise CryptoError("SM2 point multiplication failed.")
        return (int(result[:64], 16), int(result[64:128], 16))

    def sign_digest(self, d: int, e: int, k: int) -> tuple[int, int] | None:
        """(r, s) for digest ``e`` with nonce ``k``; None when this k must be redrawn."""
        if not 1 <= k < self.curve.n:
            raise CryptoError("SM2 nonce out of range.")
        signature = self._engine(d).sign(e.to_bytes(32, "big"), _HEX.format(k))
        if signature is None:  # r = 0, r + k = n or s = 0 (GB/T 32918.2 §6.1 A5/A6)
            return None
        return (int(signature[:64], 16), int(signature[64:], 16))

    def verify_digest(self, point: Point, e: int, r: int, s: int) -> bool:
        """True for a valid (r, s) on digest ``e``; r and s are range-checked first."""
        n = self.curve.n
        if not (1 <= r < n and 1 <= s < n) or (r + s) % n == 0:
            return False
        try:
            return bool(self._engine(0, point).verify(
                _HEX.format(r) + _HEX.format(s), e.to_bytes(32, "big")
            ))
        except (TypeError, ValueError, IndexError):
            # gmssl dereferences None when s·G + t·P is the point at infinity.
            return False


@lru_cache(maxsize=4)
def backend_for(curve: Curve) -> GmsslBackend:
    """The (stateless) gmssl backend of ``curve``."""
    return GmsslBackend(curve)
