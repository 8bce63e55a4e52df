"""The tenant admin's users, roles and teams pages, through the real forms and the real policy."""

from __future__ import annotations

import threading
import time

import pytest
import transaction
import webtest
from pyramid.scripting import prepare
from sqlalchemy import func, select, text
from tenant_records import user_id as _user_id

from jimucrm.core.interfaces import IDatabase, IFieldAccess, ITenantDirectory
from jimucrm.security.audit.log import (
    MFA_RESET,
    ROLE_CHANGED,
    ROLE_CREATED,
    ROLE_DELETED,
    USER_ADMIN_CHANGED,
    USER_CREATED,
    USER_ROLES_CHANGED,
    USER_TEAMS_CHANGED,
)
from jimucrm.security.audit.models import AuditEntry
from jimucrm.security.mfa import is_enabled
from jimucrm.security.mfa.service import start_enrolment
from jimucrm.security.models import User
from jimucrm.security.policy import SESSION_LOGIN_AT, SESSION_TENANT, SESSION_USER
from jimucrm.security.rbac.models import Role, RoleFieldRule, RolePermission, Team, UserRole
from jimucrm.security.rbac.views.users import USERS_LOCK
from jimucrm.tenants.interfaces import ITenantAddons

NEW_PASSWORD = "晚风吹过七座桥-amber-lantern"


def _admin(app, tenant, make_user, login, username="boss"):
    login(app, tenant, make_user(tenant, username, is_admin=True)).follow()
    app.set_cookie("_LOCALE_", "en")
    return app


def _client(wsgi_app) -> webtest.TestApp:
    return webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})


def _errors(page, field: str) -> list[str]:
    """The error messages shown in the form field (div or fieldset) holding ``#field``."""
    holder = page.html.find(id=field)
    while "field" not in holder.get("class", ()) or holder.name == "label":
        holder = holder.parent
    return [p.get_text(" ", strip=True) for p in holder.find_all("p", class_="error")]


def _tick(form, name: str, value: str, checked: bool) -> None:
    for field in form.fields[name]:
        if field._value == value:
            field.checked = checked
            return
    raise AssertionError(f"no {name} checkbox for {value}")


def _session(registry, tenant):
    return registry.getUtility(IDatabase).session(tenant.schema_name)


def _role_id(registry, tenant, key: str) -> int:
    with _session(registry, tenant) as session:
        return session.scalar(select(Role.id).where(Role.key == key))


def _audit(registry, tenant, action: str) -> list[AuditEntry]:
    with _session(registry, tenant) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                    .order_by(AuditEntry.id)))


def _new_user(app, tenant, **values):
    form = app.get(f"{tenant.prefix}/settings/users/new").forms["user-form"]
    for name, value in values.items():
        form[name] = value
    return form


def test_admin_creates_a_staff_user_who_sees_contacts_but_not_settings(
        app, wsgi_app, tenant, make_user, login, registry):
    admin = _admin(app, tenant, make_user, login)
    assert "Users &amp; roles" in admin.get(f"{tenant.prefix}/").text
    form = _new_user(admin, tenant, username="xiaoli", display_name="小李",
                     email="XiaoLi@Example.cn", password=NEW_PASSWORD)
    # A new user starts with the staff role ticked.
    assert form.get("roles", index=[f._value for f in form.fields["roles"]].index(
        str(_role_id(registry, tenant, "staff")))).checked
    created = form.submit(status=303).follow()
    assert "User xiaoli created." in created.text
    listing = admin.get(f"{tenant.prefix}/settings/users", params={"q": "小"})
    row = listing.html.select_one("#user-list tbody tr")
    assert [td.get_text(strip=True) for td in row.find_all("td")][:5] == \
        ["xiaoli", "小李", "xiaoli@example.cn", "Staff", ""]

    user = _client(wsgi_app)
    login(user, tenant, "xiaoli", NEW_PASSWORD).follow()
    user.set_cookie("_LOCALE_", "en")
    assert user.get(f"{tenant.prefix}/contacts/").status_int == 200
    home = user.get(f"{tenant.prefix}/")
    assert "Users &amp; roles" not in home.text and "/settings/" not in home.text
    for path in ("/settings/users", "/settings/users/new", "/settings/roles", "/settings/teams",
                 "/settings/addons", "/settings/audit"):
        refused = user.get(f"{tenant.prefix}{path}", status=403)
        assert "You do not have access to this page" in refused.text


