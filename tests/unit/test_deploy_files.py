"""The files in deploy/ agree with the settings the code declares.

No server is needed: the ini files are only parsed, never loaded as an app.
"""

from __future__ import annotations

import configparser
import re
from importlib.metadata import entry_points
from pathlib import Path

import plaster
import pytest

from jimucrm.core.settings import SETTINGS, ConfigurationError, parse_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
INI_FILES = ("development.ini", "production.ini")
DECLARED = {setting.name for setting in SETTINGS}
FROM_ENVIRONMENT = ("jimu.secret_key", "jimu.database_url", "jimu.redis_url")
PRODUCTION_ENVIRON = {
    "JIMU_SECRET_KEY": "x" * 40,
    "JIMU_DATABASE_URL": "postgresql://jimu@db.invalid/jimu",
    "JIMU_REDIS_URL": "redis://redis.invalid:6379/0",
}
NGINX_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def nginx_directives(name: str) -> list[list[str]]:
    """Every directive of an nginx file as its words, comments left out, any block."""
    text = "\n".join(line.split("#", 1)[0]
                     for line in (DEPLOY / "nginx" / name).read_text().splitlines())
    return [statement.split() for statement in re.split(r"[;{}]", text) if statement.split()]


def nginx_size(value: str) -> int:
    """An nginx size ("10m", "512k", "1048576") in bytes (nginx's units are 1024s)."""
    number, unit = re.fullmatch(r"(\d+)([kKmMgG]?)", value).groups()
    return int(number) * NGINX_SIZE_UNITS[unit.lower()]


def app_settings(name: str) -> dict[str, str]:
    """The [app:main] section as the app factory receives it (through plaster)."""
    return dict(plaster.get_settings(str(DEPLOY / name), "app:main"))


def raw_ini(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    assert parser.read(DEPLOY / name, encoding="utf-8"), name
    return parser


@pytest.mark.parametrize("name", INI_FILES)
def test_every_jimu_key_is_a_declared_setting(name):
    used = {key for key in app_settings(name) if key.startswith("jimu.")}
    assert used, f"{name} sets no jimu.* key"
    assert used <= DECLARED, f"{name}: unknown settings {sorted(used - DECLARED)}"


@pytest.mark.parametrize("name", INI_FILES)
def test_ini_loads_this_distribution(name):
    parser = raw_ini(name)
    assert parser.get("app:main", "use") == "egg:jimu-crm"
    factories = entry_points(group="paste.app_factory")
    assert any(ep.name == "main" and ep.value == "jimucrm.core:main" for ep in factories)
    for section in ("server:main", "loggers", "handlers", "formatters", "logger_root"):
        assert parser.has_section(section), f"{name} has no [{section}]"


def test_production_holds_no_secret_or_url():
    parser = raw_ini("production.ini")
    for section in parser.sections():
        for key in FROM_ENVIRONMENT:
            assert not parser.has_option(section, key), f"production.ini [{section}] sets {key}"
    settings = app_settings("production.ini")
    for key in FROM_ENVIRONMENT:
        assert key not in settings


def test_production_settings():
    settings = app_settings("production.ini")
    parsed = parse_settings(settings, PRODUCTION_ENVIRON)
    assert parsed["jimu.secure_cookies"] is True
    assert parsed["jimu.routing"] == "host"
    assert raw_ini("production.ini").get("logger_root", "level") == "WARNING"


def test_production_needs_the_environment():
    with pytest.raises(ConfigurationError, match="JIMU_DATABASE_URL"):
        parse_settings(app_settings("production.ini"), {})


def test_development_settings_parse():
    # An empty environment: the file alone must be complete and well-formed.
    parsed = parse_settings(app_settings("development.ini"), {})
    assert parsed["jimu.database_url"] == "postgresql+psycopg://postgres@127.0.0.1:5432/jimu"
    assert parsed["jimu.redis_url"] == "redis://127.0.0.1:6379/0"
    assert len(parsed["jimu.secret_key"]) >= 32
    assert "DEVELOPMENT" in parsed["jimu.secret_key"].upper()
    server = raw_ini("development.ini")
    assert server.get("server:main", "use") == "egg:waitress#main"
    assert server.get("server:main", "listen") == "127.0.0.1:6543"


def test_compose_file():
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "nginx"} <= set(services)
    assert services["postgres"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"
    for name in ("web", "worker"):
        service = services[name]
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        environment = service["environment"]
        assert {"JIMU_SECRET_KEY", "JIMU_DATABASE_URL", "JIMU_REDIS_URL"} <= set(environment)
    assert (DEPLOY / "Dockerfile").is_file()


def test_nginx_body_limit_is_the_apps():
    """nginx refuses what the app would refuse, and nothing the app would take."""
    limits = [words[1:] for words in nginx_directives("jimu.conf")
              if words[0] == "client_max_body_size"]
    assert limits, "jimu.conf sets no client_max_body_size (nginx's default is 1m)"
    app_limit = parse_settings(app_settings("production.ini"),
                               PRODUCTION_ENVIRON)["jimu.max_request_bytes"]
    for value in limits:
        assert len(value) == 1 and nginx_size(value[0]) == app_limit, (value, app_limit)


def test_hsts_comes_from_the_app_alone():
    """The app sets Strict-Transport-Security on HTTPS (tests/security/test_http.py);
    nginx adding it as well would send it twice."""
    directives = nginx_directives("jimu.conf")
    assert ["proxy_set_header", "X-Forwarded-Proto", "$scheme"] in directives
    assert not any("strict-transport-security" in " ".join(words).lower()
                   for words in directives)
