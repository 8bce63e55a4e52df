"""Hardened SM2 (GB/T 32918): keys, signatures with user ID and Z, public-key encryption.

This is the module the rest of Jimu uses; ``gmssl`` is never called from anywhere
else (see ``sm2_gmssl`` for the three defects this fences). Backends:

* ``tongsuo`` (``sm2_native``, optional): SM2 signatures with the default user ID,
  chosen automatically when ``tongsuopy`` imports.
* ``gmssl`` (``sm2_gmssl`` + ``sm2_scheme``): everything else — signatures with
  another user ID, and encryption, which Tongsuo's Python binding lacks.

Both give and take the same values, so what one signs the other verifies.

Signatures leave as DER ``SEQUENCE {r, s}``; they are accepted as DER or as raw
r ‖ s (64 bytes). Anything else verifies as False, never as an exception.
Ciphertexts are C1C3C2 unless another order is asked for (see ``sm2_scheme``).
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from . import sm2_native, sm2_scheme
from .errors import CryptoError
from .sm2_curve import DEFAULT_UID, SIZE, SM2P256V1, random_scalar
from .sm2_keys import (
    SM2PrivateKey,
    SM2PublicKey,
    load_private_key,
    load_public_key,
    private_key_from_scalar,
)
from .sm2_scheme import ORDERS, Order

__all__ = [
    "DEFAULT_UID", "ORDERS", "Order", "SM2PrivateKey", "SM2PublicKey",
    "available_backends", "decrypt", "encrypt", "generate_private_key",
    "load_private_key", "load_public_key", "parse_signature", "sign",
    "signing_backend", "verify",
]

BACKENDS = ("tongsuo", "gmssl")


def available_backends() -> tuple[str, ...]:
    """The SM2 signature backends usable here, preferred first."""
    return BACKENDS if sm2_native.AVAILABLE else ("gmssl",)


def signing_backend(uid: bytes = DEFAULT_UID, backend: str | None = None) -> str:
    """Which backend signs and verifies for ``uid``: the native one when it can."""
    if backend is None:
        return "tongsuo" if sm2_native.AVAILABLE and uid == DEFAULT_UID else "gmssl"
    if backend not in BACKENDS:
        raise CryptoError(f"Unknown SM2 backend {backend!r}: use one of {BACKENDS}.")
    if backend == "tongsuo":
        if not sm2_native.AVAILABLE:
            raise CryptoError("The native SM2 backend (tongsuopy) is not installed.")
        if uid != DEFAULT_UID:
            raise CryptoError("The native SM2 backend only signs with the default user ID.")
    return backend


def generate_private_key() -> SM2PrivateKey:
    """A fresh key pair; the scalar comes from :mod:`secrets`."""
    while True:
        d = random_scalar(SM2P256V1)
        if d <= SM2P256V1.n - 2:
            return private_key_from_scalar(d)


def sign(
    key: SM2PrivateKey, message: bytes, uid: bytes = DEFAULT_UID, *, backend: str | None = None
) -> bytes:
    """A DER signature of ``message`` with user ID ``uid`` (GB/T 32918.2)."""
    if signing_backend(uid, backend) == "tongsuo":
        r, s = sm2_native.TongsuoBackend().sign(key.d, key.public.point, message)
    else:
        r, s = sm2_scheme.sign(SM2P256V1, key.d, key.public.point, message, uid)
    return encode_dss_signature(r, s)


def parse_signature(signature: bytes) -> tuple[int, int] | None:
    """(r, s) from DER or raw r ‖ s, both in [1, n-1]; None for anything else."""
    if not isinstance(signature, bytes | bytearray | memoryview):
        return None
    signature = bytes(signature)
    values: tuple[int, int] | None = None
    if signature[:1] == b"\x30":
        try:
            values = decode_dss_signature(signature)
        except ValueError:
            values = None
    if values is None and len(signature) == 2 * SIZE:
        values = (int.from_bytes(signature[:SIZE], "big"), int.from_bytes(signature[SIZE:], "big"))
    if values is None:
        return None
    r, s = values
    n = SM2P256V1.n
    return (r, s) if 1 <= r < n and 1 <= s < n else None


def verify(
    key: SM2PublicKey,
    message: bytes,
    signature: bytes,
    uid: bytes = DEFAULT_UID,
    *,
    backend: str | None = None,
) -> bool:
    """True only for a valid signature (DER or raw r ‖ s); malformed input is False."""
    values = parse_signature(signature)
    if values is None or not isinstance(message, bytes | bytearray | memoryview):
        return False
    message = bytes(message)
    if signing_backend(uid, backend) == "tongsuo":
        return sm2_native.TongsuoBackend().verify(key.point, message, *values)
    return sm2_scheme.verify(SM2P256V1, key.point, message, uid, *values)


def encrypt(key: SM2PublicKey, plaintext: bytes, *, order: Order = "C1C3C2") -> bytes:
    """SM2 public-key encryption (GB/T 32918.4), C1C3C2 unless ``order`` says otherwise."""
    return sm2_scheme.encrypt(SM2P256V1, key.point, bytes(plaintext), order)


def decrypt(key: SM2PrivateKey, ciphertext: bytes, *, order: Order = "C1C3C2") -> bytes:
    """Inverse of :func:`encrypt`; ``CryptoError`` when C1 or C3 does not check out."""
    return sm2_scheme.decrypt(SM2P256V1, key.d, bytes(ciphertext), order)
