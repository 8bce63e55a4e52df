"""Domain events through a transactional outbox in each tenant's schema.

* ``config.add_domain_event("order.paid", doc)`` declares an event;
  ``config.add_event_handler("order.paid", handler, name="dashboard.revenue")``
  subscribes a handler (an addon's only for tenants that have it enabled);
  ``add_event_handler("*", …)`` subscribes to every event (``EVERY_EVENT``; the
  webhooks addon forwards them all), ``external=True`` marks a handler that calls
  out of the database, so that the relay never runs it twice for another's failure;
* ``request.emit_event("order.paid", {...})``, or
  ``registry.getUtility(IOutbox).emit(session, tenant, name, payload)`` from a task
  or a command, writes the event and one delivery per handler in the caller's
  transaction; once it commits a Celery relay task is sent for the tenant;
* the relay (:mod:`.relay`) runs each handler in a transaction that also marks
  its delivery done: exactly once in effect. Failures retry with exponential
  backoff and are parked in ``outbox_dead_letters`` after the last try;
  ``jimu events replay`` sends them again;
* every worker queues a sweep on its own timer (:mod:`.worker`), which relays
  whatever a lost message or a dead worker left behind.

Settings read (declared in ``jimucrm.core.settings``): ``jimu.outbox_max_attempts``,
``jimu.outbox_backoff_seconds``, ``jimu.outbox_sweep_seconds``,
``jimu.outbox_retention_days``.
"""

from __future__ import annotations

from pyramid.config import Configurator

from . import models, tasks  # noqa: F401 - the tables join the tenant metadata; senders need the tasks
from .handlers import (
    EVERY_EVENT,
    EventHandlers,
    add_domain_event,
    add_event_handler,
    event_handlers,
)
from .interfaces import IEventHandler, IOutbox, IOutboxEvent
from .service import Event, Outbox, UnknownEvent, emit_event, install
from .worker import OutboxSweep

__all__ = ["EVERY_EVENT", "Event", "EventHandlers", "IEventHandler", "IOutbox", "IOutboxEvent",
           "Outbox", "UnknownEvent", "add_domain_event", "add_event_handler", "event_handlers",
           "includeme"]


def includeme(config: Configurator) -> None:
    install()
    config.include(".handlers")
    config.add_extension_points("jimucrm.core.outbox.interfaces")
    config.add_migration_branch("core_outbox", "jimucrm.core.outbox:migrations/versions")
    config.registry.registerUtility(Outbox(config.registry), IOutbox)
    config.add_request_method(emit_event, "emit_event")
    config.add_task_module("jimucrm.core.outbox.tasks")
    config.add_worker_step(OutboxSweep)
