"""Tenant data keys.

Revision ID: security_keys_0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "security_keys_0001"
down_revision = None
branch_labels = ("security_keys",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("version", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("algorithm", sa.String(32), nullable=False),
        sa.Column("master_key_id", sa.String(64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
        sa.Column("check_value", sa.LargeBinary, nullable=False),
        sa.Column("progress", postgresql.JSONB),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("version", name="pk_data_keys"),
        sa.CheckConstraint("status IN ('active', 'retiring', 'retired')",
                           name="ck_data_keys_status"),
    )
    op.create_index("uq_data_keys_active", "data_keys", ["status"], unique=True,
                    postgresql_where=sa.text("status = 'active'"))


def downgrade() -> None:
    op.drop_table("data_keys")
