"""``jimu audit seal``, ``jimu audit verify`` and ``jimu audit public-key``."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from jimucrm.core.cli.environment import Environment
from jimucrm.core.i18n import _
from jimucrm.core.interfaces import ICryptoProvider, IDatabase, ITenantDirectory

from .seal import AuditKeyError, SealError, audited_schemas, key_path, load_key, seal_all
from .seal import verify_schema as verify_one

DAY = click.DateTime(formats=["%Y-%m-%d"])


def _echo(environment: Environment, message, err: bool = False) -> None:
    click.echo(environment.translate(message), err=err)


def _fail(environment: Environment, message) -> click.ClickException:
    return click.ClickException(environment.translate(message))


def _schemas(environment: Environment, slug: str | None) -> list[str]:
    if slug is None:
        return audited_schemas(environment.registry)
    tenant = environment.registry.getUtility(ITenantDirectory).by_slug(slug)
    if tenant is None:
        raise _fail(environment, _("No tenant ${slug}.", mapping={"slug": slug}))
    return [tenant.schema_name]


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


@click.group()
def audit() -> None:
    """Tenants' audit logs: seal each day, verify the seals."""


@audit.command("seal")
@click.option("--tenant", "slug", help="Only this tenant (default: every tenant).")
@click.option("--date", "through", type=DAY,
              help="Seal up to this UTC day, YYYY-MM-DD (default: the last day that is over).")
@click.pass_obj
def audit_seal(environment: Environment, slug: str | None, through: datetime | None) -> None:
    """Sign every day of the audit logs not sealed yet (run it daily)."""
    path = key_path(environment.settings, environment.data_dir)
    if not path.exists():
        _echo(environment, _("Creating the audit signing key ${path}; give auditors its "
                             "public key (jimu audit public-key).", mapping={"path": str(path)}))
    try:
        done = seal_all(environment.registry, path, _schemas(environment, slug), _day(through))
    except (AuditKeyError, SealError) as exc:
        raise _fail(environment, exc.message) from None
    sealed = {schema: days for schema, days in done.items() if days}
    for schema, days in sealed.items():
        _echo(environment, _("${schema}: sealed ${count} day(s), ${first} to ${last}.",
                             mapping={"schema": schema, "count": len(days),
                                      "first": days[0].isoformat(),
                                      "last": days[-1].isoformat()}))
    if not sealed:
        _echo(environment, _("Nothing to seal."))


@audit.command("verify")
@click.option("--tenant", "slug", help="Only this tenant (default: every tenant).")
@click.option("--from", "since", type=DAY, help="Start at this UTC day, YYYY-MM-DD.")
@click.option("--public-key", "public_key", type=click.Path(exists=True, dir_okay=False,
                                                          path_type=Path),
              help="PEM file with the audit public key (default: the deployment's key file).")
@click.pass_obj
def audit_verify(environment: Environment, slug: str | None, since: datetime | None,
                 public_key: Path | None) -> None:
    """Recompute the seals and the rows; exit 1 naming the first tampered day and row."""
    registry = environment.registry
    provider = registry.getUtility(ICryptoProvider)
    try:
        key = load_key(public_key or key_path(environment.settings, environment.data_dir),
                       provider, private=False)
    except AuditKeyError as exc:
        raise _fail(environment, exc.message) from None
    database = registry.getUtility(IDatabase)
    failed = 0
    for schema in _schemas(environment, slug):
        with database.session(schema) as session:
            report = verify_one(session, schema, provider, key, _day(since))
        if report.problem is None:
            _echo(environment, _("${schema}: ${days} sealed day(s) and ${rows} row(s) verified; "
                                 "${unsealed} row(s) not sealed yet.",
                                 mapping={"schema": schema, "days": report.days,
                                          "rows": report.rows,
                                          "unsealed": report.unsealed_rows}))
            continue
        failed += 1
        _echo(environment, _("${schema}: TAMPERED. ${problem}",
                             mapping={"schema": schema,
                                      "problem": environment.translate(report.problem.message)}),
              err=True)
    if failed:
        raise click.exceptions.Exit(1)


@audit.command("public-key")
@click.pass_obj
def audit_public_key(environment: Environment) -> None:
    """Print the audit public key (PEM) that verifies the seals."""
    path = key_path(environment.settings, environment.data_dir)
    try:
        key = load_key(path, environment.registry.getUtility(ICryptoProvider), private=False)
    except AuditKeyError as exc:
        raise _fail(environment, exc.message) from None
    click.echo(key.public_pem.decode().strip())
    _echo(environment, _("Key id: ${key_id}", mapping={"key_id": key.key_id}), err=True)
