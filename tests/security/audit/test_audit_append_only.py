"""The database itself refuses to change or remove audit rows and seals."""

import pytest
from audit_support import in_schema
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from jimucrm.core.interfaces import IDatabase
from jimucrm.tenants.interfaces import ITenantProvisioner
from jimucrm.tenants.migrate import upgrade_schema

TRIGGERS = """
SELECT c.relname, t.tgname, t.tgtype, p.proname, pn.nspname = n.nspname AS same_schema
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_proc p ON p.oid = t.tgfoid
JOIN pg_namespace pn ON pn.oid = p.pronamespace
WHERE n.nspname = :schema AND NOT t.tgisinternal
ORDER BY 1, 2
"""
FUNCTIONS = """
SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = :schema ORDER BY 1
"""


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET username = 'someone else'",
    "DELETE FROM audit_log",
    "TRUNCATE audit_log",
    "UPDATE audit_seals SET digest = ''",
    "DELETE FROM audit_seals",
    "TRUNCATE audit_seals",
])
def test_updates_and_deletes_are_refused(registry, tenant, statement):
    with in_schema(registry, tenant) as connection:
        connection.execute(text("INSERT INTO audit_log (action) VALUES ('login')"))
    with pytest.raises(DBAPIError, match="append-only"), \
            in_schema(registry, tenant) as connection:
        connection.execute(text(statement))
    with in_schema(registry, tenant) as connection:
        assert connection.execute(text(
            "SELECT count(*) FROM audit_log WHERE username IS NULL")).scalar() == 1


def test_provisioned_and_migrated_schemas_have_the_same_triggers(registry, tenant):
    """Provisioning (compiled DDL + subscriber) and the migration agree on the triggers."""
    database = registry.getUtility(IDatabase)
    addons = registry.getUtility(ITenantProvisioner).default_addons()
    with database.engine.begin() as connection:
        connection.execute(text("CREATE SCHEMA t_audit_probe"))
        upgrade_schema(connection, registry, "tenant", "t_audit_probe", addons)

        def shape(schema):
            triggers = connection.execute(text(TRIGGERS), {"schema": schema}).all()
            functions = [(name, body.replace(schema, "<schema>")) for name, body in
                         connection.execute(text(FUNCTIONS), {"schema": schema})]
            return triggers, functions

        migrated, provisioned = shape("t_audit_probe"), shape(tenant.schema_name)
        connection.execute(text("DROP SCHEMA t_audit_probe CASCADE"))
    assert [row[:2] for row in provisioned[0]] == [
        ("audit_log", "audit_log_append_only"), ("audit_seals", "audit_seals_append_only")]
    assert all(row.same_schema and row.proname == "audit_append_only"
               for row in provisioned[0])
    assert migrated == provisioned
