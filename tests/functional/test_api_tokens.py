"""API tokens: made on the account page, used as ``Authorization: Bearer``, revoked.

Every token here is made through the real page, as a user would, and used through
a client that holds no session cookie (unless a test says otherwise).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
import webtest
from bs4 import BeautifulSoup
from sqlalchemy import select, text, update

from jimucrm.core.interfaces import IDatabase
from jimucrm.security.audit.models import AuditEntry
from jimucrm.security.models import User
from jimucrm.security.tokens.models import ApiToken

TOKEN = re.compile(r"jimu_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


def make_token(app: webtest.TestApp, tenant, name: str = "同步脚本",
               scopes: tuple[str, ...] = ("api.me",), expires: str = "90") -> str:
    """Make a token on the account page of ``app``'s logged-in user; return its string."""
    form = app.get(f"{tenant.prefix}/account/tokens").forms["token-form"]
    form["name"] = name
    form["expires"] = expires
    for box in form.fields.get("scopes", []):
        box.checked = box._value in scopes
    page = form.submit(status=201)
    return BeautifulSoup(page.text, "html.parser").find(id="token-value")["value"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(wsgi_app) -> webtest.TestApp:
    """A client with no cookies: what a script calling the API is."""
    return webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})


@pytest.fixture
def database(registry):
    return registry.getUtility(IDatabase)


def _audit(database, tenant, action: str) -> list[AuditEntry]:
    with database.session(tenant.schema_name) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                    .order_by(AuditEntry.id)))


def test_create_call_revoke(logged_in, client, tenant, database):
    token = make_token(logged_in, tenant, scopes=("api.me", "contacts.view"))
    assert TOKEN.fullmatch(token)
    me = client.get(f"{tenant.prefix}/api/v1/me", headers=bearer(token), status=200)
    assert me.content_type == "application/json"
    assert me.json["username"] == "staff"
    assert me.json["display_name"] == "staff 用户"
    assert me.json["tenant"] == tenant.slug
    assert me.json["permissions"] == ["api.me", "contacts.view"]
    assert me.json["authenticated_by"] == "token"
    assert me.json["token"]["name"] == "同步脚本"
    assert me.json["token"]["prefix"] == token.split("_")[1]
    assert "Set-Cookie" not in me.headers  # a token request makes no session
    # The list shows the token without its secret, used, active.
    listing = logged_in.get(f"{tenant.prefix}/account/tokens")
    row = BeautifulSoup(listing.text, "html.parser").find(id=re.compile(r"^token-\d+$"))
    assert "同步脚本" in row.text and token.split("_")[1] in row.text
    assert token.split("_")[2] not in listing.text
    assert "contacts.view" in row.text
    # Revoke through the page: the token stops working at once.
    listing.forms[f"token-revoke-{row['id'].split('-')[1]}"].submit(status=303)
    refused = client.get(f"{tenant.prefix}/api/v1/me", headers=bearer(token), status=401)
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    assert refused.json["error"]["code"] == "unauthenticated"
    assert refused.json["error"]["message"] == "此 API 令牌已被撤销。"
    created, = _audit(database, tenant, "token_created")
    assert created.username == "staff"
    assert created.details["scopes"] == ["api.me", "contacts.view"]
    revoked, = _audit(database, tenant, "token_revoked")
    assert revoked.details["via"] == "account"
    refusal, = _audit(database, tenant, "token_refused")
    assert refusal.details["reason"] == "revoked"


