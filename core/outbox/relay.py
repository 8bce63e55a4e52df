"""Delivering: claim due deliveries, run their handlers, retry, park, sweep.

A relay claims a batch of one tenant's due deliveries with ``FOR UPDATE SKIP
LOCKED``, runs each handler in the batch's transaction and marks the deliveries
done in that same transaction. The row locks are the claim: a worker that dies
mid-batch loses its connection, PostgreSQL rolls the batch back and releases the
locks, and the next relay runs those deliveries again; what committed is never
run again. Exactly once in effect, for database work. A handler that raises has
the batch run again with a savepoint around each handler, so that only its own
try is undone and recorded as failed.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta

from pyramid.registry import Registry
from sqlalchemy import (
    Connection,
    and_,
    delete,
    exists,
    func,
    insert,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.orm import Session

from jimucrm.core.interfaces import IDatabase
from jimucrm.core.models import TENANT_SCHEMA

from .handlers import event_handlers
from .models import DEAD, DONE, PENDING, OutboxDeadLetter, OutboxDelivery, OutboxEvent
from .service import Event

log = logging.getLogger(__name__)

EVENTS = OutboxEvent.__table__
DELIVERIES = OutboxDelivery.__table__
DEAD_LETTERS = OutboxDeadLetter.__table__

BATCH_SIZE = 100
# A relay hands the worker back after this long and queues itself again, so one
# busy tenant does not keep the others waiting.
TIME_BUDGET_SECONDS = 5.0
MAX_BACKOFF_SECONDS = 3600
PRUNE_BATCH = 1000
MAX_ERROR_CHARS = 4000

# The schemas with a due delivery, for any number of tenants in one call: the loop runs
# inside PostgreSQL, each schema quoted there by format('%I'). A function of the
# connection's own temporary schema: it needs no privilege beyond TEMP and vanishes
# with the connection. (query_to_xml would do it in one statement, but not on a server
# built without libxml, such as the embedded one.)
DUE_SCHEMAS_FUNCTION = text("""
CREATE OR REPLACE FUNCTION pg_temp.jimu_outbox_due(placeholder text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  schema_name text;
  due boolean;
BEGIN
  FOR schema_name IN
    SELECT n.nspname FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relname = 'outbox_deliveries' AND c.relkind IN ('r', 'p')
      AND n.nspname <> placeholder
    ORDER BY 1
  LOOP
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.outbox_deliveries '
                   'WHERE state = ''pending'' AND available_at <= clock_timestamp())',
                   schema_name) INTO due;
    IF due THEN
      RETURN NEXT schema_name;
    END IF;
  END LOOP;
