"""Server-side sessions in Redis, serialised as JSON (never pickle)."""

from __future__ import annotations

import json

from pyramid.config import Configurator
from pyramid_session_redis import RedisSessionFactory


def _serialize(data: dict) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def _deserialize(raw: bytes) -> dict:
    return json.loads(raw)


def includeme(config: Configurator) -> None:
    settings = config.get_settings()
    factory = RedisSessionFactory(
        secret=settings["jimu.secret_key"],
        redis_url=settings["jimu.redis_url"],
        timeout=settings["jimu.session_timeout_seconds"],
        cookie_name="jimu_session",
        cookie_httponly=True,
        cookie_samesite="Lax",
        cookie_secure=settings["jimu.secure_cookies"],
        serialize=_serialize,
        deserialize=_deserialize,
        deserialized_fails_new=True,
    )
    config.set_session_factory(factory)
