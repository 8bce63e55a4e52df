"""Per-tenant addons: guard, menu, settings page, CLI, atomic enable."""

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from jimucrm.core.cli import cli
from jimucrm.core.interfaces import IDatabase
from jimucrm.tenants.interfaces import ITenantAddons, ITenantProvisioner


@pytest.fixture
def tenant(make_tenant, registry):
    """A tenant where contacts can be switched off: the addons built on it are disabled."""
    handle = make_tenant("甲公司")
    addons = registry.getUtility(ITenantAddons)
    dependents = sorted(addons.enabled(handle.slug) - {"contacts"})
    if dependents:
        addons.disable(handle.slug, dependents)
    return handle


@pytest.fixture
def admin_client(app, tenant, make_user, login):
    login(app, tenant, make_user(tenant, "boss", is_admin=True)).follow()
    return app


def _cli(servers, settings, *args):
    return CliRunner().invoke(
        cli, ["--database-url", servers.database_url, "--redis-url", servers.redis_url, *args],
        env={"JIMU_SECRET_KEY": settings["jimu.secret_key"]})


def test_disabled_addon_is_404_and_leaves_the_menu(admin_client, tenant, registry):
    form = admin_client.get(f"{tenant.prefix}/contacts/new").forms["contact-form"]
    form["name"] = "保留的联系人"
    detail = form.submit().follow()
    registry.getUtility(ITenantAddons).disable(tenant.slug, ["contacts"])

    home = admin_client.get(f"{tenant.prefix}/")
    assert "/contacts/" not in home.text
    admin_client.get(f"{tenant.prefix}/contacts/", status=404)
    admin_client.get(detail.request.path, status=404)

    registry.getUtility(ITenantAddons).enable(tenant.slug, ["contacts"])
    assert "保留的联系人" in admin_client.get(detail.request.path).text


def test_anonymous_gets_404_not_login_for_a_disabled_addon(app, tenant, registry):
    registry.getUtility(ITenantAddons).disable(tenant.slug, ["contacts"])
    app.get(f"{tenant.prefix}/contacts/", status=404)


def test_settings_page_toggles_addons(admin_client, tenant, registry):
    page = admin_client.get(f"{tenant.prefix}/settings/addons")
    assert "contacts" in page.text
    form = page.forms["addon-form-contacts"]
    response = form.submit("action", value="disable").follow()
    assert "contacts" not in registry.getUtility(ITenantAddons).enabled(tenant.slug)
    assert 'class="flash"' in response.text
    form = response.forms["addon-form-contacts"]
    form.submit("action", value="enable").follow()
    assert "contacts" in registry.getUtility(ITenantAddons).enabled(tenant.slug)


def test_settings_page_needs_an_admin(logged_in, tenant):
    logged_in.get(f"{tenant.prefix}/settings/addons", status=403)
    assert "/settings/addons" not in logged_in.get(f"{tenant.prefix}/").text


def test_settings_post_needs_csrf(admin_client, tenant):
    admin_client.post(f"{tenant.prefix}/settings/addons",
                      {"addon": "contacts", "action": "disable"}, status=400)


def test_cli_enable_disable_and_errors(servers, settings, tenant, registry):
    result = _cli(servers, settings, "addon", "disable", tenant.slug, "contacts")
    assert result.exit_code == 0, result.output
    assert "contacts" not in registry.getUtility(ITenantAddons).enabled(tenant.slug)
    result = _cli(servers, settings, "addon", "enable", tenant.slug, "contacts")
    assert result.exit_code == 0, result.output
    assert "contacts" in registry.getUtility(ITenantAddons).enabled(tenant.slug)
    result = _cli(servers, settings, "addon", "enable", tenant.slug, "no_such_addon")
    assert result.exit_code == 1 and "no_such_addon" in result.output
    result = _cli(servers, settings, "addon", "enable", "no-such-tenant", "contacts")
    assert result.exit_code == 1 and "no-such-tenant" in result.output
    listed = _cli(servers, settings, "addon", "list", "--tenant", tenant.slug)
    assert listed.exit_code == 0 and "contacts" in listed.output


def test_failed_enable_leaves_the_tenant_as_it_was(registry):
    tenant, _ = registry.getUtility(ITenantProvisioner).create("bare-tenant", "空白",
                                                               addons=[])
    database = registry.getUtility(IDatabase)
    with database.engine.begin() as connection:
        # Something in the way: the contacts migration's CREATE TABLE will fail.
        connection.execute(text(f"CREATE TABLE {tenant.schema_name}.contacts (x int)"))
        versions_before = connection.execute(text(
            f"SELECT version_num FROM {tenant.schema_name}.alembic_version")).scalars().all()
    with pytest.raises(Exception):  # noqa: B017 - the database's own error
        registry.getUtility(ITenantAddons).enable("bare-tenant", ["contacts"])
    assert registry.getUtility(ITenantAddons).enabled("bare-tenant") == frozenset()
    with database.engine.connect() as connection:
        assert connection.execute(text(
            f"SELECT version_num FROM {tenant.schema_name}.alembic_version")).scalars().all() \
            == versions_before


def test_enable_runs_migrations_for_a_tenant_created_without_the_addon(registry, app):
    tenant, _ = registry.getUtility(ITenantProvisioner).create("late-contacts", "后来者",
                                                               addons=[])
    app.get("/t/late-contacts/contacts/", status=404)
    assert registry.getUtility(ITenantAddons).enable("late-contacts", ["contacts"]) == \
        ["contacts"]
    with registry.getUtility(IDatabase).engine.connect() as connection:
        assert connection.execute(text(
            f"SELECT count(*) FROM {tenant.schema_name}.contacts")).scalar() == 0
    app.get("/t/late-contacts/contacts/", status=302)  # now there: log in first
