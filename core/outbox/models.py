"""The outbox tables, in each tenant's schema.

``outbox`` holds the events; ``outbox_deliveries`` one row per (event, handler),
written with the event and marked done in the transaction that runs the handler,
which is what makes handling idempotent; ``outbox_dead_letters`` the deliveries
that failed their last try, until ``jimu events replay`` sends them again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from jimucrm.core.models import TenantBase

PENDING, DONE, DEAD = "pending", "done", "dead"

# The audit log does not record the outbox's own bookkeeping.
NOT_AUDITED = {"audited": False}


class OutboxEvent(TenantBase):
    """An event, written in the transaction of the change it tells about."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_created_at", "created_at"),
        {"info": NOT_AUDITED},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()"))


class OutboxDelivery(TenantBase):
    """One handler's copy of an event: pending, done (the processed marker) or dead."""

    __tablename__ = "outbox_deliveries"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'done', 'dead')", name="state"),
        # What a relay claims: the due pending deliveries, oldest first.
        Index("ix_outbox_deliveries_due", "available_at",
              postgresql_where=text("state = 'pending'")),
        {"info": NOT_AUDITED},
    )

    event_id: Mapped[int] = mapped_column(
        ForeignKey(OutboxEvent.id, ondelete="CASCADE"), primary_key=True)
    handler: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str] = mapped_column(String(8), server_default=text("'pending'"))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    available_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()"))
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)


class OutboxDeadLetter(TenantBase):
    """A delivery that failed its last try, parked until it is replayed."""

    __tablename__ = "outbox_dead_letters"
    __table_args__ = (
        UniqueConstraint("event_id", "handler"),
        {"info": NOT_AUDITED},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey(OutboxEvent.id, ondelete="CASCADE"))
    handler: Mapped[str] = mapped_column(String(200))
    event_name: Mapped[str] = mapped_column(String(100))
    last_error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    parked_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()"))
