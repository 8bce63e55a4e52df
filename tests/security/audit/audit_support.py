"""What the audit-log tests share (plain functions: the fixtures are tests/conftest.py's)."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import select, text

from jimucrm.core.interfaces import IDatabase
from jimucrm.security.audit.models import AuditEntry


def entries(registry, tenant, **where) -> list[AuditEntry]:
    """The tenant's audit entries, oldest first, filtered by column values."""
    database = registry.getUtility(IDatabase)
    with database.session(tenant.schema_name) as session:
        query = select(AuditEntry).filter_by(**where).order_by(AuditEntry.id)
        return list(session.scalars(query))


TRIGGER_OFF = {
    "audit_log": "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
    "audit_seals": "ALTER TABLE audit_seals DISABLE TRIGGER audit_seals_append_only",
}


@contextmanager
def in_schema(registry, tenant):
    """A transaction whose unqualified table names are the tenant's."""
    database = registry.getUtility(IDatabase)
    with database.engine.begin() as connection:
        connection.execute(text("SELECT set_config('search_path', :schema, true)"),
                           {"schema": tenant.schema_name})
        yield connection


@contextmanager
def tampering(registry, tenant, *tables: str):
    """:func:`in_schema`, with the append-only trigger of ``tables`` (default: the log)
    off for the transaction.

    What a database superuser (or the schema's owner) could do; the seals must
    reveal it.
    """
    tables = tables or ("audit_log",)
    with in_schema(registry, tenant) as connection:
        for table in tables:
            connection.execute(text(TRIGGER_OFF[table]))
        yield connection
        for table in tables:
            connection.execute(text(TRIGGER_OFF[table].replace("DISABLE", "ENABLE")))
