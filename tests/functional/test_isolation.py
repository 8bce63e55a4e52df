"""A record of tenant A is invisible from tenant B, through every URL and CLI path."""

import re

import pytest
from click.testing import CliRunner

from jimucrm.core.cli import cli

SECRET_NAME = "甲方机密联系人"


@pytest.fixture
def two_tenants(app, make_tenant, make_user, login):
    a, b = make_tenant("甲公司"), make_tenant("乙公司")
    make_user(a, "alice")
    make_user(b, "bob")
    login(app, a, "alice").follow()
    form = app.get(f"{a.prefix}/contacts/new").forms["contact-form"]
    form["name"] = SECRET_NAME
    form["phone"] = "13800138000"
    detail = form.submit().follow()
    contact_id = int(re.search(r"/contacts/(\d+)$", detail.request.path).group(1))
    app.reset()
    login(app, b, "bob").follow()
    return a, b, contact_id


def test_b_cannot_see_a_record_through_any_url(app, two_tenants, wsgi_app):
    a, b, contact_id = two_tenants
    assert SECRET_NAME not in app.get(f"{b.prefix}/contacts/").text
    assert SECRET_NAME not in app.get(f"{b.prefix}/contacts/", {"q": "甲方"}).text
    assert SECRET_NAME not in app.get(f"{b.prefix}/contacts/", {"q": "138"}).text
    app.get(f"{b.prefix}/contacts/{contact_id}", status=404)
    # Walk every GET route of the app with A's record id, as B.
    mapper = wsgi_app.routes_mapper
    for route in mapper.get_routes():
        if route.name.startswith("__"):  # static views
            continue
        # Every placeholder gets A's id ({id}, {action}…), except the language code.
        values = dict.fromkeys(re.findall(r"\{(\w+)", route.pattern), str(contact_id))
        path = route.generate({**values, "code": "en"})
        response = app.get(f"{b.prefix}{path}", expect_errors=True)
        assert SECRET_NAME not in response.text, route.name


def test_a_session_is_not_valid_in_b(app, two_tenants):
    a, b, contact_id = two_tenants
    app.reset()
    from webtest import TestApp  # noqa: F401 - same client, fresh cookies

    # Log in as alice in A, then use the same cookies on B.
    form = app.get(f"{a.prefix}/login").form
    form["login"], form["password"] = "alice", "correct-horse-电池-staple"
    form.submit(status=303)
    response = app.get(f"{b.prefix}/contacts/{contact_id}", status=302)
    assert "/login" in response.location
    response = app.get(f"{b.prefix}/", status=302)
    assert "/login" in response.location


def test_a_user_of_a_cannot_log_in_to_b(app, two_tenants, login):
    a, b, _ = two_tenants
    app.reset()
    page = login(app, b, "alice")
    assert page.status_int == 400


def test_cli_shows_no_tenant_data(two_tenants, servers, settings):
    runner = CliRunner()
    env = {"JIMU_SECRET_KEY": settings["jimu.secret_key"]}
    result = runner.invoke(cli, ["--database-url", servers.database_url,
                                 "--redis-url", servers.redis_url, "tenant", "list"], env=env)
    assert result.exit_code == 0, result.output
    assert SECRET_NAME not in result.output
