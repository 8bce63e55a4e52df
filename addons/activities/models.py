"""Activities on any record's timeline, and the in-app notifications reminders leave.

An activity points at its record by ``(record_type, record_id)`` rather than by a
foreign key: any addon's model can have a timeline (see :mod:`.records`) without
this addon depending on it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from jimucrm.core.models import TenantBase

NOTE, CALL, VISIT, TASK, EMAIL = "note", "call", "visit", "task", "email"
KINDS = (NOTE, CALL, VISIT, TASK, EMAIL)
SUBJECT_LENGTH = 200
BODY_LENGTH = 5000
RECORD_TYPE_LENGTH = 40


class Activity(TenantBase):
    """One entry of a record's timeline; a ``task`` also has a due date, an assignee and
    an optional reminder."""

    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint("kind IN ('note', 'call', 'visit', 'task', 'email')", name="kind"),
        CheckConstraint("kind = 'task' OR (due_at IS NULL AND done_at IS NULL AND "
                        "assignee_id IS NULL AND reminder_at IS NULL)", name="task_fields"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(RECORD_TYPE_LENGTH))
    record_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(SUBJECT_LENGTH), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now())
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reminder_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set once, by the reminder sweep that delivered the reminder: never sent twice.
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())

    @property
    def is_task(self) -> bool:
        return self.kind == TASK

    @property
    def is_open_task(self) -> bool:
        return self.kind == TASK and self.done_at is None


# A record's timeline, newest first.
Index("ix_activities_record", Activity.record_type, Activity.record_id,
      Activity.occurred_at.desc())
# "My tasks": open tasks of one assignee by due date.
Index("ix_activities_open_tasks", Activity.assignee_id, Activity.due_at,
      postgresql_where=text("kind = 'task' AND done_at IS NULL"))
# The reminder sweep: reminders not yet sent, by time.
Index("ix_activities_pending_reminders", Activity.reminder_at,
      postgresql_where=text("reminder_at IS NOT NULL AND reminded_at IS NULL"))


class Notification(TenantBase):
    """An in-app message for one user (a task's reminder), until they read it."""

    __tablename__ = "notifications"
    # Written by the reminder sweep and read by their addressee: not business changes.
    __table_args__ = ({"info": {"audited": False}},)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(SUBJECT_LENGTH))
    body: Mapped[str] = mapped_column(Text, default="")
    # A path inside the tenant (``/contacts/5``), or empty.
    link: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


Index("ix_notifications_unread", Notification.user_id, Notification.created_at.desc(),
      postgresql_where=text("read_at IS NULL"))
Index("ix_notifications_user_id", Notification.user_id, Notification.created_at.desc())
