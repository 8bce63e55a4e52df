"""The outbox's extension point, and the service that core itself provides."""

from __future__ import annotations

from zope.interface import Attribute, Interface, taggedValue

from jimucrm.core.interfaces import INTERNAL


class IEventHandler(Interface):
    """Handles an outbox event after its transaction committed: ``handler(session, event)``.

    Register one with ``config.add_event_handler("order.paid", handler,
    name="dashboard.revenue")``; an addon's handler runs only for tenants that had
    the addon enabled when the event was emitted. A worker calls it with a session
    bound to the tenant's schema, in a transaction that also records the delivery
    as done, so its database work happens exactly once in effect: a crash before
    the commit runs it again, after the commit never. Keep it idempotent anyway
    (work outside the database, such as a webhook, may happen twice) and never
    commit or roll back the session yourself. Raising schedules a retry with
    exponential backoff; after ``jimu.outbox_max_attempts`` tries the delivery is
    parked in the tenant's dead letters until ``jimu events replay``. Events of one
    tenant are not guaranteed to arrive in order. Subscribe to ``"*"`` to get every
    event declared with ``wildcard=True`` (the default); register a handler that
    calls out of the database (HTTP) with ``external=True``.
    """

    def __call__(session, event):
        """Do the work for ``event`` (an :class:`IOutboxEvent`) through ``session``."""


class IOutboxEvent(Interface):
    """What a handler receives: one event, for one handler."""

    taggedValue(INTERNAL, True)

    id = Attribute("The event's id in the tenant's outbox (int)")
    name = Attribute("The event's name, e.g. 'order.paid'")
    payload = Attribute("The JSON object given to emit (dict)")
    created_at = Attribute("When the emitting transaction wrote it (aware datetime)")
    schema = Attribute("The tenant's schema")
    handler = Attribute("The name of the handler being called")
    attempt = Attribute("1 on the first try, 2 on the first retry, …")
    tenant = Attribute("The ITenant (looked up on first use), e.g. to emit a further event")


class IOutbox(Interface):
    """The transactional outbox of every tenant: emit events, relay them to handlers."""

    taggedValue(INTERNAL, True)

    def emit(session, tenant, name, payload):
        """Write event ``name`` to ``tenant``'s outbox in ``session``'s transaction.

        One delivery is recorded per handler of the event that the tenant has
        enabled; after the transaction commits a relay task is sent for the
        tenant. Return the event's id.
        """

    def relay(schema):
        """Deliver ``schema``'s due events to their handlers; return what was done."""
