"""Known-answer tests: the standards' own worked examples, through our code paths.

Sources (values cross-read from the standards' texts as reproduced in the OpenSSL,
GmSSL, Tongsuo, openHiTLS and Bouncy Castle test suites):

* SM3: GB/T 32905-2016 Appendix A, examples 1 ("abc") and 2 ("abcd" × 16).
* SM4: GB/T 32907-2016 Appendix A, example 1 (one block) and example 2 (1,000,000
  encryptions of the block under the same key).
* SM4-GCM: RFC 8998 Appendix A.1.
* SM2 on the recommended curve: GB/T 32918.5-2017 / GM/T 0003.5-2012 examples
  (signature of "message digest" with ID 1234567812345678; encryption of
  "encryption standard"), key 3945208F…C5B8, k = 59276E27…BC21.
* SM2 on the 256-bit example curve of GB/T 32918.2/.4-2016 Appendix A: signature by
  ALICE123@YAHOO.COM, and the encryption example (published in C1C2C3 order).
"""

from __future__ import annotations

import hashlib

import pytest

from jimucrm.security.crypto import interop, national, sm2, sm2_scheme
from jimucrm.security.crypto.national import NationalProvider
from jimucrm.security.crypto.sm2_curve import SM2P256V1, Curve, message_digest, z_value

H = bytes.fromhex

# -- SM3 / SM4 ----------------------------------------------------------------------------

