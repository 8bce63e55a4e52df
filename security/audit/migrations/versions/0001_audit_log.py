"""Audit log and daily seals, append-only.

Revision ID: security_audit_0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "security_audit_0001"
down_revision = None
branch_labels = ("security_audit",)
depends_on = None

# Runs with search_path = the tenant's schema: the function lands there too.
# The body is the one the models' DDL gives new tenants, character for character.
APPEND_ONLY_FUNCTION = (
    "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger "
    "LANGUAGE plpgsql SET search_path = pg_catalog AS $$ BEGIN "
    "RAISE EXCEPTION 'the audit log is append-only: % on %.% refused', "
    "TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; "
    "END $$"
)
TRIGGERS = (
    "CREATE OR REPLACE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
    "ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
    "CREATE OR REPLACE TRIGGER audit_seals_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
    "ON audit_seals FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
)


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True),
                  server_default=sa.text("clock_timestamp()"), nullable=False),
        sa.Column("user_id", sa.Integer),
        sa.Column("username", sa.String(64)),
        sa.Column("ip", sa.String(64)),
        sa.Column("user_agent", sa.String(300)),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("model", sa.String(100)),
        sa.Column("record_id", sa.String(100)),
        sa.Column("changes", postgresql.JSONB),
        sa.Column("details", postgresql.JSONB),
        sa.Column("request_id", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_occurred_at", "audit_log", ["occurred_at"])
    op.create_index("ix_audit_log_model_record_id", "audit_log", ["model", "record_id"])
    op.create_index("ix_audit_log_user_id", "audit_log", ["user_id"])
    op.create_table(
        "audit_seals",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("row_count", sa.Integer, nullable=False),
        sa.Column("rows", sa.LargeBinary, nullable=False),
        sa.Column("previous_digest", sa.LargeBinary, nullable=False),
        sa.Column("digest", sa.LargeBinary, nullable=False),
        sa.Column("signature", sa.LargeBinary, nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.PrimaryKeyConstraint("day", name="pk_audit_seals"),
    )
    op.execute(APPEND_ONLY_FUNCTION)
    for trigger in TRIGGERS:
        op.execute(trigger)


def downgrade() -> None:
    op.drop_table("audit_seals")
    op.drop_table("audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
