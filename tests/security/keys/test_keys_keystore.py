"""The master key: where it comes from, wrapping, check values; no database needed."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest
from click.testing import CliRunner

from jimucrm.core import configure
from jimucrm.core.cli import cli
from jimucrm.core.cli.environment import Environment
from jimucrm.core.settings import ConfigurationError
from jimucrm.security.crypto import NationalProvider, StandardProvider
from jimucrm.security.keys import IKeyStore, KeysUnavailable, MasterKeyError
from jimucrm.security.keys.algorithms import Providers
from jimucrm.security.keys.keystore import (
    MasterKeyStore,
    default_key_id,
    load_master_keys,
    parse_master_keys,
)

SETTINGS = {  # configure() connects to nothing
    "jimu.database_url": "postgresql://nobody@127.0.0.1:1/none",
    "jimu.redis_url": "redis://127.0.0.1:1/0",
    "jimu.secret_key": "x" * 40,
}
STANDARD = Providers(StandardProvider())
NATIONAL = Providers(NationalProvider(pbkdf2_iterations=1000))


def _key(size: int = 32) -> bytes:
    return secrets.token_bytes(size)


def _b64(material: bytes, urlsafe: bool = False) -> str:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    return encode(material).decode("ascii")


def _store(*materials: bytes, providers: Providers = STANDARD) -> MasterKeyStore:
    entries = [f"k{index}:{_b64(material)}" for index, material in enumerate(materials)]
    return MasterKeyStore(parse_master_keys(entries, "test"), providers)


def test_entries_with_and_without_ids_urlsafe_and_unpadded():
    first, second = _key(), _key(48)
    keys = parse_master_keys([_b64(first), f"old-2025:{_b64(second, urlsafe=True).rstrip('=')}"],
                             "test")
    assert [key.key_id for key in keys] == [default_key_id(first), "old-2025"]
    assert keys[1].material == second
    assert default_key_id(first).startswith("mk-") and first.hex() not in repr(keys)


@pytest.mark.parametrize(("entry", "complaint"), [
    ("not base64!", "is not base64"),
    (_b64(b"short"), "too short"),
    ("bad id:" + _b64(bytes(32)), "unusable id"),
])
def test_malformed_entries_are_refused_without_showing_the_key(entry, complaint):
    with pytest.raises(MasterKeyError, match=complaint) as caught:
        parse_master_keys([entry], "JIMU_MASTER_KEY")
    assert isinstance(caught.value, ConfigurationError)
    assert entry.split(":")[-1] not in str(caught.value)
    assert "\n" not in str(caught.value)


def test_duplicate_ids_and_empty_sources_are_refused():
    material = _b64(_key())
    with pytest.raises(MasterKeyError, match="appears twice"):
        parse_master_keys([f"a:{material}", f"a:{_b64(_key())}"], "test")
    with pytest.raises(MasterKeyError, match="holds no master key"):
        parse_master_keys([], "test")


def test_key_file_with_comments_and_the_environment(tmp_path):
    first, second = _key(), _key()
    key_file = tmp_path / "master_key"
    key_file.write_text(f"# rotated 2026-12\nnew:{_b64(first)}\n\n  old:{_b64(second)}  # keep\n")
    keys = load_master_keys({"jimu.master_key_file": str(key_file)}, {})
    assert [(key.key_id, key.material) for key in keys] == [("new", first), ("old", second)]
    keys = load_master_keys({}, {"JIMU_MASTER_KEY": f"new:{_b64(first)}, old:{_b64(second)}"})
    assert [key.key_id for key in keys] == ["new", "old"]
    assert load_master_keys({"jimu.master_key_file": ""}, {}) is None
    with pytest.raises(MasterKeyError, match="keep only one"):
        load_master_keys({"jimu.master_key_file": str(key_file)},
                         {"JIMU_MASTER_KEY": _b64(first)})
    with pytest.raises(MasterKeyError, match="cannot read"):
        load_master_keys({"jimu.master_key_file": str(tmp_path / "missing")}, {})


@pytest.mark.parametrize("providers", [STANDARD, NATIONAL], ids=["standard", "national"])
def test_wrap_unwrap_round_trip_bound_to_its_context(providers):
    store = _store(_key(), providers=providers)
    data_key = providers.active.generate_symmetric_key()
    key_id, wrapped = store.wrap(data_key, b"v1")
    assert key_id == store.active_key_id == "k0"
    assert data_key not in wrapped
    assert store.unwrap(key_id, wrapped, b"v1") == data_key
    with pytest.raises(KeysUnavailable):
        store.unwrap(key_id, wrapped, b"v2")
    tampered = bytearray(wrapped)
    tampered[-1] ^= 1
    with pytest.raises(KeysUnavailable):
        store.unwrap(key_id, bytes(tampered), b"v1")


def test_several_master_keys_coexist_and_a_wrong_one_is_noticed():
    old, new = _key(), _key()
    before = _store(old)
    key_id, wrapped = before.wrap(b"k" * 32, b"ctx")
    check = before.check_value(key_id)
    rotated = MasterKeyStore(parse_master_keys([f"k1:{_b64(new)}", f"k0:{_b64(old)}"], "t"),
                             STANDARD)
    assert rotated.key_ids() == ("k1", "k0")
    assert rotated.unwrap("k0", wrapped, b"ctx") == b"k" * 32
    assert rotated.matches("k0", check) and not rotated.matches("k1", check)
    impostor = _store(_key())  # same id k0, other material
    assert not impostor.matches("k0", check)
    with pytest.raises(KeysUnavailable, match="not the one"):
        impostor.unwrap("k0", wrapped, b"ctx")
    with pytest.raises(KeysUnavailable, match="not configured"):
        impostor.unwrap("k9", wrapped, b"ctx")


def test_a_key_wrapped_under_one_provider_opens_under_the_other():
    """Changing jimu.crypto must not lock the tenants out: wrapped keys name their algorithm."""
    material = _key()
    standard, national = _store(material), _store(material, providers=NATIONAL)
    key_id, wrapped = standard.wrap(b"s" * 32, b"ctx")
    assert national.unwrap(key_id, wrapped, b"ctx") == b"s" * 32
    assert national.matches(key_id, standard.check_value(key_id))
    assert standard.check_value(key_id) != national.check_value(key_id)


def test_malformed_master_key_stops_configure_with_one_line(tmp_path):
    key_file = tmp_path / "master_key"
    key_file.write_text("tiny:" + _b64(b"x" * 8))
    with pytest.raises(ConfigurationError, match="too short"):
        configure({**SETTINGS, "jimu.master_key_file": str(key_file)})


def test_configured_store_is_registered(monkeypatch):
    monkeypatch.setenv("JIMU_MASTER_KEY", "env-key:" + _b64(_key()))
    registry = configure(SETTINGS).registry
    assert registry.getUtility(IKeyStore).active_key_id == "env-key"
    monkeypatch.delenv("JIMU_MASTER_KEY")
    assert configure(SETTINGS).registry.queryUtility(IKeyStore) is None


def test_embedded_default_keeps_a_master_key_in_the_data_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("JIMU_MASTER_KEY", raising=False)
    monkeypatch.delenv("JIMU_MASTER_KEY_FILE", raising=False)
    monkeypatch.delenv("JIMU_DATABASE_URL", raising=False)
    monkeypatch.delenv("JIMU_REDIS_URL", raising=False)
    environment = Environment(data_dir=tmp_path)
    # Stand-ins for the embedded servers: only the settings are looked at here.
    monkeypatch.setattr(environment.embedded, "database_url",
                        lambda: "postgresql+psycopg://postgres@/jimu?host=/nowhere")
    monkeypatch.setattr(environment.embedded, "redis_url", lambda: "unix:///nowhere.sock")
    key_file = Path(environment.settings["jimu.master_key_file"])
    assert key_file == tmp_path / "master_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    first = load_master_keys(environment.settings, {})
    assert environment.child_environ()["JIMU_MASTER_KEY_FILE"] == str(key_file)
    again = Environment(data_dir=tmp_path)
    monkeypatch.setattr(again.embedded, "database_url", environment.embedded.database_url)
    monkeypatch.setattr(again.embedded, "redis_url", environment.embedded.redis_url)
    assert load_master_keys(again.settings, {}) == first  # the same key on every start


def test_generate_master_key_prints_a_usable_key():
    result = CliRunner().invoke(cli, ["keys", "generate-master-key", "--id", "2027"])
    assert result.exit_code == 0, result.output
    [key] = parse_master_keys([result.output.strip()], "output")
    assert key.key_id == "2027" and len(key.material) == 32
