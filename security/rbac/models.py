"""Roles, what they grant, and teams (in each tenant's schema)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jimucrm.core.models import TenantBase

# Widest last: the effective scope of a user with several roles is the widest one.
SCOPES = ("none", "own", "team", "all")
FIELD_ACCESS = ("none", "read", "write")


class Role(TenantBase):
    __tablename__ = "roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    # System roles are made at provisioning and receive the permissions addons
    # declare for them when they are enabled; their key never changes.
    key: Mapped[str | None] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    read_scope: Mapped[str] = mapped_column(String(8), default="own")
    write_scope: Mapped[str] = mapped_column(String(8), default="own")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    permissions: Mapped[list[RolePermission]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True)
    record_rules: Mapped[list[RoleRecordRule]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True)
    field_rules: Mapped[list[RoleFieldRule]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True)

    __table_args__ = (
        CheckConstraint("read_scope IN ('none', 'own', 'team', 'all')", name="read_scope"),
        CheckConstraint("write_scope IN ('none', 'own', 'team', 'all')", name="write_scope"),
    )


class RolePermission(TenantBase):
    __tablename__ = "role_permissions"

    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"),
                                         primary_key=True)
    permission: Mapped[str] = mapped_column(String(100), primary_key=True)


class RoleRecordRule(TenantBase):
    """A role's scope on one model, overriding the role's default scopes."""

    __tablename__ = "role_record_rules"

    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"),
                                         primary_key=True)
    model: Mapped[str] = mapped_column(String(100), primary_key=True)
    read_scope: Mapped[str] = mapped_column(String(8))
    write_scope: Mapped[str] = mapped_column(String(8))

    __table_args__ = (
        CheckConstraint("read_scope IN ('none', 'own', 'team', 'all')", name="read_scope"),
        CheckConstraint("write_scope IN ('none', 'own', 'team', 'all')", name="write_scope"),
    )


class RoleFieldRule(TenantBase):
    """A field a role may only read ('read') or not see at all ('none').

    Fields without a rule are writable: roles restrict, they never widen.
    """

    __tablename__ = "role_field_rules"

    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"),
                                         primary_key=True)
    model: Mapped[str] = mapped_column(String(100), primary_key=True)
    field: Mapped[str] = mapped_column(String(100), primary_key=True)
    access: Mapped[str] = mapped_column(String(8))

    __table_args__ = (
        CheckConstraint("access IN ('none', 'read')", name="access"),
    )


class UserRole(TenantBase):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)


class Team(TenantBase):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class TeamMember(TenantBase):
    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"),
                                         primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)
