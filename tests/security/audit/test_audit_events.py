"""Logins, logouts and addon changes are recorded."""

import pytest
from audit_support import entries
from click.testing import CliRunner

from jimucrm.core.cli import cli
from jimucrm.core.interfaces import IAddonCatalogue


def test_a_successful_login_is_recorded(app, registry, tenant, make_user, login):
    username = make_user(tenant, "wang")
    login(app, tenant, username, "wrong")  # the audit trail starts with the failure
    login(app, tenant, username)
    failed, succeeded = entries(registry, tenant, model="users", action="login_failed") + \
        entries(registry, tenant, action="login")
    assert succeeded.username == "wang" and succeeded.user_id is not None
    assert succeeded.record_id == str(succeeded.user_id)
    assert succeeded.ip and succeeded.request_id
    assert failed.username == "wang" and failed.user_id == succeeded.user_id
    assert failed.details == {"login": "wang", "reason": "credentials"}


def test_a_login_as_nobody_is_recorded_with_the_name_tried(app, registry, tenant, login):
    login(app, tenant, "<script>nobody</script>", "guess")
    [failed] = entries(registry, tenant, action="login_failed")
    assert failed.user_id is None and failed.username is None
    assert failed.details["login"] == "<script>nobody</script>"


def test_lockout_and_refusals_while_locked_are_recorded(app, registry, tenant, make_user,
                                                       login):
    username = make_user(tenant, "locked")
    limit = registry.settings["jimu.login_max_failures"]
    for _ in range(limit):
        login(app, tenant, username, "wrong")
    assert login(app, tenant, username).status_int == 429
    reasons = [entry.details["reason"] for entry in
               entries(registry, tenant, action="login_failed")]
    assert reasons == ["credentials"] * (limit - 1) + ["locked", "locked"]


def test_logout_is_recorded(logged_in, registry, tenant):
    page = logged_in.get(f"{tenant.prefix}/")
    page.forms["logout-form"].submit()
    [logout] = entries(registry, tenant, action="logout")
    assert logout.username == "staff"


def _leaf_addon(registry) -> str:
    """An addon no other addon depends on, so it can be switched off on its own."""
    manifests = registry.getUtility(IAddonCatalogue).manifests
    needed = {requirement.name for manifest in manifests.values()
              for requirement in manifest.depends}
    return sorted(set(manifests) - needed)[0]


@pytest.mark.extension_point("jimucrm.core.events.ITenantAddonsChanged")
def test_addons_switched_on_the_settings_page_are_recorded(app, registry, tenant, make_user,
                                                          login):
    addon = _leaf_addon(registry)
    login(app, tenant, make_user(tenant, "boss", is_admin=True))
    page = app.get(f"{tenant.prefix}/settings/addons")
    page.forms[f"addon-form-{addon}"].submit(name="action", value="disable")
    page = app.get(f"{tenant.prefix}/settings/addons")
    page.forms[f"addon-form-{addon}"].submit(name="action", value="enable")
    disabled, enabled = entries(registry, tenant, model="addons")
    assert (disabled.action, disabled.record_id) == ("addon_disabled", addon)
    assert (enabled.action, enabled.record_id) == ("addon_enabled", addon)
    assert disabled.username == enabled.username == "boss"
    assert disabled.ip and disabled.request_id != enabled.request_id
    assert addon not in disabled.details["addons"]
    assert addon in enabled.details["addons"]


def test_addons_switched_from_the_command_line_are_recorded(registry, tenant, servers,
                                                           settings):
    def run(*args):
        result = CliRunner().invoke(
            cli, ["--database-url", servers.database_url, "--redis-url", servers.redis_url,
                  "addon", *args], env={"JIMU_SECRET_KEY": settings["jimu.secret_key"]})
        assert result.exit_code == 0, result.output

    run("disable", tenant.slug, _leaf_addon(registry))
    run("enable", tenant.slug, _leaf_addon(registry))
    disabled, enabled = entries(registry, tenant, model="addons")
    assert (disabled.action, enabled.action) == ("addon_disabled", "addon_enabled")
    assert disabled.user_id is None and disabled.ip is None
    assert disabled.details["via"] == "process" and disabled.details["os_user"]
