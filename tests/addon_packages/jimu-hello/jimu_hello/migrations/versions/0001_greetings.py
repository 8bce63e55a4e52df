"""Greetings.

Revision ID: hello_0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "hello_0001"
down_revision = None
branch_labels = ("hello",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hello_greetings",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("contact_id", sa.Integer, nullable=False),
        sa.Column("text", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_hello_greetings"),
    )


def downgrade() -> None:
    op.drop_table("hello_greetings")
