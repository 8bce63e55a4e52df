"""Roles: the list, the role editor (permissions, record rules, field rules) and deletion.

The editor shows the permissions and models of core packages and of the addons the
tenant has enabled. What a role holds for an addon that is off stays as it is when
the role is saved, and counts again when the addon is switched back on.
"""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from jimucrm.core.i18n import _
from jimucrm.core.urls import matched_id

from ...audit.log import ROLE_CHANGED, ROLE_CREATED, ROLE_DELETED, record
from ..defaults import role_description, role_title
from ..forms import DEFAULT, FIELD_ACCESS_TITLES, SCOPE_TITLES, RoleForm
from ..models import SCOPES, Role, RoleFieldRule, RolePermission, RoleRecordRule, UserRole
from . import PERMISSION, TEMPLATES, available_models, available_permissions, translated


def _role(request: Request, *, lock: bool = False) -> Role:
    query = select(Role).where(Role.id == matched_id(request))
    if lock:
        query = query.with_for_update()
    role = request.dbsession.scalars(query).first()
    if role is None:
        raise HTTPNotFound()
    return role


def _holders(request: Request, role_id: int) -> int:
    return request.dbsession.scalar(
        select(func.count()).select_from(UserRole).where(UserRole.role_id == role_id))


def _scopes(request: Request) -> list[tuple[str, str]]:
    return [(scope, translated(request, SCOPE_TITLES[scope])) for scope in SCOPES]


@view_config(route_name="settings_roles", permission=PERMISSION, tenant=True,
             request_method="GET", renderer=TEMPLATES + "roles.pt")
def role_list(request: Request) -> dict:
    session = request.dbsession
    holders = dict(session.execute(select(UserRole.role_id, func.count())
                                   .group_by(UserRole.role_id)).all())
    granted = dict(session.execute(select(RolePermission.role_id, func.count())
                                   .group_by(RolePermission.role_id)).all())
    titles = dict(_scopes(request))
    roles = session.scalars(select(Role).order_by(Role.key.is_(None), func.lower(Role.name),
                                                  Role.id))
    return {"roles": [{
        "id": role.id, "title": translated(request, role_title(role)),
        "description": translated(request, role_description(role)),
        "system": role.key is not None,
        "read_scope": titles[role.read_scope], "write_scope": titles[role.write_scope],
        "users": holders.get(role.id, 0), "permissions": granted.get(role.id, 0),
    } for role in roles]}


# -- the editor ----------------------------------------------------------------------------

def _offered(request: Request) -> tuple[list[str], dict[str, list[str]]]:
    """The permission names and the models (key → labelled fields) the editor shows."""
    return ([permission.name for permission in available_permissions(request)],
            {spec.key: [name for name, _label in spec.fields()]
             for spec in available_models(request)})


def _form_of(role: Role) -> RoleForm:
    return RoleForm(
        name=role.name, description=role.description,
        read_scope=role.read_scope, write_scope=role.write_scope,
        permissions={row.permission for row in role.permissions},
        record_rules={row.model: (row.read_scope, row.write_scope) for row in role.record_rules},
        field_rules={(row.model, row.field): row.access for row in role.field_rules})


def _editor(request: Request, form: RoleForm, role: Role | None) -> dict:
    groups: dict[str, list[dict]] = {}
    for permission in available_permissions(request):
        groups.setdefault(translated(request, permission.group), []).append({
            "name": permission.name, "title": translated(request, permission.title),
            "checked": permission.name in form.permissions})
    models = []
    for spec in available_models(request):
        read, write = form.record_rules.get(spec.key, (DEFAULT, DEFAULT))
        models.append({
            "key": spec.key, "title": translated(request, spec.title), "read": read,
            "write": write, "has_owner": spec.owner is not None,
            "error": form.errors.get(f"rule:{spec.key}"),
            "fields": [{"name": name, "label": translated(request, label),
                        "access": form.field_rules.get((spec.key, name), "write"),
                        "error": form.errors.get(f"field:{spec.key}:{name}")}
                       for name, label in spec.fields()],
        })
    return {
        "form": form,
        "role": None if role is None else {
            "id": role.id, "system": role.key is not None,
            "title": translated(request, role_title(role)),
            "default_description": translated(request, role_description(role))
            if role.key is not None else "",
            "users": _holders(request, role.id)},
        "permission_groups": [{"title": title, "permissions": sorted(
            items, key=lambda item: item["name"])} for title, items in sorted(groups.items())],
        "models": models,
        "scopes": _scopes(request),
        "accesses": [(value, translated(request, title))
                     for value, title in FIELD_ACCESS_TITLES.items()],
    }


