"""SM2 at the boundary: signature encodings, PEM keys, backends, OpenSSL interop."""

from __future__ import annotations

import base64
import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jimucrm.security.crypto import CryptoError, sm2, sm2_native
from jimucrm.security.crypto.sm2_curve import SM2P256V1

MESSAGE = b"order #2024-0001 paid"
N = SM2P256V1.n
FIXTURES = [HealthCheck.function_scoped_fixture]


@pytest.fixture(scope="module")
def key() -> sm2.SM2PrivateKey:
    return sm2.generate_private_key()


@pytest.fixture(scope="module")
def signature(key) -> bytes:
    return sm2.sign(key, MESSAGE)


# -- signature encodings ------------------------------------------------------------------

def test_signatures_leave_as_der(signature):
    assert signature[0] == 0x30 and 8 <= len(signature) <= 72
    assert sm2.parse_signature(signature) is not None


def test_raw_and_der_both_verify(key, signature):
    r, s = sm2.parse_signature(signature)
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert sm2.verify(key.public, MESSAGE, raw)
    assert sm2.verify(key.public, MESSAGE, signature)
    assert sm2.verify(key.public, MESSAGE, bytearray(signature))


def _garbage(signature: bytes) -> list[bytes]:
    r, s = sm2.parse_signature(signature)
    non_minimal = b"\x30" + bytes([signature[1] + 1]) + b"\x02" + bytes([signature[3] + 1]) + (
        b"\x00" + signature[4:]
    )
    return [
        b"", b"\x30", b"\x30\x00", bytes(64), bytes(63), bytes(65), b"\xff" * 64,
        signature + b"\x00",                       # trailing byte after the DER
        signature[:-1],                            # truncated
        non_minimal,                               # a padded INTEGER: BER, not DER
        encode_dss_signature(0, s), encode_dss_signature(r, 0),
        encode_dss_signature(r, N), encode_dss_signature(N + r, s),
        encode_dss_signature(r, s + 1),
        N.to_bytes(32, "big") + s.to_bytes(32, "big"),
    ]


def test_malformed_signatures_are_false(key, signature):
    for candidate in _garbage(signature):
        for backend in sm2.available_backends():
            assert sm2.verify(key.public, MESSAGE, candidate, backend=backend) is False, candidate


def test_non_bytes_are_false(key, signature):
    assert sm2.verify(key.public, MESSAGE, signature.hex()) is False  # type: ignore[arg-type]
    assert sm2.verify(key.public, MESSAGE, None) is False  # type: ignore[arg-type]
    assert sm2.verify(key.public, "text", signature) is False  # type: ignore[arg-type]


def test_other_message_uid_or_key_is_false(key, signature):
    assert not sm2.verify(key.public, MESSAGE + b".", signature)
    assert not sm2.verify(key.public, MESSAGE, signature, b"ALICE123@YAHOO.COM")
    assert not sm2.verify(sm2.generate_private_key().public, MESSAGE, signature)


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(candidate=st.binary(max_size=80))
def test_any_bytes_verify_false_without_raising(key, candidate):
    assert sm2.verify(key.public, MESSAGE, candidate) is False


@settings(max_examples=8, deadline=None, suppress_health_check=FIXTURES)
@given(message=st.binary(max_size=300), uid=st.binary(min_size=0, max_size=40))
def test_sign_verify_any_message_and_uid(key, message, uid):
    signature = sm2.sign(key, message, uid)
    assert sm2.verify(key.public, message, signature, uid)
    assert not sm2.verify(key.public, message + b"x", signature, uid)


# -- encryption ---------------------------------------------------------------------------

@settings(max_examples=8, deadline=None, suppress_health_check=FIXTURES)
@given(plaintext=st.binary(max_size=200), order=st.sampled_from(sm2.ORDERS))
def test_encrypt_decrypt_any_plaintext(key, plaintext, order):
    ciphertext = sm2.encrypt(key.public, plaintext, order=order)
    assert sm2.decrypt(key, ciphertext, order=order) == plaintext


