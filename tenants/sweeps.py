"""Work a periodic task does in every tenant that has an addon: one transaction each.

For an addon's sweep (crm's automatic return to the pool, activities' reminders):
one tenant's failure is logged and never stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from pyramid.registry import Registry
from sqlalchemy import select
from sqlalchemy.orm import Session

from jimucrm.core.interfaces import IDatabase, ITenant, ITenantDirectory

from .models import Tenant, TenantAddon

log = logging.getLogger(__name__)
Result = TypeVar("Result")


def schemas_with(registry: Registry, addon: str) -> list[str]:
    """The schemas of the active tenants that have ``addon`` enabled, by name."""
    database = registry.getUtility(IDatabase)
    with database.session() as session:
        return list(session.scalars(
            select(Tenant.schema_name).join(TenantAddon, TenantAddon.tenant_id == Tenant.id)
            .where(TenantAddon.addon == addon, TenantAddon.enabled.is_(True),
                   Tenant.status == "active")
            .order_by(Tenant.schema_name)))


def each_tenant_with(registry: Registry, addon: str,
                     work: Callable[[Session, ITenant], Result]) -> dict[str, Result]:
    """Call ``work(session, tenant)`` for every active tenant with ``addon``, each in a
    transaction of its own (committed when ``work`` returns, rolled back when it raises).

    Returns the truthy results by schema; a tenant whose work raised is logged and left
    out.
    """
    database = registry.getUtility(IDatabase)
    directory = registry.getUtility(ITenantDirectory)
    done: dict[str, Any] = {}
    for schema in schemas_with(registry, addon):
        tenant = directory.by_schema(schema)
        if tenant is None or addon not in tenant.addons:
            continue
        try:
            with database.session(schema) as session, session.begin():
                result = work(session, tenant)
        except Exception:
            log.exception("%s: periodic work failed for %s", addon, schema)
            continue
        if result:
            done[schema] = result
    return done
