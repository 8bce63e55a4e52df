"""``jimu keys …``: the master key and the tenants' data keys."""

from __future__ import annotations

import base64
import secrets

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from jimucrm.core.cli.environment import Environment
from jimucrm.core.i18n import _
from jimucrm.core.interfaces import IDatabase, ITenantDirectory

from .errors import KeysError, MasterKeyError
from .interfaces import IFieldKeys
from .keystore import MIN_KEY_BYTES
from .ring import FieldKeys, master_key_problem
from .rotation import (
    DEFAULT_BATCH,
    DEFAULT_DRAIN_SECONDS,
    check_master_keys,
    key_rows,
    rewrap,
    rotate,
    tenant_schemas,
)

STATUS_LABELS = {"active": _("active"), "retiring": _("retiring"), "retired": _("retired")}


class ConfigurationFailed(click.ClickException):
    """The master key is missing or wrong: nothing was changed."""

    exit_code = 2


def _echo(environment: Environment, message) -> None:
    click.echo(environment.translate(message))


def _field_keys(environment: Environment) -> FieldKeys:
    return environment.registry.getUtility(IFieldKeys)


def _targets(environment: Environment, slug: str | None) -> list[str]:
    """The tenant schemas a command works on: SLUG's, or every one with a key table."""
    registry = environment.registry
    if slug:
        tenant = registry.getUtility(ITenantDirectory).by_slug(slug)
        if tenant is None:
            raise click.ClickException(environment.translate(
                _("No tenant ${slug}.", mapping={"slug": slug})))
        return [tenant.schema_name]
    with registry.getUtility(IDatabase).engine.connect() as connection:
        return sorted(tenant_schemas(connection))


def _check(environment: Environment, schemas: list[str]) -> None:
    try:
        check_master_keys(_field_keys(environment), schemas)
    except MasterKeyError as exc:
        raise ConfigurationFailed(environment.translate(exc.message)) from None


@click.group()
def keys() -> None:
    """Master key and tenant data keys: status, rotation, re-wrapping."""


@keys.command("status")
@click.option("--tenant", "slug", help="Only this tenant.")
@click.pass_obj
def keys_status(environment: Environment, slug: str | None) -> None:
    """Each tenant's data keys, and whether the configured master key opens them."""
    field_keys = _field_keys(environment)
    keystore = field_keys.keystore
    table = Table(title=environment.translate(_("Data keys")))
    for heading in (_("Tenant schema"), _("Version"), _("Status"), _("Algorithm"),
                    _("Master key"), _("Master key check"), _("Created at")):
        table.add_column(environment.translate(heading))
    problems = 0
    for schema in _targets(environment, slug):
        for row in key_rows(field_keys, schema):
            problem = master_key_problem(keystore, schema, row.master_key_id, row.check_value)
            problems += problem is not None and row.status != "retired"
            verdict = _("ok") if problem is None else _("does not match")
            status = STATUS_LABELS.get(row.status, row.status)
            table.add_row(schema, str(row.version), environment.translate(status),
                          row.algorithm, row.master_key_id, environment.translate(verdict),
                          f"{row.created_at:%Y-%m-%d %H:%M}")
    Console(width=160).print(table)
    if keystore is None:
        _echo(environment, _("No master key is configured."))
    else:
        _echo(environment, _("Active master key: ${key_id}.",
                             mapping={"key_id": keystore.active_key_id}))
    if problems:
        raise click.exceptions.Exit(1)


@keys.command("rotate")
@click.option("--tenant", "slug", help="Only this tenant (default: every tenant).")
@click.option("--batch-size", default=DEFAULT_BATCH, show_default=True,
              type=click.IntRange(1, 100_000), help="Rows re-encrypted per transaction.")
@click.option("--drain-seconds", default=DEFAULT_DRAIN_SECONDS, show_default=True,
              type=click.FloatRange(0), help="How long to wait for older transactions.")
@click.pass_obj
def keys_rotate(environment: Environment, slug: str | None, batch_size: int,
                drain_seconds: float) -> None:
    """A new data key per tenant; re-encrypt every encrypted column in batches (resumable).

    The application keeps serving: reads use whichever key a value names, writes
    the new one. Run it again after an interruption: it resumes where it stopped.
    """
    field_keys = _field_keys(environment)
    targets = _targets(environment, slug)
    _check(environment, targets)
    failed: dict[str, str] = {}
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  transient=False) as progress:
        for schema in targets:
            task = progress.add_task(schema, total=None)
            try:
                report = rotate(field_keys, schema, batch_size=batch_size,
                                drain_seconds=drain_seconds,
                                on_start=lambda total, task=task: progress.update(task,
                                                                                  total=total),
                                on_batch=lambda done, task=task: progress.advance(task, done))
            except KeysError as exc:
                failed[schema] = environment.translate(exc.message)
                continue
            finished = max(report.reencrypted, 1)
            progress.update(task, total=finished, completed=finished)
            if report.created:
                message = _("${schema}: first data key made (version ${version}).",
                            mapping={"schema": schema, "version": str(report.new_version)})
            else:
                message = _("${schema}: data key version ${version} active, ${count} row(s) "
                            "re-encrypted, retired: ${retired}.",
                            mapping={"schema": schema, "version": str(report.new_version),
                                     "count": str(report.reencrypted),
                                     "retired": ", ".join(map(str, report.retired)) or "-"})
            progress.console.print(environment.translate(message), highlight=False)
    for schema, reason in failed.items():
        click.echo(f"  {schema}: {reason}", err=True)
    if failed:
        raise click.exceptions.Exit(1)


@keys.command("rewrap")
@click.option("--tenant", "slug", help="Only this tenant (default: every tenant).")
@click.pass_obj
def keys_rewrap(environment: Environment, slug: str | None) -> None:
    """Wrap every data key with the active master key (the first one configured).

    Master-key rotation: add the new key before the old one, run this, then remove
    the old key. Encrypted values are not touched.
    """
    field_keys = _field_keys(environment)
    targets = _targets(environment, slug)
    _check(environment, targets)
    moved = 0
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  transient=False) as progress:
        task = progress.add_task(environment.translate(_("Re-wrapping")), total=len(targets))
        for schema in targets:
            moved += rewrap(field_keys, schema)
            progress.advance(task)
    _echo(environment, _("${count} data key(s) now wrapped with master key ${key_id}.",
                         mapping={"count": str(moved),
                                  "key_id": field_keys.keystore.active_key_id}))


@keys.command("generate-master-key")
@click.option("--id", "key_id", help="Name the key (written as ID:KEY).")
def keys_generate(key_id: str | None) -> None:
    """Print a new random master key for jimu.master_key_file or JIMU_MASTER_KEY."""
    key = base64.b64encode(secrets.token_bytes(MIN_KEY_BYTES)).decode("ascii")
    click.echo(f"{key_id}:{key}" if key_id else key)
