"""From outbox events to signed POSTs, one outbox event per (endpoint, event).

* :func:`fan_out` handles every event (``"*"``): for each active endpoint subscribed
  to it, it emits a ``webhook.deliver`` event (declared ``wildcard=False`` so it does
  not come back here) carrying a copy of the event;
* :func:`deliver` handles ``webhook.deliver``: it POSTs to that one endpoint and
  raises on a network error or a non-2xx answer, so the outbox retries it with
  backoff and parks it as a dead letter after the last try (``jimu events replay``
  resends it). Each endpoint has its own outbox delivery, so one endpoint failing
  never sends again to another.

Every try is written to the delivery log (:class:`.models.WebhookDelivery`): a
success in the relay's transaction, with the outbox delivery marked done; a failure
in a transaction of its own, since the relay rolls the handler's work back.
"""

from __future__ import annotations

import http.client
import json
import time
from datetime import UTC, datetime, timedelta

from pyramid.registry import Registry
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from jimucrm.core.interfaces import IDatabase
from jimucrm.core.outbox import IOutbox, IOutboxEvent
from jimucrm.core.outbox.relay import backoff_seconds
from jimucrm.security.http.ssrf import OutboundURLRefused

from . import guard
from .models import ERROR_LENGTH, LOG_PER_ENDPOINT, WebhookDelivery, WebhookEndpoint
from .signing import signature

FAN_OUT_HANDLER = "webhooks.fan_out"
DELIVER_HANDLER = "webhooks.deliver"
DELIVER_EVENT = "webhook.deliver"
#: The event name a "send a test event" delivery carries.
TEST_EVENT = "webhook.test"


class DeliveryFailed(Exception):
    """The endpoint did not take the event; the outbox retries it."""


def fan_out(session: Session, event: IOutboxEvent) -> None:
    """Outbox handler of every event: one ``webhook.deliver`` per subscribed endpoint."""
    # Ids and subscriptions only: the secrets stay encrypted until a delivery signs.
    endpoints = session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.events)
        .where(WebhookEndpoint.is_active).order_by(WebhookEndpoint.id)).all()
    targets = [row.id for row in endpoints if "*" in row.events or event.name in row.events]
    if not targets:
        return
    tenant = event.tenant
    outbox = event.registry.getUtility(IOutbox)
    for endpoint_id in targets:
        outbox.emit(session, tenant, DELIVER_EVENT, {
            "endpoint_id": endpoint_id, "id": event.id, "event": event.name,
            "occurred_at": event.created_at.astimezone(UTC).isoformat(),
            "tenant": tenant.slug, "data": event.payload})


def emit_test(request, endpoint: WebhookEndpoint) -> int:
    """Queue a ``webhook.test`` delivery to ``endpoint`` (its id is the outbox event's)."""
    return request.emit_event(DELIVER_EVENT, {
        "endpoint_id": endpoint.id, "event": TEST_EVENT,
        "occurred_at": datetime.now(UTC).isoformat(), "tenant": request.tenant.slug,
        "data": {"message": "Test event from Jimu CRM", "endpoint_id": endpoint.id}})


def body_of(payload: dict, delivery_id: int) -> bytes:
    """The JSON a receiver gets: ``{id, event, occurred_at, tenant, data}``."""
    return json.dumps({"id": delivery_id, "event": payload["event"],
                       "occurred_at": payload["occurred_at"], "tenant": payload["tenant"],
                       "data": payload["data"]},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def deliver(session: Session, event: IOutboxEvent) -> None:
    """Outbox handler of ``webhook.deliver``: POST to one endpoint; raise to retry."""
    payload = event.payload
    endpoint = session.get(WebhookEndpoint, payload["endpoint_id"])
    if endpoint is None or not endpoint.is_active:
        return  # deleted or disabled since the event: nothing is sent
    registry = event.registry
    delivery_id = payload.get("id") or event.id
    body = body_of(payload, delivery_id)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Jimu-Event": payload["event"],
        "X-Jimu-Delivery": str(delivery_id),
        "X-Jimu-Tenant": payload["tenant"],
        "X-Jimu-Timestamp": timestamp,
        "X-Jimu-Signature": signature(registry, endpoint.secret, timestamp, body),
    }
    started = time.monotonic()
    status: int | None = None
    try:
        response = guard.post(registry, endpoint.url, body, headers)
        status = response.status
        error = None if 200 <= status < 300 else f"HTTP {status}"
    except OutboundURLRefused as exc:
        error = "Refused by the SSRF guard: " + str(exc.message.interpolate())
    except (OSError, http.client.HTTPException) as exc:
        # The exception's class and message: a connection error, a timeout, a TLS
        # failure. Nothing of the request (its headers hold the signature) is in it.
        error = f"{type(exc).__name__}: {exc}"
    duration_ms = int((time.monotonic() - started) * 1000)
    log = dict(endpoint_id=endpoint.id, event_id=delivery_id, event_name=payload["event"],
               status_code=status, duration_ms=duration_ms)
    if error is None:
        record(session, **log, error=None, next_retry_at=None, delivered=True)
        return
    error = error[:ERROR_LENGTH]
    with registry.getUtility(IDatabase).session(event.schema) as own, own.begin():
        record(own, **log, error=error, next_retry_at=_next_retry(registry, event.attempt),
               delivered=False)
    raise DeliveryFailed(f"webhook {endpoint.id}, delivery {delivery_id}: {error}")


def _next_retry(registry: Registry, attempt: int) -> datetime | None:
    settings = registry.settings
    if attempt >= max(settings["jimu.outbox_max_attempts"], 1):
        return None  # the last try: parked as a dead letter
    wait = backoff_seconds(settings["jimu.outbox_backoff_seconds"], attempt)
    return datetime.now(UTC) + timedelta(seconds=wait)


def record(session: Session, *, endpoint_id: int, event_id: int, event_name: str,
           status_code: int | None, error: str | None, duration_ms: int,
           next_retry_at: datetime | None, delivered: bool) -> None:
    """Write one try to the delivery log and drop the endpoint's oldest rows past the bound."""
    values = dict(status_code=status_code, error=error, duration_ms=duration_ms,
                  next_retry_at=next_retry_at,
                  delivered_at=func.now() if delivered else None,
                  last_attempt_at=func.now())
    table = WebhookDelivery.__table__
    session.execute(
        insert(WebhookDelivery)
        .values(endpoint_id=endpoint_id, event_id=event_id, event_name=event_name,
                attempts=1, **values)
        .on_conflict_do_update(index_elements=[table.c.endpoint_id, table.c.event_id],
                               set_={**values, "attempts": table.c.attempts + 1}))
    oldest_kept = (select(WebhookDelivery.id)
                   .where(WebhookDelivery.endpoint_id == endpoint_id)
                   .order_by(WebhookDelivery.id.desc())
                   .offset(LOG_PER_ENDPOINT - 1).limit(1).scalar_subquery())
    session.execute(delete(WebhookDelivery)
                    .where(WebhookDelivery.endpoint_id == endpoint_id,
                           WebhookDelivery.id < oldest_kept))
