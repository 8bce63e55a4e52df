"""Where each package's Alembic branch lives.

Core only records the branches; ``jimucrm.tenants`` runs them, per schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyramid.config import Configurator
from pyramid.path import AssetResolver
from zope.interface import implementer
from zope.interface.interfaces import IComponentLookup

from .addons.manifest import ManifestError
from .interfaces import IAddonCatalogue, IMigrationBranch


@implementer(IMigrationBranch)
@dataclass(frozen=True)
class MigrationBranch:
    name: str
    location: Path
    scope: str = "tenant"
    addon: str | None = None


def add_migration_branch(
    config: Configurator, name: str, spec: str, *, scope: str = "tenant"
) -> None:
    """Config directive: register the Alembic branch ``name`` kept at asset ``spec``."""
    if scope not in {"tenant", "public"}:
        raise ValueError(f"migration branch {name}: scope must be 'tenant' or 'public'")
    location = Path(AssetResolver().resolve(spec).abspath())
    catalogue = config.registry.getUtility(IAddonCatalogue)
    addon = catalogue.addon_of(config.package_name)
    if addon is not None and catalogue.manifests[addon].alembic_branch != name:
        manifest = catalogue.manifests[addon]
        raise ManifestError(f"{manifest.path}: key 'alembic_branch' is "
                            f"{manifest.alembic_branch!r} but the addon registers migration "
                            f"branch {name!r}")
    branch = MigrationBranch(name, location, scope, addon)

    def register() -> None:
        config.registry.registerUtility(branch, IMigrationBranch, name=f"{scope}:{name}")

    config.action(("jimu.migration_branch", scope, name), register)


def migration_branches(registry: IComponentLookup, scope: str) -> list[MigrationBranch]:
    """The registered branches of one scope, in the order they must run.

    The packages' own branches come first (by name, so ``security``, which
    creates users, precedes ``security_*``), then the addons' in dependency
    order: a table may refer to any table of a branch that runs before it.
    """
    order = {name: index for index, name in
             enumerate(registry.getUtility(IAddonCatalogue).order)}
    found = [b for _, b in registry.getUtilitiesFor(IMigrationBranch) if b.scope == scope]
    return sorted(found, key=lambda branch: (branch.addon is not None,
                                             order.get(branch.addon, -1), branch.name))


def includeme(config: Configurator) -> None:
    config.add_directive("add_migration_branch", add_migration_branch)
