"""Enabling and disabling addons for one tenant.

Enabling resolves dependencies, runs the addons' migrations in the tenant's
schema and loads their data files once; disabling hides an addon and keeps
every row it wrote. Each call is one transaction: a failure half-way leaves the
tenant as it was (PostgreSQL's DDL is transactional too).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from pyramid.registry import Registry
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from zope.interface import implementer

from jimucrm.core.addons.data import load_data_file
from jimucrm.core.addons.graph import AddonGraphError, closure, dependents
from jimucrm.core.events import ITenantAddonsChanged, notify
from jimucrm.core.i18n import _
from jimucrm.core.interfaces import IAddonCatalogue, IDatabase, ITenantDirectory
from jimucrm.core.models import TENANT_SCHEMA

from .directory import TenantInfo
from .interfaces import ITenantAddons
from .migrate import upgrade_schema
from .models import Tenant, TenantAddon


@implementer(ITenantAddonsChanged)
@dataclass
class TenantAddonsChanged:
    registry: Registry
    tenant: TenantInfo
    session: Session
    enabled: list[str]
    disabled: list[str]


@implementer(ITenantAddons)
class TenantAddons:
    """The default :class:`ITenantAddons`: state kept in ``public.tenant_addons``."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.catalogue = registry.getUtility(IAddonCatalogue)
        self.database = registry.getUtility(IDatabase)

    def enabled(self, slug: str) -> frozenset[str]:
        with self.database.session() as session:
            tenant = self._tenant(session, slug)
            return frozenset(self._rows(session, tenant, enabled_only=True))

    def enable(self, slug: str, names: Iterable[str]) -> list[str]:
        """Enable ``names`` and what they depend on; return those newly enabled."""
        with self.database.engine.begin() as connection:
            session = Session(bind=connection)
            tenant = self._lock(session, slug)
            rows = self._rows(session, tenant)
            current = {name for name, row in rows.items() if row.enabled}
            wanted = closure(self.catalogue.manifests, set(names) | current)
            self.catalogue.check_set(wanted)
            added = [name for name in self.catalogue.order if name in wanted - current]
            if not added:
                return []
            upgrade_schema(connection, self.registry, "tenant", tenant.schema_name, wanted)
            tenant_session = Session(bind=connection.execution_options(
                schema_translate_map={TENANT_SCHEMA: tenant.schema_name}))
            for name in added:
                row = rows.get(name)
                if row is None:
                    row = TenantAddon(tenant_id=tenant.id, addon=name, enabled=True,
                                      data_loaded=False)
                    session.add(row)
                row.enabled = True
                if not row.data_loaded:
                    manifest = self.catalogue.manifests[name]
                    for relative in manifest.data:
                        load_data_file(tenant_session, manifest, relative)
                    row.data_loaded = True
            notify(self.registry, TenantAddonsChanged(
                self.registry, TenantInfo.of(tenant, frozenset(wanted)), tenant_session,
                added, []), wanted)
            tenant_session.flush()
            session.flush()
        self.registry.getUtility(ITenantDirectory).invalidate()
        return added

    def disable(self, slug: str, names: Iterable[str]) -> list[str]:
        """Disable ``names`` (data kept); refused while an enabled addon needs one."""
        names = set(names)
        unknown = sorted(names - set(self.catalogue.manifests))
        if unknown:
            raise AddonGraphError(_("There is no addon named ${name}.",
                                    mapping={"name": ", ".join(unknown)}))
        with self.database.engine.begin() as connection:
            session = Session(bind=connection)
            tenant = self._lock(session, slug)
            rows = self._rows(session, tenant)
            current = {name for name, row in rows.items() if row.enabled}
            remaining = current - names
            for name in sorted(names & current):
                needing = dependents(self.catalogue.manifests, name, remaining)
                if needing:
                    raise AddonGraphError(_(
                        "${name} cannot be disabled: ${needing} depends on it. Disable "
                        "${needing} first.", mapping={"name": name, "needing": ", ".join(needing)}))
            removed = sorted(names & current)
            for name in removed:
                rows[name].enabled = False
            if removed:
                tenant_session = Session(bind=connection.execution_options(
                    schema_translate_map={TENANT_SCHEMA: tenant.schema_name}))
                notify(self.registry, TenantAddonsChanged(
                    self.registry, TenantInfo.of(tenant, frozenset(remaining)), tenant_session,
                    [], removed), current)
                tenant_session.flush()
            session.flush()
        self.registry.getUtility(ITenantDirectory).invalidate()
        return removed

    def _tenant(self, session: Session, slug: str) -> Tenant:
        tenant = session.scalars(select(Tenant).where(Tenant.slug == slug)).one_or_none()
        if tenant is None or tenant.status != "active":
            raise LookupError(slug)
        return tenant

    def _lock(self, session: Session, slug: str) -> Tenant:
        tenant = self._tenant(session, slug)
        # One change to a tenant's addons at a time (and not beside its migration).
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                        {"key": zlib.crc32(tenant.schema_name.encode())})
        return tenant

    @staticmethod
    def _rows(session: Session, tenant: Tenant, enabled_only: bool = False
              ) -> dict[str, TenantAddon]:
        query = select(TenantAddon).where(TenantAddon.tenant_id == tenant.id)
        if enabled_only:
            query = query.where(TenantAddon.enabled.is_(True))
        return {row.addon: row for row in session.scalars(query)}
