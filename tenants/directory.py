"""The tenant directory: slug or host → tenant, with a short in-process cache."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from zope.interface import implementer

from jimucrm.core.interfaces import IDatabase, ITenant, ITenantDirectory

from .models import Domain, Tenant


@implementer(ITenant)
@dataclass(frozen=True)
class TenantInfo:
    """A read-only snapshot of a tenant row, safe to share between requests."""

    id: int
    slug: str
    name: str
    schema_name: str
    status: str

    @classmethod
    def of(cls, row: Tenant) -> TenantInfo:
        return cls(row.id, row.slug, row.name, row.schema_name, row.status)

    @property
    def active(self) -> bool:
        return self.status == "active"


@implementer(ITenantDirectory)
class TenantDirectory:
    """Looks tenants up in the public schema.

    Answers are cached for ``ttl`` seconds, so a change made by another process
    (``jimu tenant archive``) shows within that time; this process's own changes
    call :meth:`forget` and show at once.
    """

    def __init__(self, database: IDatabase, *, base_domain: str = "", ttl: float = 5.0) -> None:
        self._database = database
        self._base_domain = base_domain.lower().strip(".")
        self._ttl = ttl
        self._cache: dict[tuple[str, str], tuple[float, TenantInfo | None]] = {}
        self._lock = threading.Lock()

    def by_slug(self, slug: str) -> TenantInfo | None:
        return self._cached(("slug", slug), lambda: self._load(Tenant.slug == slug))

    def by_host(self, host: str) -> TenantInfo | None:
        host = host.split(":", 1)[0].lower().rstrip(".")
        return self._cached(("host", host), lambda: self._load_host(host))

    def forget(self, slug: str) -> None:
        with self._lock:
            self._cache = {
                key: entry for key, entry in self._cache.items()
                if key != ("slug", slug) and (entry[1] is None or entry[1].slug != slug)
            }

    def _cached(self, key, load) -> TenantInfo | None:
        now = time.monotonic()
        entry = self._cache.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        value = load()
        if self._ttl:
            with self._lock:
                self._cache[key] = (now + self._ttl, value)
        return value

    def _load(self, *criteria) -> TenantInfo | None:
        with self._database.session() as session:
            row = session.scalars(select(Tenant).where(*criteria)).one_or_none()
            return TenantInfo.of(row) if row is not None else None

    def _load_host(self, host: str) -> TenantInfo | None:
        with self._database.session() as session:
            row = session.scalars(
                select(Tenant).join(Domain).where(Domain.host == host)
            ).one_or_none()
            if row is not None:
                return TenantInfo.of(row)
        suffix = "." + self._base_domain
        if self._base_domain and host.endswith(suffix):
            label = host[: -len(suffix)]
            if label and "." not in label:
                return self._load(Tenant.slug == label)
        return None