def test_staff_users_are_refused_every_page_here(logged_in, tenant, registry):
    staff_id = _user_id(registry, tenant, "staff")
    token = logged_in.get(f"{tenant.prefix}/").html.find(
        "input", attrs={"name": "csrf_token"})["value"]
    for path in ("/settings/users", "/settings/users/new", f"/settings/users/{staff_id}",
                 "/settings/roles", "/settings/roles/new", "/settings/teams",
                 "/settings/roles/1", "/settings/teams/1"):
        logged_in.get(f"{tenant.prefix}{path}", status=403)
    for path in ("/settings/users/new", f"/settings/users/{staff_id}",
                 f"/settings/users/{staff_id}/reactivate", "/settings/roles/new",
                 "/settings/roles/1", "/settings/roles/3/delete", "/settings/teams"):
        logged_in.post(f"{tenant.prefix}{path}", {"csrf_token": token, "is_admin": "on",
                                                   "name": "x"}, status=403)
    with _session(registry, tenant) as session:
        assert session.scalar(select(User.is_admin).where(User.id == staff_id)) is False


def test_narrowing_a_role_refuses_its_users_next_request(app, wsgi_app, tenant, make_user,
                                                         login, registry):
    make_user(tenant, "clerk")
    clerk = _client(wsgi_app)
    login(clerk, tenant, "clerk").follow()
    clerk.get(f"{tenant.prefix}/contacts/new", status=200)

    admin = _admin(app, tenant, make_user, login)
    staff = _role_id(registry, tenant, "staff")
    form = admin.get(f"{tenant.prefix}/settings/roles/{staff}").forms["role-form"]
    _tick(form, "permissions", "contacts.create", False)
    saved = form.submit(status=303).follow()
    assert "Its users have the new rights from their next page." in saved.text
    assert not saved.html.find("input", id="permission-contacts.create").has_attr("checked")

    clerk.get(f"{tenant.prefix}/contacts/new", status=403)
    clerk.get(f"{tenant.prefix}/contacts/", status=200)  # the rest of the role still holds
    [entry] = _audit(registry, tenant, ROLE_CHANGED)
    assert entry.details["permissions"] == {"added": [], "removed": ["contacts.create"]}
    assert entry.record_id == str(staff) and entry.username == "boss"


def _field_access(registry, tenant, username: str):
    """(readable, writable) of contacts.phone and of contacts.name for ``username``,
    asked of IFieldAccess through a request of the app logged in as that user."""
    from jimucrm.addons.contacts.models import Contact

    env = prepare(registry=registry)
    request = env["request"]
    try:
        request.tenant = registry.getUtility(ITenantDirectory).by_slug(tenant.slug)
        request.tm = transaction.TransactionManager(explicit=True)
        with request.tm:
            request.session[SESSION_USER] = _user_id(registry, tenant, username)
            request.session[SESSION_TENANT] = tenant.slug
            request.session[SESSION_LOGIN_AT] = int(time.time())
            access = request.find_service(IFieldAccess)
            return [(access.readable(request, Contact, name), access.writable(request, Contact,
                                                                               name))
                    for name in ("phone", "name")]
    finally:
        env["closer"]()


