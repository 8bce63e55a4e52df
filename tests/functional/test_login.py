"""Login and logout through the real forms."""

import pytest
from sqlalchemy import event

from jimucrm.core.interfaces import IDatabase
from jimucrm.security.policy import SESSION_USER


def test_protected_page_redirects_to_login_with_next(app, tenant):
    response = app.get(f"{tenant.prefix}/contacts/", status=302)
    assert response.location.startswith(f"http://localhost{tenant.prefix}/login?next=")
    assert "%2Fcontacts%2F" in response.location


def test_login_and_logout(app, tenant, make_user, login):
    username = make_user(tenant, "wangfang")
    response = login(app, tenant, username)
    assert response.status_int == 303
    home = response.follow()
    assert "wangfang 用户" in home.text

    logout_form = home.forms["logout-form"]
    after = logout_form.submit().follow()
    assert after.request.path == f"{tenant.prefix}/login"
    app.get(f"{tenant.prefix}/", status=302)


def test_the_user_and_their_grants_are_loaded_once_per_request(logged_in, tenant, registry):
    """The home page checks a permission for every menu item and panel; each check asks
    for the identity, which must not go back to the database each time."""
    statements: list[str] = []

    def record(connection, cursor, statement, *args) -> None:
        statements.append(statement)

    engine = registry.getUtility(IDatabase).engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        logged_in.get(f"{tenant.prefix}/")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    users = [s for s in statements if "FROM tenant.users" in s or
             f'FROM "{tenant.schema_name}".users' in s or f"FROM {tenant.schema_name}.users" in s]
    roles = [s for s in statements if "user_roles" in s]
    assert len(users) == 1, users
    assert len(roles) == 1, roles


def test_login_by_email_and_next(app, tenant, make_user):
    username = make_user(tenant, "lina")
    form = app.get(f"{tenant.prefix}/login?next={tenant.prefix}/contacts/").form
    form["login"] = f"{username}@{tenant.slug}.example.cn"
    form["password"] = "correct-horse-电池-staple"
    response = form.submit(status=303)
    assert response.location == f"http://localhost{tenant.prefix}/contacts/"


def test_wrong_password_reshows_form_with_message(app, tenant, make_user, login):
    username = make_user(tenant, "zhaolei")
    page = login(app, tenant, username, "wrong password")
    assert page.status_int == 400
    assert page.form["login"].value == "zhaolei"
    assert page.form["password"].value == ""
    assert 'role="alert"' in page.text


def test_next_cannot_leave_the_site(app, tenant, make_user):
    make_user(tenant, "chenjie")
    for target in ("https://evil.example.com/", "//evil.example.com/", "/\\evil.example.com"):
        form = app.get(f"{tenant.prefix}/login", params={"next": target}).form
        form["login"] = "chenjie"
        form["password"] = "correct-horse-电池-staple"
        response = form.submit(status=303)
        assert response.location.startswith("http://localhost/"), target
        assert "evil" not in response.location
        app.reset()


def test_session_id_changes_at_login(app, tenant, make_user, login):
    username = make_user(tenant, "sunli")
    app.get(f"{tenant.prefix}/login")
    before = app.cookies.get("jimu_session")
    login(app, tenant, username)
    assert app.cookies.get("jimu_session") not in (None, before)


def test_session_data_is_json_not_pickle(app, tenant, make_user, login, settings):
    import json

    import redis

    login(app, tenant, make_user(tenant, "jsonuser"))
    client = redis.Redis.from_url(settings["jimu.redis_url"])
    sessions = []
    for key in client.scan_iter():
        if client.type(key) != b"string":
            continue
        value = client.get(key)
        assert not value.startswith(b"\x80"), f"pickled value under {key!r}"
        if b"jsonuser" in value or SESSION_USER.encode() in value:
            sessions.append(json.loads(value))
    assert any(SESSION_USER in json.dumps(s) for s in sessions)


def test_logout_needs_csrf_token(logged_in, tenant):
    logged_in.post(f"{tenant.prefix}/logout", status=400)
    logged_in.get(f"{tenant.prefix}/", status=200)


@pytest.mark.extension_point("jimucrm.core.interfaces.ICryptoProvider")
def test_national_crypto_hashes_and_checks_passwords_with_sm3(settings, tenant):
    """`jimu.crypto = national` swaps the provider: PBKDF2-HMAC-SM3 passwords."""
    import webtest

    from jimucrm.core import configure
    from jimucrm.core.interfaces import ICryptoProvider, IDatabase
    from jimucrm.security.models import User

    config = configure({**settings, "jimu.crypto": "national",
                        "jimu.crypto_pbkdf2_iterations": "20000"})
    provider = config.registry.getUtility(ICryptoProvider)
    assert provider.name == "national"
    stored = provider.hash_password("国密-口令-123")
    assert stored.startswith("pbkdf2-sm3$20000$")
    database = config.registry.getUtility(IDatabase)
    with database.session(tenant.schema_name) as session, session.begin():
        session.add(User(username="gm", email="gm@example.cn", display_name="国密用户",
                         password_hash=stored, is_admin=False, is_active=True))
    client = webtest.TestApp(config.make_wsgi_app(), extra_environ={"HTTP_HOST": "localhost"})
    form = client.get(f"{tenant.prefix}/login").forms["login-form"]
    form["login"], form["password"] = "gm", "国密-口令-123"
    assert form.submit().status_int == 303


def test_session_ends_after_the_absolute_timeout(logged_in, tenant, settings, registry):
    logged_in.get(f"{tenant.prefix}/", status=200)
    registry.settings["jimu.session_absolute_seconds"] = 0
    try:
        import time

        time.sleep(1.1)
        logged_in.get(f"{tenant.prefix}/", status=302)
    finally:
        registry.settings["jimu.session_absolute_seconds"] = 43200


def test_repeated_failures_lock_the_account_with_a_clear_message(app, tenant, make_user, login,
                                                                  registry):
    username = make_user(tenant, "locked")
    limit = registry.settings["jimu.login_max_failures"]
    for _ in range(limit - 1):
        assert login(app, tenant, username, "wrong").status_int == 400
    locked = login(app, tenant, username, "wrong")
    assert locked.status_int == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert locked.forms["login-form"]["login"].value == username
    # Even the right password waits until the lockout ends.
    assert login(app, tenant, username).status_int == 429