SM3_VECTORS = [
    (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
]
SM4_KEY = H("0123456789abcdeffedcba9876543210")


@pytest.fixture(scope="module")
def provider() -> NationalProvider:
    return NationalProvider(pbkdf2_iterations=1_000)


@pytest.mark.parametrize(("message", "digest"), SM3_VECTORS)
def test_sm3_gbt_32905(provider, message, digest):
    assert provider.hash(message).hex() == digest


def test_sm4_gbt_32907_single_block():
    ciphertext = interop.sm4_ecb_encrypt(SM4_KEY, SM4_KEY, padding=False)
    assert ciphertext.hex() == "681edf34d206965e86b3e94f536e4246"
    assert interop.sm4_ecb_decrypt(SM4_KEY, ciphertext, padding=False) == SM4_KEY


def test_sm4_gbt_32907_one_million_encryptions():
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    encryptor = Cipher(algorithms.SM4(SM4_KEY), modes.ECB()).encryptor()
    block = SM4_KEY
    for _ in range(1_000_000):
        block = encryptor.update(block)
    assert block.hex() == "595298c7c6fd271f0402f804c33d3f66"


# -- SM4-GCM (RFC 8998 A.1) ---------------------------------------------------------------

GCM_NONCE = H("00001234567800000000abcd")
GCM_AAD = H("feedfacedeadbeeffeedfacedeadbeefabaddad2")
GCM_PLAINTEXT = H(
    "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd"
    "eeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa"
)
GCM_CIPHERTEXT = H(
    "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735"
    "d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d"
)
GCM_TAG = H("83de3541e4c2b58177e065a9bf7b62ec")


def test_sm4_gcm_rfc_8998_encrypt(provider, monkeypatch):
    monkeypatch.setattr(national.secrets, "token_bytes", lambda size: GCM_NONCE)
    sealed = provider.encrypt(SM4_KEY, GCM_PLAINTEXT, GCM_AAD)
    assert sealed == GCM_NONCE + GCM_CIPHERTEXT + GCM_TAG


def test_sm4_gcm_rfc_8998_decrypt(provider):
    sealed = GCM_NONCE + GCM_CIPHERTEXT + GCM_TAG
    assert provider.decrypt(SM4_KEY, sealed, GCM_AAD) == GCM_PLAINTEXT


# -- HMAC-SM3 and PBKDF2-HMAC-SM3 against independent constructions -----------------------

def _hmac_sm3_by_hand(key: bytes, data: bytes, sm3) -> bytes:
    """RFC 2104 written out over the provider's SM3, independent of cryptography's HMAC."""
    key = sm3(key) if len(key) > 64 else key
    key = key.ljust(64, b"\0")
    inner = sm3(bytes(b ^ 0x36 for b in key) + data)
    return sm3(bytes(b ^ 0x5C for b in key) + inner)


@pytest.mark.parametrize("key", [b"", b"k", b"key" * 30])
def test_hmac_sm3_matches_rfc_2104(provider, key):
    data = b"what do ya want for nothing?"
    assert provider.hmac(key, data) == _hmac_sm3_by_hand(key, data, provider.hash)


@pytest.mark.skipif("sm3" not in hashlib.algorithms_available,
                    reason="this OpenSSL's hashlib has no SM3")
def test_pbkdf2_sm3_matches_hashlib(provider):
    stored = provider.hash_password("correct-horse-电池")
    _, iterations, salt, key = stored.split("$")
    from jimucrm.security.crypto.password_schemes import _unb64

    expected = hashlib.pbkdf2_hmac("sm3", "correct-horse-电池".encode(), _unb64(salt),
                                   int(iterations), 32)
    assert _unb64(key) == expected


# -- SM2 ----------------------------------------------------------------------------------

REC_D = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
REC_K = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
REC_PUBLIC = (
    0x09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020,
    0xCCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13,
)
REC_R = 0xF5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3
REC_S = 0xB1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA
REC_C1 = H(
    "04" "04ebfc718e8d1798620432268e77feb6415e2ede0e073c0f4f640ecd2e149a73"
    "e858f9d81e5430a57b36daab8f950a3c64e6ee6a63094d99283aff767e124df0"
)
REC_C3 = H("59983c18f809e262923c53aec295d30383b54e39d609d160afcb1908d0bd8766")
REC_C2 = H("21886ca989ca9c7d58087307ca93092d651efa")

EXAMPLE_CURVE = Curve(
    name="GB/T 32918 Appendix A example Fp-256",
    p=0x8542D69E4C044F18E8B92435BF6FF7DE457283915C45517D722EDB8B08F1DFC3,
    a=0x787968B4FA32C3FD2417842E73BBFEFF2F3C848B6831D7E0EC65228B3937E498,
    b=0x63E4C6D3B23B0C849CF84241484BFE48F61D59A5B16BA06E6E12D1DA27C5249A,
    gx=0x421DEBD61B62EAB6746434EBC3CC315E32220B3BADD50BDC4C4E6C147FEDD43D,
    gy=0x0680512BCBB42C07D47349D2153B70C4E5D7FDFCBFA36EA1A85841B9E46E09A2,
    n=0x8542D69E4C044F18E8B92435BF6FF7DD297720630485628D5AE74EE7C32E79B7,
)


def fix_nonce(monkeypatch, k: int) -> None:
    """The one way to choose k: replace the secrets-backed draw for this test."""
    monkeypatch.setattr(sm2_scheme, "random_scalar", lambda curve: k)


def test_sm2_recommended_curve_public_key():
    assert sm2.load_private_key(REC_D.to_bytes(32, "big")).public.point == REC_PUBLIC


def test_sm2_recommended_curve_signature(monkeypatch):
    fix_nonce(monkeypatch, REC_K)
    key = sm2.load_private_key(REC_D.to_bytes(32, "big"))
    der = sm2.sign(key, b"message digest", backend="gmssl")
    assert sm2.parse_signature(der) == (REC_R, REC_S)
    raw = REC_R.to_bytes(32, "big") + REC_S.to_bytes(32, "big")
    for backend in sm2.available_backends():
        assert sm2.verify(key.public, b"message digest", raw, backend=backend)
        assert sm2.verify(key.public, b"message digest", der, backend=backend)


def test_sm2_recommended_curve_encryption(monkeypatch):
    fix_nonce(monkeypatch, REC_K)
    key = sm2.load_private_key(REC_D.to_bytes(32, "big"))
    ciphertext = sm2.encrypt(key.public, b"encryption standard")
    assert ciphertext == REC_C1 + REC_C3 + REC_C2  # C1C3C2 by default
    assert sm2.encrypt(key.public, b"encryption standard", order="C1C2C3") == (
        REC_C1 + REC_C2 + REC_C3
    )
    assert sm2.decrypt(key, ciphertext) == b"encryption standard"


def test_sm2_example_curve_signature(monkeypatch):
    d = 0x128B2FA8BD433C6C068C8D803DFF79792A519A55171B1B650C23661D15897263
    public = sm2_scheme.public_point(EXAMPLE_CURVE, d)
    assert public == (0x0AE4C7798AA0F119471BEE11825BE46202BB79E2A5844495E97C04FF4DF2548A,
                      0x7C0240F88F1CD4E16352A73C17B7F16F07353E53A176D684A9FE0C6BB798E857)
    fix_nonce(monkeypatch, 0x6CB28D99385C175C94F94E934817663FC176D925DD72B727260DBAAE1FB2F96F)
    r, s = sm2_scheme.sign(EXAMPLE_CURVE, d, public, b"message digest", b"ALICE123@YAHOO.COM")
    assert r == 0x40F1EC59F793D9F49E09DCEF49130D4194F79FB1EED2CAA55BACDB49C4E755D1
    assert s == 0x6FC6DAC32C5D5CF10C77DFB20F7C2EB667A457872FB09EC56327A67EC7DEEBE7
    assert sm2_scheme.verify(EXAMPLE_CURVE, public, b"message digest", b"ALICE123@YAHOO.COM", r, s)
    assert not sm2_scheme.verify(EXAMPLE_CURVE, public, b"message digest", b"BOB", r, s)


def test_sm2_example_curve_encryption(monkeypatch):
    d = 0x1649AB77A00637BD5E2EFE283FBF353534AA7F7CB89463F208DDBC2920BB0DA0
    public = sm2_scheme.public_point(EXAMPLE_CURVE, d)
    assert public == (0x435B39CCA8F3B508C1488AFC67BE491A0F7BA07E581A0E4849A5CF70628A7E0A,
                      0x75DDBA78F15FEECB4C7895E2C1CDF5FE01DEBB2CDBADF45399CCF77BBA076A42)
    published = H(
        "04245c26fb68b1ddddb12c4b6bf9f2b6d5fe60a383b0d18d1c4144abf17f6252e7"
        "76cb9264c2a7e88e52b19903fdc47378f605e36811f5c07423a24b84400f01b8"
        "650053a89b41c418b0c3aad00d886c00286467"
        "9c3d7360c30156fab7c80a0276712da9d8094a634b766d3a285e07480653426d"
    )
    fix_nonce(monkeypatch, 0x4C62EEFD6ECFC2B95B92FD6C3D9575148AFA17425546D49018E5388D49DD7B4F)
    assert sm2_scheme.encrypt(EXAMPLE_CURVE, public, b"encryption standard", "C1C2C3") == published
    assert sm2_scheme.decrypt(EXAMPLE_CURVE, d, published, "C1C2C3") == b"encryption standard"


def test_sm2_recommended_curve_z_and_e():
    # The intermediate values the GB/T 32918.5 example publishes: Z_A and e = SM3(Z_A ‖ M).
    z = z_value(SM2P256V1, b"1234567812345678", REC_PUBLIC)
    assert z.hex() == "b2e14c5c79c6df5b85f4fe7ed8db7a262b9da7e07ccb0ea9f4747b8ccda8a4f3"
    e = message_digest(SM2P256V1, b"1234567812345678", REC_PUBLIC, b"message digest")
    assert e == 0xF0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640
    assert z != z_value(SM2P256V1, b"12345678123456780", REC_PUBLIC)
