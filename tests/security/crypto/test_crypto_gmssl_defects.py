"""The three defects of raw gmssl 3.2.2, each shown on gmssl itself and shown closed in ours.

1. signing/encryption nonces from :mod:`random` (predictable);
2. ``lstrip("04")`` on public keys (eats leading 0/4 hex digits of x);
3. no C3 check on decrypt (tampered ciphertext decrypts to garbage, silently).

Plus its ciphertext order: C1C2C3 by default, whatever its docstring says.
"""

from __future__ import annotations

import random

import pytest
from gmssl import func as gmssl_func
from gmssl import sm2 as raw_gmssl

from jimucrm.security.crypto import CryptoError, sm2, sm2_curve
from jimucrm.security.crypto.sm2_curve import SM2P256V1, sm3

MESSAGE = "积木 CRM: 客户数据".encode()


def _hex(point: tuple[int, int]) -> str:
    return f"{point[0]:064x}{point[1]:064x}"


def _search(predicate, label: str) -> sm2.SM2PrivateKey:
    """The first key, in a fixed sequence, whose public point satisfies ``predicate``."""
    for index in range(20_000):
        d = int.from_bytes(sm3(f"jimu-key-search-{index}".encode()), "big") % (SM2P256V1.n - 2) + 1
        key = sm2.load_private_key(d.to_bytes(32, "big"))
        if predicate(_hex(key.public.point)):
            return key
    raise AssertionError(f"no key found for {label}")


@pytest.fixture(scope="module")
def awkward_keys() -> dict[str, sm2.SM2PrivateKey]:
    """Keys whose x coordinate starts with the digits gmssl's lstrip("04") eats."""
    return {
        "x starts with 0": _search(lambda h: h[0] == "0" and h[1] not in "04", "0"),
        "x starts with 4": _search(lambda h: h[0] == "4", "4"),
        "x starts with 04": _search(lambda h: h.startswith("04"), "04"),
        "x starts with a zero byte": _search(lambda h: h.startswith("00"), "00"),
        "y starts with a zero byte": _search(lambda h: h[64:66] == "00", "y00"),
    }


@pytest.fixture(scope="module")
def key() -> sm2.SM2PrivateKey:
    return sm2.generate_private_key()


# -- 1. nonces ----------------------------------------------------------------------------

def test_raw_gmssl_nonce_is_predictable_from_random(key):
    engine = raw_gmssl.CryptSM2(private_key=f"{key.d:064x}", public_key=_hex(key.public.point))
    random.seed(20240601)
    first = engine.sign_with_sm3(MESSAGE)
    random.seed(20240601)
    assert engine.sign_with_sm3(MESSAGE) == first  # the defect: same seed, same k


@pytest.mark.parametrize("backend", sm2.available_backends())
def test_our_signatures_do_not_follow_random_seed(key, backend):
    random.seed(20240601)
    first = sm2.sign(key, MESSAGE, backend=backend)
    random.seed(20240601)
    second = sm2.sign(key, MESSAGE, backend=backend)
    assert first != second
    assert sm2.verify(key.public, MESSAGE, first) and sm2.verify(key.public, MESSAGE, second)


def test_our_encryption_does_not_follow_random_seed(key):
    random.seed(7)
    first = sm2.encrypt(key.public, MESSAGE)
    random.seed(7)
    assert sm2.encrypt(key.public, MESSAGE) != first


def test_gmssl_random_is_never_consulted(key, monkeypatch):
    def forbidden(*args):
        raise AssertionError("gmssl drew a nonce from random")

    monkeypatch.setattr(gmssl_func, "random_hex", forbidden)
    signature = sm2.sign(key, MESSAGE, backend="gmssl")
    assert sm2.verify(key.public, MESSAGE, signature, backend="gmssl")
    assert sm2.decrypt(key, sm2.encrypt(key.public, MESSAGE)) == MESSAGE


def test_nonces_come_from_secrets(key, monkeypatch):
    calls = []
    real = sm2_curve.secrets.randbelow

    def spy(bound: int) -> int:
        calls.append(bound)
        return real(bound)

    monkeypatch.setattr(sm2_curve.secrets, "randbelow", spy)
    sm2.sign(key, MESSAGE, backend="gmssl")
    sm2.encrypt(key.public, MESSAGE)
    assert calls and all(bound == SM2P256V1.n - 1 for bound in calls)


def test_random_scalar_range(monkeypatch):
    monkeypatch.setattr(sm2_curve.secrets, "randbelow", lambda bound: 0)
    assert sm2_curve.random_scalar(SM2P256V1) == 1
    monkeypatch.setattr(sm2_curve.secrets, "randbelow", lambda bound: bound - 1)
    assert sm2_curve.random_scalar(SM2P256V1) == SM2P256V1.n - 1


# -- 2. lstrip("04") ----------------------------------------------------------------------

