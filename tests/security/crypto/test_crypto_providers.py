"""Both providers: the interface, every method round-tripped, tampering, settings wiring."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zope.interface.verify import verifyObject

from jimucrm.core import configure
from jimucrm.core.interfaces import ICryptoProvider
from jimucrm.core.settings import ConfigurationError
from jimucrm.security.crypto import (
    CryptoError,
    NationalProvider,
    StandardProvider,
    provider_for,
)
from jimucrm.security.crypto.password_schemes import Argon2id

FAST_ARGON2 = Argon2id(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
PASSWORD = "correct-horse-电池-staple"
FIXTURES = [HealthCheck.function_scoped_fixture]


def _standard() -> StandardProvider:
    return StandardProvider(argon2=FAST_ARGON2)


def _national() -> NationalProvider:
    return NationalProvider(pbkdf2_iterations=1_000)


PROVIDERS = {"standard": _standard, "national": _national}


@pytest.fixture(scope="module", params=sorted(PROVIDERS))
def provider(request):
    return PROVIDERS[request.param]()


@pytest.fixture(scope="module")
def signing_pair(provider):
    return provider.generate_signing_key()


@pytest.fixture(scope="module")
def encryption_pair(provider):
    return provider.generate_encryption_key()


def test_implements_the_interface(provider):
    assert verifyObject(ICryptoProvider, provider)
    assert provider.name in ("standard", "national")


# -- symmetric ----------------------------------------------------------------------------

def test_symmetric_round_trip(provider):
    key = provider.generate_symmetric_key()
    assert len(key) == (32 if provider.name == "standard" else 16)
    sealed = provider.encrypt(key, b"13800138000", b"contacts.phone:42")
    assert len(sealed) == 12 + 11 + 16
    assert provider.decrypt(key, sealed, b"contacts.phone:42") == b"13800138000"
    assert provider.encrypt(key, b"same") != provider.encrypt(key, b"same")  # fresh nonces
    assert provider.decrypt(key, provider.encrypt(key, b"")) == b""


def test_symmetric_refuses_tampering(provider):
    key = provider.generate_symmetric_key()
    sealed = provider.encrypt(key, b"110101199003077777", b"row:7")
    for index in range(len(sealed)):
        altered = bytearray(sealed)
        altered[index] ^= 0x01
        with pytest.raises(CryptoError):
            provider.decrypt(key, bytes(altered), b"row:7")
    for bad_call in (
        lambda: provider.decrypt(key, sealed, b"row:8"),            # other associated data
        lambda: provider.decrypt(key, sealed),                      # none
        lambda: provider.decrypt(provider.generate_symmetric_key(), sealed, b"row:7"),
        lambda: provider.decrypt(key, sealed[:27], b"row:7"),       # shorter than nonce + tag
        lambda: provider.encrypt(b"short", b"x"),                   # wrong key size
    ):
        with pytest.raises(CryptoError):
            bad_call()


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURES)
@given(plaintext=st.binary(max_size=2048), associated=st.binary(max_size=64))
def test_symmetric_property(provider, plaintext, associated):
    key = provider.generate_symmetric_key()
    sealed = provider.encrypt(key, plaintext, associated)
    assert provider.decrypt(key, sealed, associated) == plaintext


# -- signatures ---------------------------------------------------------------------------

def test_sign_verify(provider, signing_pair):
    private_pem, public_pem = signing_pair
    assert private_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public_pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    signature = provider.sign(private_pem, b"audit 2024-06-01")
    assert provider.verify(public_pem, b"audit 2024-06-01", signature)
    assert not provider.verify(public_pem, b"audit 2024-06-02", signature)
    other_public = provider.generate_signing_key()[1]
    assert not provider.verify(other_public, b"audit 2024-06-01", signature)


def test_verify_never_raises(provider, signing_pair):
    public_pem = signing_pair[1]
    for public, signature in [
        (public_pem, b""), (public_pem, b"\x00" * 64), (public_pem, b"\x30\x02\x02\x00"),
        (b"not a key", b"\x00" * 64), (b"", b""), ("text", b"x"),
        (provider.generate_encryption_key()[1] if provider.name == "standard" else b"x", b"x" * 64),
    ]:
        assert provider.verify(public, b"message", signature) is False


def test_sign_with_bad_key_raises_crypto_error(provider, signing_pair):
    for bad in (b"", b"garbage", signing_pair[1]):
        with pytest.raises(CryptoError):
            provider.sign(bad, b"message")


def test_providers_do_not_accept_each_others_keys():
    standard, national = _standard(), _national()
    sm2_private, sm2_public = national.generate_signing_key()
    ed_private, ed_public = standard.generate_signing_key()
    with pytest.raises(CryptoError):
        standard.sign(sm2_private, b"m")
    with pytest.raises(CryptoError):
        national.sign(ed_private, b"m")
    assert not standard.verify(sm2_public, b"m", national.sign(sm2_private, b"m"))
    assert not national.verify(ed_public, b"m", standard.sign(ed_private, b"m"))


def test_national_sign_with_user_id():
    national = _national()
    private_pem, public_pem = national.generate_signing_key()
    signature = national.sign(private_pem, b"m", uid=b"ALICE123@YAHOO.COM")
    assert national.verify(public_pem, b"m", signature, uid=b"ALICE123@YAHOO.COM")
    assert not national.verify(public_pem, b"m", signature)


# -- public-key encryption ----------------------------------------------------------------

def test_asymmetric_round_trip_and_tampering(provider, encryption_pair):
    private_pem, public_pem = encryption_pair
    ciphertext = provider.asymmetric_encrypt(public_pem, b"tenant data key " * 2)
    assert provider.asymmetric_decrypt(private_pem, ciphertext) == b"tenant data key " * 2
    once, twice = (provider.asymmetric_encrypt(public_pem, b"x") for _ in range(2))
    assert once != twice
    empty = provider.asymmetric_encrypt(public_pem, b"")
    assert provider.asymmetric_decrypt(private_pem, empty) == b""
    for index in (0, 31, 40, len(ciphertext) - 1):
        altered = bytearray(ciphertext)
        altered[index] ^= 0x01
        with pytest.raises(CryptoError):
            provider.asymmetric_decrypt(private_pem, bytes(altered))
    with pytest.raises(CryptoError):
        provider.asymmetric_decrypt(provider.generate_encryption_key()[0], ciphertext)
    with pytest.raises(CryptoError):
        provider.asymmetric_decrypt(private_pem, ciphertext[:20])
    with pytest.raises(CryptoError):
        provider.asymmetric_encrypt(b"not a key", b"x")


def test_national_asymmetric_order():
    national = _national()
    private_pem, public_pem = national.generate_encryption_key()
    ciphertext = national.asymmetric_encrypt(public_pem, b"k" * 16, order="C1C2C3")
    assert national.asymmetric_decrypt(private_pem, ciphertext, order="C1C2C3") == b"k" * 16
    with pytest.raises(CryptoError):
        national.asymmetric_decrypt(private_pem, ciphertext)


# -- digests ------------------------------------------------------------------------------

def test_hash_and_hmac(provider):
    assert len(provider.hash(b"abc")) == 32
    assert provider.hash(b"abc") != provider.hash(b"abd")
    assert provider.hmac(b"key", b"13800138000") == provider.hmac(b"key", b"13800138000")
    assert provider.hmac(b"key", b"13800138000") != provider.hmac(b"kez", b"13800138000")
    known = {"standard": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
             "national": "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"}
    assert provider.hash(b"abc").hex() == known[provider.name]


def test_hmac_sha256_rfc_4231():
    # RFC 4231 test case 2.
    mac = _standard().hmac(b"Jefe", b"what do ya want for nothing?")
    assert mac.hex() == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


# -- passwords ----------------------------------------------------------------------------

def test_password_round_trip(provider):
    stored = provider.hash_password(PASSWORD)
    assert stored.startswith("$argon2id$" if provider.name == "standard" else "pbkdf2-sm3$1000$")
    assert provider.verify_password(stored, PASSWORD)
    assert not provider.verify_password(stored, PASSWORD + " ")
    assert not provider.needs_rehash(stored)
    assert provider.hash_password(PASSWORD) != stored  # fresh salt


@pytest.mark.parametrize("stored", [
    "", "x", "$argon2id$", "pbkdf2-sm3$", "pbkdf2-sm3$0$AAAAAAAAAAAAAAAAAAAAAA$" + "A" * 43,
    "pbkdf2-sm3$1000$!!!!$" + "A" * 43, "pbkdf2-sm3$1000$AAAAAAAAAAAAAAAAAAAAAA$AAAA",
    "pbkdf2-sm3$999999999$AAAAAAAAAAAAAAAAAAAAAA$" + "A" * 43, "$2b$12$abcdefghijklmnopqrstuv",
])
def test_malformed_password_hashes_are_false(provider, stored):
    assert provider.verify_password(stored, PASSWORD) is False
    assert provider.needs_rehash(stored) is True


def test_schemes_migrate_both_ways():
    standard, national = _standard(), _national()
    from_national = national.hash_password(PASSWORD)
    from_standard = standard.hash_password(PASSWORD)
    assert standard.verify_password(from_national, PASSWORD)
    assert standard.needs_rehash(from_national)
    assert national.verify_password(from_standard, PASSWORD)
    assert national.needs_rehash(from_standard)
    assert not national.verify_password(from_standard, "wrong")


def test_pbkdf2_needs_rehash_below_configured_iterations():
    weak = NationalProvider(pbkdf2_iterations=1_000).hash_password(PASSWORD)
    stronger = NationalProvider(pbkdf2_iterations=2_000)
    assert stronger.needs_rehash(weak)
    assert stronger.verify_password(weak, PASSWORD)
    assert not NationalProvider(pbkdf2_iterations=500_000).needs_rehash(
        weak.replace("$1000$", "$600000$")  # more than configured: no rehash (hash is then wrong)
    )
    with pytest.raises(ValueError):
        NationalProvider(pbkdf2_iterations=10)


def test_argon2_needs_rehash_on_other_parameters():
    stored = _standard().hash_password(PASSWORD)
    assert StandardProvider().needs_rehash(stored)  # default parameters are stronger


# -- provider_for and includeme -----------------------------------------------------------

def test_provider_for():
    assert isinstance(provider_for("standard"), StandardProvider)
    national = provider_for("national", pbkdf2_iterations=2_000)
    assert isinstance(national, NationalProvider)
    assert national.hash_password("x").startswith("pbkdf2-sm3$2000$")
    with pytest.raises(ValueError, match="unknown crypto provider"):
        provider_for("fips")


# configure() connects to nothing: no server is needed for these.
APP_SETTINGS = {
    "jimu.database_url": "postgresql://nobody@127.0.0.1:1/none",
    "jimu.redis_url": "redis://127.0.0.1:1/0",
    "jimu.secret_key": "x" * 40,
}


@pytest.mark.parametrize(("settings", "expected"), [
    ({}, StandardProvider),
    ({"jimu.crypto": "standard"}, StandardProvider),
    ({"jimu.crypto": "national", "jimu.crypto_pbkdf2_iterations": "5000"}, NationalProvider),
])
def test_includeme_registers_the_chosen_provider(settings, expected):
    provider = configure({**APP_SETTINGS, **settings}).registry.getUtility(ICryptoProvider)
    assert isinstance(provider, expected)
    if expected is NationalProvider:
        assert provider.hash_password("x").startswith("pbkdf2-sm3$5000$")


@pytest.mark.parametrize(("settings", "message"), [
    ({"jimu.crypto": "rot13"}, "jimu.crypto is malformed"),
    ({"jimu.crypto": "national", "jimu.crypto_pbkdf2_iterations": "10"},
     "jimu.crypto_pbkdf2_iterations is malformed"),
    ({"jimu.crypto": "national", "jimu.crypto_pbkdf2_iterations": "many"},
     "jimu.crypto_pbkdf2_iterations is malformed"),
])
def test_includeme_refuses_bad_settings(settings, message):
    with pytest.raises(ConfigurationError, match=message):
        configure({**APP_SETTINGS, **settings})


def test_includeme_without_sm4_gcm(monkeypatch):
    from jimucrm.security.crypto import national

    monkeypatch.setattr(national, "sm4_gcm_supported", lambda: False)
    with pytest.raises(ConfigurationError, match="no SM4-GCM"):
        configure({**APP_SETTINGS, "jimu.crypto": "national"})
    assert isinstance(provider_for("standard"), StandardProvider)  # standard unaffected


def test_unknown_user_costs_a_verification(provider, monkeypatch):
    calls = []
    real = provider.passwords.primary.verify

    def spy(stored, password):
        calls.append(stored)
        return real(stored, password)

    monkeypatch.setattr(provider.passwords.primary, "verify", spy)
    assert provider.verify_password(None, PASSWORD) is False  # type: ignore[arg-type]
    assert provider.verify_password("", PASSWORD) is False
    assert len(calls) == 2 and calls[0] == calls[1]  # the same throw-away hash, twice
