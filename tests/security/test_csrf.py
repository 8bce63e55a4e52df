"""CSRF: every unsafe method on every route is refused without a valid token.

Logged in as an administrator (the user whose forged requests would hurt most), each
route of the route table gets POST, PUT, PATCH and DELETE with no token, a forged token
(form field and header) and another session's token. None may be accepted, and nothing
may change. A control request with the real token shows the sweep can see acceptance.
"""

from __future__ import annotations

import re

import webtest


def _contact_count(app, prefix: str) -> int:
    return len(re.findall(r'href="[^"]*/contacts/\d+"', app.get(f"{prefix}/contacts/").text))


def test_every_unsafe_route_refuses_missing_and_forged_tokens(app, wsgi_app, tenant,
                                                              make_user, login, sweep):
    login(app, tenant, make_user(tenant, "csrfadmin", is_admin=True)).follow()
    token = sweep.csrf_token(app, tenant.prefix)
    other = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
    login(other, tenant, make_user(tenant, "csrfother")).follow()
    foreign = sweep.csrf_token(other, tenant.prefix)
    assert foreign != token
    form = app.get(f"{tenant.prefix}/contacts/new").forms["contact-form"]
    form["name"] = "已有联系人"
    contact_id = re.search(r"/contacts/(\d+)$", form.submit().follow().request.path).group(1)
    before = _contact_count(app, tenant.prefix)
    fields = "name=CSRF伪造&company=x&addon=contacts&action=disable&login=csrfadmin" \
             "&password=x".encode()
    attempts = {
        "no token": ({}, b""),
        "forged field": ({}, b"csrf_token=forged&"),
        "forged header": ({"X-CSRF-Token": "forged"}, b""),
        "other session's token": ({}, f"csrf_token={foreign}&".encode()),
        "empty token": ({"X-CSRF-Token": ""}, b"csrf_token=&"),
    }
    checked = 0
    for route in sweep.route_table(wsgi_app):
        path = tenant.prefix + route.path(contact_id)
        for method in sweep.UNSAFE_METHODS:
            for what, (headers, prefix) in attempts.items():
                response = app.request(path, method=method, body=prefix + fields,
                                       content_type="application/x-www-form-urlencoded",
                                       headers=headers, expect_errors=True)
                assert response.status_int in (400, 403, 404, 405), \
                    (route.name, method, what, response.status)
                checked += 1
    assert checked >= 5 * 4 * len(attempts)
    # Nothing happened: same contacts, still logged in, contacts still enabled.
    assert _contact_count(app, tenant.prefix) == before
    assert "CSRF伪造" not in app.get(f"{tenant.prefix}/contacts/").text
    assert app.get(f"{tenant.prefix}/", status=200)
    # Control: the same kind of request with the real token goes through.
    accepted = app.post(f"{tenant.prefix}/contacts/new",
                        {"csrf_token": token, "name": "真令牌"}, status=303)
    assert "/contacts/" in accepted.location


def test_login_form_refuses_forged_tokens_too(app, tenant, make_user):
    make_user(tenant, "csrflogin")
    app.get(f"{tenant.prefix}/login")
    for token in ("", "forged", "x" * 40):
        app.post(f"{tenant.prefix}/login", {"csrf_token": token, "login": "csrflogin",
                                            "password": "correct-horse-电池-staple"}, status=400)
    app.get(f"{tenant.prefix}/", status=302)
