"""What ``jimu events`` reads and does: counts per tenant, replaying dead letters."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, select, tuple_, update
from sqlalchemy.orm import Session

from jimucrm.core.models import TENANT_SCHEMA

from .models import PENDING, OutboxDeadLetter, OutboxDelivery
from .service import Outbox, relay_after_commit

DELIVERIES = OutboxDelivery.__table__
DEAD_LETTERS = OutboxDeadLetter.__table__


@dataclass(frozen=True)
class OutboxStatus:
    schema: str
    pending: int  # never tried yet
    retrying: int  # failed at least once, waiting for the next try
    dead: int  # parked in the dead letters
    oldest: datetime | None  # the oldest pending delivery is due since then


def outbox_status(connection: Connection, schema: str) -> OutboxStatus:
    """Counts for one schema, read through the partial index of pending deliveries."""
    bound = connection.execution_options(schema_translate_map={TENANT_SCHEMA: schema})
    pending, retrying, oldest = bound.execute(
        select(func.count().filter(DELIVERIES.c.attempts == 0),
               func.count().filter(DELIVERIES.c.attempts > 0),
               func.min(DELIVERIES.c.available_at).filter(DELIVERIES.c.attempts == 0))
        .where(DELIVERIES.c.state == PENDING)).one()
    dead = bound.execute(select(func.count()).select_from(DEAD_LETTERS)).scalar_one()
    return OutboxStatus(schema, pending, retrying, dead, oldest)


def replay(session: Session, outbox: Outbox, ids: Iterable[int] | None = None) -> int:
    """Move dead letters (``ids``, or every one) back to pending; return how many.

    The relay is sent when ``session``'s transaction commits.
    """
    statement = delete(DEAD_LETTERS).returning(DEAD_LETTERS.c.event_id, DEAD_LETTERS.c.handler)
    if ids is not None:
        statement = statement.where(DEAD_LETTERS.c.id.in_(list(ids)))
    keys = [tuple(row) for row in session.execute(statement)]
    if keys:
        session.execute(
            update(DELIVERIES)
            .where(tuple_(DELIVERIES.c.event_id, DELIVERIES.c.handler).in_(keys))
            .values(state=PENDING, attempts=0, available_at=func.clock_timestamp(),
                    last_error=None))
        relay_after_commit(session, outbox)
    return len(keys)
