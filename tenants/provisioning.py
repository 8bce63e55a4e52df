"""Creating and archiving tenants.

A tenant's schema is created by one DDL script compiled once per process and
addon set (from the tenant metadata, with the schema name left as a token) and
stamped with the head of every migration branch it runs, all in one
transaction: provisioning happens whole or not at all, and running it again
changes nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from pyramid.registry import Registry
from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex, CreateTable
from zope.interface import implementer

from jimucrm.core.addons.data import load_data_file
from jimucrm.core.addons.graph import closure
from jimucrm.core.events import ITenantProvisioned, notify
from jimucrm.core.interfaces import IAddonCatalogue, IDatabase, ITenantDirectory
from jimucrm.core.models import TENANT_SCHEMA, TenantBase

from .directory import TenantInfo
from .interfaces import ITenantProvisioner
from .migrate import VERSION_TABLE, target_heads
from .models import Tenant, TenantAddon
from .slugs import schema_for, validate_slug

SCHEMA_TOKEN = f"__[SCHEMA_{TENANT_SCHEMA}]"

# Alembic's version table, as Alembic itself creates it, inside the tenant schema.
_VERSION = Table(
    VERSION_TABLE, MetaData(schema=TENANT_SCHEMA),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name=f"{VERSION_TABLE}_pkc"),
)


class TenantArchived(Exception):
    """The slug belongs to an archived tenant; it is not silently reused."""


@implementer(ITenantProvisioned)
@dataclass
class TenantProvisioned:
    registry: Registry
    tenant: TenantInfo
    session: Session
    admin_email: str | None = None
    admin_password: str | None = None
    demo: bool = False


def tables_for(catalogue, addons: Iterable[str]) -> list[Table]:
    """The tenant tables of core packages and of ``addons``, in dependency order."""
    chosen = set(addons)
    owners = {mapper.local_table: catalogue.addon_of(mapper.class_.__module__)
              for mapper in TenantBase.registry.mappers}

    def needed(table: Table) -> set[str]:
        if table in owners:
            return {owners[table]} - {None}
        if "addon" in table.info:
            return {table.info["addon"]}
        # A table with no class of its own (a many-to-many link) goes with the tables it
        # links: made only when every addon owning one of them is chosen.
        return {owners.get(key.column.table) for key in table.foreign_keys} - {None}

    return [table for table in TenantBase.metadata.sorted_tables if needed(table) <= chosen]


def compile_tenant_ddl(connection: Connection, tables: list[Table],
                       heads: tuple[str, ...]) -> str:
    """The whole tenant schema as one SQL script, the schema name left as a token."""
    dialect = connection.dialect
    translate = {TENANT_SCHEMA: TENANT_SCHEMA}  # renders the schema as a token

    def compiled(element, **kw) -> str:
        return str(element.compile(dialect=dialect, schema_translate_map=translate, **kw)).strip()

    statements = [f"CREATE SCHEMA {SCHEMA_TOKEN}"]
    for table in tables:
        statements.append(compiled(CreateTable(table)))
        statements.extend(compiled(CreateIndex(index))
                          for index in sorted(table.indexes, key=lambda ix: ix.name or ""))
    statements.append(compiled(CreateTable(_VERSION)))
    statements.extend(compiled(insert(_VERSION).values(version_num=head),
                               compile_kwargs={"literal_binds": True}) for head in heads)
    return ";\n".join(statements) + ";\n"


@implementer(ITenantProvisioner)
class Provisioner:
    """Creates, finds and archives tenants in the platform registry."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.database: IDatabase = registry.getUtility(IDatabase)
        self.catalogue = registry.getUtility(IAddonCatalogue)
        self._scripts: OrderedDict[frozenset[str], str] = OrderedDict()

    def default_addons(self) -> frozenset[str]:
        """What a new tenant starts with: ``jimu.default_addons`` and their dependencies."""
        wanted = self.registry.settings["jimu.default_addons"]
        names = self.catalogue.order if wanted == ["*"] else wanted
        return frozenset(closure(self.catalogue.manifests, names))

    def tenant_script(self, connection: Connection, schema_name: str,
                      addons: frozenset[str]) -> str:
        """The DDL script for one schema (compiled once per addon set, then substituted)."""
        script = self._scripts.get(addons)
        if script is None:
            script = self._scripts[addons] = compile_tenant_ddl(
                connection, tables_for(self.catalogue, addons),
                target_heads(self.registry, "tenant", addons))
            if len(self._scripts) > 64:  # a handful of industry templates in practice
                self._scripts.popitem(last=False)
        quoted = connection.dialect.identifier_preparer.quote_schema(schema_name)
        return script.replace(SCHEMA_TOKEN, quoted)

    def create(
        self,
        slug: str,
        name: str,
        *,
        admin_email: str | None = None,
        admin_password: str | None = None,
        demo: bool = False,
        addons: Iterable[str] | None = None,
    ) -> tuple[TenantInfo, bool]:
        """Provision ``slug``; return the tenant and whether it was created now."""
        validate_slug(slug)
        schema_name = schema_for(slug)
        chosen = (self.default_addons() if addons is None
                  else frozenset(closure(self.catalogue.manifests, addons)))
        self.catalogue.check_set(chosen)
        with self.database.engine.begin() as connection:
            # A concurrent create of the same slug waits on the unique index, then
            # inserts nothing: the slug's row decides who provisions.
            tenant_id = connection.execute(
                pg_insert(Tenant).values(slug=slug, name=name, schema_name=schema_name,
                                         status="active")
                .on_conflict_do_nothing().returning(Tenant.id)).scalar_one_or_none()
            if tenant_id is None:
                return self._existing(connection, slug), False
            if chosen:
                connection.execute(insert(TenantAddon), [
                    {"tenant_id": tenant_id, "addon": addon, "enabled": True,
                     "data_loaded": True} for addon in sorted(chosen)])
            connection.exec_driver_sql(self.tenant_script(connection, schema_name, chosen))
            tenant = TenantInfo(tenant_id, slug, name, schema_name, "active", chosen)
            tenant_session = Session(bind=connection.execution_options(
                schema_translate_map={TENANT_SCHEMA: schema_name}))
            self._load_data(tenant_session, chosen, demo)
            notify(self.registry, TenantProvisioned(
                self.registry, tenant, tenant_session, admin_email, admin_password, demo), chosen)
            tenant_session.flush()
        self.registry.getUtility(ITenantDirectory).invalidate()
        return tenant, True

    @staticmethod
    def _existing(connection: Connection, slug: str) -> TenantInfo:
        row = Session(bind=connection).scalars(select(Tenant).where(Tenant.slug == slug)).one()
        if row.status != "active":
            raise TenantArchived(slug)
        return TenantInfo.of(row)

    def _load_data(self, session: Session, addons: frozenset[str], demo: bool) -> None:
        for addon in self.catalogue.order:
            if addon not in addons:
                continue
            manifest = self.catalogue.manifests[addon]
            for relative in manifest.data + (manifest.demo if demo else ()):
                load_data_file(session, manifest, relative)

    def archive(self, slug: str) -> TenantInfo:
        """Mark ``slug`` archived: its schema and data stay, its URLs answer 410."""
        with self.database.session() as session, session.begin():
            row = session.scalars(select(Tenant).where(Tenant.slug == slug)).one_or_none()
            if row is None:
                raise LookupError(slug)
            row.status = "archived"
            row.archived_at = datetime.now(UTC)
            tenant = TenantInfo.of(row)
        self.registry.getUtility(ITenantDirectory).invalidate()
        return tenant

    def all(self) -> list[TenantInfo]:
        """Every tenant, by slug, with its enabled addons."""
        with self.database.session() as session:
            enabled: dict[int, set[str]] = {}
            for tenant_id, addon in session.execute(
                    select(TenantAddon.tenant_id, TenantAddon.addon)
                    .where(TenantAddon.enabled.is_(True))):
                enabled.setdefault(tenant_id, set()).add(addon)
            return [TenantInfo.of(row, frozenset(enabled.get(row.id, ())))
                    for row in session.scalars(select(Tenant).order_by(Tenant.slug))]
