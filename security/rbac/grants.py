"""What a user's roles grant, loaded once per request."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import (
    FIELD_ACCESS,
    SCOPES,
    Role,
    RoleFieldRule,
    RolePermission,
    RoleRecordRule,
    TeamMember,
    UserRole,
)


def widest(values, order: tuple[str, ...]) -> str:
    """The widest of ``values`` in ``order`` (``order[0]`` when there are none)."""
    return max(values, key=order.index, default=order[0])


@dataclass(frozen=True)
class RoleGrant:
    permissions: frozenset[str]
    read_scope: str
    write_scope: str
    record_rules: dict[str, tuple[str, str]] = field(default_factory=dict)
    field_rules: dict[tuple[str, str], str] = field(default_factory=dict)

    def scope(self, model: str, action: str) -> str:
        read, write = self.record_rules.get(model, (self.read_scope, self.write_scope))
        return read if action == "read" else write


@dataclass(frozen=True)
class Grants:
    """The union of a user's roles: the widest scope and access any role gives."""

    roles: tuple[RoleGrant, ...]
    team_user_ids: frozenset[int]

    @property
    def permissions(self) -> frozenset[str]:
        return frozenset().union(*(role.permissions for role in self.roles))

    def scope(self, model: str, action: str) -> str:
        return widest((role.scope(model, action) for role in self.roles), SCOPES)

    def field_access(self, model: str, name: str) -> str:
        return widest((role.field_rules.get((model, name), "write") for role in self.roles),
                      FIELD_ACCESS)


def load_grants(session: Session, user_id: int) -> Grants:
    """The grants of ``user_id``'s roles and the members of its teams (four queries)."""
    role_ids = select(UserRole.role_id).where(UserRole.user_id == user_id).scalar_subquery()
    roles = session.execute(select(Role.id, Role.read_scope, Role.write_scope)
                            .where(Role.id.in_(role_ids))).all()
    if not roles:
        return Grants((), frozenset({user_id}))
    ids = [role.id for role in roles]
    permissions: dict[int, set[str]] = {role_id: set() for role_id in ids}
    for role_id, name in session.execute(select(RolePermission.role_id, RolePermission.permission)
                                         .where(RolePermission.role_id.in_(ids))):
        permissions[role_id].add(name)
    records: dict[int, dict[str, tuple[str, str]]] = {role_id: {} for role_id in ids}
    for rule in session.scalars(select(RoleRecordRule).where(RoleRecordRule.role_id.in_(ids))):
        records[rule.role_id][rule.model] = (rule.read_scope, rule.write_scope)
    fields: dict[int, dict[tuple[str, str], str]] = {role_id: {} for role_id in ids}
    for rule in session.scalars(select(RoleFieldRule).where(RoleFieldRule.role_id.in_(ids))):
        fields[rule.role_id][(rule.model, rule.field)] = rule.access
    teams = select(TeamMember.team_id).where(TeamMember.user_id == user_id).scalar_subquery()
    mates = set(session.scalars(select(TeamMember.user_id).where(TeamMember.team_id.in_(teams))))
    return Grants(
        tuple(RoleGrant(frozenset(permissions[role.id]), role.read_scope, role.write_scope,
                        records[role.id], fields[role.id]) for role in roles),
        frozenset(mates | {user_id}),
    )
