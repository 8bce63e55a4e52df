"""The transactional outbox: events, deliveries (the processed markers), dead letters.

Revision ID: core_outbox_0001
Revises:
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "core_outbox_0001"
down_revision = None
branch_labels = ("core_outbox",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("payload", postgresql.JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True),
                  server_default=sa.text("clock_timestamp()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    op.create_index("ix_outbox_created_at", "outbox", ["created_at"])
    op.create_table(
        "outbox_deliveries",
        sa.Column("event_id", sa.BigInteger, nullable=False),
        sa.Column("handler", sa.String(200), nullable=False),
        sa.Column("state", sa.String(8), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("attempts", sa.Integer, server_default=sa.text("0"), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True),
                  server_default=sa.text("clock_timestamp()"), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        sa.PrimaryKeyConstraint("event_id", "handler", name="pk_outbox_deliveries"),
        sa.CheckConstraint("state IN ('pending', 'done', 'dead')",
                           name="ck_outbox_deliveries_state"),
        sa.ForeignKeyConstraint(["event_id"], ["outbox.id"], ondelete="CASCADE",
                                name="fk_outbox_deliveries_event_id_outbox"),
    )
    op.create_index("ix_outbox_deliveries_due", "outbox_deliveries", ["available_at"],
                    postgresql_where=sa.text("state = 'pending'"))
    op.create_table(
        "outbox_dead_letters",
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("event_id", sa.BigInteger, nullable=False),
        sa.Column("handler", sa.String(200), nullable=False),
        sa.Column("event_name", sa.String(100), nullable=False),
        sa.Column("last_error", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("parked_at", sa.DateTime(timezone=True),
                  server_default=sa.text("clock_timestamp()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_dead_letters"),
        sa.UniqueConstraint("event_id", "handler",
                            name="uq_outbox_dead_letters_event_id_handler"),
        sa.ForeignKeyConstraint(["event_id"], ["outbox.id"], ondelete="CASCADE",
                                name="fk_outbox_dead_letters_event_id_outbox"),
    )


def downgrade() -> None:
    op.drop_table("outbox_dead_letters")
    op.drop_table("outbox_deliveries")
    op.drop_table("outbox")
