"""Cross-process cache invalidation through a counter in Redis."""

from __future__ import annotations

import redis
from pyramid.config import Configurator
from zope.interface import implementer

from .interfaces import ICacheGeneration

KEY = "jimu:cache-generation"


@implementer(ICacheGeneration)
class RedisGeneration:
    def __init__(self, client: redis.Redis, key: str = KEY) -> None:
        self._client = client
        self._key = key

    def current(self) -> int:
        return int(self._client.get(self._key) or 0)

    def bump(self) -> None:
        self._client.incr(self._key)


def includeme(config: Configurator) -> None:
    client = redis.Redis.from_url(config.get_settings()["jimu.redis_url"])
    config.registry.registerUtility(RedisGeneration(client), ICacheGeneration)
