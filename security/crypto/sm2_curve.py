"""SM2 domain parameters and the parts of GB/T 32918 that need no point arithmetic.

Curve checks, point encodings, the user-ID hash Z, the SM3 key derivation function
and nonce draws live here, written against the standard rather than borrowed from
``gmssl`` (whose Z helper hard-codes the ID and trusts its mangled key string).
Every scalar comes from :mod:`secrets`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes

from .errors import CryptoError

Point = tuple[int, int]

DEFAULT_UID = b"1234567812345678"
"""The default user ID of GB/T 32918 / GM/T 0009 (ASCII ``1234567812345678``)."""

SIZE = 32  # bytes in a coordinate, a scalar and an SM3 digest


@dataclass(frozen=True)
class Curve:
    """A short Weierstrass curve y² = x³ + ax + b over GF(p), base point G of order n."""

    name: str
    p: int
    a: int
    b: int
    gx: int
    gy: int
    n: int

    @property
    def g(self) -> Point:
        return (self.gx, self.gy)

    def contains(self, point: Point) -> bool:
        """True when ``point`` is an affine point of this curve (never the infinity)."""
        x, y = point
        if not (0 <= x < self.p and 0 <= y < self.p):
            return False
        return (y * y - (x * x * x + self.a * x + self.b)) % self.p == 0


SM2P256V1 = Curve(
    name="sm2p256v1",
    p=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF,
    a=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC,
    b=0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93,
    gx=0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    gy=0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
    n=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123,
)
"""The recommended curve of GB/T 32918.5 (the only curve keys are accepted on)."""


def random_scalar(curve: Curve) -> int:
    """A uniformly random scalar in [1, n-1], from the operating system's CSPRNG."""
    return 1 + secrets.randbelow(curve.n - 1)


def valid_private_scalar(curve: Curve, d: int) -> bool:
    """SM2 private keys lie in [1, n-2] (the signature needs (1 + d)⁻¹ mod n)."""
    return 1 <= d <= curve.n - 2


def sm3(data: bytes) -> bytes:
    """SM3 (GB/T 32905) through ``cryptography``."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def int_bytes(value: int) -> bytes:
    """A coordinate or scalar as 32 big-endian bytes (leading zeros kept)."""
    return value.to_bytes(SIZE, "big")


def encode_point(point: Point) -> bytes:
    """The uncompressed octet string 04 ‖ x ‖ y (65 bytes)."""
    return b"\x04" + int_bytes(point[0]) + int_bytes(point[1])


def decode_point(curve: Curve, data: bytes) -> Point:
    """A validated point from 04‖x‖y, 02/03‖x (compressed) or bare x‖y (64 bytes).

    The length decides the form, never a string strip: a key whose x starts with
    0x04 or with zero bytes is read as it is.
    """
    if len(data) == 2 * SIZE + 1 and data[0] == 0x04:
        point = (int.from_bytes(data[1:SIZE + 1], "big"), int.from_bytes(data[SIZE + 1:], "big"))
    elif len(data) == 2 * SIZE:
        point = (int.from_bytes(data[:SIZE], "big"), int.from_bytes(data[SIZE:], "big"))
    elif len(data) == SIZE + 1 and data[0] in (0x02, 0x03):
        point = _decompress(curve, int.from_bytes(data[1:], "big"), data[0] & 1)
    else:
        raise CryptoError("The SM2 public key is not a valid point encoding.")
    if not curve.contains(point):
        raise CryptoError("The SM2 public key is not a point of the SM2 curve.")
    return point


def _decompress(curve: Curve, x: int, odd: int) -> Point:
    if curve.p % 4 != 3 or x >= curve.p:
        raise CryptoError("The SM2 public key is not a valid point encoding.")
    rhs = (x * x * x + curve.a * x + curve.b) % curve.p
    y = pow(rhs, (curve.p + 1) // 4, curve.p)
    if y * y % curve.p != rhs:
        raise CryptoError("The SM2 public key is not a point of the SM2 curve.")
    return (x, y if y & 1 == odd else curve.p - y)


def z_value(curve: Curve, uid: bytes, point: Point) -> bytes:
    """Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA), GB/T 32918.2 §5.5."""
    bits = len(uid) * 8
    if bits > 0xFFFF:
        raise CryptoError("The SM2 user ID is longer than 8191 bytes.")
    return sm3(
        bits.to_bytes(2, "big") + uid
        + int_bytes(curve.a) + int_bytes(curve.b)
        + int_bytes(curve.gx) + int_bytes(curve.gy)
        + int_bytes(point[0]) + int_bytes(point[1])
    )


def message_digest(curve: Curve, uid: bytes, point: Point, message: bytes) -> int:
    """e = SM3(Z ‖ M) as an integer: what SM2 signs for ``message``."""
    return int.from_bytes(sm3(z_value(curve, uid, point) + message), "big")


def kdf(secret: bytes, length: int) -> bytes:
    """The key derivation function of GB/T 32918.4 §5.4.3 (SM3, 32-bit counter from 1)."""
    base = hashes.Hash(hashes.SM3())
    base.update(secret)
    blocks = []
    for counter in range(1, (length + SIZE - 1) // SIZE + 1):
        block = base.copy()
        block.update(counter.to_bytes(4, "big"))
        blocks.append(block.finalize())
    return b"".join(blocks)[:length]


def xor(left: bytes, right: bytes) -> bytes:
    """Byte-wise XOR of two equally long strings."""
    size = len(left)
    return (int.from_bytes(left, "big") ^ int.from_bytes(right, "big")).to_bytes(size, "big")
