"""Configurations with other master keys, or none, beside the suite's own.

The suite's ``registry`` has master key ``test-a`` (tests/conftest.py), so
provisioning gives each tenant a data key. Here ``make_tenant`` takes that key
away again: tenants start without one, and the registry under test (standard or
national, with the master keys it is given) makes the first on its first
encrypted write. Everything these tests wrap with a test master key (ids
``test-…``) and the test table are removed afterwards, so later start-up checks
with the suite's key see nothing wrapped by another.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from keys_support import PEOPLE, TEST_KEY_PREFIX, new_key
from sqlalchemy import text

from jimucrm.core import configure
from jimucrm.core.interfaces import IDatabase

FAST_NATIONAL = {"jimu.crypto": "national", "jimu.crypto_pbkdf2_iterations": "1000"}


@pytest.fixture(scope="session")
def master_keys(suite_master_key) -> dict[str, str]:
    """Test master keys by id: ``test-a`` (the suite's), ``test-b``, ``test-c``."""
    return {f"{TEST_KEY_PREFIX}a": suite_master_key,
            **{f"{TEST_KEY_PREFIX}{name}": new_key() for name in "bc"}}


@pytest.fixture(scope="session")
def key_file_for(tmp_path_factory, master_keys) -> Callable[..., str]:
    """``key_file_for("test-b", "test-a")``: a key file with those keys, the first active."""
    folder = tmp_path_factory.mktemp("master-keys")

    def make(*key_ids: str, raw: str | None = None) -> str:
        path = folder / ("-".join(key_ids) or "raw")
        path.write_text(raw if raw is not None else
                        "".join(f"{key_id}:{master_keys[key_id]}\n" for key_id in key_ids))
        path.chmod(0o600)
        return str(path)

    return make


@pytest.fixture(scope="module")
def keyed_config(settings, key_file_for, keys_cleanup):
    """``keyed_config(*key_ids, **settings)``: a configuration with those master keys."""
    made: dict[tuple, object] = {}

    def make(*key_ids: str, **overrides: str):
        key_ids = key_ids or (f"{TEST_KEY_PREFIX}a",)
        cache_key = (key_ids, tuple(sorted(overrides.items())))
        if cache_key not in made:
            made[cache_key] = configure({**settings, **overrides,
                                         "jimu.master_key_file": key_file_for(*key_ids)})
        return made[cache_key]

    yield make
    for config in made.values():
        config.registry.getUtility(IDatabase).dispose()


@pytest.fixture
def make_tenant(make_tenant, registry):
    """The suite's ``make_tenant``, minus the data key provisioning made."""
    database = registry.getUtility(IDatabase)

    def make(*args, **kwargs):
        tenant = make_tenant(*args, **kwargs)
        with database.engine.begin() as connection:
            connection.execute(text(f'DELETE FROM "{tenant.schema_name}".data_keys'))
        return tenant

    return make


@pytest.fixture(scope="module")
def keyless_registry(settings):
    """A configuration without any master key (configured, never started: it could not)."""
    config = configure({**settings, "jimu.master_key_file": ""})
    yield config.registry
    config.registry.getUtility(IDatabase).dispose()


@pytest.fixture(scope="module")
def keyed_registry(keyed_config):
    return keyed_config().registry


@pytest.fixture(scope="module")
def national_registry(keyed_config):
    return keyed_config(**FAST_NATIONAL).registry


@pytest.fixture(scope="module")
def keys_cleanup(config):
    """After each module: no test table, no data key wrapped by a test master key."""
    yield
    database = config.registry.getUtility(IDatabase)
    with database.engine.begin() as connection:
        schemas = connection.execute(text(
            "SELECT table_schema FROM information_schema.tables "
            "WHERE table_name = 'data_keys'")).scalars().all()
        for schema in schemas:
            connection.execute(text(f'DROP TABLE IF EXISTS "{schema}".{PEOPLE}'))
            connection.execute(text(f'DELETE FROM "{schema}".data_keys '
                                    f"WHERE master_key_id LIKE '{TEST_KEY_PREFIX}%'"))