def test_the_secret_is_stored_nowhere(logged_in, client, tenant, database, caplog):
    caplog.set_level(logging.DEBUG)
    token = make_token(logged_in, tenant)
    secret = token.split("_", 2)[2]
    client.get(f"{tenant.prefix}/api/v1/me", headers=bearer(token), status=200)
    client.get(f"{tenant.prefix}/api/v1/me", headers=bearer(token[:-2] + "xx"), status=401)
    with database.engine.connect() as connection:
        dump = connection.execute(text(
            f"SELECT row_to_json(t)::text FROM {tenant.schema_name}.api_tokens t "
            f"UNION ALL SELECT row_to_json(a)::text FROM {tenant.schema_name}.audit_log a"
        )).scalars().all()
    assert dump and not any(secret in row or secret[:20] in row for row in dump)
    assert secret not in caplog.text
    # Shown once: never again on the account page.
    assert secret not in logged_in.get(f"{tenant.prefix}/account/tokens").text


def test_wrong_secret_with_a_right_prefix_is_refused(logged_in, client, tenant, database):
    token = make_token(logged_in, tenant)
    scheme, prefix, secret = token.split("_", 2)
    forged = f"{scheme}_{prefix}_{secret[::-1]}"
    assert forged != token
    response = client.get(f"{tenant.prefix}/api/v1/me", headers=bearer(forged), status=401)
    assert response.json["error"]["message"] == "API 令牌无效。"
    refusal, = _audit(database, tenant, "token_refused")
    assert refusal.details == {"reason": "secret", "prefix": prefix,
                               "owner": refusal.details["owner"]}
    assert refusal.user_id is None  # whoever sent it is unknown
    # Not a token string at all, an unknown prefix, an empty credential: refused too.
    for credential in ("garbage", f"jimu_{'0' * 12}_{secret}", "", token + "x"):
        client.get(f"{tenant.prefix}/api/v1/me", headers=bearer(credential), status=401)
    # The real one still works.
    client.get(f"{tenant.prefix}/api/v1/me", headers=bearer(token), status=200)