END $$
""")
DUE_SCHEMAS = text("SELECT pg_temp.jimu_outbox_due(:placeholder)")
OUTBOX_SCHEMAS = text("""
SELECT n.nspname FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname = 'outbox_deliveries' AND c.relkind IN ('r', 'p') AND n.nspname <> :placeholder
ORDER BY n.nspname
""")


@dataclass
class RelayReport:
    """What one relay run did in one schema."""

    schema: str
    done: int = 0
    retried: int = 0
    parked: int = 0
    more: bool = False  # stopped on its time budget with due deliveries left
    retry_at: datetime | None = None  # the earliest retry this run scheduled


def backoff_seconds(base: int, attempts: int) -> int:
    """The wait before try ``attempts + 1``: base, 2×base, 4×base… capped at an hour."""
    return min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)


def _error_text(exc: BaseException) -> str:
    lines = traceback.format_exception(exc)
    return "".join(lines)[-MAX_ERROR_CHARS:]


def _claim(session: Session, limit: int):
    return session.execute(
        select(DELIVERIES.c.event_id, DELIVERIES.c.handler, DELIVERIES.c.attempts,
               EVENTS.c.name, EVENTS.c.payload, EVENTS.c.created_at)
        .join(EVENTS, EVENTS.c.id == DELIVERIES.c.event_id)
        .where(DELIVERIES.c.state == PENDING,
               DELIVERIES.c.available_at <= func.clock_timestamp())
        .order_by(DELIVERIES.c.available_at, DELIVERIES.c.event_id)
        .limit(limit)
        .with_for_update(of=DELIVERIES, skip_locked=True)
    ).all()


class _HandlerFailed(Exception):
    """A handler raised in a batch run without savepoints: run the batch again with them."""

    def __init__(self, key: tuple[int, str], error: Exception | None) -> None:
        super().__init__(key)
        self.key = key
        self.error = error


def _run_batch(registry: Registry, session: Session, schema: str, report: RelayReport,
               max_attempts: int, backoff: int, careful: bool,
               failed: dict[tuple[int, str], Exception | None],
               deadline: float | None = None) -> int:
    """Claim, handle and record one batch in the session's transaction; return its size.

    A batch first runs without savepoints (two round trips fewer per handler); if a
    handler raises, the caller rolls it all back and runs it again ``careful``ly, each
    handler in a savepoint, so a failure undoes only that handler's work. A batch
    with external handlers stops at ``deadline`` (``report.more``): the rest of it
    stays pending for the next relay.
    """
    handlers = event_handlers(registry)
    rows = _claim(session, BATCH_SIZE)
    # A handler working outside the database (add_event_handler(external=True)) cannot
    # be undone by a rollback: run the batch careful from the start, so that no other
    # handler's failure runs it a second time.
    external = any(handlers.external(row.handler) for row in rows)
    careful = careful or external
    done: list[tuple[int, str]] = []
    for index, row in enumerate(rows):
        if external and index and deadline is not None and time.monotonic() >= deadline:
            # HTTP calls take seconds, not milliseconds: hand the worker back on time
            # rather than after a hundred slow endpoints, in one long transaction.
            report.more = True
            break
        key = (row.event_id, row.handler)
        handler = handlers.by_name.get(row.handler)
        attempt = row.attempts + 1
        if handler is None or key in failed:
            if not careful:
                raise _HandlerFailed(key, None)
            error = failed.get(key)
            if error is None:
                # Retried like a failure: during a rolling upgrade an older worker may
                # not know a handler the newer web processes already emit for.
                text_ = f"no handler named {row.handler!r} is registered in this worker"
            else:
                log.warning("outbox handler %s failed on event %s (%s) in %s, try %d of %d",
                            row.handler, row.event_id, row.name, schema, attempt,
                            max_attempts, exc_info=error)
                text_ = _error_text(error)
            _fail(session, row, attempt, text_, report, max_attempts, backoff)
            continue
        event = Event(row.event_id, row.name, row.payload, row.created_at, schema,
                      row.handler, attempt, registry)
        if not careful:
            try:
                handler.call(session, event)
            except Exception as exc:
                raise _HandlerFailed(key, exc) from exc
            done.append(key)
            continue
        try:
            with session.begin_nested():
                handler.call(session, event)
        except Exception as exc:
            log.warning("outbox handler %s failed on event %s (%s) in %s, try %d of %d",
                        row.handler, row.event_id, row.name, schema, attempt, max_attempts,
                        exc_info=True)
            _fail(session, row, attempt, _error_text(exc), report, max_attempts, backoff)
        else:
            done.append(key)
    if done:
        session.execute(
            update(DELIVERIES)
            .where(tuple_(DELIVERIES.c.event_id, DELIVERIES.c.handler).in_(done))
            .values(state=DONE, attempts=DELIVERIES.c.attempts + 1,
                    processed_at=func.clock_timestamp(), last_error=None))
        report.done += len(done)
    return len(rows)


def _fail(session: Session, row, attempt: int, error: str, report: RelayReport,
          max_attempts: int, backoff: int) -> None:
    key = and_(DELIVERIES.c.event_id == row.event_id, DELIVERIES.c.handler == row.handler)
    if attempt >= max_attempts:
        session.execute(update(DELIVERIES).where(key).values(
            state=DEAD, attempts=attempt, last_error=error))
        session.execute(insert(DEAD_LETTERS).values(
            event_id=row.event_id, handler=row.handler, event_name=row.name,
            last_error=error, attempts=attempt))
        report.parked += 1
        return
    wait = backoff_seconds(backoff, attempt)
    retry_at = session.execute(
        update(DELIVERIES).where(key).values(
            attempts=attempt, last_error=error,
            available_at=func.clock_timestamp() + timedelta(seconds=wait))
        .returning(DELIVERIES.c.available_at)).scalar_one()
    report.retried += 1
    if report.retry_at is None or retry_at < report.retry_at:
        report.retry_at = retry_at


def relay_schema(registry: Registry, schema: str,
                 budget: float = TIME_BUDGET_SECONDS) -> RelayReport:
    """Deliver ``schema``'s due events until none is left or ``budget`` seconds passed."""
    settings = registry.settings
    max_attempts = max(settings["jimu.outbox_max_attempts"], 1)
    backoff = settings["jimu.outbox_backoff_seconds"]
    database = registry.getUtility(IDatabase)
    report = RelayReport(schema)
    deadline = time.monotonic() + budget
    with database.session(schema) as session:
        careful = False
        failed: dict[tuple[int, str], Exception | None] = {}
        while True:
            try:
                with session.begin():
                    claimed = _run_batch(registry, session, schema, report, max_attempts,
                                         backoff, careful, failed, deadline)
                    if claimed < BATCH_SIZE and not report.more:
                        prune(session, settings["jimu.outbox_retention_days"])
                        break
            except _HandlerFailed as failure:
                # Rolled back: the same deliveries again, with savepoints.
                careful = True
                failed[failure.key] = failure.error
                continue
            careful, failed = False, {}
            if time.monotonic() >= deadline:
                report.more = True
                break
    return report


def prune(session: Session, retention_days: int) -> int:
    """Delete up to ``PRUNE_BATCH`` events older than the retention, all handled."""
    if not retention_days:
        return 0
    unfinished = exists().where(DELIVERIES.c.event_id == EVENTS.c.id,
                                DELIVERIES.c.state != DONE)
    old = (select(EVENTS.c.id)
           .where(EVENTS.c.created_at < func.now() - timedelta(days=retention_days),
                  ~unfinished)
           .order_by(EVENTS.c.created_at).limit(PRUNE_BATCH)
           .with_for_update(skip_locked=True))
    return session.execute(delete(EVENTS).where(EVENTS.c.id.in_(old))).rowcount


def due_schemas(connection: Connection) -> list[str]:
    """The tenant schemas with at least one due delivery."""
    connection.execute(DUE_SCHEMAS_FUNCTION)
    return list(connection.execute(DUE_SCHEMAS, {"placeholder": TENANT_SCHEMA}).scalars())


def outbox_schemas(connection: Connection) -> list[str]:
    """Every schema holding an outbox."""
    return list(connection.execute(OUTBOX_SCHEMAS, {"placeholder": TENANT_SCHEMA}).scalars())