def test_a_hidden_field_rule_hides_the_field_for_the_roles_users(app, wsgi_app, tenant,
                                                                 make_user, login, registry):
    make_user(tenant, "seller", roles=("staff",))
    make_user(tenant, "lead", roles=("staff", "manager"))
    assert _field_access(registry, tenant, "seller") == [(True, True), (True, True)]
    seller = _client(wsgi_app)
    login(seller, tenant, "seller").follow()
    form = seller.get(f"{tenant.prefix}/contacts/new").forms["contact-form"]
    form["name"], form["phone"] = "周客户", "13912345678"
    detail = form.submit(status=303).follow()
    assert "13912345678" in detail.text
    admin = _admin(app, tenant, make_user, login)
    staff = _role_id(registry, tenant, "staff")
    form = admin.get(f"{tenant.prefix}/settings/roles/{staff}").forms["role-form"]
    assert form["field:contacts:phone"].value == "write"
    form["field:contacts:phone"] = "none"
    form["field:contacts:email"] = "read"
    page = form.submit(status=303).follow()
    assert page.forms["role-form"]["field:contacts:phone"].value == "none"

    assert _field_access(registry, tenant, "seller") == [(False, False), (True, True)]
    # The contact pages ask the same service: the phone is gone from them.
    assert "13912345678" not in seller.get(detail.request.path).text
    assert "13912345678" not in seller.get(f"{tenant.prefix}/contacts/").text
    assert "phone" not in seller.get(f"{tenant.prefix}/contacts/new").forms["contact-form"].fields
    # Restricted only when every role restricts: the manager role has no rule.
    assert _field_access(registry, tenant, "lead") == [(True, True), (True, True)]
    assert _field_access(registry, tenant, "boss") == [(True, True), (True, True)]
    with _session(registry, tenant) as session:
        assert set(session.execute(select(RoleFieldRule.field, RoleFieldRule.access)
                                   .where(RoleFieldRule.role_id == staff)).all()) == \
            {("phone", "none"), ("email", "read")}
    [entry] = _audit(registry, tenant, ROLE_CHANGED)
    assert entry.details["field_rules"] == {
        "contacts.phone": {"before": "write", "after": "none"},
        "contacts.email": {"before": "write", "after": "read"}}


def test_an_admin_cannot_unmake_or_deactivate_themselves(app, tenant, make_user, login,
                                                         registry):
    admin = _admin(app, tenant, make_user, login)
    boss = _user_id(registry, tenant, "boss")
    form = admin.get(f"{tenant.prefix}/settings/users/{boss}").forms["user-form"]
    assert "deactivate-form" not in admin.get(f"{tenant.prefix}/settings/users/{boss}").forms
    form["is_admin"] = False
    form["display_name"] = "新名字"
    page = form.submit(status=400)
    assert _errors(page, "is_admin") == [
        "You cannot take administrator rights from yourself. Ask another administrator."]
    assert page.forms["user-form"]["display_name"].value == "新名字"
    token = page.forms["user-form"]["csrf_token"].value
    refused = admin.post(f"{tenant.prefix}/settings/users/{boss}/deactivate",
                         {"csrf_token": token}, status=303).follow()
    assert "You cannot deactivate your own account." in refused.text
    with _session(registry, tenant) as session:
        assert session.execute(select(User.is_admin, User.is_active, User.display_name)
                               .where(User.id == boss)).one() == (True, True, "boss 用户")


def test_the_last_active_admin_stays_one_when_two_unmake_each_other(
        wsgi_app, tenant, make_user, login, registry):
    """Both requests pass the permission check as administrators, then wait for the
    tenant's user lock the test holds; released, one goes through and the other is
    refused, so one administrator is left (two unchecked requests would leave none)."""
    clients, ids = {}, {}
    for name in ("admin-a", "admin-b"):
        clients[name] = _admin(_client(wsgi_app), tenant, make_user, login, name)
        ids[name] = _user_id(registry, tenant, name)
    forms = {}
    for me, other in (("admin-a", "admin-b"), ("admin-b", "admin-a")):
        form = clients[me].get(f"{tenant.prefix}/settings/users/{ids[other]}").forms["user-form"]
        form["is_admin"] = False
        forms[me] = form
    results = {}
    engine = registry.getUtility(IDatabase).engine
    with engine.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(:key, hashtext(:schema))"),
                     {"key": USERS_LOCK, "schema": tenant.schema_name})
        threads = [threading.Thread(target=lambda me=me: results.__setitem__(
            me, forms[me].submit(expect_errors=True))) for me in forms]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while lock.scalar(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND database = (SELECT oid FROM pg_database "
                "WHERE datname = current_database())")) < 2:
            assert time.monotonic() < deadline, "the requests never reached the lock"
            time.sleep(0.05)
        lock.execute(text("SELECT pg_advisory_unlock(:key, hashtext(:schema))"),
                     {"key": USERS_LOCK, "schema": tenant.schema_name})
        lock.commit()
    for thread in threads:
        thread.join(30)
    assert sorted(response.status_int for response in results.values()) == [303, 400]
    [refused] = [response for response in results.values() if response.status_int == 400]
    # Which check refuses depends on whether the identity was read before the wait (then
    # the last-administrator guard) or after it (then the actor is no administrator now).
    assert _errors(refused, "is_admin") in (
        ["This is the last active administrator. Make another user an administrator first."],
        ["Only an administrator can give or take administrator rights."])
    with _session(registry, tenant) as session:
        assert session.scalar(select(func.count()).select_from(User).where(
            User.is_admin.is_(True), User.is_active.is_(True))) == 1
    assert len(_audit(registry, tenant, USER_ADMIN_CHANGED)) == 1


