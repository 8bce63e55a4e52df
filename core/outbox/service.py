"""Emitting: the outbox row and its deliveries in the caller's transaction, the relay after.

The relay task leaves when the session's transaction commits (SQLAlchemy's
``after_commit``, which fires for a request's session too, when pyramid_tm
commits it through zope.sqlalchemy), and never when it rolls back.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pyramid.registry import Registry
from pyramid.request import Request
from sqlalchemy import String, event, func, insert, literal, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, SessionTransaction
from zope.interface import implementer

from jimucrm.core.celery import get_celery
from jimucrm.core.interfaces import ITenant, ITenantDirectory
from jimucrm.core.models import TENANT_SCHEMA

from .handlers import event_handlers
from .interfaces import IOutbox, IOutboxEvent
from .models import OutboxDelivery, OutboxEvent

log = logging.getLogger(__name__)

RELAY_TASK = "jimu.outbox.relay"
# session.info key: {schema: Outbox} to relay once the transaction commits.
_PENDING = "jimu.outbox.pending"


class UnknownEvent(ValueError):
    """Emitting an event nobody declared (a misspelt name, most likely)."""


@implementer(IOutboxEvent)
@dataclass(frozen=True)
class Event:
    id: int
    name: str
    payload: dict
    created_at: datetime
    schema: str
    handler: str
    attempt: int
    registry: Registry = field(repr=False, compare=False)

    @property
    def tenant(self) -> ITenant | None:
        return self.registry.getUtility(ITenantDirectory).by_schema(self.schema)


def session_schema(session: Session) -> str | None:
    """The tenant schema ``session`` is bound to (None: the public schema)."""
    options = session.get_bind().get_execution_options()
    return (options.get("schema_translate_map") or {}).get(TENANT_SCHEMA)


@implementer(IOutbox)
class Outbox:
    """The deployment's outbox; :mod:`.relay` does the delivering."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.handlers = event_handlers(registry)

    def emit(self, session: Session, tenant: ITenant, name: str,
             payload: dict[str, Any]) -> int:
        if name not in self.handlers.events:
            raise UnknownEvent(f"event {name!r} is not declared (config.add_domain_event)")
        if not isinstance(payload, dict):
            raise TypeError(f"event {name}: the payload must be a dict, not "
                            f"{type(payload).__name__}")
        try:
            json.dumps(payload)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"event {name}: the payload must be JSON ({exc})") from None
        schema = session_schema(session)
        if schema is None or schema != tenant.schema_name:
            raise ValueError(f"event {name}: the session is bound to schema {schema!r}, not "
                             f"to tenant {tenant.slug}'s")
        # ORM-enabled statements (on the mapped classes, not their tables): zope.sqlalchemy
        # sees them and commits a request's transaction instead of taking it as read-only.
        write_event = insert(OutboxEvent).values(name=name, payload=payload)
        handlers = self.handlers.names_for(name, tenant.addons)
        if not handlers:
            return session.execute(write_event.returning(OutboxEvent.id)).scalar_one()
        # The event and its deliveries in one statement: one round trip per emit.
        event = write_event.returning(OutboxEvent.id).cte("event")
        names = (func.unnest(literal(handlers, ARRAY(String)))
                 .table_valued("handler").render_derived())
        event_id = session.execute(
            insert(OutboxDelivery)
            .from_select(["event_id", "handler"],
                         select(event.c.id, names.c.handler).select_from(event)
                         .join(names, true()))
            .returning(OutboxDelivery.event_id)
        ).scalars().first()
        relay_after_commit(session, self)
        return event_id

    def relay(self, schema: str):
        from .relay import relay_schema

        return relay_schema(self.registry, schema)

    def send_relay(self, schema: str, **options: Any) -> None:
        """Queue the relay task for ``schema``; a failure is logged, the sweep covers it."""
        try:
            get_celery(self.registry).tasks[RELAY_TASK].apply_async((schema,), **options)
        except Exception:
            log.warning("outbox relay for %s not sent; the periodic sweep will pick the "
                        "events up", schema, exc_info=True)


def relay_after_commit(session: Session, outbox: Outbox) -> None:
    """Send the relay for ``session``'s schema once its transaction commits (once per commit)."""
    session.info.setdefault(_PENDING, {})[session_schema(session)] = outbox


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released: the real commit is still to come
    pending = session.info.pop(_PENDING, None)
    for schema, outbox in (pending or {}).items():
        outbox.send_relay(schema)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)  # rolled back: nothing to relay


def install() -> None:
    """Listen on every session of the process (once, however many apps are configured)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_transaction_end", _after_transaction_end)


def emit_event(request: Request, name: str, payload: dict[str, Any]) -> int:
    """``request.emit_event(name, payload)``: emit in the request's transaction."""
    if request.tenant is None:
        raise ValueError(f"event {name}: a request outside any tenant cannot emit events")
    return request.registry.getUtility(IOutbox).emit(request.dbsession, request.tenant,
                                                     name, payload)
