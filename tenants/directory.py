"""The tenant directory: slug or host → tenant, with a short in-process cache."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from zope.interface import implementer

from jimucrm.core.interfaces import ICacheGeneration, IDatabase, ITenant, ITenantDirectory

from .models import Domain, Tenant, TenantAddon


@implementer(ITenant)
@dataclass(frozen=True)
class TenantInfo:
    """A read-only snapshot of a tenant row, safe to share between requests."""

    id: int
    slug: str
    name: str
    schema_name: str
    status: str
    addons: frozenset[str] = frozenset()

    @classmethod
    def of(cls, row: Tenant, addons: frozenset[str] = frozenset()) -> TenantInfo:
        return cls(row.id, row.slug, row.name, row.schema_name, row.status, addons)

    @property
    def active(self) -> bool:
        return self.status == "active"


@implementer(ITenantDirectory)
class TenantDirectory:
    """Looks tenants up in the public schema.

    Answers are cached for ``ttl`` seconds and only while the deployment's cache
    generation is unchanged, so a change made by any process (``jimu tenant
    archive``, an addon enabled) shows at once everywhere.
    """

    def __init__(self, database: IDatabase, generation: ICacheGeneration, *,
                 base_domain: str = "", ttl: float = 5.0) -> None:
        self._database = database
        self._generation = generation
        self._base_domain = base_domain.lower().strip(".")
        self._ttl = ttl
        self._cache: dict[tuple[str, str], tuple[float, int, TenantInfo | None]] = {}
        self._lock = threading.Lock()

    def by_slug(self, slug: str) -> TenantInfo | None:
        return self._cached(("slug", slug), lambda: self._load(Tenant.slug == slug))

    def by_host(self, host: str) -> TenantInfo | None:
        host = host.split(":", 1)[0].lower().rstrip(".")
        return self._cached(("host", host), lambda: self._load_host(host))

    def by_schema(self, schema_name: str) -> TenantInfo | None:
        return self._cached(("schema", schema_name),
                            lambda: self._load(Tenant.schema_name == schema_name))

    def invalidate(self) -> None:
        """A tenant changed: every process drops its cached answers."""
        self._generation.bump()
        with self._lock:
            self._cache.clear()

    def _cached(self, key, load) -> TenantInfo | None:
        if not self._ttl:
            return load()
        now = time.monotonic()
        generation = self._generation.current()
        entry = self._cache.get(key)
        if entry is not None and entry[0] > now and entry[1] == generation:
            return entry[2]
        value = load()
        with self._lock:
            self._cache[key] = (now + self._ttl, generation, value)
        return value

    def _load(self, *criteria) -> TenantInfo | None:
        with self._database.session() as session:
            row = session.scalars(select(Tenant).where(*criteria)).one_or_none()
            return self._info(session, row) if row is not None else None

    @staticmethod
    def _info(session, row: Tenant) -> TenantInfo:
        addons = session.scalars(select(TenantAddon.addon).where(
            TenantAddon.tenant_id == row.id, TenantAddon.enabled.is_(True))).all()
        return TenantInfo.of(row, frozenset(addons))

    def _load_host(self, host: str) -> TenantInfo | None:
        with self._database.session() as session:
            row = session.scalars(
                select(Tenant).join(Domain).where(Domain.host == host)
            ).one_or_none()
            if row is not None:
                return self._info(session, row)
        suffix = "." + self._base_domain
        if self._base_domain and host.endswith(suffix):
            label = host[: -len(suffix)]
            if label and "." not in label:
                return self._load(Tenant.slug == label)
        return None
