"""Roles, their permissions, record and field rules; teams.

Revision ID: security_rbac_0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "security_rbac_0001"
down_revision = None
branch_labels = ("security_rbac",)
depends_on = None  # "security" is registered, so migrated, before this branch

SCOPE_CHECK = "{0} IN ('none', 'own', 'team', 'all')"


def _role_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["role_id"], ["roles.id"], ondelete="CASCADE",
                                   name=f"fk_{table}_role_id_roles")


def upgrade() -> None:
    op.create_table(
        "roles",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("key", sa.String(40)),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("read_scope", sa.String(8), nullable=False),
        sa.Column("write_scope", sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_roles"),
        sa.UniqueConstraint("key", name="uq_roles_key"),
        sa.UniqueConstraint("name", name="uq_roles_name"),
        sa.CheckConstraint(SCOPE_CHECK.format("read_scope"), name="ck_roles_read_scope"),
        sa.CheckConstraint(SCOPE_CHECK.format("write_scope"), name="ck_roles_write_scope"),
    )
    op.create_table(
        "role_permissions",
        sa.Column("role_id", sa.Integer, nullable=False),
        sa.Column("permission", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("role_id", "permission", name="pk_role_permissions"),
        _role_fk("role_permissions"),
    )
    op.create_table(
        "role_record_rules",
        sa.Column("role_id", sa.Integer, nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("read_scope", sa.String(8), nullable=False),
        sa.Column("write_scope", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("role_id", "model", name="pk_role_record_rules"),
        _role_fk("role_record_rules"),
        sa.CheckConstraint(SCOPE_CHECK.format("read_scope"),
                           name="ck_role_record_rules_read_scope"),
        sa.CheckConstraint(SCOPE_CHECK.format("write_scope"),
                           name="ck_role_record_rules_write_scope"),
    )
    op.create_table(
        "role_field_rules",
        sa.Column("role_id", sa.Integer, nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("field", sa.String(100), nullable=False),
        sa.Column("access", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("role_id", "model", "field", name="pk_role_field_rules"),
        _role_fk("role_field_rules"),
        sa.CheckConstraint("access IN ('none', 'read')", name="ck_role_field_rules_access"),
    )
    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("role_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "role_id", name="pk_user_roles"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name="fk_user_roles_user_id_users"),
        _role_fk("user_roles"),
    )
    op.create_index("ix_user_roles_role_id", "user_roles", ["role_id"])
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_teams"),
        sa.UniqueConstraint("name", name="uq_teams_name"),
    )
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("team_id", "user_id", name="pk_team_members"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="CASCADE",
                                name="fk_team_members_team_id_teams"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name="fk_team_members_user_id_users"),
    )
    op.create_index("ix_team_members_user_id", "team_members", ["user_id"])


def downgrade() -> None:
    for table in ("team_members", "teams", "user_roles", "role_field_rules",
                  "role_record_rules", "role_permissions", "roles"):
        op.drop_table(table)
