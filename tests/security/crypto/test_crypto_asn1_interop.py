"""The small DER codec, and the SM4-CBC/ECB interop helpers."""

from __future__ import annotations

import contextlib
import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jimucrm.security.crypto import CryptoError, asn1, interop

# -- DER ----------------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=2**300))
def test_integer_round_trip(value):
    encoded = asn1.encode_integer(value)
    assert asn1.decode_integer(asn1.decode_single(encoded, asn1.INTEGER)) == value


@pytest.mark.parametrize(("value", "der"), [
    (0, "020100"), (127, "02017f"), (128, "02020080"), (256, "02020100"),
])
def test_integer_encodings(value, der):
    assert asn1.encode_integer(value).hex() == der


@pytest.mark.parametrize(("oid", "der"), [
    ("1.2.840.10045.2.1", "06072a8648ce3d0201"),
    ("1.2.156.10197.1.301", "06082a811ccf5501822d"),
])
def test_oids(oid, der):
    assert asn1.encode_oid(oid).hex() == der
    assert asn1.decode_oid(asn1.decode_single(bytes.fromhex(der), asn1.OBJECT_IDENTIFIER)) == oid


def test_long_lengths():
    content = bytes(300)
    encoded = asn1.encode_octet_string(content)
    assert encoded[:4].hex() == "0482012c"
    assert asn1.decode_single(encoded, asn1.OCTET_STRING) == content


@pytest.mark.parametrize("der", [
    "", "30", "3001", "0201", "020100ff",      # truncated, trailing
    "3080" "0000",                               # indefinite length
    "30810100",                                  # long form for a short length
    "0200", "0201ff", "02020001",                # empty, negative, non-minimal integers
    "1f0100",                                    # high tag number
])
def test_malformed_der_refused(der):
    data = bytes.fromhex(der)
    with pytest.raises(asn1.DerError):
        tag, content, end = asn1.read_tlv(data)
        if end != len(data):
            raise asn1.DerError("trailing")
        if tag == asn1.INTEGER:
            asn1.decode_integer(content)
        if tag == asn1.SEQUENCE:
            asn1.decode_children(content)


@given(st.binary(max_size=64))
def test_decoder_never_raises_anything_but_der_error(data):
    with contextlib.suppress(asn1.DerError):
        asn1.decode_sequence(data)


# -- SM4 interop --------------------------------------------------------------------------

KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")


def test_sm4_cbc_known_answer():
    # OpenSSL's evpciph_sm4.txt SM4-CBC vector (IV = key = plaintext).
    ciphertext = interop.sm4_cbc_encrypt(KEY, KEY, KEY, padding=False)
    assert ciphertext.hex() == "2677f46b09c122cc975533105bd4a22a"
    assert interop.sm4_cbc_decrypt(KEY, KEY, ciphertext, padding=False) == KEY


@given(st.binary(max_size=100))
def test_sm4_cbc_and_ecb_round_trip(plaintext):
    iv = secrets.token_bytes(16)
    cbc = interop.sm4_cbc_encrypt(KEY, iv, plaintext)
    assert len(cbc) % 16 == 0 and len(cbc) > len(plaintext)
    assert interop.sm4_cbc_decrypt(KEY, iv, cbc) == plaintext
    assert interop.sm4_ecb_decrypt(KEY, interop.sm4_ecb_encrypt(KEY, plaintext)) == plaintext


def test_ecb_shows_repeated_blocks():
    ciphertext = interop.sm4_ecb_encrypt(KEY, b"A" * 32, padding=False)
    assert ciphertext[:16] == ciphertext[16:]  # why ECB is interop-only


@pytest.mark.parametrize("call", [
    lambda: interop.sm4_cbc_encrypt(b"short", KEY, b"x"),
    lambda: interop.sm4_cbc_encrypt(KEY, b"short iv", b"x"),
    lambda: interop.sm4_cbc_encrypt(KEY, KEY, b"not a block", padding=False),
    lambda: interop.sm4_cbc_decrypt(KEY, KEY, b"x" * 15),
    lambda: interop.sm4_cbc_decrypt(KEY, KEY, interop.sm4_cbc_encrypt(KEY, KEY, b"x") + b"\0" * 16),
    lambda: interop.sm4_ecb_decrypt(KEY, bytes(16)),  # bad padding
])
def test_interop_errors_are_crypto_errors(call):
    with pytest.raises(CryptoError):
        call()