def test_expired_token_is_refused(logged_in, client, tenant, database):
    token = make_token(logged_in, tenant, expires="30")
    client.get(f"{tenant.prefix}/api/v1/me", headers=bearer(token), status=200)
    with database.session(tenant.schema_name) as session, session.begin():
        session.execute(update(ApiToken).values(
            expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    response = client.get(f"{tenant.prefix}/api/v1/me", headers=bearer(token), status=401)
    assert response.json["error"]["message"] == "此 API 令牌已过期。"
    status = logged_in.get(f"{tenant.prefix}/account/tokens").text
    assert "已过期" in status


def test_token_of_tenant_a_is_refused_in_tenant_b(logged_in, client, tenant, make_tenant,
                                                  make_user):
    token = make_token(logged_in, tenant, scopes=("api.me", "contacts.view"))
    other = make_tenant("乙公司")
    make_user(other, "staff")  # the same username, another tenant
    for path in ("/api/v1/me", "/contacts/", "/"):
        response = client.get(f"{other.prefix}{path}", headers=bearer(token), status=401)
        assert response.json["error"]["code"] == "unauthenticated"
    # Nor where no tenant is addressed.
    client.get("/api/v1/me", headers=bearer(token), status=401)
    client.get(f"{tenant.prefix}/api/v1/me", headers=bearer(token), status=200)


def test_inactive_owner_is_refused(logged_in, client, tenant, database):
    token = make_token(logged_in, tenant)
    with database.session(tenant.schema_name) as session, session.begin():
        session.execute(update(User).where(User.username == "staff").values(is_active=False))
    client.get(f"{tenant.prefix}/api/v1/me", headers=bearer(token), status=401)


def test_scopes_narrow_permissions(logged_in, client, tenant):
    reader = make_token(logged_in, tenant, "只读", scopes=("contacts.view",))
    writer = make_token(logged_in, tenant, "写入", scopes=("contacts.view", "contacts.create"))
    who = make_token(logged_in, tenant, "身份")
    nothing = make_token(logged_in, tenant, "无权限", scopes=())
    session_me = logged_in.get(f"{tenant.prefix}/api/v1/me").json
    assert session_me["authenticated_by"] == "session"
    assert {"api.me", "contacts.view", "contacts.create"} <= set(session_me["permissions"])
    assert client.get(f"{tenant.prefix}/api/v1/me",
                      headers=bearer(who)).json["permissions"] == ["api.me"]
    # Without api.me even "who am I" is refused: a token holds what it was given, no more.
    client.get(f"{tenant.prefix}/api/v1/me", headers=bearer(reader), status=403)
    client.get(f"{tenant.prefix}/api/v1/me", headers=bearer(nothing), status=403)
    client.get(f"{tenant.prefix}/contacts/", headers=bearer(reader), status=200)
    denied = client.get(f"{tenant.prefix}/contacts/", headers=bearer(nothing), status=403)
    assert denied.json["error"]["code"] == "forbidden"
    client.post(f"{tenant.prefix}/contacts/new", {"name": "令牌联系人"},
                headers=bearer(reader), status=403)
    client.post(f"{tenant.prefix}/contacts/new", {"name": "令牌联系人"},
                headers=bearer(writer), status=303)
    assert "令牌联系人" in logged_in.get(f"{tenant.prefix}/contacts/").text


def test_scopes_are_limited_to_what_the_user_holds(logged_in, tenant):
    page = logged_in.get(f"{tenant.prefix}/account/tokens")
    offered = {box._value for box in page.forms["token-form"].fields["scopes"]}
    assert "contacts.view" in offered
    assert "settings.users" not in offered and "authenticated" not in offered
    ticked = {box._value for box in page.forms["token-form"].fields["scopes"] if box.checked}
    assert ticked == {"api.me"}
    token = page.forms["token-form"]["csrf_token"].value
    refused = logged_in.post(f"{tenant.prefix}/account/tokens",
                             {"csrf_token": token, "name": "越权", "expires": "90",
                              "scopes": "settings.users"}, status=400)
    soup = BeautifulSoup(refused.text, "html.parser")
    assert "您自己拥有的权限" in soup.find(id="token-scopes").text
    assert soup.find(id="token-name")["value"] == "越权"
    missing = logged_in.post(f"{tenant.prefix}/account/tokens",
                             {"csrf_token": token, "name": " ", "expires": "forever"},
                             status=400)
    soup = BeautifulSoup(missing.text, "html.parser")
    assert soup.find(id="token-name").find_next("p", class_="error") is not None
    assert soup.find(id="token-expires").find("option", selected=True)["value"] == "90"
    assert "jimu_" not in missing.text


def test_token_requests_need_no_csrf_but_session_requests_do(logged_in, client, tenant):
    writer = make_token(logged_in, tenant, scopes=("api.me", "contacts.view", "contacts.create"))
    client.post(f"{tenant.prefix}/contacts/new", {"name": "无需令牌"}, headers=bearer(writer),
                status=303)
    # The same POST with the session cookie and no CSRF token is refused.
    logged_in.post(f"{tenant.prefix}/contacts/new", {"name": "跨站伪造"}, status=400)
    assert "跨站伪造" not in logged_in.get(f"{tenant.prefix}/contacts/").text
    # A session cookie beside a token changes nothing: the token alone counts.
    logged_in.post(f"{tenant.prefix}/contacts/new", {"name": "带令牌"},
                   headers=bearer(writer), status=303)
    refused = logged_in.post(f"{tenant.prefix}/contacts/new", {"name": "坏令牌"},
                             headers=bearer("jimu_nope"), status=401)
    assert refused.json["error"]["code"] == "unauthenticated"
    # DELETE /api/v1/token: with the token, no CSRF token needed; with the session, needed.
    other = make_token(logged_in, tenant, "自行撤销")
    csrf = logged_in.delete(f"{tenant.prefix}/api/v1/token", status=400)
    assert csrf.json["error"]["code"] == "csrf_failed"
    client.delete(f"{tenant.prefix}/api/v1/token", headers=bearer(other), status=204)
    client.get(f"{tenant.prefix}/api/v1/me", headers=bearer(other), status=401)
    client.get(f"{tenant.prefix}/api/v1/me", headers=bearer(writer), status=200)


def test_tokens_cannot_manage_tokens(logged_in, client, tenant, make_user, login):
    token = make_token(logged_in, tenant, scopes=("contacts.view",))
    for method, path in (("GET", "/account/tokens"), ("POST", "/account/tokens"),
                         ("POST", "/account/tokens/1/revoke")):
        response = client.request(f"{tenant.prefix}{path}", method=method,
                                  headers=bearer(token), expect_errors=True)
        assert response.status_int == 403, (method, path)
        assert response.json["error"]["code"] == "forbidden"
    # An administrator's token is no better.
    admin = webtest.TestApp(client.app, extra_environ={"HTTP_HOST": "localhost"})
    login(admin, tenant, make_user(tenant, "boss", is_admin=True)).follow()
    boss = make_token(admin, tenant, scopes=("settings.users",))
    client.get(f"{tenant.prefix}/account/tokens", headers=bearer(boss), status=403)


def test_last_use_is_written_at_most_once_a_minute(logged_in, client, tenant, database):
    token = make_token(logged_in, tenant)

    def last_used():
        with database.session(tenant.schema_name) as session:
            return session.scalar(select(ApiToken.last_used_at))

    assert last_used() is None
    client.get(f"{tenant.prefix}/api/v1/me", headers=bearer(token))
    first = last_used()
    assert first is not None
    client.get(f"{tenant.prefix}/api/v1/me", headers=bearer(token))
    assert last_used() == first
    with database.session(tenant.schema_name) as session, session.begin():
        session.execute(update(ApiToken).values(last_used_at=first - timedelta(minutes=2)))
    client.get(f"{tenant.prefix}/api/v1/me", headers=bearer(token))
    assert last_used() > first - timedelta(minutes=1)
    # Using a token is not a change worth an audit entry.
    assert not _audit(database, tenant, "update")


def test_admin_lists_and_revokes_every_token(logged_in, client, tenant, make_user, login,
                                             database):
    token = make_token(logged_in, tenant, "员工的令牌")
    logged_in.get(f"{tenant.prefix}/settings/tokens", status=403)  # staff: not an admin
    admin = webtest.TestApp(client.app, extra_environ={"HTTP_HOST": "localhost"})
    login(admin, tenant, make_user(tenant, "boss", is_admin=True)).follow()
    page = admin.get(f"{tenant.prefix}/settings/tokens")
    assert "API" in admin.get(f"{tenant.prefix}/").text
    row = BeautifulSoup(page.text, "html.parser").find(id=re.compile(r"^token-\d+$"))
    assert "员工的令牌" in row.text and "staff" in row.text
    page.forms[f"token-revoke-{row['id'].split('-')[1]}"].submit(status=303)
    client.get(f"{tenant.prefix}/api/v1/me", headers=bearer(token), status=401)
    revoked, = _audit(database, tenant, "token_revoked")
    assert revoked.username == "boss" and revoked.details["via"] == "settings"
    assert "已撤销" in admin.get(f"{tenant.prefix}/settings/tokens").text
    # The audit page knows the token actions.
    audit = admin.get(f"{tenant.prefix}/settings/audit", {"action": "token_revoked"})
    assert "API 令牌已撤销" in audit.text and "员工的令牌" in audit.text


def test_users_revoke_only_their_own(logged_in, client, tenant, make_user, login, database):
    token = make_token(logged_in, tenant)
    with database.session(tenant.schema_name) as session:
        token_id = session.scalar(select(ApiToken.id))
    other = webtest.TestApp(client.app, extra_environ={"HTTP_HOST": "localhost"})
    login(other, tenant, make_user(tenant, "colleague")).follow()
    csrf = other.get(f"{tenant.prefix}/account/tokens").forms["token-form"]["csrf_token"].value
    other.post(f"{tenant.prefix}/account/tokens/{token_id}/revoke", {"csrf_token": csrf},
               status=404)
    client.get(f"{tenant.prefix}/api/v1/me", headers=bearer(token), status=200)


def test_active_tokens_per_user_are_capped(logged_in, tenant, monkeypatch):
    monkeypatch.setattr("jimucrm.security.tokens.views.MAX_ACTIVE_PER_USER", 2)
    make_token(logged_in, tenant, "一")
    make_token(logged_in, tenant, "二")
    form = logged_in.get(f"{tenant.prefix}/account/tokens").forms["token-form"]
    form["name"] = "三"
    refused = form.submit(status=400)
    assert "撤销" in BeautifulSoup(refused.text, "html.parser").find(
        class_="form-error").text


# -- The API's error shape -------------------------------------------------------------


def _error(response, code: str) -> dict:
    assert response.content_type == "application/json"
    assert "Location" not in response.headers
    error = response.json["error"]
    assert error["code"] == code and error["message"]
    return error


def test_api_errors_are_json_never_a_login_redirect(client, tenant):
    anonymous = client.get(f"{tenant.prefix}/api/v1/me", status=401)
    error = _error(anonymous, "unauthenticated")
    assert error["message"] == "需要身份验证：请登录，或发送 API 令牌。"
    assert anonymous.headers["WWW-Authenticate"] == 'Bearer realm="jimu"'
    missing = _error(client.get(f"{tenant.prefix}/api/v1/nothing-here", status=404),
                     "not_found")
    assert missing["message"] == "未找到。" and "fields" not in missing
    # The same in English, for a client that chose it.
    client.set_cookie("_LOCALE_", "en")
    assert _error(client.get(f"{tenant.prefix}/api/v2/x", status=404),
                  "not_found")["message"] == "Not found."
    # A request refused below the router (too large) gets the JSON shape too.
    too_large = client.post(f"{tenant.prefix}/api/v1/me", b"x",
                            headers={"Content-Length": str(10**12)}, status=413)
    _error(too_large, "payload_too_large")
    # Pages outside the API still send browsers to the login page.
    assert "/login" in client.get(f"{tenant.prefix}/contacts/", status=302).location


def test_api_forbidden_is_403_json(logged_in, client, tenant):
    nothing = make_token(logged_in, tenant, "身份")
    _error(client.get(f"{tenant.prefix}/contacts/", headers=bearer(nothing), status=403),
           "forbidden")
    # A session's refused CSRF check under /api/ is JSON as well.
    _error(logged_in.delete(f"{tenant.prefix}/api/v1/token", status=400), "csrf_failed")


def test_api_error_carries_code_message_and_fields(registry):
    from pyramid.scripting import prepare

    from jimucrm.core.api import api_error, error_body
    from jimucrm.core.i18n import _

    error = api_error(422, fields={"name": _("Not found.")}, headers={"Retry-After": "5"})
    assert error.code == 422 and error.headers["Retry-After"] == "5"
    env = prepare(registry=registry)
    try:
        body = error_body(env["request"], "validation_failed", error.jimu_api_error.message,
                          error.jimu_api_error.fields)
    finally:
        env["closer"]()
    assert body == {"error": {"code": "validation_failed", "message": "部分字段无效。",
                              "fields": {"name": "未找到。"}}}


def test_an_unexpected_error_is_a_json_500_without_traceback(logged_in, client, tenant,
                                                             database, caplog):
    token = make_token(logged_in, tenant)
    # A row no code writes: scopes that are not a list make the identity fail.
    with database.session(tenant.schema_name) as session, session.begin():
        session.execute(text(f"UPDATE {tenant.schema_name}.api_tokens SET scopes = '7'"))
    response = client.get(f"{tenant.prefix}/api/v1/me", headers=bearer(token), status=500)
    error = _error(response, "server_error")
    assert "Traceback" not in response.text and "TypeError" not in error["message"]
    assert "unhandled error" in caplog.text
