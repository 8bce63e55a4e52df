"""Settings: read from the ini file, overridden by ``JIMU_*`` environment variables.

Every setting Jimu reads is declared here once, with its parser, so that a missing
or malformed value stops start-up with one line naming it.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class ConfigurationError(Exception):
    """A setting is missing or malformed; the message is one readable line."""


def _text(value: str) -> str:
    return value.strip()


def _boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected true or false")


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("expected a number ≥ 0")
    return number


def _database_url(value: str) -> str:
    try:
        url = make_url(value.strip())
    except ArgumentError:
        raise ValueError("expected a postgresql:// URL") from None
    if url.get_backend_name() != "postgresql":
        raise ValueError("expected a postgresql:// URL")
    # psycopg 3 is the one driver Jimu ships with.
    return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def _redis_url(value: str) -> str:
    value = value.strip()
    if not value.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("expected a redis://, rediss:// or unix:// URL")
    return value


def _secret(value: str) -> str:
    value = value.strip()
    if len(value) < 32:
        raise ValueError("expected at least 32 characters")
    return value


def _routing(value: str) -> str:
    value = value.strip()
    if value not in {"host", "prefix", "both"}:
        raise ValueError("expected host, prefix or both")
    return value


def _locale(value: str) -> str:
    value = value.strip()
    if value not in {"zh_CN", "en"}:
        raise ValueError("expected zh_CN or en")
    return value


def _crypto(value: str) -> str:
    value = value.strip()
    if value not in {"standard", "national"}:
        raise ValueError("expected standard or national")
    return value


def _word_list(value: str) -> list[str]:
    return value.split()


def _networks(value: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    try:
        return tuple(ipaddress.ip_network(word, strict=False) for word in value.split())
    except ValueError as exc:
        raise ValueError(f"expected addresses or networks such as 10.0.0.0/8 ({exc})") from None


@dataclass(frozen=True)
class Setting:
    name: str
    parse: Callable[[str], Any]
    default: str | None = None
    env: str | None = None

    @property
    def env_name(self) -> str:
        return self.env or "JIMU_" + self.name.split(".", 1)[1].upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("jimu.database_url", _database_url),
    Setting("jimu.redis_url", _redis_url),
    Setting("jimu.secret_key", _secret),
    Setting("jimu.includes", _word_list, "jimucrm.tenants jimucrm.security"),
    Setting("jimu.routing", _routing, "both"),
    # Addons a new tenant starts with ("*": every installed addon).
    Setting("jimu.default_addons", _word_list, "*"),
    Setting("jimu.base_domain", _text, ""),
    Setting("jimu.default_tenant", _text, ""),
    Setting("jimu.default_locale", _locale, "zh_CN"),
    Setting("jimu.tenant_cache_seconds", _positive_int, "5"),
    Setting("jimu.pool_size", _positive_int, "5"),
    Setting("jimu.pool_recycle_seconds", _positive_int, "600"),
    Setting("jimu.session_timeout_seconds", _positive_int, "3600"),
    # A session ends this long after login, however active it is.
    Setting("jimu.session_absolute_seconds", _positive_int, "43200"),
    Setting("jimu.login_max_failures", _positive_int, "5"),
    Setting("jimu.login_ip_max_failures", _positive_int, "50"),
    Setting("jimu.login_lockout_seconds", _positive_int, "900"),
    # Shortest password a user may set (ASVS 4.0 L2 asks for 12).
    Setting("jimu.password_min_length", _positive_int, "10"),
    Setting("jimu.secure_cookies", _boolean, "false"),
    # Proxies (addresses or networks) whose X-Forwarded-Proto and -For are believed.
    Setting("jimu.trusted_proxies", _word_list, "127.0.0.0/8 ::1"),
    Setting("jimu.max_request_bytes", _positive_int, str(10 * 1024 * 1024)),
    Setting("jimu.celery_eager", _boolean, "false"),
    # Domain events: tries per handler before a delivery is parked as a dead letter, the
    # first retry's wait (doubling each time, at most an hour), how often each worker
    # sweeps for events a lost message left behind (0: never), how long handled events stay.
    Setting("jimu.outbox_max_attempts", _positive_int, "8"),
    Setting("jimu.outbox_backoff_seconds", _positive_int, "5"),
    Setting("jimu.outbox_sweep_seconds", _positive_int, "10"),
    Setting("jimu.outbox_retention_days", _positive_int, "7"),
    Setting("jimu.crypto", _crypto, "standard"),
    Setting("jimu.crypto_pbkdf2_iterations", _positive_int, "600000"),
    # File of the master key(s) wrapping tenant data keys (or JIMU_MASTER_KEY, base64).
    Setting("jimu.master_key_file", _text, ""),
    # The audit log's signing key (default: audit-signing-key.<crypto>.pem in the data dir).
    Setting("jimu.audit_key_file", _text, ""),
    # Intranet networks the webhooks addon may post to despite the SSRF guard (on-prem).
    Setting("jimu.webhooks_allowed_networks", _networks, ""),
)


def parse_settings(
    raw: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Return ``raw`` with every Jimu setting parsed, environment first.

    Raises :class:`ConfigurationError` naming the first bad or missing setting.
    """
    environ = os.environ if environ is None else environ
    known = {setting.name for setting in SETTINGS}
    for name in raw:
        if name.startswith("jimu.") and name not in known:
            raise ConfigurationError(f"setting {name} is unknown (a typo?)")
    settings = dict(raw)
    for setting in SETTINGS:
        value = environ.get(setting.env_name)
        source = setting.env_name
        if value is None:
            value = raw.get(setting.name)
            source = setting.name
        if value is None or (isinstance(value, str) and value.strip() == "" and
                             setting.default is None):
            if setting.default is None:
                raise ConfigurationError(
                    f"setting {setting.name} is missing "
                    f"(set it in the ini file or as {setting.env_name})"
                )
            value, source = setting.default, setting.name
        if not isinstance(value, str):
            settings[setting.name] = value
            continue
        try:
            settings[setting.name] = setting.parse(value)
        except ValueError as exc:
            raise ConfigurationError(f"setting {source} is malformed: {exc}") from None
    return settings