def _invalid(request: Request, form: RoleForm, role: Role | None) -> dict:
    request.response.status_int = 400
    return _editor(request, form, role)


def _check_name(request: Request, form: RoleForm, role: Role | None) -> None:
    if "name" in form.errors or (role is not None and role.key is not None):
        return
    query = select(Role.id).where(func.lower(Role.name) == form.name.lower())
    if role is not None:
        query = query.where(Role.id != role.id)
    if request.dbsession.scalar(query.limit(1)) is not None:
        form.errors["name"] = [_("Another role already has this name.")]


def _apply(request: Request, role: Role, form: RoleForm) -> dict[str, Any]:
    """Save ``form`` into ``role`` (flushed); return what changed, for the audit log."""
    session = request.dbsession
    offered, models = _offered(request)
    changed: dict[str, Any] = {}
    system = role.key is not None
    for name in ("description", "read_scope", "write_scope") + (() if system else ("name",)):
        before, after = getattr(role, name), getattr(form, name)
        if before != after:
            changed[name] = {"before": before, "after": after}
            setattr(role, name, after)
    session.flush()  # a new role gets its id

    held = {row.permission: row for row in session.scalars(
        select(RolePermission).where(RolePermission.role_id == role.id))}
    # Permissions of addons the tenant has switched off are not on the form: they stay.
    wanted = form.permissions | (set(held) - set(offered))
    for name in sorted(set(held) - wanted):
        session.delete(held[name])
    for name in sorted(wanted - set(held)):
        session.add(RolePermission(role_id=role.id, permission=name))
    if wanted != set(held):
        changed["permissions"] = {"added": sorted(wanted - set(held)),
                                  "removed": sorted(set(held) - wanted)}

    rules = {row.model: row for row in session.scalars(
        select(RoleRecordRule).where(RoleRecordRule.role_id == role.id))}
    rule_changes = {}
    for key in models:
        read, write = form.record_rules.get(key, (DEFAULT, DEFAULT))
        row = rules.get(key)
        before = None if row is None else [row.read_scope, row.write_scope]
        if read == DEFAULT and write == DEFAULT:
            after = None
        else:
            # A rule holds both scopes: the one left at "default" takes the role's.
            after = [role.read_scope if read == DEFAULT else read,
                     role.write_scope if write == DEFAULT else write]
        if before == after:
            continue
        rule_changes[key] = {"before": before, "after": after}
        if after is None:
            session.delete(row)
        elif row is None:
            session.add(RoleRecordRule(role_id=role.id, model=key, read_scope=after[0],
                                       write_scope=after[1]))
        else:
            row.read_scope, row.write_scope = after
    if rule_changes:
        changed["record_rules"] = rule_changes

    field_rows = {(row.model, row.field): row for row in session.scalars(
        select(RoleFieldRule).where(RoleFieldRule.role_id == role.id))}
    field_changes = {}
    for key, fields in models.items():
        for name in fields:
            access = form.field_rules.get((key, name), "write")
            row = field_rows.get((key, name))
            before = "write" if row is None else row.access
            if before == access:
                continue
            field_changes[f"{key}.{name}"] = {"before": before, "after": access}
            if access == "write":
                session.delete(row)
            elif row is None:
                session.add(RoleFieldRule(role_id=role.id, model=key, field=name, access=access))
            else:
                row.access = access
    if field_changes:
        changed["field_rules"] = field_changes
    session.flush()
    return changed


