"""Running migrations: the public schema, then tenant by tenant."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from pyramid.registry import Registry
from sqlalchemy import text

from jimucrm.core.interfaces import IDatabase

from .directory import TenantInfo
from .interfaces import ITenantProvisioner
from .migrate import pending, upgrade_schema

log = logging.getLogger(__name__)

# One process at a time upgrades the public schema.
_PUBLIC_LOCK = 0x6A696D75  # "jimu"


def upgrade_public(registry: Registry) -> None:
    """Bring the public schema to the heads of its branches (idempotent)."""
    database = registry.getUtility(IDatabase)
    with database.engine.begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PUBLIC_LOCK})
        if pending(connection, registry, "public", "public"):
            upgrade_schema(connection, registry, "public", "public")


@dataclass
class MigrationReport:
    upgraded: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def migrate_tenant(registry: Registry, tenant: TenantInfo) -> bool:
    """Upgrade one tenant in its own transaction; True if anything ran."""
    database = registry.getUtility(IDatabase)
    with database.engine.begin() as connection:
        # Two `migrate` runs at once: the second waits for this tenant, then skips it.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": zlib.crc32(tenant.schema_name.encode())})
        if not pending(connection, registry, "tenant", tenant.schema_name, tenant.addons):
            return False
        upgrade_schema(connection, registry, "tenant", tenant.schema_name, tenant.addons)
        return True


def migrate_tenants(
    registry: Registry,
    tenants: list[TenantInfo] | None = None,
    on_progress: Callable[[TenantInfo], None] | None = None,
) -> MigrationReport:
    """Upgrade each tenant; one tenant's failure is recorded and the rest go on.

    Resumable: a tenant already at the heads is skipped without work, so a run
    stopped half-way continues where it stopped.
    """
    if tenants is None:
        tenants = [t for t in registry.getUtility(ITenantProvisioner).all() if t.active]
    report = MigrationReport()
    for tenant in tenants:
        try:
            changed = migrate_tenant(registry, tenant)
        except Exception as exc:  # any failure is this tenant's alone
            log.exception("migrating tenant %s failed", tenant.slug)
            report.failed[tenant.slug] = f"{type(exc).__name__}: {exc}".splitlines()[0]
        else:
            (report.upgraded if changed else report.current).append(tenant.slug)
        if on_progress is not None:
            on_progress(tenant)
    return report
