"""``jimu tenant …``, ``jimu addon …`` and ``jimu db …``."""

from __future__ import annotations

import secrets

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from jimucrm.core.addons import AddonGraphError, ManifestError
from jimucrm.core.cli.environment import Environment
from jimucrm.core.cli.scaffold import new_addon
from jimucrm.core.i18n import _
from jimucrm.core.interfaces import IAddonCatalogue

from .interfaces import ITenantAddons, ITenantProvisioner
from .provisioning import TenantArchived
from .slugs import InvalidSlug
from .upgrade import migrate_tenants, upgrade_public


def _echo(environment: Environment, message) -> None:
    click.echo(environment.translate(message))


def _fail(environment: Environment, message) -> click.ClickException:
    return click.ClickException(environment.translate(message))


@click.group()
def db() -> None:
    """The platform (public) schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(environment: Environment) -> None:
    """Bring the public schema to the latest revision."""
    upgrade_public(environment.registry)
    _echo(environment, _("The public schema is up to date."))


@click.group()
def tenant() -> None:
    """Create, list, archive and migrate tenants."""


@tenant.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="Display name, e.g. 示例科技有限公司.")
@click.option("--admin-email", help="Creates user 'admin' with this e-mail; prints its password.")
@click.option("--demo", is_flag=True, help="Fill the tenant with sample data.")
@click.pass_obj
def tenant_create(environment: Environment, slug: str, name: str, admin_email: str | None,
                  demo: bool) -> None:
    """Provision tenant SLUG (running it again changes nothing)."""
    registry = environment.registry
    upgrade_public(registry)
    password = secrets.token_urlsafe(12) if admin_email else None
    try:
        created, is_new = registry.getUtility(ITenantProvisioner).create(
            slug, name, admin_email=admin_email, admin_password=password, demo=demo)
    except InvalidSlug as exc:
        raise _fail(environment, exc.message) from None
    except TenantArchived:
        raise _fail(environment, _("Tenant ${slug} exists and is archived; choose another slug.",
                                   mapping={"slug": slug})) from None
    mapping = {"slug": slug, "schema": created.schema_name}
    if not is_new:
        _echo(environment, _("Tenant ${slug} already exists (schema ${schema}); nothing to do.",
                             mapping=mapping))
        return
    _echo(environment, _("Created tenant ${slug} (schema ${schema}).", mapping=mapping))
    if password:
        _echo(environment, _("Admin login: admin / ${password}", mapping={"password": password}))


@tenant.command("list")
@click.pass_obj
def tenant_list(environment: Environment) -> None:
    """List every tenant."""
    registry = environment.registry
    upgrade_public(registry)
    table = Table(title=environment.translate(_("Tenants")))
    for heading in (_("Slug"), _("Display name"), _("Schema"), _("Status")):
        table.add_column(environment.translate(heading))
    for row in registry.getUtility(ITenantProvisioner).all():
        table.add_row(row.slug, row.name, row.schema_name, row.status)
    Console().print(table)


@tenant.command("archive")
@click.argument("slug")
@click.pass_obj
def tenant_archive(environment: Environment, slug: str) -> None:
    """Archive SLUG: its data stays, its addresses answer 410."""
    upgrade_public(environment.registry)
    try:
        environment.registry.getUtility(ITenantProvisioner).archive(slug)
    except LookupError:
        raise _fail(environment, _("No tenant ${slug}.", mapping={"slug": slug})) from None
    _echo(environment, _("Archived tenant ${slug}.", mapping={"slug": slug}))


@tenant.command("migrate")
@click.argument("slug", required=False)
@click.option("--all", "all_tenants", is_flag=True, help="Every active tenant.")
@click.pass_obj
def tenant_migrate(environment: Environment, slug: str | None, all_tenants: bool) -> None:
    """Run pending migrations for SLUG or for --all tenants (resumable)."""
    if bool(slug) == all_tenants:
        raise click.UsageError(environment.translate(_("Give either a SLUG or --all.")))
    registry = environment.registry
    upgrade_public(registry)
    everyone = [t for t in registry.getUtility(ITenantProvisioner).all() if t.active]
    targets = everyone if all_tenants else [t for t in everyone if t.slug == slug]
    if not targets and not all_tenants:
        raise _fail(environment, _("No active tenant ${slug}.", mapping={"slug": slug}))
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  transient=False) as progress:
        task = progress.add_task(environment.translate(_("Migrating")), total=len(targets))
        report = migrate_tenants(registry, targets,
                                 on_progress=lambda t: progress.advance(task))
    _echo(environment, _("Upgraded: ${upgraded}; already current: ${current}; failed: ${failed}.",
                         mapping={"upgraded": len(report.upgraded),
                                  "current": len(report.current),
                                  "failed": len(report.failed)}))
    for failed_slug, reason in report.failed.items():
        click.echo(f"  {failed_slug}: {reason}", err=True)
    if report.failed:
        raise click.exceptions.Exit(1)


@click.group()
def addon() -> None:
    """List addons, enable and disable them per tenant, scaffold new ones."""


addon.add_command(new_addon)


@addon.command("list")
@click.option("--tenant", "slug", help="Show the state in this tenant only.")
@click.pass_obj
def addon_list(environment: Environment, slug: str | None) -> None:
    """Every installed addon, where it comes from, and which tenants enabled it."""
    registry = environment.registry
    upgrade_public(registry)
    catalogue = registry.getUtility(IAddonCatalogue)
    tenants = [t for t in registry.getUtility(ITenantProvisioner).all() if t.active]
    if slug is not None:
        tenants = [t for t in tenants if t.slug == slug]
        if not tenants:
            raise _fail(environment, _("No active tenant ${slug}.", mapping={"slug": slug}))
    table = Table(title=environment.translate(_("Addons")))
    for heading in (_("Addon"), _("Version"), _("Package"), _("Depends on"), _("Enabled in")):
        table.add_column(environment.translate(heading))
    for name in catalogue.order:
        manifest = catalogue.manifests[name]
        enabled = [t.slug for t in tenants if name in t.addons]
        table.add_row(name, str(manifest.version), manifest.distribution or "",
                      ", ".join(str(r) for r in manifest.depends), ", ".join(enabled))
    Console(width=160).print(table)


def _change_addons(environment: Environment, slug: str, names: tuple[str, ...],
                   enable: bool) -> None:
    registry = environment.registry
    upgrade_public(registry)
    service = registry.getUtility(ITenantAddons)
    try:
        changed = (service.enable if enable else service.disable)(slug, names)
    except LookupError:
        raise _fail(environment, _("No active tenant ${slug}.", mapping={"slug": slug})) from None
    except AddonGraphError as exc:
        raise _fail(environment, exc.message) from None
    except ManifestError as exc:
        raise click.ClickException(str(exc)) from None
    mapping = {"slug": slug, "names": ", ".join(changed)}
    if not changed:
        _echo(environment, _("Nothing to do: already enabled.") if enable
              else _("Nothing to do: already disabled."))
    elif enable:
        _echo(environment, _("Enabled for ${slug}: ${names}.", mapping=mapping))
    else:
        _echo(environment, _("Disabled for ${slug}: ${names}. Their data is kept.",
                             mapping=mapping))


@addon.command("enable")
@click.argument("slug")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def addon_enable(environment: Environment, slug: str, names: tuple[str, ...]) -> None:
    """Enable addons NAMES (and what they depend on) for tenant SLUG."""
    _change_addons(environment, slug, names, enable=True)


@addon.command("disable")
@click.argument("slug")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def addon_disable(environment: Environment, slug: str, names: tuple[str, ...]) -> None:
    """Disable addons NAMES for tenant SLUG; their data is kept."""
    _change_addons(environment, slug, names, enable=False)
