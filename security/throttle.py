"""Login throttling: failures counted per account and per address, in Redis.

After ``jimu.login_max_failures`` failed logins to one account within the
lockout window, that account refuses logins until the window passes; after
``jimu.login_ip_max_failures`` from one address, that address does. Counting
happens before the password is checked, so a locked account costs no hashing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import redis
from pyramid.config import Configurator
from pyramid.request import Request
from zope.interface import implementer

from .interfaces import ILoginThrottle


@dataclass(frozen=True)
class Limits:
    account_failures: int = 5
    address_failures: int = 50
    window_seconds: int = 900


@implementer(ILoginThrottle)
class RedisLoginThrottle:
    def __init__(self, client: redis.Redis, limits: Limits, namespace: str) -> None:
        self._client = client
        self._limits = limits
        self._namespace = namespace

    def _key(self, kind: str, *parts: str) -> str:
        # Hashed: logins and addresses are personal data and arbitrary strings.
        digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]
        return f"jimu:{self._namespace}:login-{kind}:{digest}"

    def _keys(self, tenant: str, login: str, address: str) -> tuple[str, str]:
        return (self._key("account", tenant, login.strip().lower()),
                self._key("address", address))

    def retry_after(self, tenant: str, login: str, address: str) -> int:
        account, source = self._keys(tenant, login, address)
        waits = []
        for key, limit in ((account, self._limits.account_failures),
                           (source, self._limits.address_failures)):
            count = int(self._client.get(key) or 0)
            if count >= limit:
                waits.append(max(int(self._client.ttl(key)), 1))
        return max(waits, default=0)

    def failed(self, tenant: str, login: str, address: str) -> int:
        account, source = self._keys(tenant, login, address)
        pipe = self._client.pipeline()
        for key in (account, source):
            # The window starts at the first failure and is not extended by later ones
            # (SET NX EX rather than EXPIRE NX, which Redis 6 lacks).
            pipe.set(key, 0, ex=self._limits.window_seconds, nx=True)
            pipe.incr(key)
        _, account_count, _, address_count = pipe.execute()
        if account_count >= self._limits.account_failures or \
                address_count >= self._limits.address_failures:
            return self.retry_after(tenant, login, address)
        return 0

    def succeeded(self, tenant: str, login: str) -> None:
        self._client.delete(self._key("account", tenant, login.strip().lower()))


def client_address(request: Request) -> str:
    """The client's address as the server sees it (proxies are handled upstream)."""
    return request.remote_addr or "unknown"


def includeme(config: Configurator) -> None:
    settings = config.get_settings()
    limits = Limits(settings["jimu.login_max_failures"], settings["jimu.login_ip_max_failures"],
                    settings["jimu.login_lockout_seconds"])
    client = redis.Redis.from_url(settings["jimu.redis_url"])
    namespace = hashlib.sha256(settings["jimu.database_url"].encode()).hexdigest()[:16]
    config.register_service(RedisLoginThrottle(client, limits, namespace), ILoginThrottle)
