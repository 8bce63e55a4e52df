"""The system roles every tenant gets, and the permissions they receive by default."""

from __future__ import annotations

from pyramid.i18n import TranslationString
from pyramid.registry import Registry
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from jimucrm.core.events import ITenantAddonsChanged, ITenantProvisioned
from jimucrm.core.i18n import _
from jimucrm.core.permissions import permissions

from .models import Role, RolePermission
from .permissions import MANAGER, STAFF

# key: (title, description, read scope, write scope)
SYSTEM_ROLE_DEFAULTS: dict[str, tuple[TranslationString, TranslationString, str, str]] = {
    MANAGER: (_("Manager"), _("Sees and changes the records of the teams they belong to."),
              "team", "team"),
    STAFF: (_("Staff"), _("Sees and changes their own records."), "own", "own"),
}
# Stored names of system roles: shown translated through ``role_title`` instead.
STORED_NAMES = {MANAGER: "经理", STAFF: "员工"}


def role_title(role: Role) -> TranslationString | str:
    """The role's name as the user should read it (system roles are translated)."""
    if role.key in SYSTEM_ROLE_DEFAULTS:
        return SYSTEM_ROLE_DEFAULTS[role.key][0]
    return role.name


def role_description(role: Role) -> TranslationString | str:
    """The role's description (system roles: translated, unless an admin wrote one)."""
    if not role.description and role.key in SYSTEM_ROLE_DEFAULTS:
        return SYSTEM_ROLE_DEFAULTS[role.key][1]
    return role.description


def grant_defaults(registry: Registry, session: Session, addons: frozenset[str] | None) -> None:
    """Give the system roles the permissions declared for them by core packages and ``addons``.

    ``addons=None`` means only the core packages' permissions. Permissions a
    role already holds stay; none is taken away.
    """
    roles = dict(session.execute(select(Role.key, Role.id).where(Role.key.is_not(None))).all())
    rows = [
        {"role_id": roles[key], "permission": permission.name}
        for permission in permissions(registry).values()
        if permission.addon is None or (addons is not None and permission.addon in addons)
        for key in permission.roles if key in roles
    ]
    if rows:
        session.execute(insert(RolePermission).values(rows).on_conflict_do_nothing())


def create_system_roles(event: ITenantProvisioned) -> None:
    """A new tenant gets the manager and staff roles with their default permissions."""
    for key, (_title, _description, read_scope, write_scope) in SYSTEM_ROLE_DEFAULTS.items():
        event.session.add(Role(key=key, name=STORED_NAMES[key], description="",
                               read_scope=read_scope, write_scope=write_scope))
    event.session.flush()
    grant_defaults(event.registry, event.session, frozenset(event.tenant.addons))


def grant_enabled_addons(event: ITenantAddonsChanged) -> None:
    """Addons just enabled bring their permissions to the system roles."""
    if event.enabled:
        grant_defaults(event.registry, event.session, frozenset(event.enabled))
