"""``jimu events …``: the outbox of each tenant: what waits, what failed, replaying it."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from jimucrm.core.cli import CommandFailed
from jimucrm.core.cli.environment import Environment
from jimucrm.core.i18n import _
from jimucrm.core.interfaces import IDatabase, ITenantDirectory

from .admin import outbox_status, replay
from .interfaces import IOutbox
from .relay import outbox_schemas


def _schemas(environment: Environment, slug: str | None) -> list[str]:
    """SLUG's schema, or every schema that holds an outbox."""
    registry = environment.registry
    if slug:
        tenant = registry.getUtility(ITenantDirectory).by_slug(slug)
        if tenant is None:
            raise CommandFailed(environment.translate(
                _("No tenant ${slug}.", mapping={"slug": slug})))
        return [tenant.schema_name]
    with registry.getUtility(IDatabase).engine.connect() as connection:
        return outbox_schemas(connection)


@click.group()
def events() -> None:
    """Domain events: the outbox of each tenant, its dead letters, replaying them."""


@events.command("status")
@click.option("--tenant", "slug", help="Only this tenant.")
@click.pass_obj
def events_status(environment: Environment, slug: str | None) -> None:
    """Deliveries waiting, being retried and dead, per tenant."""
    schemas = _schemas(environment, slug)
    table = Table(title=environment.translate(_("Event outbox")))
    for heading in (_("Tenant schema"), _("Pending"), _("Retrying"), _("Dead"),
                    _("Oldest pending since")):
        table.add_column(environment.translate(heading))
    database = environment.registry.getUtility(IDatabase)
    with database.engine.connect() as connection:
        for schema in schemas:
            status = outbox_status(connection, schema)
            table.add_row(schema, str(status.pending), str(status.retrying), str(status.dead),
                          f"{status.oldest:%Y-%m-%d %H:%M:%S}" if status.oldest else "-")
    Console(width=160).print(table)


@events.command("replay")
@click.option("--tenant", "slug", help="Only this tenant (needed with --id).")
@click.option("--id", "letter_id", type=int, help="The dead letter to replay.")
@click.option("--all", "replay_all", is_flag=True, help="Every dead letter.")
@click.pass_obj
def events_replay(environment: Environment, slug: str | None, letter_id: int | None,
                  replay_all: bool) -> None:
    """Send dead letters to their handlers again (their tries start over)."""
    if (letter_id is None) == (not replay_all):
        raise CommandFailed(environment.translate(_("Give either --id N or --all.")))
    if letter_id is not None and not slug:
        raise CommandFailed(environment.translate(
            _("--id needs --tenant: each tenant numbers its own dead letters.")))
    registry = environment.registry
    outbox = registry.getUtility(IOutbox)
    database = registry.getUtility(IDatabase)
    total = 0
    for schema in _schemas(environment, slug):
        with database.session(schema) as session, session.begin():
            count = replay(session, outbox, None if letter_id is None else [letter_id])
        if count:
            click.echo(environment.translate(_(
                "${schema}: ${count} delivery(ies) sent to their handlers again.",
                mapping={"schema": schema, "count": str(count)})))
        total += count
    if letter_id is not None and not total:
        raise CommandFailed(environment.translate(_(
            "Tenant ${slug} has no dead letter ${id}.",
            mapping={"slug": slug, "id": str(letter_id)})))
    if not total:
        click.echo(environment.translate(_("No dead letters to replay.")))