def test_a_taken_username_or_email_is_a_field_error_with_the_form_reshown(
        app, tenant, make_user, login, registry):
    make_user(tenant, "wangfang")
    admin = _admin(app, tenant, make_user, login)
    form = _new_user(admin, tenant, username="WangFang", display_name="王芳二号",
                     email="WANGFANG@" + f"{tenant.slug}.example.cn", password=NEW_PASSWORD)
    team = admin.post(f"{tenant.prefix}/settings/teams", {
        "csrf_token": form["csrf_token"].value, "name": "华北"}, status=303)
    assert team.follow().status_int == 200
    page = form.submit(status=400)
    assert _errors(page, "username") == ["Another user already has this username."]
    assert _errors(page, "email") == ["Another user already has this e-mail address."]
    again = page.forms["user-form"]
    assert (again["username"].value, again["display_name"].value) == ("WangFang", "王芳二号")
    assert again["email"].value == f"wangfang@{tenant.slug}.example.cn"
    assert again["password"].value == "" and NEW_PASSWORD not in page.text
    # A weak password is refused beside its field, in the same pass.
    again["username"], again["email"], again["password"] = "wangfang2", "", "password123"
    weak = again.submit(status=400)
    assert "This password is on a list of commonly used passwords." in \
        _errors(weak, "password")
    with _session(registry, tenant) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 2


def test_user_page_changes_roles_teams_and_records_them(app, tenant, make_user, login,
                                                        registry):
    make_user(tenant, "zhaolei", roles=("staff",))
    admin = _admin(app, tenant, make_user, login)
    token = admin.get(f"{tenant.prefix}/settings/teams").forms["team-form"]["csrf_token"].value
    for name in ("华东", "华南"):
        admin.post(f"{tenant.prefix}/settings/teams", {"csrf_token": token, "name": name},
                   status=303)
    duplicate = admin.post(f"{tenant.prefix}/settings/teams",
                           {"csrf_token": token, "name": " 华东 "}, status=400)
    assert _errors(duplicate, "team-name") == ["Another team already has this name."]
    zhaolei = _user_id(registry, tenant, "zhaolei")
    with _session(registry, tenant) as session:
        teams = dict(session.execute(select(Team.name, Team.id)).all())
    form = admin.get(f"{tenant.prefix}/settings/users/{zhaolei}").forms["user-form"]
    _tick(form, "roles", str(_role_id(registry, tenant, "staff")), False)
    _tick(form, "roles", str(_role_id(registry, tenant, "manager")), True)
    _tick(form, "teams", str(teams["华东"]), True)
    assert form["password"].value == ""
    form.submit(status=303)
    team_page = admin.get(f"{tenant.prefix}/settings/teams/{teams['华东']}")
    assert "zhaolei" in team_page.html.select_one("#team-members").text
    [roles] = _audit(registry, tenant, USER_ROLES_CHANGED)
    assert roles.details == {"username": "zhaolei", "added": ["Manager"], "removed": ["Staff"]}
    [joined] = _audit(registry, tenant, USER_TEAMS_CHANGED)
    assert joined.details == {"username": "zhaolei", "added": ["华东"], "removed": []}

    # A deactivated team stays on the page of its members, and no one else is offered it.
    team_form = team_page.forms["team-deactivate-form"]
    team_form.submit(status=303)
    assert f'id="team-{teams["华东"]}"' in admin.get(
        f"{tenant.prefix}/settings/users/{zhaolei}").text
    other = _user_id(registry, tenant, "boss")
    boss_page = admin.get(f"{tenant.prefix}/settings/users/{other}")
    assert f'id="team-{teams["华东"]}"' not in boss_page.text
    forged = boss_page.forms["user-form"]
    forged.fields["teams"][0]._value = str(teams["华东"])  # pretend it was offered
    forged.fields["teams"][0].checked = True
    page = forged.submit(status=400)
    assert _errors(page, "user-teams") == ["A chosen team no longer exists or is deactivated."]