def test_ciphertext_layout(key):
    ciphertext = sm2.encrypt(key.public, b"x" * 10)
    assert len(ciphertext) == 65 + 32 + 10 and ciphertext[0] == 0x04
    assert sm2.decrypt(key, sm2.encrypt(key.public, b"")) == b""


# -- keys ---------------------------------------------------------------------------------

def test_pem_round_trip(key):
    private_pem, public_pem = key.to_pem(), key.public.to_pem()
    assert private_pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert public_pem.startswith(b"-----BEGIN PUBLIC KEY-----\n")
    assert sm2.load_private_key(private_pem) == key
    assert sm2.load_private_key(private_pem.decode()) == key
    assert sm2.load_public_key(public_pem) == key.public
    assert sm2.load_private_key(key.to_der()) == key
    assert sm2.load_public_key(key.public.to_der()) == key.public
    assert "d=" not in repr(key) and str(key.d) not in repr(key)


def test_compressed_public_key(key):
    x, y = key.public.point
    assert sm2.load_public_key(bytes([2 + (y & 1)]) + x.to_bytes(32, "big")) == key.public


def test_sec1_private_key(key):
    from jimucrm.security.crypto import asn1
    from jimucrm.security.crypto.sm2_keys import OID_SM2

    sec1 = asn1.encode_sequence(
        asn1.encode_integer(1), asn1.encode_octet_string(key.d.to_bytes(32, "big")),
        asn1.encode_tlv(asn1.context(0), asn1.encode_oid(OID_SM2)),
    )
    body = base64.encodebytes(sec1)
    pem = b"-----BEGIN EC PRIVATE KEY-----\n" + body + b"-----END EC PRIVATE KEY-----\n"
    assert sm2.load_private_key(pem) == key


def test_mismatched_public_key_in_pkcs8_refused(key):
    from jimucrm.security.crypto.sm2_keys import SM2PrivateKey

    other = sm2.generate_private_key()
    forged = SM2PrivateKey(key.d, other.public).to_pem()
    with pytest.raises(CryptoError, match="does not match"):
        sm2.load_private_key(forged)


@pytest.mark.parametrize("bad", [
    b"", b"not a key", b"-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n",
    b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n",
    b"-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n",
    bytes(32), (SM2P256V1.n - 1).to_bytes(32, "big"), b"\x30\x03\x02\x01\x00",
])
def test_bad_private_keys_refused_cleanly(bad):
    with pytest.raises(CryptoError):
        sm2.load_private_key(bad)


def test_other_curves_refused():
    p256 = ec.generate_private_key(ec.SECP256R1())
    private_pem = p256.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
    public_pem = p256.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(CryptoError, match="another curve"):
        sm2.load_private_key(private_pem)
    with pytest.raises(CryptoError, match="another curve"):
        sm2.load_public_key(public_pem)


@pytest.mark.parametrize("bad", [b"", bytes(65), b"\x04" + bytes(64), b"\x05" + bytes(64),
                                 b"\x04" + (1).to_bytes(32, "big") * 2, "zz" * 65])
def test_bad_public_keys_refused_cleanly(bad):
    with pytest.raises(CryptoError):
        sm2.load_public_key(bad)


# -- backends -----------------------------------------------------------------------------

def test_backend_selection(monkeypatch):
    monkeypatch.setattr(sm2_native, "AVAILABLE", True)
    assert sm2.signing_backend() == "tongsuo"
    assert sm2.signing_backend(b"ALICE123@YAHOO.COM") == "gmssl"
    assert sm2.signing_backend(backend="gmssl") == "gmssl"
    assert sm2.available_backends() == ("tongsuo", "gmssl")
    with pytest.raises(CryptoError, match="default user ID"):
        sm2.signing_backend(b"ALICE", backend="tongsuo")
    monkeypatch.setattr(sm2_native, "AVAILABLE", False)
    assert sm2.signing_backend() == "gmssl"
    assert sm2.available_backends() == ("gmssl",)
    with pytest.raises(CryptoError, match="not installed"):
        sm2.signing_backend(backend="tongsuo")
    with pytest.raises(CryptoError, match="Unknown SM2 backend"):
        sm2.signing_backend(backend="openssl")


