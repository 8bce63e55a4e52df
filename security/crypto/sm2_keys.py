"""SM2 keys: validated values, and their PEM/DER forms at the boundary.

Written: PKCS#8 ``PRIVATE KEY`` (with the public key inside, as OpenSSL writes it)
and SubjectPublicKeyInfo ``PUBLIC KEY``, both with algorithm id-ecPublicKey and the
SM2 curve OID 1.2.156.10197.1.301 as parameters. Read: those, SEC 1
``EC PRIVATE KEY``, their DER, and (for keys handed over by other SM2 libraries)
raw forms: a 32-byte scalar or 64 hex digits for a private key; 04‖x‖y, x‖y,
02/03‖x, or the same in hex for a public key. Forms are told apart by length and
structure, never by stripping characters.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from . import asn1, sm2_native
from .errors import CryptoError
from .sm2_curve import SM2P256V1, Point, decode_point, encode_point, int_bytes
from .sm2_curve import valid_private_scalar as _valid_scalar
from .sm2_scheme import public_point as _gmssl_public_point

OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
OID_SM2 = "1.2.156.10197.1.301"

_PEM = re.compile(
    rb"\A\s*-----BEGIN ([A-Z ]+)-----\s*([A-Za-z0-9+/=\s]*?)\s*-----END \1-----\s*\Z"
)
_HEX = re.compile(r"\A[0-9A-Fa-f]+\Z")


@dataclass(frozen=True)
class SM2PublicKey:
    """A point of the SM2 recommended curve, checked on creation."""

    point: Point

    def __post_init__(self) -> None:
        if not SM2P256V1.contains(self.point):
            raise CryptoError("The SM2 public key is not a point of the SM2 curve.")

    def to_pem(self) -> bytes:
        return _pem("PUBLIC KEY", self.to_der())

    def to_der(self) -> bytes:
        return asn1.encode_sequence(_algorithm(), asn1.encode_bit_string(encode_point(self.point)))


@dataclass(frozen=True)
class SM2PrivateKey:
    """A scalar in [1, n-2] with its public point (never shown by ``repr``)."""

    d: int = field(repr=False)
    public: SM2PublicKey

    def __post_init__(self) -> None:
        if not _valid_scalar(SM2P256V1, self.d):
            raise CryptoError("The SM2 private key is out of range.")

    def to_pem(self) -> bytes:
        return _pem("PRIVATE KEY", self.to_der())

    def to_der(self) -> bytes:
        public = asn1.encode_bit_string(encode_point(self.public.point))
        inner = asn1.encode_sequence(
            asn1.encode_integer(1),
            asn1.encode_octet_string(int_bytes(self.d)),
            asn1.encode_tlv(asn1.context(1), public),
        )
        return asn1.encode_sequence(
            asn1.encode_integer(0), _algorithm(), asn1.encode_octet_string(inner)
        )


def derive_public(d: int) -> Point:
    """[d]G, natively when ``tongsuopy`` is there."""
    if not _valid_scalar(SM2P256V1, d):
        raise CryptoError("The SM2 private key is out of range.")
    if sm2_native.AVAILABLE:
        return sm2_native.TongsuoBackend().public_point(d)
    return _gmssl_public_point(SM2P256V1, d)


def private_key_from_scalar(d: int, public: Point | None = None) -> SM2PrivateKey:
    """The key with scalar ``d``; a given public point must be [d]G."""
    derived = derive_public(d)
    if public is not None and public != derived:
        raise CryptoError("The SM2 private key does not match its public key.")
    return SM2PrivateKey(d, SM2PublicKey(derived))


def load_public_key(data: bytes | str) -> SM2PublicKey:
    """An SM2 public key from PEM, DER (SubjectPublicKeyInfo) or a raw point encoding."""
    raw = _as_bytes(data)
    if raw.lstrip().startswith(b"-----BEGIN"):
        raw = _unpem(raw, {"PUBLIC KEY"})[1]
    if raw[:1] == b"\x30":
        try:
            fields = asn1.decode_sequence(raw)
            if len(fields) != 2:
                raise asn1.DerError("two fields expected")
            _check_algorithm(asn1.expect(fields[0], asn1.SEQUENCE))
            raw = asn1.decode_bit_string(asn1.expect(fields[1], asn1.BIT_STRING))
        except asn1.DerError:
            raise CryptoError("The SM2 public key is not a valid SubjectPublicKeyInfo.") from None
    return SM2PublicKey(decode_point(SM2P256V1, raw))


def load_private_key(data: bytes | str) -> SM2PrivateKey:
    """An SM2 private key from PEM or DER (PKCS#8 or SEC 1), or a raw 32-byte scalar."""
    raw = _as_bytes(data)
    if raw.lstrip().startswith(b"-----BEGIN"):
        raw = _unpem(raw, {"PRIVATE KEY", "EC PRIVATE KEY"})[1]
    if len(raw) == 32:
        return private_key_from_scalar(int.from_bytes(raw, "big"))
    try:
        fields = asn1.decode_sequence(raw)
        if len(fields) > 1 and fields[1][0] == asn1.OCTET_STRING:  # SEC 1, not PKCS#8
            d, public = _read_ec_private_key(fields, curve_required=True)
        else:
            d, public = _read_pkcs8(fields)
    except asn1.DerError:
        raise CryptoError("The SM2 private key is not valid PKCS#8 or SEC 1 DER.") from None
    return private_key_from_scalar(d, public)


def _read_pkcs8(fields: list[tuple[int, bytes]]) -> tuple[int, Point | None]:
    if len(fields) < 3 or asn1.decode_integer(asn1.expect(fields[0], asn1.INTEGER)) not in (0, 1):
        raise asn1.DerError("not a PKCS#8 PrivateKeyInfo")
    _check_algorithm(asn1.expect(fields[1], asn1.SEQUENCE))
    inner = asn1.decode_sequence(asn1.expect(fields[2], asn1.OCTET_STRING))
    return _read_ec_private_key(inner, curve_required=False)


def _read_ec_private_key(
    fields: list[tuple[int, bytes]], *, curve_required: bool
) -> tuple[int, Point | None]:
    """RFC 5915 ECPrivateKey: version 1, the scalar, [0] curve, [1] public key."""
    if len(fields) < 2 or asn1.decode_integer(asn1.expect(fields[0], asn1.INTEGER)) != 1:
        raise asn1.DerError("not an ECPrivateKey")
    scalar = asn1.expect(fields[1], asn1.OCTET_STRING)
    if not 1 <= len(scalar) <= 32:
        raise asn1.DerError("private scalar of the wrong size")
    tagged = dict(fields[2:])
    if len(tagged) != len(fields) - 2 or set(tagged) - {asn1.context(0), asn1.context(1)}:
        raise asn1.DerError("unexpected fields in ECPrivateKey")
    if asn1.context(0) in tagged:
        _check_curve(asn1.decode_single(tagged[asn1.context(0)], asn1.OBJECT_IDENTIFIER))
    elif curve_required:
        raise CryptoError("The EC private key does not name its curve.")
    public = None
    if asn1.context(1) in tagged:
        bits = asn1.decode_single(tagged[asn1.context(1)], asn1.BIT_STRING)
        public = decode_point(SM2P256V1, asn1.decode_bit_string(bits))
    return int.from_bytes(scalar, "big"), public


def _algorithm() -> bytes:
    return asn1.encode_sequence(asn1.encode_oid(OID_EC_PUBLIC_KEY), asn1.encode_oid(OID_SM2))


def _check_algorithm(content: bytes) -> None:
    fields = asn1.decode_children(content)
    if len(fields) != 2:
        raise CryptoError("The key is not an SM2 key (no curve parameters).")
    algorithm = asn1.decode_oid(asn1.expect(fields[0], asn1.OBJECT_IDENTIFIER))
    if algorithm not in (OID_EC_PUBLIC_KEY, OID_SM2):
        raise CryptoError("The key is not an elliptic-curve (SM2) key.")
    _check_curve(asn1.expect(fields[1], asn1.OBJECT_IDENTIFIER))


def _check_curve(oid_content: bytes) -> None:
    if asn1.decode_oid(oid_content) != OID_SM2:
        raise CryptoError("The key is on another curve than SM2 (1.2.156.10197.1.301).")


def _as_bytes(data: bytes | str) -> bytes:
    if isinstance(data, str):
        text = data.strip()
        if _HEX.match(text) and len(text) in (64, 66, 128, 130):
            return binascii.unhexlify(text)
        return text.encode("ascii", "replace")
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CryptoError("An SM2 key must be bytes or text.")
    return bytes(data)


def _pem(label: str, der: bytes) -> bytes:
    body = base64.b64encode(der)
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    begin, end = f"-----BEGIN {label}-----".encode(), f"-----END {label}-----".encode()
    return b"\n".join([begin, *lines, end]) + b"\n"


def _unpem(data: bytes, labels: set[str]) -> tuple[str, bytes]:
    match = _PEM.match(data)
    if not match:
        raise CryptoError("The key is not a single PEM block.")
    label = match.group(1).decode()
    if label == "ENCRYPTED PRIVATE KEY":
        raise CryptoError("Encrypted PEM keys are not supported; decrypt the key first.")
    if label not in labels:
        raise CryptoError(f"Expected a PEM {' or '.join(sorted(labels))}, found {label}.")
    try:
        return label, base64.b64decode(b"".join(match.group(2).split()), validate=True)
    except binascii.Error:
        raise CryptoError("The PEM block's base64 is malformed.") from None
