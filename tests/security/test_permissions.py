"""Every view declares a permission, and what it declares is enforced for every role.

The route-table walk fails on any view of a non-public route left without a
permission (or with one nobody declared); the role sweep logs in users of
each kind and visits every route, expecting a refusal wherever the user lacks
the view's permission, and a record of another user only where record rules allow.
"""

from __future__ import annotations

import re

import pytest
from pyramid.security import NO_PERMISSION_REQUIRED
from sqlalchemy import select

from jimucrm.core.interfaces import IDatabase
from jimucrm.core.permissions import AUTHENTICATED, permissions
from jimucrm.security.rbac.models import Role, RolePermission

# Routes anyone may reach without logging in: signing in and out, the language
# switch, static files and the platform page shown when no tenant is addressed.
PUBLIC_ROUTES = {"__static/", "locale", "login", "login_totp", "logout", "home"}


def _route_views(registry):
    """(route name, permission) for every view bound to a route."""
    for item in registry.introspector.get_category("views"):
        view = item["introspectable"]
        if view["route_name"] is None:
            continue  # exception views: they render refusals, they grant nothing
        granted = [related.title for related in item["related"]
                   if related.category_name == "permissions"]
        yield view["route_name"], granted[0] if granted else None


def test_every_view_declares_a_known_permission(registry):
    declared = set(permissions(registry)) | {AUTHENTICATED}
    problems = []
    for route, permission in _route_views(registry):
        if permission is None:
            problems.append(f"{route}: no permission")
        elif permission == NO_PERMISSION_REQUIRED:
            if route not in PUBLIC_ROUTES:
                problems.append(f"{route}: open to anyone but not a public route")
        elif permission not in declared:
            problems.append(f"{route}: permission {permission!r} is not declared")
    assert problems == []


def test_menu_items_and_panels_name_declared_permissions(registry):
    from jimucrm.core.interfaces import IMenuItem

    declared = set(permissions(registry)) | {AUTHENTICATED}
    menus = {item.permission for _, item in registry.getUtilitiesFor(IMenuItem)}
    panels = {panel.permission for panel in registry.jimu_panels}
    assert (menus | panels) - declared == set()


def test_a_view_without_permission_is_refused_not_open(config):
    """The default permission is one nobody holds: a forgotten permission fails closed."""
    from pyramid.interfaces import IDefaultPermission

    default = config.registry.queryUtility(IDefaultPermission)
    assert default is not None
    assert default not in permissions(config.registry) and default != AUTHENTICATED


def _permission_of(registry) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for route, permission in _route_views(registry):
        found.setdefault(route, set()).add(permission)
    return found


@pytest.mark.parametrize("roles", [(), ("staff",), ("manager",)])
def test_every_route_refuses_users_without_its_permission(app, wsgi_app, registry, tenant,
                                                          make_user, login, sweep, roles):
    username = f"u{len(roles)}{'-'.join(roles)}"
    make_user(tenant, username, roles=roles)
    login(app, tenant, username).follow()
    held = _role_permissions(registry, tenant, roles)
    by_route = _permission_of(registry)
    token = sweep.csrf_token(app, tenant.prefix)
    checked = 0
    for route in sweep.route_table(wsgi_app):
        needed = by_route.get(route.name, set()) - {NO_PERMISSION_REQUIRED, AUTHENTICATED}
        if not needed or route.name in PUBLIC_ROUTES:
            continue
        lacking = needed - held
        if lacking != needed:
            continue  # the user holds the permission of some view of this route
        path = tenant.prefix + route.path("1")
        page = app.get(path, status="*")
        assert page.status_int in (403, 404, 405), (route.name, roles, page.status)
        for method in sweep.UNSAFE_METHODS:
            response = app.request(path, method=method, body=f"csrf_token={token}".encode(),
                                   content_type="application/x-www-form-urlencoded",
                                   headers={"X-CSRF-Token": token}, expect_errors=True)
            assert response.status_int in (403, 404, 405), (method, route.name, roles,
                                                            response.status)
        checked += 1
    # Users without any role are refused the most; the sweep must have found routes.
    if not roles:
        assert checked > 0


def _role_permissions(registry, tenant, roles) -> set[str]:
    """What the tenant's roles ``roles`` grant, read from the database."""
    database = registry.getUtility(IDatabase)
    with database.session(tenant.schema_name) as session:
        return set(session.scalars(
            select(RolePermission.permission).join(Role, Role.id == RolePermission.role_id)
            .where(Role.key.in_(roles))))


SECRET = "只给本人看的联系人"


def _contact_of(app, tenant, login, username) -> str:
    login(app, tenant, username).follow()
    form = app.get(f"{tenant.prefix}/contacts/new").forms["contact-form"]
    form["name"], form["notes"] = SECRET, SECRET
    detail = form.submit().follow()
    app.reset()
    return re.search(r"/contacts/(\d+)$", detail.request.path).group(1)


def test_record_rules_hold_on_every_route(app, wsgi_app, tenant, make_user, login, sweep):
    """A staff user reaches a colleague's record on no route; a manager of their team does."""
    make_user(tenant, "owner", roles=("staff",), teams=("华东",))
    make_user(tenant, "colleague", roles=("staff",), teams=("华东",))
    make_user(tenant, "lead", roles=("manager",), teams=("华东",))
    make_user(tenant, "outsider", roles=("manager",), teams=("华南",))
    contact_id = _contact_of(app, tenant, login, "owner")

    for username in ("colleague", "outsider"):
        login(app, tenant, username).follow()
        token = sweep.csrf_token(app, tenant.prefix)
        assert SECRET not in app.get(f"{tenant.prefix}/contacts/", params={"q": "只给"}).text
        for route in sweep.route_table(wsgi_app):
            path = tenant.prefix + route.path(contact_id)
            page = app.get(path, status="*")
            assert SECRET not in page.text, (username, route.name)
            for method in sweep.UNSAFE_METHODS:
                response = app.request(path, method=method,
                                       body=f"csrf_token={token}".encode(),
                                       content_type="application/x-www-form-urlencoded",
                                       headers={"X-CSRF-Token": token}, expect_errors=True)
                assert SECRET not in response.text, (username, method, route.name)
        app.reset()

    login(app, tenant, "lead").follow()
    assert SECRET in app.get(f"{tenant.prefix}/contacts/{contact_id}").text
    assert SECRET in app.get(f"{tenant.prefix}/contacts/", params={"q": "只给"}).text
