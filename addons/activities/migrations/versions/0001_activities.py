"""Activities (timelines, tasks, reminders) and in-app notifications.

Revision ID: activities_0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "activities_0001"
down_revision = None
branch_labels = ("activities",)
depends_on = None  # users (security) migrate before every addon branch

TIME = sa.DateTime(timezone=True)


def _user(table: str, column: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["users.id"], name=f"fk_{table}_{column}_users",
                                   ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "activities",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("record_type", sa.String(40), nullable=False),
        sa.Column("record_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("occurred_at", TIME, server_default=sa.func.now(), nullable=False),
        sa.Column("due_at", TIME),
        sa.Column("done_at", TIME),
        sa.Column("assignee_id", sa.Integer),
        sa.Column("reminder_at", TIME),
        sa.Column("reminded_at", TIME),
        sa.Column("author_id", sa.Integer),
        sa.Column("created_at", TIME, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_activities"),
        _user("activities", "assignee_id", "SET NULL"),
        _user("activities", "author_id", "SET NULL"),
        sa.CheckConstraint("kind IN ('note', 'call', 'visit', 'task', 'email')",
                           name="ck_activities_kind"),
        sa.CheckConstraint("kind = 'task' OR (due_at IS NULL AND done_at IS NULL AND "
                           "assignee_id IS NULL AND reminder_at IS NULL)",
                           name="ck_activities_task_fields"),
    )
    op.create_index("ix_activities_record", "activities",
                    ["record_type", "record_id", sa.text("occurred_at DESC")])
    op.create_index("ix_activities_open_tasks", "activities", ["assignee_id", "due_at"],
                    postgresql_where=sa.text("kind = 'task' AND done_at IS NULL"))
    op.create_index("ix_activities_pending_reminders", "activities", ["reminder_at"],
                    postgresql_where=sa.text("reminder_at IS NOT NULL AND reminded_at IS NULL"))
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("link", sa.String(500), nullable=False),
        sa.Column("created_at", TIME, server_default=sa.func.now(), nullable=False),
        sa.Column("read_at", TIME),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        _user("notifications", "user_id", "CASCADE"),
    )
    op.create_index("ix_notifications_unread", "notifications",
                    ["user_id", sa.text("created_at DESC")],
                    postgresql_where=sa.text("read_at IS NULL"))
    op.create_index("ix_notifications_user_id", "notifications",
                    ["user_id", sa.text("created_at DESC")])


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("activities")
