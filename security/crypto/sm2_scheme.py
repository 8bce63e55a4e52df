"""GB/T 32918 signatures and public-key encryption on any curve, over gmssl arithmetic.

The algorithm steps are ours, checked against the standard's worked examples; only
scalar multiplication and the signature equations come from ``gmssl`` (through
``sm2_gmssl``, which fences its defects). Nonces come from
:func:`sm2_curve.random_scalar` and nowhere else: there is deliberately no argument
through which a caller could pass a fixed ``k``.

Ciphertext layouts (C1 is always the uncompressed point 04 ‖ x1 ‖ y1):

* ``C1C3C2`` (default): GB/T 32918.4-2016 / GM/T 0009-2012 order.
* ``C1C2C3``: the 2010 draft order, and gmssl's actual default; only when asked.
* ``ASN1``: GM/T 0009 ``SEQUENCE {x INTEGER, y INTEGER, hash OCTET STRING,
  ciphertext OCTET STRING}``, what OpenSSL and Tongsuo write.
"""

from __future__ import annotations

import hmac
from typing import Literal

from . import asn1
from .errors import CryptoError
from .sm2_curve import (
    SIZE,
    Curve,
    Point,
    decode_point,
    encode_point,
    int_bytes,
    kdf,
    message_digest,
    random_scalar,
    sm3,
    valid_private_scalar,
    xor,
)
from .sm2_gmssl import backend_for

Order = Literal["C1C3C2", "C1C2C3", "ASN1"]
ORDERS: tuple[str, ...] = ("C1C3C2", "C1C2C3", "ASN1")

_TAMPERED = "The SM2 ciphertext is malformed or was altered."


def public_point(curve: Curve, d: int) -> Point:
    """[d]G through gmssl (``sm2`` prefers the native backend when it has one)."""
    if not valid_private_scalar(curve, d):
        raise CryptoError("The SM2 private key is out of range.")
    return backend_for(curve).multiply(d, curve.g)


def sign(curve: Curve, d: int, point: Point, message: bytes, uid: bytes) -> tuple[int, int]:
    """(r, s) over e = SM3(Z ‖ message), GB/T 32918.2 §6.1, k from :mod:`secrets`."""
    if not valid_private_scalar(curve, d):
        raise CryptoError("The SM2 private key is out of range.")
    backend = backend_for(curve)
    e = message_digest(curve, uid, point, message)
    while True:
        signature = backend.sign_digest(d, e, random_scalar(curve))
        if signature is not None:
            return signature


def verify(curve: Curve, point: Point, message: bytes, uid: bytes, r: int, s: int) -> bool:
    """GB/T 32918.2 §7.1; r and s out of [1, n-1] are simply invalid."""
    e = message_digest(curve, uid, point, message)
    return backend_for(curve).verify_digest(point, e, r, s)


def _check_order(order: str) -> None:
    if order not in ORDERS:
        raise CryptoError(f"Unknown SM2 ciphertext order {order!r}: use one of {ORDERS}.")


def encrypt(curve: Curve, point: Point, plaintext: bytes, order: Order = "C1C3C2") -> bytes:
    """GB/T 32918.4 §6.1 encryption of ``plaintext`` to the public key ``point``."""
    _check_order(order)
    backend = backend_for(curve)
    while True:
        k = random_scalar(curve)
        c1 = backend.multiply(k, curve.g)
        x2, y2 = backend.multiply(k, point)
        shared = int_bytes(x2) + int_bytes(y2)
        t = kdf(shared, len(plaintext))
        if plaintext and not any(t):  # A5: an all-zero t means a new k
            continue
        c2 = xor(plaintext, t)
        c3 = sm3(int_bytes(x2) + plaintext + int_bytes(y2))
        return _assemble(c1, c2, c3, order)


def decrypt(curve: Curve, d: int, ciphertext: bytes, order: Order = "C1C3C2") -> bytes:
    """GB/T 32918.4 §7.1: refuses (``CryptoError``) unless C1 is on the curve and C3 matches."""
    _check_order(order)
    if not valid_private_scalar(curve, d):
        raise CryptoError("The SM2 private key is out of range.")
    c1, c2, c3 = _split(curve, ciphertext, order)
    x2, y2 = backend_for(curve).multiply(d, c1)
    t = kdf(int_bytes(x2) + int_bytes(y2), len(c2))
    if c2 and not any(t):
        raise CryptoError(_TAMPERED)
    plaintext = xor(c2, t)
    if not hmac.compare_digest(sm3(int_bytes(x2) + plaintext + int_bytes(y2)), c3):
        raise CryptoError(_TAMPERED)
    return plaintext


def _assemble(c1: Point, c2: bytes, c3: bytes, order: str) -> bytes:
    if order == "ASN1":
        return asn1.encode_sequence(
            asn1.encode_integer(c1[0]), asn1.encode_integer(c1[1]),
            asn1.encode_octet_string(c3), asn1.encode_octet_string(c2),
        )
    head = encode_point(c1)
    return head + c3 + c2 if order == "C1C3C2" else head + c2 + c3


def _split(curve: Curve, ciphertext: bytes, order: str) -> tuple[Point, bytes, bytes]:
    try:
        if order == "ASN1":
            fields = asn1.decode_sequence(ciphertext)
            if len(fields) != 4:
                raise asn1.DerError("four fields expected")
            x = asn1.decode_integer(asn1.expect(fields[0], asn1.INTEGER))
            y = asn1.decode_integer(asn1.expect(fields[1], asn1.INTEGER))
            c3 = asn1.expect(fields[2], asn1.OCTET_STRING)
            c2 = asn1.expect(fields[3], asn1.OCTET_STRING)
            if x >= curve.p or y >= curve.p:
                raise asn1.DerError("coordinate out of range")
            encoded_c1 = encode_point((x, y))
        else:
            head = 2 * SIZE + 1
            if len(ciphertext) < head + SIZE or ciphertext[0] != 0x04:
                raise asn1.DerError("too short, or C1 not uncompressed")
            encoded_c1 = ciphertext[:head]
            if order == "C1C3C2":
                c3, c2 = ciphertext[head:head + SIZE], ciphertext[head + SIZE:]
            else:
                c2, c3 = ciphertext[head:-SIZE], ciphertext[-SIZE:]
        if len(c3) != SIZE:
            raise asn1.DerError("C3 is not an SM3 digest")
        return decode_point(curve, encoded_c1), c2, c3
    except (asn1.DerError, CryptoError):
        raise CryptoError(_TAMPERED) from None