def test_new_users_are_audited(app, tenant, make_user, login, registry):
    admin = _admin(app, tenant, make_user, login)
    _new_user(admin, tenant, username="sunmei", display_name="孙梅",
              password=NEW_PASSWORD).submit(status=303)
    [entry] = _audit(registry, tenant, USER_CREATED)
    assert entry.details == {"username": "sunmei", "admin": False, "roles": ["Staff"],
                             "teams": []}
    assert entry.username == "boss" and entry.model == "users"
    # The row itself is captured too, with the password hash redacted.
    [row] = [e for e in _audit(registry, tenant, "create")
             if e.model == "users" and e.record_id == entry.record_id]
    assert row.changes["password_hash"] == {"redacted": True}


def test_roles_are_created_edited_and_deleted_only_when_unused(app, tenant, make_user, login,
                                                               registry):
    admin = _admin(app, tenant, make_user, login)
    form = admin.get(f"{tenant.prefix}/settings/roles/new").forms["role-form"]
    form["name"], form["description"] = "审计员", "只读所有联系人"
    form["read_scope"], form["write_scope"] = "all", "none"
    _tick(form, "permissions", "contacts.view", True)
    _tick(form, "permissions", "settings.audit", True)
    form["write:contacts"] = "own"
    page = form.submit(status=303).follow()
    role_id = int(page.request.path.rsplit("/", 1)[1])
    assert page.forms["role-form"]["write:contacts"].value == "own"
    with _session(registry, tenant) as session:
        assert set(session.scalars(select(RolePermission.permission).where(
            RolePermission.role_id == role_id))) == {"contacts.view", "settings.audit"}
    [created] = _audit(registry, tenant, ROLE_CREATED)
    assert created.details["permissions"]["added"] == ["contacts.view", "settings.audit"]
    assert created.details["record_rules"] == {
        "contacts": {"before": None, "after": ["all", "own"]}}

    # Same name (any case) again: a field error, typed values kept.
    again = admin.get(f"{tenant.prefix}/settings/roles/new").forms["role-form"]
    again["name"], again["read_scope"] = "审计员", "team"
    again["read_scope"] = "team"
    refused = again.submit(status=400)
    assert _errors(refused, "role-name") == ["Another role already has this name."]
    assert refused.forms["role-form"]["read_scope"].value == "team"

    make_user(tenant, "auditor", roles=())
    auditor = _user_id(registry, tenant, "auditor")
    user_form = admin.get(f"{tenant.prefix}/settings/users/{auditor}").forms["user-form"]
    _tick(user_form, "roles", str(role_id), True)
    user_form.submit(status=303)
    listing = admin.get(f"{tenant.prefix}/settings/roles")
    assert listing.html.select_one(f"#role-{role_id}").find_all("td")[-1].text.strip() == "1"
    delete = admin.get(f"{tenant.prefix}/settings/roles/{role_id}").forms["role-delete-form"]
    kept = delete.submit(status=303).follow()
    assert "Role 审计员 is still held by 1 user(s). Take it from them first." in kept.text

    user_form = admin.get(f"{tenant.prefix}/settings/users/{auditor}").forms["user-form"]
    _tick(user_form, "roles", str(role_id), False)
    user_form.submit(status=303)
    gone = admin.get(f"{tenant.prefix}/settings/roles/{role_id}").forms["role-delete-form"] \
        .submit(status=303).follow()
    assert "Role 审计员 deleted." in gone.text
    admin.get(f"{tenant.prefix}/settings/roles/{role_id}", status=404)
    [deleted] = _audit(registry, tenant, ROLE_DELETED)
    assert deleted.details == {"name": "审计员",
                               "permissions": ["contacts.view", "settings.audit"]}

    # System roles: translated titles, no name field, never deleted.
    staff = _role_id(registry, tenant, "staff")
    page = admin.get(f"{tenant.prefix}/settings/roles/{staff}")
    assert "Role Staff" in page.text and "name" not in page.forms["role-form"].fields
    assert "role-delete-form" not in page.forms
    token = page.forms["role-form"]["csrf_token"].value
    refused = admin.post(f"{tenant.prefix}/settings/roles/{staff}/delete",
                         {"csrf_token": token}, status=303).follow()
    assert "Staff is a system role and cannot be deleted." in refused.text
    admin.set_cookie("_LOCALE_", "zh_CN")
    assert "员工" in admin.get(f"{tenant.prefix}/settings/roles").html.select_one(
        f"#role-{staff}").text


