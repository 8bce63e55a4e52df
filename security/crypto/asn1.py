"""A small, strict DER encoder and decoder: just what SM2 keys and signatures need.

``cryptography`` cannot load keys on the SM2 curve and offers no stable general
ASN.1 API, so PKCS#8, SEC 1 and SubjectPublicKeyInfo for SM2 are read and written
here. Only DER is accepted (definite, minimal lengths; minimal INTEGERs; no
trailing bytes); anything else raises :class:`DerError`, which callers turn into
``CryptoError`` or ``False``.
"""

from __future__ import annotations

INTEGER = 0x02
BIT_STRING = 0x03
OCTET_STRING = 0x04
NULL = 0x05
OBJECT_IDENTIFIER = 0x06
SEQUENCE = 0x30

_MAX_LENGTH_OCTETS = 4  # nothing we read comes close to 4 GiB


class DerError(ValueError):
    """The bytes are not the DER this module expects."""


def context(number: int, *, constructed: bool = True) -> int:
    """The tag byte of a context-specific ``[number]`` field (low tag numbers only)."""
    if not 0 <= number <= 30:
        raise ValueError("context tag number out of range")
    return 0x80 | (0x20 if constructed else 0) | number


# -- encoding -----------------------------------------------------------------------------

def encode_length(length: int) -> bytes:
    """The DER length octets for ``length`` content bytes."""
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def encode_tlv(tag: int, content: bytes) -> bytes:
    """One tag-length-value element."""
    return bytes([tag]) + encode_length(len(content)) + content


def encode_integer(value: int) -> bytes:
    """A non-negative INTEGER in its minimal two's-complement form."""
    if value < 0:
        raise ValueError("only non-negative integers are encoded here")
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")  # room for a 0 sign bit
    return encode_tlv(INTEGER, body)


def encode_sequence(*elements: bytes) -> bytes:
    """A SEQUENCE of already encoded elements."""
    return encode_tlv(SEQUENCE, b"".join(elements))


def encode_octet_string(data: bytes) -> bytes:
    return encode_tlv(OCTET_STRING, data)


def encode_bit_string(data: bytes) -> bytes:
    """A BIT STRING of whole octets (no unused bits)."""
    return encode_tlv(BIT_STRING, b"\x00" + data)


def encode_oid(dotted: str) -> bytes:
    """An OBJECT IDENTIFIER from its dotted form, e.g. ``1.2.156.10197.1.301``."""
    arcs = [int(arc) for arc in dotted.split(".")]
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] > 39):
        raise ValueError(f"not an object identifier: {dotted}")
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return encode_tlv(OBJECT_IDENTIFIER, bytes(body))


# -- decoding -----------------------------------------------------------------------------

def read_tlv(data: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """Read one element at ``offset``: (tag, content, offset after it)."""
    if offset + 2 > len(data):
        raise DerError("truncated element")
    tag = data[offset]
    if tag & 0x1F == 0x1F:
        raise DerError("high tag numbers are not used here")
    first = data[offset + 1]
    offset += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > _MAX_LENGTH_OCTETS:
            raise DerError("indefinite or oversized length")
        if offset + count > len(data):
            raise DerError("truncated length")
        length = int.from_bytes(data[offset:offset + count], "big")
        if length < 0x80 or data[offset] == 0:
            raise DerError("non-minimal length")
        offset += count
    end = offset + length
    if end > len(data):
        raise DerError("truncated content")
    return tag, bytes(data[offset:end]), end


def decode_single(data: bytes, tag: int) -> bytes:
    """The content of ``data``, which must be exactly one element with ``tag``."""
    found, content, end = read_tlv(data)
    if found != tag:
        raise DerError(f"expected tag 0x{tag:02x}, found 0x{found:02x}")
    if end != len(data):
        raise DerError("trailing bytes after the element")
    return content


def decode_children(content: bytes) -> list[tuple[int, bytes]]:
    """The (tag, content) pairs inside a constructed element's content."""
    children = []
    offset = 0
    while offset < len(content):
        tag, child, offset = read_tlv(content, offset)
        children.append((tag, child))
    return children


def decode_sequence(data: bytes) -> list[tuple[int, bytes]]:
    """The children of ``data``, which must be exactly one SEQUENCE."""
    return decode_children(decode_single(data, SEQUENCE))


def expect(element: tuple[int, bytes], tag: int) -> bytes:
    """The content of a decoded child, checking its tag."""
    if element[0] != tag:
        raise DerError(f"expected tag 0x{tag:02x}, found 0x{element[0]:02x}")
    return element[1]


def decode_integer(content: bytes) -> int:
    """A non-negative, minimally encoded INTEGER's value."""
    if not content:
        raise DerError("empty integer")
    if content[0] & 0x80:
        raise DerError("negative integer")
    if len(content) > 1 and content[0] == 0 and not content[1] & 0x80:
        raise DerError("non-minimal integer")
    return int.from_bytes(content, "big")


def decode_bit_string(content: bytes) -> bytes:
    """A BIT STRING of whole octets."""
    if not content or content[0] != 0:
        raise DerError("bit string with unused bits")
    return content[1:]


def decode_oid(content: bytes) -> str:
    """The dotted form of an OBJECT IDENTIFIER's content."""
    if not content or content[-1] & 0x80:
        raise DerError("truncated object identifier")
    arcs: list[int] = []
    value = 0
    starting = True
    for octet in content:
        if starting and octet == 0x80:
            raise DerError("non-minimal object identifier")
        value = (value << 7) | (octet & 0x7F)
        starting = not octet & 0x80
        if starting:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    return ".".join(str(arc) for arc in head + arcs[1:])
