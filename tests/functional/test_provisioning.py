"""Provisioning: idempotent, atomic, validated."""

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from jimucrm.addons.contacts.models import Company, Contact
from jimucrm.core.cli import cli
from jimucrm.core.interfaces import IDatabase
from jimucrm.tenants.interfaces import ITenantProvisioner
from jimucrm.tenants.migrate import current_heads, target_heads
from jimucrm.tenants.models import Tenant
from jimucrm.tenants.slugs import InvalidSlug


def _schemas(database, pattern):
    with database.engine.connect() as connection:
        return connection.execute(text(
            "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE :p"
        ), {"p": pattern}).scalars().all()


def test_provisioning_twice_is_harmless(registry, make_tenant):
    provisioner = registry.getUtility(ITenantProvisioner)
    database = registry.getUtility(IDatabase)
    first = make_tenant("重复公司", demo=True)
    with database.session(first.schema_name) as session:
        contacts_before = session.scalar(select(func.count()).select_from(Contact))
    again, created = provisioner.create(first.slug, "重复公司", demo=True)
    assert created is False
    assert again.schema_name == first.schema_name
    with database.session(first.schema_name) as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == contacts_before
    with database.session() as session:
        assert session.scalar(
            select(func.count()).select_from(Tenant).where(Tenant.slug == first.slug)) == 1


def test_new_tenant_schema_is_at_migration_heads(registry, tenant):
    database = registry.getUtility(IDatabase)
    with database.engine.connect() as connection:
        assert current_heads(connection, tenant.schema_name) == target_heads(
            registry, "tenant", registry.getUtility(ITenantProvisioner).default_addons())


def test_demo_tenant_has_chinese_sample_data(registry, make_tenant):
    demo = make_tenant("示例", demo=True)
    database = registry.getUtility(IDatabase)
    with database.session(demo.schema_name) as session:
        names = session.scalars(select(Company.name).join(Contact.company)).all()
    assert len(names) >= 50
    assert any("有限公司" in name for name in names)


@pytest.mark.parametrize("slug", ["Acme", "a", "-acme", "acme-", "ac--me", "ac_me", "public",
                                  "admin", "x" * 41, "acme; drop schema public", "t_acme", "中文"])
def test_bad_slug_is_refused_and_creates_nothing(registry, slug):
    database = registry.getUtility(IDatabase)
    before = _schemas(database, "t\\_%")
    with pytest.raises(InvalidSlug):
        registry.getUtility(ITenantProvisioner).create(slug, "坏")
    assert _schemas(database, "t\\_%") == before


def test_cli_bad_slug_gives_message_and_exit_code(servers, settings):
    result = CliRunner().invoke(
        cli, ["--database-url", servers.database_url, "--redis-url", servers.redis_url,
              "tenant", "create", "Bad_Slug", "--name", "x"],
        env={"JIMU_SECRET_KEY": settings["jimu.secret_key"]}, standalone_mode=True)
    assert result.exit_code != 0
    assert "slug" in result.output.lower() or "标识" in result.output


def test_cli_create_is_idempotent(servers, settings, registry):
    args = ["--database-url", servers.database_url, "--redis-url", servers.redis_url,
            "tenant", "create", "cli-twice", "--name", "命令行公司", "--admin-email", "a@b.cn"]
    env = {"JIMU_SECRET_KEY": settings["jimu.secret_key"]}
    first = CliRunner().invoke(cli, args, env=env)
    second = CliRunner().invoke(cli, args, env=env)
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "admin /" in first.output
    assert "admin /" not in second.output
    slugs = [t.slug for t in registry.getUtility(ITenantProvisioner).all()]
    assert slugs.count("cli-twice") == 1


@pytest.mark.extension_point("jimucrm.core.events.ITenantProvisioned")
def test_failed_provisioning_leaves_nothing(registry, config):
    """A subscriber failing mid-provisioning rolls back the tenant row and schema."""
    from jimucrm.core.events import ITenantProvisioned

    def explode(event):
        raise RuntimeError("boom")

    registry.registerHandler(explode, (ITenantProvisioned,))
    try:
        with pytest.raises(RuntimeError):
            registry.getUtility(ITenantProvisioner).create("half-made", "半成品")
    finally:
        registry.unregisterHandler(explode, (ITenantProvisioned,))
    database = registry.getUtility(IDatabase)
    assert _schemas(database, "t\\_half\\_made") == []
    assert "half-made" not in [t.slug for t in registry.getUtility(ITenantProvisioner).all()]
