"""PEM helpers for the ``cryptography`` key types the standard provider uses."""

from __future__ import annotations

from typing import Any, TypeVar

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from .errors import CryptoError

K = TypeVar("K")


def dump_key_pair(private_key: Any) -> tuple[bytes, bytes]:
    """(PKCS#8 PEM, SubjectPublicKeyInfo PEM) of ``private_key``."""
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return private_pem, private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_private(pem: bytes, kind: type[K], label: str) -> K:
    """An unencrypted PEM private key of type ``kind``, or ``CryptoError``."""
    try:
        key = serialization.load_pem_private_key(_bytes(pem), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise CryptoError(f"The private key is not an unencrypted PEM {label} key.") from None
    if not isinstance(key, kind):
        raise CryptoError(f"The private key is not an {label} key.")
    return key


def load_public(pem: bytes, kind: type[K], label: str) -> K:
    """A PEM public key of type ``kind``, or ``CryptoError``."""
    try:
        key = serialization.load_pem_public_key(_bytes(pem))
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise CryptoError(f"The public key is not a PEM {label} key.") from None
    if not isinstance(key, kind):
        raise CryptoError(f"The public key is not an {label} key.")
    return key


def raw_public(public_key: Any) -> bytes:
    """The raw encoding of an X25519/Ed25519 public key (32 bytes)."""
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _bytes(data: bytes | str) -> bytes:
    if isinstance(data, str):
        return data.encode("ascii", "replace")
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    raise CryptoError("A key must be PEM bytes or text.")
