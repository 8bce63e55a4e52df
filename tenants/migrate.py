"""Alembic, run per schema: the public schema, and every tenant schema.

Each package and addon keeps its own branch (``config.add_migration_branch``);
a tenant schema holds its own ``alembic_version`` table with one row per branch
head, so each tenant migrates, fails and resumes on its own, and only the
branches of the addons it has enabled run in it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from zope.interface.interfaces import IComponentLookup

from jimucrm.core.migrations import MigrationBranch, migration_branches

SCRIPT_LOCATION = "jimucrm.tenants:migrations"
VERSION_TABLE = "alembic_version"


def _config(locations: Iterable[str]) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("version_locations", " ".join(locations))
    config.set_main_option("path_separator", "space")
    return config


def branches_for(registry: IComponentLookup, scope: str,
                 addons: Iterable[str] | None = None) -> list[MigrationBranch]:
    """The branches that run in a schema: the packages' own, plus ``addons``'."""
    chosen = set(addons or ())
    return [branch for branch in migration_branches(registry, scope)
            if scope == "public" or branch.addon is None or branch.addon in chosen]


def alembic_config(registry: IComponentLookup, scope: str) -> Config:
    """An Alembic config knowing every branch of ``scope`` (for the revision graph)."""
    config = _config(str(branch.location) for branch in migration_branches(registry, scope))
    config.attributes["scope"] = scope
    return config


@functools.lru_cache(maxsize=256)
def _branch_heads(locations: tuple[str, ...], labels: tuple[str, ...]) -> tuple[str, ...]:
    script = ScriptDirectory.from_config(_config(locations))
    heads: set[str] = set()
    for label in labels:
        heads.update(revision.revision for revision in script.get_revisions(f"{label}@head"))
    return tuple(sorted(heads))


def target_heads(registry: IComponentLookup, scope: str,
                 addons: Iterable[str] | None = None) -> tuple[str, ...]:
    """The head revision of each branch that runs in a schema of ``scope``."""
    every = tuple(str(branch.location) for branch in migration_branches(registry, scope))
    labels = tuple(branch.name for branch in branches_for(registry, scope, addons))
    return _branch_heads(every, labels)


def current_heads(connection: Connection, schema: str) -> tuple[str, ...]:
    """The revisions a schema is at (empty when it was never migrated)."""
    context = MigrationContext.configure(
        connection, opts={"version_table_schema": schema, "version_table": VERSION_TABLE}
    )
    return tuple(sorted(context.get_current_heads()))


def upgrade_schema(connection: Connection, registry: IComponentLookup, scope: str,
                   schema: str, addons: Iterable[str] | None = None) -> None:
    """Bring each branch running in ``schema`` to its head, on the caller's transaction."""
    config = alembic_config(registry, scope)
    config.attributes["connection"] = connection
    config.attributes["schema"] = schema
    for branch in branches_for(registry, scope, addons):
        command.upgrade(config, f"{branch.name}@head")


def pending(connection: Connection, registry: IComponentLookup, scope: str,
            schema: str, addons: Iterable[str] | None = None) -> bool:
    """Whether some branch running in ``schema`` is behind its head."""
    target = set(target_heads(registry, scope, addons))
    return not target.issubset(current_heads(connection, schema))


def set_search_path(connection: Connection, schemas: Iterable[str]) -> None:
    """Point unqualified names at ``schemas`` for this transaction only."""
    quote = connection.dialect.identifier_preparer.quote_schema
    # nosemgrep: jimu-sql-string-formatting - every name is quoted by the dialect's preparer
    connection.execute(text("SET LOCAL search_path TO " + ", ".join(quote(s) for s in schemas)))