def test_the_role_editor_shows_enabled_addons_only_and_keeps_the_rest(
        app, tenant, make_user, login, registry):
    admin = _admin(app, tenant, make_user, login)
    staff = _role_id(registry, tenant, "staff")
    addons = registry.getUtility(ITenantAddons)
    enabled = set(addons.enabled(tenant.slug))
    assert "contacts" in enabled
    addons.disable(tenant.slug, enabled)  # with the addons that need contacts
    try:
        form = admin.get(f"{tenant.prefix}/settings/roles/{staff}").forms["role-form"]
        offered = {field._value for field in form.fields["permissions"]}
        assert "contacts.view" not in offered and "settings.users" in offered
        assert "field:contacts:phone" not in form.fields
        _tick(form, "permissions", "settings.audit", True)
        form.submit(status=303)
    finally:
        addons.enable(tenant.slug, enabled)
    with _session(registry, tenant) as session:
        held = set(session.scalars(select(RolePermission.permission).where(
            RolePermission.role_id == staff)))
    assert {"contacts.view", "contacts.create", "settings.audit"} <= held


def test_ids_that_cannot_exist_are_404(app, tenant, make_user, login):
    admin = _admin(app, tenant, make_user, login)
    token = admin.get(f"{tenant.prefix}/settings/users").html.find(
        "input", attrs={"name": "csrf_token"})
    for kind in ("users", "roles", "teams"):
        for value in ("0", "-1", "abc", "1e3", "99999999999999999999999", "2147483648",
                      "%EF%BC%94%EF%BC%92", "9999"):
            admin.get(f"{tenant.prefix}/settings/{kind}/{value}", status=404)
    for path in ("users/2147483648/deactivate", "roles/99999999999999999999/delete",
                 "teams/abc/reactivate", "users/9999/reset-mfa"):
        admin.post(f"{tenant.prefix}/settings/{path}",
                   {"csrf_token": token["value"] if token else ""}, status=404)
    # Huge or foreign values in the form and the query string are dropped, not a 500.
    admin.get(f"{tenant.prefix}/settings/users?role=99999999999999999999&page=" + "9" * 30)
    form = _new_user(admin, tenant, username="lihua", display_name="李华",
                     password=NEW_PASSWORD)
    form.fields["roles"][0]._value = "99999999999999999999"
    form.fields["roles"][0].checked = True
    form.submit(status=303)


def test_only_administrators_touch_administrators(app, wsgi_app, tenant, make_user, login,
                                                  registry):
    admin = _admin(app, tenant, make_user, login)
    form = admin.get(f"{tenant.prefix}/settings/roles/new").forms["role-form"]
    form["name"] = "人事"
    _tick(form, "permissions", "settings.users", True)
    role_id = int(form.submit(status=303).follow().request.path.rsplit("/", 1)[1])
    make_user(tenant, "hr", roles=())
    with _session(registry, tenant) as session, session.begin():
        session.add(UserRole(user_id=_user_id(registry, tenant, "hr"), role_id=role_id))
    hr = _client(wsgi_app)
    login(hr, tenant, "hr").follow()
    hr.set_cookie("_LOCALE_", "en")
    boss = _user_id(registry, tenant, "boss")
    page = hr.get(f"{tenant.prefix}/settings/users/{boss}")
    assert page.html.find(id="admin-locked") is not None
    token = page.forms["user-form"]["csrf_token"].value
    hr.post(f"{tenant.prefix}/settings/users/{boss}", {
        "csrf_token": token, "username": "boss", "display_name": "x", "is_admin": "on",
        "password": NEW_PASSWORD}, status=403)
    for action in ("deactivate", "reset-mfa"):
        hr.post(f"{tenant.prefix}/settings/users/{boss}/{action}", {"csrf_token": token},
                status=403)
    # Nor make one: the flag is refused beside the field.
    form = _new_user(hr, tenant, username="sneaky", display_name="偷偷", password=NEW_PASSWORD)
    assert "disabled" in form.fields["is_admin"][0].attrs
    refused = hr.post(f"{tenant.prefix}/settings/users/new", {
        "csrf_token": token, "username": "sneaky", "display_name": "偷偷", "is_admin": "on",
        "password": NEW_PASSWORD}, status=400)
    assert _errors(refused, "is_admin") == [
        "Only an administrator can give or take administrator rights."]
    with _session(registry, tenant) as session:
        assert session.scalar(select(User.display_name).where(User.id == boss)) == "boss 用户"
        assert session.scalar(select(User.id).where(User.username == "sneaky")) is None


