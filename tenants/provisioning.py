"""Creating and archiving tenants.

A tenant's schema is created by one compiled DDL script (built once per process
from the tenant metadata, with the schema name left as a token) and stamped with
the head of every migration branch, all in one transaction: provisioning either
happens whole or not at all, and running it again changes nothing.
"""

from __future__ import annotations

import zlib
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
    text,
)
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex, CreateTable
from zope.interface import implementer

from jimucrm.core.interfaces import IDatabase, ITenantDirectory, ITenantProvisioned
from jimucrm.core.models import TENANT_SCHEMA, TenantBase

from .directory import TenantInfo
from .migrate import VERSION_TABLE, target_heads
from .models import Tenant
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
    tenant: TenantInfo
    session: Session
    admin_email: str | None = None
    admin_password: str | None = None
    demo: bool = False


def compile_tenant_ddl(connection: Connection, heads: tuple[str, ...]) -> str:
    """The whole tenant schema as one SQL script, the schema name left as a token."""
    dialect = connection.dialect
    translate = {TENANT_SCHEMA: TENANT_SCHEMA}  # renders the schema as a token
    statements = [f'CREATE SCHEMA {SCHEMA_TOKEN}']
    for table in TenantBase.metadata.sorted_tables:
        statements.append(str(CreateTable(table).compile(
            dialect=dialect, schema_translate_map=translate)).strip())
        for index in sorted(table.indexes, key=lambda ix: ix.name or ""):
            statements.append(str(CreateIndex(index).compile(
                dialect=dialect, schema_translate_map=translate)).strip())
    statements.append(str(CreateTable(_VERSION).compile(
        dialect=dialect, schema_translate_map=translate)).strip())
    for head in heads:
        stamp = insert(_VERSION).values(version_num=head)
        statements.append(str(stamp.compile(
            dialect=dialect, schema_translate_map=translate,
            compile_kwargs={"literal_binds": True})))
    return ";\n".join(statements) + ";\n"


class Provisioner:
    """Creates, finds and archives tenants in the platform registry."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.database: IDatabase = registry.getUtility(IDatabase)
        self._script: str | None = None

    def tenant_script(self, connection: Connection, schema_name: str) -> str:
        """The DDL script for one schema (compiled once, then only substituted)."""
        if self._script is None:
            self._script = compile_tenant_ddl(connection, target_heads(self.registry, "tenant"))
        quoted = connection.dialect.identifier_preparer.quote_schema(schema_name)
        return self._script.replace(SCHEMA_TOKEN, quoted)

    def create(
        self,
        slug: str,
        name: str,
        *,
        admin_email: str | None = None,
        admin_password: str | None = None,
        demo: bool = False,
    ) -> tuple[TenantInfo, bool]:
        """Provision ``slug``; return the tenant and whether it was created now."""
        validate_slug(slug)
        schema_name = schema_for(slug)
        with self.database.engine.begin() as connection:
            # Two concurrent creates of one slug: the second waits, then finds it.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": zlib.crc32(schema_name.encode())})
            session = Session(bind=connection)
            existing = session.scalars(select(Tenant).where(Tenant.slug == slug)).one_or_none()
            if existing is not None:
                if existing.status != "active":
                    raise TenantArchived(slug)
                return TenantInfo.of(existing), False
            row = Tenant(slug=slug, name=name, schema_name=schema_name, status="active")
            session.add(row)
            session.flush()
            connection.exec_driver_sql(self.tenant_script(connection, schema_name))
            tenant = TenantInfo.of(row)
            tenant_session = Session(bind=connection.execution_options(
                schema_translate_map={TENANT_SCHEMA: schema_name}))
            self.registry.notify(TenantProvisioned(
                tenant, tenant_session, admin_email, admin_password, demo))
            tenant_session.flush()
        self.registry.getUtility(ITenantDirectory).forget(slug)
        return tenant, True

    def archive(self, slug: str) -> TenantInfo:
        """Mark ``slug`` archived: its schema and data stay, its URLs answer 410."""
        with self.database.session() as session, session.begin():
            row = session.scalars(select(Tenant).where(Tenant.slug == slug)).one_or_none()
            if row is None:
                raise LookupError(slug)
            row.status = "archived"
            row.archived_at = datetime.now(UTC)
            tenant = TenantInfo.of(row)
        self.registry.getUtility(ITenantDirectory).forget(slug)
        return tenant

    def all(self) -> list[TenantInfo]:
        """Every tenant, by slug."""
        with self.database.session() as session:
            return [TenantInfo.of(row) for row in
                    session.scalars(select(Tenant).order_by(Tenant.slug))]
