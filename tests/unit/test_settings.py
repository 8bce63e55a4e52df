"""Settings: environment over ini, one readable line for a bad value."""

import pytest

from jimucrm.core.settings import ConfigurationError, parse_settings

GOOD = {
    "jimu.database_url": "postgresql://postgres@127.0.0.1:5432/jimu",
    "jimu.redis_url": "redis://127.0.0.1:6379/0",
    "jimu.secret_key": "k" * 40,
}


def test_defaults_and_driver_normalisation():
    settings = parse_settings(GOOD, environ={})
    assert settings["jimu.database_url"].startswith("postgresql+psycopg://")
    assert settings["jimu.includes"] == ["jimucrm.tenants", "jimucrm.security"]
    assert settings["jimu.default_locale"] == "zh_CN"
    assert settings["jimu.tenant_cache_seconds"] == 5


def test_environment_overrides_ini():
    settings = parse_settings(GOOD, environ={"JIMU_REDIS_URL": "redis://cache:6379/3",
                                             "JIMU_DEFAULT_LOCALE": "en"})
    assert settings["jimu.redis_url"] == "redis://cache:6379/3"
    assert settings["jimu.default_locale"] == "en"


@pytest.mark.parametrize("missing", sorted(GOOD))
def test_missing_setting_is_named(missing):
    raw = {k: v for k, v in GOOD.items() if k != missing}
    with pytest.raises(ConfigurationError) as error:
        parse_settings(raw, environ={})
    message = str(error.value)
    assert missing in message and "\n" not in message


@pytest.mark.parametrize(("name", "value"), [
    ("jimu.database_url", "mysql://root@localhost/jimu"),
    ("jimu.database_url", "not a url at all"),
    ("jimu.redis_url", "http://example.com"),
    ("jimu.secret_key", "short"),
    ("jimu.routing", "sideways"),
    ("jimu.default_locale", "fr"),
    ("jimu.pool_size", "-1"),
    ("jimu.pool_size", "many"),
    ("jimu.secure_cookies", "perhaps"),
])
def test_malformed_setting_is_named(name, value):
    with pytest.raises(ConfigurationError) as error:
        parse_settings({**GOOD, name: value}, environ={})
    assert name in str(error.value)
    assert "malformed" in str(error.value)


def test_malformed_environment_value_names_the_variable():
    with pytest.raises(ConfigurationError, match="JIMU_DATABASE_URL"):
        parse_settings(GOOD, environ={"JIMU_DATABASE_URL": "sqlite:///x.db"})


def test_unknown_jimu_setting_is_refused():
    with pytest.raises(ConfigurationError, match="jimu.databse_url is unknown"):
        parse_settings({**GOOD, "jimu.databse_url": "x"}, environ={})


def test_config_file_never_falls_back_to_embedded_servers(tmp_path, monkeypatch):
    from jimucrm.core.cli.environment import Environment

    for name in ("JIMU_DATABASE_URL", "JIMU_REDIS_URL", "JIMU_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    ini = tmp_path / "site.ini"
    ini.write_text("[app:main]\nuse = egg:jimu-crm\njimu.redis_url = redis://127.0.0.1:6379/0\n")
    environment = Environment(config_file=ini, data_dir=tmp_path / "data")
    with pytest.raises(ConfigurationError, match="jimu.database_url is missing"):
        _ = environment.settings
    assert not (tmp_path / "data").exists()  # nothing embedded was started
