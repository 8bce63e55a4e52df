"""Cross-process cache invalidation through a counter in Redis."""

from __future__ import annotations

import hashlib

import redis
from pyramid.config import Configurator
from sqlalchemy.engine import make_url
from zope.interface import implementer

from .interfaces import ICacheGeneration

KEY = "jimu:{deployment}:cache-generation"


@implementer(ICacheGeneration)
class RedisGeneration:
    def __init__(self, client: redis.Redis, key: str) -> None:
        self._client = client
        self._key = key

    def current(self) -> int:
        return int(self._client.get(self._key) or 0)

    def bump(self) -> None:
        self._client.incr(self._key)


def includeme(config: Configurator) -> None:
    settings = config.get_settings()
    client = redis.Redis.from_url(settings["jimu.redis_url"])
    # Deployments (and test runs) sharing one Redis must not invalidate each other.
    url = make_url(settings["jimu.database_url"])
    deployment = hashlib.sha256(f"{url.host}|{url.port}|{url.database}|{url.query}".encode())
    key = KEY.format(deployment=deployment.hexdigest()[:16])
    config.registry.registerUtility(RedisGeneration(client, key), ICacheGeneration)
