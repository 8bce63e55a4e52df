"""Per-schema migrations: compiled provisioning equals migrating; failures stay local."""

from click.testing import CliRunner
from sqlalchemy import text

from jimucrm.core.cli import cli
from jimucrm.core.interfaces import IDatabase
from jimucrm.tenants.interfaces import ITenantProvisioner
from jimucrm.tenants.migrate import current_heads, target_heads, upgrade_schema

COLUMNS = """
SELECT c.table_name, c.column_name, c.data_type, c.is_nullable,
       coalesce(c.character_maximum_length, 0)
FROM information_schema.columns c WHERE c.table_schema = :schema
ORDER BY 1, 2
"""
INDEXES = "SELECT indexname FROM pg_indexes WHERE schemaname = :schema ORDER BY 1"
CONSTRAINTS = """
SELECT conname, contype FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
WHERE n.nspname = :schema ORDER BY 1
"""


def _shape(connection, schema):
    return [connection.execute(text(sql), {"schema": schema}).all()
            for sql in (COLUMNS, INDEXES, CONSTRAINTS)]


def test_provisioned_schema_equals_migrated_schema(registry, tenant):
    """The compiled DDL script and the Alembic branches describe the same schema."""
    database = registry.getUtility(IDatabase)
    addons = registry.getUtility(ITenantProvisioner).default_addons()
    with database.engine.begin() as connection:
        connection.execute(text("CREATE SCHEMA t_migrated_probe"))
        upgrade_schema(connection, registry, "tenant", "t_migrated_probe", addons)
        migrated = _shape(connection, "t_migrated_probe")
        provisioned = _shape(connection, tenant.schema_name)
        assert current_heads(connection, "t_migrated_probe") == \
            target_heads(registry, "tenant", addons)
        connection.execute(text("DROP SCHEMA t_migrated_probe CASCADE"))
    for part, got, expected in zip(("columns", "indexes", "constraints"), migrated, provisioned,
                                   strict=True):
        # The symmetric difference names what differs; a bare list diff is unreadable.
        assert set(got) ^ set(expected) == set(), part
        assert got == expected, part


def test_migrate_all_reports_failures_and_goes_on(registry, make_tenant, servers, settings):
    database = registry.getUtility(IDatabase)
    broken, behind = make_tenant("坏租户"), make_tenant("落后租户")
    with database.engine.begin() as connection:
        # broken: its version row is gone but the table is still there -> CREATE fails.
        connection.execute(text(
            f"DELETE FROM {broken.schema_name}.alembic_version WHERE version_num LIKE 'contacts%'"))
        # behind: never got the contacts branch -> it will be migrated.
        connection.execute(text(
            f"DELETE FROM {behind.schema_name}.alembic_version WHERE version_num LIKE 'contacts%'"))
        # CASCADE: other addons (crm) have foreign keys into contacts.
        for table in ("contact_tag_links", "company_tag_links", "contacts", "companies",
                      "contact_tags"):
            connection.execute(text(f"DROP TABLE {behind.schema_name}.{table} CASCADE"))

    result = CliRunner().invoke(
        cli, ["--database-url", servers.database_url, "--redis-url", servers.redis_url,
              "tenant", "migrate", "--all"],
        env={"JIMU_SECRET_KEY": settings["jimu.secret_key"]})
    assert result.exit_code == 1, result.output
    assert broken.slug in result.output
    heads = target_heads(registry, "tenant", registry.getUtility(ITenantProvisioner)
                         .default_addons())
    with database.engine.connect() as connection:
        assert current_heads(connection, behind.schema_name) == heads
        assert current_heads(connection, broken.schema_name) != heads
        assert connection.execute(text(f"SELECT count(*) FROM {behind.schema_name}.contacts")
                                  ).scalar() == 0

    # Resumable: the second run has nothing left to do but the broken tenant.
    with database.engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {broken.schema_name} CASCADE"))
        connection.execute(text("UPDATE public.tenants SET status = 'archived' WHERE slug = :s"),
                           {"s": broken.slug})
    again = CliRunner().invoke(
        cli, ["--database-url", servers.database_url, "--redis-url", servers.redis_url,
              "tenant", "migrate", "--all"],
        env={"JIMU_SECRET_KEY": settings["jimu.secret_key"]})
    assert again.exit_code == 0, again.output


def test_migrate_needs_slug_or_all(servers, settings):
    result = CliRunner().invoke(
        cli, ["--database-url", servers.database_url, "--redis-url", servers.redis_url,
              "tenant", "migrate"], env={"JIMU_SECRET_KEY": settings["jimu.secret_key"]})
    assert result.exit_code == 2
