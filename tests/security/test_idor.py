"""Cross-tenant IDOR sweep: every route of the route table, with another tenant's ids.

Tenant A owns a record; B's administrator tries every route, with every method, with
A's ids, and A's own session is tried on B. Expected: 404 (or a redirect to the login
page) for anything naming a record, never A's data, and A's record unchanged.
tests/functional/test_isolation.py covers the listing, search and CLI paths.
"""

from __future__ import annotations

import re

import webtest
from sqlalchemy import text

from jimucrm.core.interfaces import IDatabase

SECRET = "甲方机密-越权测试"
ALICE = "alice 用户"


# A's record gets an id that B's own small tables (users, roles, teams: 1, 2, …) do
# not have, so a 404 for it means "not A's record", not "B has no row 1".
FIRST_CONTACT_ID = 7001


def _setup(app, make_tenant, make_user, login, registry):
    a, b = make_tenant("甲公司"), make_tenant("乙公司")
    make_user(a, "alice", is_admin=True)
    make_user(b, "bob", is_admin=True)
    with registry.getUtility(IDatabase).session(a.schema_name) as session, session.begin():
        session.execute(text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :value, "
                             "false)"),
                        {"table": f"{a.schema_name}.contacts", "value": FIRST_CONTACT_ID})
    login(app, a, "alice").follow()
    form = app.get(f"{a.prefix}/contacts/new").forms["contact-form"]
    form["name"], form["phone"], form["notes"] = SECRET, "13800138000", SECRET
    detail = form.submit().follow()
    contact_id = re.search(r"/contacts/(\d+)$", detail.request.path).group(1)
    alice_cookie = app.cookies["jimu_session"]
    app.reset()
    login(app, b, "bob").follow()
    return a, b, contact_id, alice_cookie


def _is_id(placeholder: str) -> bool:
    return placeholder == "id" or placeholder.endswith("_id")


def test_every_route_with_another_tenants_ids(app, wsgi_app, make_tenant, make_user, login,
                                              sweep, registry):
    a, b, contact_id, _ = _setup(app, make_tenant, make_user, login, registry)
    token = sweep.csrf_token(app, b.prefix)
    # A's ids, plus small ids that exist in every tenant's own tables (users, …).
    for ids in (contact_id, "1", "2"):
        for route in sweep.route_table(wsgi_app):
            path = b.prefix + route.path(ids)
            names_a_record = any(_is_id(p) for p in route.placeholders)
            page = app.get(path, status="*")
            assert SECRET not in page.text and ALICE not in page.text, (route.name, path)
            if names_a_record and ids == contact_id:
                assert page.status_int == 404 or sweep.needs_login(page), \
                    (route.name, path, page.status)
            for method in sweep.UNSAFE_METHODS:
                response = app.request(path, method=method, body=f"csrf_token={token}".encode(),
                                       content_type="application/x-www-form-urlencoded",
                                       headers={"X-CSRF-Token": token}, expect_errors=True)
                assert SECRET not in response.text, (method, route.name, path)
                if names_a_record and ids == contact_id:
                    assert response.status_int in (404, 405) or \
                        sweep.needs_login(response), (method, route.name, response.status)
    # Nothing of A's changed.
    owner = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
    login(owner, a, "alice").follow()
    record = owner.get(f"{a.prefix}/contacts/{contact_id}")
    assert record.text.count(SECRET) >= 2
    assert owner.get(f"{a.prefix}/contacts/").text.count(SECRET) == 1


def test_a_session_is_worth_nothing_in_another_tenant(app, wsgi_app, make_tenant, make_user,
                                                       login, sweep, registry):
    a, b, contact_id, alice_cookie = _setup(app, make_tenant, make_user, login, registry)
    anonymous = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
    stolen = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
    stolen.set_cookie("jimu_session", alice_cookie)
    # The cookie works in A …
    assert stolen.get(f"{a.prefix}/contacts/{contact_id}").status_int == 200
    # … and in B it is exactly as good as no session at all.
    for route in sweep.route_table(wsgi_app):
        path = b.prefix + route.path(contact_id)
        with_cookie = stolen.get(path, status="*")
        without = anonymous.get(path, status="*")
        assert with_cookie.status_int == without.status_int, (route.name, path)
        assert ALICE not in with_cookie.text and SECRET not in with_cookie.text, route.name
        if with_cookie.status_int in (301, 302, 303):
            assert with_cookie.location.split("?")[0] == without.location.split("?")[0]
        for method in sweep.UNSAFE_METHODS:
            response = stolen.request(path, method=method, expect_errors=True)
            assert response.status_int in (400, 403, 404, 405) or \
                sweep.needs_login(response), (method, route.name, response.status)


def test_a_token_is_worth_nothing_in_another_tenant(app, wsgi_app, make_tenant, make_user,
                                                     login, sweep, registry):
    a, b, contact_id, _ = _setup(app, make_tenant, make_user, login, registry)
    owner = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
    login(owner, a, "alice").follow()
    form = owner.get(f"{a.prefix}/account/tokens").forms["token-form"]
    form["name"] = "越权测试"
    for box in form.fields["scopes"]:  # every permission alice (an administrator) holds
        box.checked = True
    created = form.submit(status=201)
    token = re.search(r'id="token-value" value="([^"]+)"', created.text).group(1)
    headers = {"Authorization": f"Bearer {token}"}
    script = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
    # The token works in A …
    assert SECRET in script.get(f"{a.prefix}/contacts/{contact_id}", headers=headers).text
    # … and in B every route, with every method, answers 401 and nothing else.
    for route in sweep.route_table(wsgi_app):
        path = b.prefix + route.path(contact_id)
        for method in ("GET", *sweep.UNSAFE_METHODS):
            response = script.request(path, method=method, headers=headers, expect_errors=True)
            assert response.status_int == 401, (method, route.name, response.status)
            assert response.json["error"]["code"] == "unauthenticated"
            assert SECRET not in response.text and ALICE not in response.text