def _parse(request: Request, role: Role | None) -> RoleForm:
    offered, models = _offered(request)
    system = role is not None and role.key is not None
    form = RoleForm.parse(request.POST, permissions=offered, models=models,
                          name_required=not system)
    if system:
        form.name = role.name
    _check_name(request, form, role)
    return form


def _save(request: Request, role: Role, form: RoleForm) -> dict[str, Any] | None:
    """``_apply`` in a savepoint; None when the name was taken meanwhile."""
    try:
        with request.dbsession.begin_nested():
            return _apply(request, role, form)
    except IntegrityError:
        form.errors["name"] = [_("Another role already has this name.")]
        return None


@view_config(route_name="settings_role_new", permission=PERMISSION, tenant=True,
             request_method="GET", renderer=TEMPLATES + "role.pt")
def new_role_form(request: Request) -> dict:
    return _editor(request, RoleForm(), None)


@view_config(route_name="settings_role_new", permission=PERMISSION, tenant=True,
             request_method="POST", renderer=TEMPLATES + "role.pt")
def create_role(request: Request):
    form = _parse(request, None)
    if form.errors:
        return _invalid(request, form, None)
    role = Role(key=None, name=form.name, description="", read_scope=form.read_scope,
                write_scope=form.write_scope)
    request.dbsession.add(role)
    changed = _save(request, role, form)
    if changed is None:
        return _invalid(request, form, None)
    record(request, ROLE_CREATED, model="roles", record_id=role.id,
           details={"name": role.name, **changed})
    request.session.flash(request.localizer.translate(
        _("Role ${name} created.", mapping={"name": role.name})))
    return HTTPSeeOther(request.route_url("settings_role", id=role.id))


@view_config(route_name="settings_role", permission=PERMISSION, tenant=True,
             request_method="GET", renderer=TEMPLATES + "role.pt")
def edit_role_form(request: Request) -> dict:
    role = _role(request)
    return _editor(request, _form_of(role), role)


@view_config(route_name="settings_role", permission=PERMISSION, tenant=True,
             request_method="POST", renderer=TEMPLATES + "role.pt")
def update_role(request: Request):
    role = _role(request, lock=True)
    form = _parse(request, role)
    if form.errors:
        return _invalid(request, form, role)
    changed = _save(request, role, form)
    if changed is None:
        request.dbsession.refresh(role)
        return _invalid(request, form, role)
    title = translated(request, role_title(role))
    if changed:
        # Grants are read on every request: holders get the new rights on their next click.
        record(request, ROLE_CHANGED, model="roles", record_id=role.id,
               details={"name": role.name, **changed})
        message = _("Role ${name} saved. Its users have the new rights from their next page.",
                    mapping={"name": title})
    else:
        message = _("Nothing to save: role ${name} is unchanged.", mapping={"name": title})
    request.session.flash(request.localizer.translate(message))
    return HTTPSeeOther(request.route_url("settings_role", id=role.id))


@view_config(route_name="settings_role_delete", permission=PERMISSION, tenant=True,
             request_method="POST")
def delete_role(request: Request) -> HTTPSeeOther:
    # Locked: a user given the role meanwhile waits, so the count below stays true.
    role = _role(request, lock=True)
    title = translated(request, role_title(role))
    back = HTTPSeeOther(request.route_url("settings_role", id=role.id))
    if role.key is not None:
        request.session.flash(request.localizer.translate(
            _("${name} is a system role and cannot be deleted.", mapping={"name": title})))
        return back
    holders = _holders(request, role.id)
    if holders:
        request.session.flash(request.localizer.translate(
            _("Role ${name} is still held by ${count} user(s). Take it from them first.",
              mapping={"name": title, "count": holders})))
        return back
    record(request, ROLE_DELETED, model="roles", record_id=role.id, details={
        "name": role.name, "permissions": sorted(row.permission for row in role.permissions)})
    request.dbsession.delete(role)
    request.session.flash(request.localizer.translate(
        _("Role ${name} deleted.", mapping={"name": title})))
    return HTTPSeeOther(request.route_url("settings_roles"))