def test_deactivating_a_user_ends_their_session_and_login(app, wsgi_app, tenant, make_user,
                                                          login, registry):
    make_user(tenant, "leaver")
    leaver = _client(wsgi_app)
    login(leaver, tenant, "leaver").follow()
    admin = _admin(app, tenant, make_user, login)
    leaver_id = _user_id(registry, tenant, "leaver")
    page = admin.get(f"{tenant.prefix}/settings/users/{leaver_id}")
    done = page.forms["deactivate-form"].submit(status=303).follow()
    assert "leaver is deactivated and can no longer log in." in done.text
    assert leaver.get(f"{tenant.prefix}/contacts/", status=302).location.split("?")[0] \
        .endswith("/login")
    assert login(_client(wsgi_app), tenant, "leaver").status_int == 400
    done.forms["reactivate-form"].submit(status=303)
    assert login(_client(wsgi_app), tenant, "leaver").status_int == 303


def test_an_admin_resets_a_lost_second_factor(app, tenant, make_user, login, registry):
    make_user(tenant, "phoneless")
    user_id = _user_id(registry, tenant, "phoneless")
    with _session(registry, tenant) as session, session.begin():
        row = start_enrolment(session, user_id)
        row.confirmed_at = func.now()
    admin = _admin(app, tenant, make_user, login)
    listing = admin.get(f"{tenant.prefix}/settings/users")
    assert listing.html.select_one(f"#user-{user_id}").find_all("td")[-1].text == "On"
    page = admin.get(f"{tenant.prefix}/settings/users/{user_id}")
    done = page.forms["reset-mfa-form"].submit(status=303).follow()
    assert "Two-step verification is off for phoneless." in done.text
    assert "reset-mfa-form" not in done.forms
    with _session(registry, tenant) as session:
        assert not is_enabled(session, user_id)
    [entry] = _audit(registry, tenant, MFA_RESET)
    assert entry.record_id == str(user_id) and entry.username == "boss"


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_page_renders_in_both_languages(app, tenant, make_user, login, registry, locale):
    admin = _admin(app, tenant, make_user, login)
    admin.set_cookie("_LOCALE_", locale)
    staff = _role_id(registry, tenant, "staff")
    boss = _user_id(registry, tenant, "boss")
    token = admin.get(f"{tenant.prefix}/settings/teams").forms["team-form"]["csrf_token"].value
    team = admin.post(f"{tenant.prefix}/settings/teams", {"csrf_token": token, "name": "西部"},
                      status=303)
    assert team.status_int == 303
    with _session(registry, tenant) as session:
        team_id = session.scalar(select(Team.id).where(Team.name == "西部"))
    for path in ("users", "users/new", f"users/{boss}", "roles", "roles/new", f"roles/{staff}",
                 "teams", f"teams/{team_id}"):
        page = admin.get(f"{tenant.prefix}/settings/{path}")
        assert page.html.find("nav", class_="tabs") is not None
        if locale == "zh_CN":
            assert "用户" in page.text and "Users" not in page.html.find("nav", class_="tabs").text
    # Permission titles made of translated parts ("${action}: ${model}") are translated whole.
    page = admin.get(f"{tenant.prefix}/settings/roles/{staff}")
    label = page.html.find("input", id="permission-contacts.view").find_next("span")
    title = label.get_text(" ", strip=True).replace("contacts.view", "").strip()
    assert title == ("联系人：查看" if locale == "zh_CN" else "View: Contacts")
