"""Alembic, run per schema: the public schema, and every tenant schema.

Each package and addon keeps its own branch (``config.add_migration_branch``);
a tenant schema holds its own ``alembic_version`` table with one row per branch
head, so each tenant migrates, fails and resumes on its own.
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

from jimucrm.core.migrations import migration_branches

SCRIPT_LOCATION = "jimucrm.tenants:migrations"
VERSION_TABLE = "alembic_version"


def alembic_config(registry: IComponentLookup, scope: str) -> Config:
    """An Alembic config whose version locations are the branches of ``scope``."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    locations = [str(branch.location) for branch in migration_branches(registry, scope)]
    config.set_main_option("version_locations", " ".join(locations))
    config.set_main_option("path_separator", "space")
    config.attributes["scope"] = scope
    return config


@functools.lru_cache(maxsize=64)
def _heads(locations: tuple[str, ...]) -> tuple[str, ...]:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("version_locations", " ".join(locations))
    config.set_main_option("path_separator", "space")
    return tuple(sorted(ScriptDirectory.from_config(config).get_heads()))


def target_heads(registry: IComponentLookup, scope: str) -> tuple[str, ...]:
    """The head revision of every branch of ``scope``."""
    return _heads(tuple(str(b.location) for b in migration_branches(registry, scope)))


def current_heads(connection: Connection, schema: str) -> tuple[str, ...]:
    """The revisions a schema is at (empty when it was never migrated)."""
    context = MigrationContext.configure(
        connection, opts={"version_table_schema": schema, "version_table": VERSION_TABLE}
    )
    return tuple(sorted(context.get_current_heads()))


def upgrade_schema(
    connection: Connection, registry: IComponentLookup, scope: str, schema: str
) -> None:
    """Bring ``schema`` to the heads of ``scope`` on ``connection``'s transaction."""
    config = alembic_config(registry, scope)
    config.attributes["connection"] = connection
    config.attributes["schema"] = schema
    command.upgrade(config, "heads")


def pending(connection: Connection, registry: IComponentLookup, scope: str,
            schema: str) -> bool:
    """Whether ``schema`` is behind the heads of ``scope``."""
    return current_heads(connection, schema) != target_heads(registry, scope)


def set_search_path(connection: Connection, schemas: Iterable[str]) -> None:
    """Point unqualified names at ``schemas`` for this transaction only."""
    quote = connection.dialect.identifier_preparer.quote_schema
    connection.execute(text("SET LOCAL search_path TO " + ", ".join(quote(s) for s in schemas)))
