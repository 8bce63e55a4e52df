"""Session fixation and session lifetime, through the real login form.

tests/functional/test_login.py checks that the id changes at login and that session data
is JSON; here: an id known before login (or planted by an attacker) is worthless after
it, and an id is worthless after logout.
"""

from __future__ import annotations

import webtest


def _client(wsgi_app, cookie: str | None = None) -> webtest.TestApp:
    client = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
    if cookie is not None:
        client.set_cookie("jimu_session", cookie)
    return client


def test_a_pre_login_session_id_is_useless_after_login(app, wsgi_app, tenant, make_user,
                                                       login):
    username = make_user(tenant, "fixated")
    app.get(f"{tenant.prefix}/login")
    planted = app.cookies["jimu_session"]  # what an attacker could have fixed
    login(app, tenant, username).follow()
    assert app.cookies["jimu_session"] != planted
    assert app.get(f"{tenant.prefix}/contacts/").status_int == 200
    attacker = _client(wsgi_app, planted)
    response = attacker.get(f"{tenant.prefix}/contacts/", status=302)
    assert "/login" in response.location
    assert "fixated 用户" not in attacker.get(f"{tenant.prefix}/login").text


def test_an_invented_session_id_is_not_adopted(wsgi_app, tenant, make_user, login):
    username = make_user(tenant, "invented")
    victim = _client(wsgi_app, "attacker-chosen-session-id")
    login(victim, tenant, username).follow()
    assert victim.cookies["jimu_session"] != "attacker-chosen-session-id"
    attacker = _client(wsgi_app, "attacker-chosen-session-id")
    attacker.get(f"{tenant.prefix}/contacts/", status=302)


def test_a_session_id_is_useless_after_logout(app, wsgi_app, tenant, make_user, login):
    home = login(app, tenant, make_user(tenant, "leaving")).follow()
    stolen = app.cookies["jimu_session"]
    assert _client(wsgi_app, stolen).get(f"{tenant.prefix}/contacts/").status_int == 200
    home.forms["logout-form"].submit().follow()
    response = _client(wsgi_app, stolen).get(f"{tenant.prefix}/contacts/", status=302)
    assert "/login" in response.location


def test_a_second_login_rotates_the_id_again(app, tenant, make_user, login):
    username = make_user(tenant, "twice")
    login(app, tenant, username).follow()
    first = app.cookies["jimu_session"]
    app.get(f"{tenant.prefix}/login", status=302)  # logged in: the form is not shown again
    app.post(f"{tenant.prefix}/login",
             {"csrf_token": app.get(f"{tenant.prefix}/").forms["logout-form"]["csrf_token"]
              .value, "login": username, "password": "correct-horse-电池-staple"},
             status=303)
    assert app.cookies["jimu_session"] != first
