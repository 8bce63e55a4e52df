"""``jimu dashboard rebuild``: recompute a tenant's dashboard from its orders, leads and
contacts (after enabling the addon on a tenant with data, or after a repair)."""

from __future__ import annotations

import click
from sqlalchemy import select

from jimucrm.core.cli import CommandFailed
from jimucrm.core.cli.environment import Environment
from jimucrm.core.i18n import _
from jimucrm.core.interfaces import IDatabase, ITenantDirectory
from jimucrm.tenants.models import Tenant, TenantAddon

from .aggregates import rebuild


@click.group()
def dashboard() -> None:
    """The dashboard's aggregates."""


@dashboard.command("rebuild")
@click.option("--tenant", "slug", help="Only this tenant (default: every tenant with the "
                                       "dashboard enabled).")
@click.pass_obj
def dashboard_rebuild(environment: Environment, slug: str | None) -> None:
    """Recompute the dashboard's figures from the source tables."""
    registry = environment.registry
    database = registry.getUtility(IDatabase)
    if slug:
        tenant = registry.getUtility(ITenantDirectory).by_slug(slug)
        if tenant is None or "dashboard" not in tenant.addons:
            raise CommandFailed(environment.translate(
                _("No tenant ${slug} with the dashboard enabled.", mapping={"slug": slug})))
        schemas = [tenant.schema_name]
    else:
        with database.session() as session:
            schemas = list(session.scalars(
                select(Tenant.schema_name).join(TenantAddon, TenantAddon.tenant_id == Tenant.id)
                .where(TenantAddon.addon == "dashboard", TenantAddon.enabled.is_(True),
                       Tenant.status == "active").order_by(Tenant.schema_name)))
    for schema in schemas:
        with database.session(schema) as session:
            # One snapshot: the events marked as counted are those the tables reflect.
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            rebuild(session)
            session.commit()
        click.echo(environment.translate(_("${schema}: dashboard rebuilt.",
                                           mapping={"schema": schema})))
