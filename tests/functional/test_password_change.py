"""Changing one's own password at /account/password, through the real form."""

from __future__ import annotations

import webtest
from sqlalchemy import select

from jimucrm.core.interfaces import IDatabase
from jimucrm.security.audit.log import PASSWORD_CHANGED
from jimucrm.security.audit.models import AuditEntry

PASSWORD = "correct-horse-电池-staple"  # tests/conftest.py's
NEW_PASSWORD = "月亮照着九只猫-blue-kettle"


def _form(app, tenant):
    return app.get(f"{tenant.prefix}/account/password").forms["password-form"]


def _submit(app, tenant, current, new, repeat=None):
    form = _form(app, tenant)
    form["current_password"] = current
    form["new_password"] = new
    form["repeat_password"] = new if repeat is None else repeat
    return form.submit(expect_errors=True)


def _errors(page, field: str) -> list[str]:
    return [p.get_text() for p in page.html.select(f"#{field} ~ p.error")]


def test_the_user_menu_links_to_the_page(logged_in, tenant):
    home = logged_in.get(f"{tenant.prefix}/")
    assert home.html.find("a", href=f"http://localhost{tenant.prefix}/account/password")
    assert logged_in.get(f"{tenant.prefix}/account/password").status_int == 200


def test_anonymous_users_are_sent_to_the_login_page(app, tenant):
    response = app.get(f"{tenant.prefix}/account/password", status=302)
    assert "/login?next=" in response.location


def test_wrong_current_password_is_refused_and_nothing_changes(app, tenant, make_user, login):
    login(app, tenant, make_user(tenant, "gaoyan")).follow()
    app.set_cookie("_LOCALE_", "en")
    page = _submit(app, tenant, "not my password", NEW_PASSWORD)
    assert page.status_int == 400
    assert _errors(page, "current_password") == ["The current password is incorrect."]
    assert _errors(page, "new_password") == []
    # Passwords are never sent back.
    for field in ("current_password", "new_password", "repeat_password"):
        assert page.forms["password-form"][field].value == ""
    assert "not my password" not in page.text and NEW_PASSWORD not in page.text
    app.reset()
    assert login(app, tenant, "gaoyan").status_int == 303


def test_policy_problems_are_shown_beside_the_field(app, tenant, make_user, login):
    login(app, tenant, make_user(tenant, "huangwei")).follow()
    app.set_cookie("_LOCALE_", "en")
    short = _submit(app, tenant, PASSWORD, "Kz9!")
    assert short.status_int == 400
    assert _errors(short, "new_password") == ["Use at least 10 characters."]
    common = _submit(app, tenant, PASSWORD, "password123")
    assert "This password is on a list of commonly used passwords." in \
        _errors(common, "new_password")
    own_name = _submit(app, tenant, PASSWORD, "huangwei-2024-xyz")
    assert "The password must not contain your username, e-mail name or display name." in \
        _errors(own_name, "new_password")
    different = _submit(app, tenant, PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert _errors(different, "repeat_password") == ["The two new passwords differ."]
    same = _submit(app, tenant, PASSWORD, PASSWORD)
    assert _errors(same, "new_password") == ["The new password must differ from the current one."]
    # In Chinese by default.
    app.set_cookie("_LOCALE_", "zh_CN")
    assert _errors(_submit(app, tenant, PASSWORD, "Kz9!"), "new_password") == \
        ["请至少使用 10 个字符。"]
    app.reset()
    assert login(app, tenant, "huangwei").status_int == 303


def test_success_changes_the_password_rotates_the_session_and_is_audited(
        app, wsgi_app, tenant, make_user, login, registry):
    login(app, tenant, make_user(tenant, "liuyang")).follow()
    before = app.cookies["jimu_session"]
    done = _submit(app, tenant, PASSWORD, NEW_PASSWORD)
    assert done.status_int == 303
    assert app.cookies["jimu_session"] != before
    page = done.follow()
    assert page.request.path == f"{tenant.prefix}/account/security"
    assert page.html.select(".flash")
    # Still logged in with the new session; the old one is worth nothing.
    assert app.get(f"{tenant.prefix}/").status_int == 200
    stale = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
    stale.set_cookie("jimu_session", before)
    assert stale.get(f"{tenant.prefix}/", status=302).location.split("?")[0].endswith("/login")
    app.reset()
    assert login(app, tenant, "liuyang").status_int == 400
    assert login(app, tenant, "liuyang", NEW_PASSWORD).status_int == 303
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session:
        entries = session.scalars(select(AuditEntry).where(
            AuditEntry.action == PASSWORD_CHANGED)).all()
        assert [(e.username, e.model) for e in entries] == [("liuyang", "users")]
        # The hash changed as a redacted field; no password anywhere in the log.
        text = " ".join(str((e.changes, e.details)) for e in session.scalars(select(AuditEntry)))
        assert NEW_PASSWORD not in text and PASSWORD not in text


def test_guessing_the_current_password_locks_the_account(app, tenant, make_user, login):
    login(app, tenant, make_user(tenant, "qianfei")).follow()
    for _ in range(4):
        assert _submit(app, tenant, "guess", NEW_PASSWORD).status_int == 400
    locked = _submit(app, tenant, "guess", NEW_PASSWORD)
    assert locked.status_int == 429
    assert int(locked.headers["Retry-After"]) > 0
    # Even the right password waits now, and so does the login form.
    assert _submit(app, tenant, PASSWORD, NEW_PASSWORD).status_int == 429
    app.reset()
    assert login(app, tenant, "qianfei").status_int == 429