def test_gmssl_only_still_works(monkeypatch):
    monkeypatch.setattr(sm2_native, "AVAILABLE", False)
    key = sm2.generate_private_key()
    assert sm2.verify(key.public, MESSAGE, sm2.sign(key, MESSAGE))


needs_native = pytest.mark.skipif(not sm2_native.AVAILABLE, reason="tongsuopy is not installed")


@needs_native
def test_backends_cross_verify():
    for _ in range(5):
        key = sm2.generate_private_key()
        by_native = sm2.sign(key, MESSAGE, backend="tongsuo")
        by_gmssl = sm2.sign(key, MESSAGE, backend="gmssl")
        assert sm2.verify(key.public, MESSAGE, by_native, backend="gmssl")
        assert sm2.verify(key.public, MESSAGE, by_gmssl, backend="tongsuo")
        assert not sm2.verify(key.public, MESSAGE + b"!", by_native, backend="gmssl")
        assert not sm2.verify(key.public, MESSAGE + b"!", by_gmssl, backend="tongsuo")


@needs_native
def test_native_pem_is_ours():
    from tongsuopy.crypto import serialization as t_serialization
    from tongsuopy.crypto.asymciphers import ec as t_ec

    native = t_ec.generate_private_key(t_ec.SM2())
    pem = native.private_bytes(t_serialization.Encoding.PEM, t_serialization.PrivateFormat.PKCS8,
                               t_serialization.NoEncryption())
    key = sm2.load_private_key(pem)
    assert key.d == native.private_numbers().private_value
    assert key.to_pem() == pem
    public_pem = native.public_key().public_bytes(
        t_serialization.Encoding.PEM, t_serialization.PublicFormat.SubjectPublicKeyInfo)
    assert key.public.to_pem() == public_pem


# -- OpenSSL command line -----------------------------------------------------------------

def _openssl(*args: str, data: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], input=data, capture_output=True, timeout=30,
                          check=False)


@pytest.fixture(scope="module")
def openssl_key(tmp_path_factory):
    if not shutil.which("openssl") or _openssl("genpkey", "-algorithm", "SM2").returncode:
        pytest.skip("no openssl with SM2 on this machine")
    folder = tmp_path_factory.mktemp("openssl-sm2")
    (folder / "key.pem").write_bytes(_openssl("genpkey", "-algorithm", "SM2").stdout)
    return folder


def test_openssl_keys_signatures_and_ciphertexts(openssl_key):
    folder = openssl_key
    key = sm2.load_private_key((folder / "key.pem").read_bytes())
    public_pem = _openssl("pkey", "-in", str(folder / "key.pem"), "-pubout").stdout
    assert sm2.load_public_key(public_pem) == key.public
    (folder / "pub.pem").write_bytes(public_pem)
    (folder / "message").write_bytes(MESSAGE)
    sign = ["pkeyutl", "-sign", "-rawin", "-digest", "sm3", "-inkey", str(folder / "key.pem"),
            "-in", str(folder / "message")]
    # OpenSSL 3 signs with an empty ID unless told the GB/T default.
    theirs = _openssl(*sign, "-pkeyopt", "distid:1234567812345678").stdout
    assert sm2.verify(key.public, MESSAGE, theirs)
    assert sm2.verify(key.public, MESSAGE, _openssl(*sign).stdout, b"")
    (folder / "ours.sig").write_bytes(sm2.sign(key, MESSAGE))
    verified = _openssl("pkeyutl", "-verify", "-rawin", "-digest", "sm3", "-pubin",
                        "-inkey", str(folder / "pub.pem"), "-in", str(folder / "message"),
                        "-sigfile", str(folder / "ours.sig"),
                        "-pkeyopt", "distid:1234567812345678")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    ciphertext = _openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", str(folder / "pub.pem"),
                          "-in", str(folder / "message")).stdout
    assert sm2.decrypt(key, ciphertext, order="ASN1") == MESSAGE
    (folder / "ours.ct").write_bytes(sm2.encrypt(key.public, MESSAGE, order="ASN1"))
    decrypted = _openssl("pkeyutl", "-decrypt", "-inkey", str(folder / "key.pem"),
                         "-in", str(folder / "ours.ct"))
    assert decrypted.stdout == MESSAGE