def test_raw_gmssl_lstrip_mangles_keys(awkward_keys):
    for label in ("x starts with 0", "x starts with 4", "x starts with 04"):
        point_hex = _hex(awkward_keys[label].public.point)
        engine = raw_gmssl.CryptSM2(private_key="01", public_key="04" + point_hex)
        assert engine.public_key != point_hex, label  # the defect


@pytest.mark.parametrize("label", [
    "x starts with 0", "x starts with 4", "x starts with 04",
    "x starts with a zero byte", "y starts with a zero byte",
])
def test_awkward_keys_round_trip(awkward_keys, label):
    key = awkward_keys[label]
    point_hex = _hex(key.public.point)
    for form in ("04" + point_hex, point_hex, bytes.fromhex("04" + point_hex),
                 bytes.fromhex(point_hex), key.public.to_pem(), key.public.to_der()):
        assert sm2.load_public_key(form) == key.public, (label, form)
    assert sm2.load_private_key(key.to_pem()) == key
    for backend in sm2.available_backends():
        signature = sm2.sign(key, MESSAGE, backend=backend)
        for checker in sm2.available_backends():
            assert sm2.verify(key.public, MESSAGE, signature, backend=checker), (backend, checker)
    for order in sm2.ORDERS:
        ciphertext = sm2.encrypt(key.public, MESSAGE, order=order)
        assert sm2.decrypt(key, ciphertext, order=order) == MESSAGE


# -- 3. C3 --------------------------------------------------------------------------------

def test_raw_gmssl_decrypts_tampered_ciphertext_silently(key):
    engine = raw_gmssl.CryptSM2(private_key=f"{key.d:064x}", public_key=_hex(key.public.point),
                                mode=1)
    ciphertext = bytearray(engine.encrypt(MESSAGE))
    ciphertext[-1] ^= 0x01  # last byte of C2
    garbage = engine.decrypt(bytes(ciphertext))
    assert garbage != MESSAGE and garbage is not None  # the defect: no error


@pytest.mark.parametrize("order", sm2.ORDERS)
def test_every_altered_byte_is_refused(key, order):
    ciphertext = sm2.encrypt(key.public, MESSAGE, order=order)
    for position in range(0, len(ciphertext), 3):
        altered = bytearray(ciphertext)
        altered[position] ^= 0x01
        with pytest.raises(CryptoError, match="malformed or was altered"):
            sm2.decrypt(key, bytes(altered), order=order)


def test_tampered_c3_and_c2_refused_by_region(key):
    ciphertext = sm2.encrypt(key.public, MESSAGE)  # C1 (65) ‖ C3 (32) ‖ C2
    for region, index in (("C1 x", 10), ("C1 y", 50), ("C3", 65 + 3), ("C2", 97 + 2)):
        altered = bytearray(ciphertext)
        altered[index] ^= 0x80
        with pytest.raises(CryptoError) as error:
            sm2.decrypt(key, bytes(altered))
        assert str(error.value) == "The SM2 ciphertext is malformed or was altered.", region


@pytest.mark.parametrize("ciphertext", [
    b"", b"\x04", b"\x04" + bytes(96), bytes(200),
    b"\x04" + (1).to_bytes(32, "big") + (2).to_bytes(32, "big") + bytes(40),  # C1 off the curve
])
def test_malformed_ciphertexts_refused(key, ciphertext):
    with pytest.raises(CryptoError):
        sm2.decrypt(key, ciphertext)


def test_wrong_key_refused(key):
    other = sm2.generate_private_key()
    with pytest.raises(CryptoError):
        sm2.decrypt(other, sm2.encrypt(key.public, MESSAGE))


# -- ciphertext order ---------------------------------------------------------------------

def test_raw_gmssl_default_order_is_c1c2c3_without_point_prefix(key):
    point_hex = _hex(key.public.point)
    default = raw_gmssl.CryptSM2(private_key=f"{key.d:064x}", public_key=point_hex)
    assert default.mode == 0  # despite "default is 1" in its docstring
    # gmssl writes C1 as bare x ‖ y; with the 04 prefix restored, ours reads it.
    assert sm2.decrypt(key, b"\x04" + default.encrypt(MESSAGE), order="C1C2C3") == MESSAGE
    c1c3c2 = raw_gmssl.CryptSM2(private_key=f"{key.d:064x}", public_key=point_hex, mode=1)
    assert sm2.decrypt(key, b"\x04" + c1c3c2.encrypt(MESSAGE)) == MESSAGE


def test_order_must_be_asked_for(key):
    ciphertext = sm2.encrypt(key.public, MESSAGE, order="C1C2C3")
    with pytest.raises(CryptoError):
        sm2.decrypt(key, ciphertext)  # read as C1C3C2: C3 does not match
    with pytest.raises(CryptoError, match="Unknown SM2 ciphertext order"):
        sm2.encrypt(key.public, MESSAGE, order="C2C1C3")  # type: ignore[arg-type]
