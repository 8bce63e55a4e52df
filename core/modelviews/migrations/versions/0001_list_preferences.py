"""Users' list preferences: chosen columns and saved filters.

Revision ID: core_views_0001
Revises:
Create Date: 2026-12-12
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "core_views_0001"
down_revision = None
branch_labels = ("core_views",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "list_columns",
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("view", sa.String(100), nullable=False),
        sa.Column("columns", postgresql.JSONB, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "view", name="pk_list_columns"),
    )
    op.create_table(
        "saved_filters",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("view", sa.String(100), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("params", postgresql.JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_saved_filters"),
        sa.UniqueConstraint("user_id", "view", "name",
                            name="uq_saved_filters_user_id_view_name"),
    )


def downgrade() -> None:
    op.drop_table("saved_filters")
    op.drop_table("list_columns")
