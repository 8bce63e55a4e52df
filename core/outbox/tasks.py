"""The outbox's Celery tasks: relay one tenant's events, sweep every tenant's."""

from __future__ import annotations

from typing import Any

import celery
from pyramid.request import Request

from jimucrm.core.interfaces import IDatabase

from .interfaces import IOutbox
from .relay import due_schemas, relay_schema


@celery.shared_task(name="jimu.outbox.relay")
def relay(request: Request, schema: str) -> dict[str, Any]:
    """Deliver ``schema``'s due events; queue the next run if work is left or retries wait."""
    registry = request.registry
    report = relay_schema(registry, schema)
    outbox = registry.getUtility(IOutbox)
    if report.more:
        outbox.send_relay(schema)
    if report.retry_at is not None:
        outbox.send_relay(schema, eta=report.retry_at)
    return {"schema": schema, "done": report.done, "retried": report.retried,
            "parked": report.parked, "more": report.more}


@celery.shared_task(name="jimu.outbox.sweep")
def sweep(request: Request) -> list[str]:
    """Queue a relay for every tenant with a due delivery.

    The safety net under the relay sent after each commit: a message lost with
    the broker or with a worker that died, a retry whose timed message is gone.
    """
    registry = request.registry
    database = registry.getUtility(IDatabase)
    with database.engine.connect() as connection:
        schemas = due_schemas(connection)
        # The query opened every tenant's outbox: drop this backend and the catalogue
        # cache it built, rather than hand it back to the pool.
        connection.invalidate()
    outbox = registry.getUtility(IOutbox)
    expires = registry.settings["jimu.outbox_sweep_seconds"] or None
    for schema in schemas:
        outbox.send_relay(schema, expires=expires)
    return schemas
