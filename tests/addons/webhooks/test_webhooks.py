"""Webhooks: endpoints made on the settings pages, events POSTed signed to a real receiver,
retried and dead-lettered through the outbox, each endpoint on its own."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

import pytest
from sqlalchemy import cast, func, select
from sqlalchemy.dialects.postgresql import TEXT
from webhook_helpers import relay_until, relay_until_idle

from jimucrm.addons.webhooks.models import WebhookDelivery, WebhookEndpoint
from jimucrm.core.interfaces import IAddonCatalogue, IDatabase, ITenantDirectory
from jimucrm.core.outbox import IOutbox, event_handlers
from jimucrm.core.outbox.admin import replay
from jimucrm.core.outbox.models import OutboxDeadLetter, OutboxDelivery, OutboxEvent
from jimucrm.core.outbox.relay import relay_schema
from jimucrm.security.audit.models import AuditEntry

ASSIGNED = {"lead_id": 41, "owner_id": 7, "previous_owner_id": None, "method": "manual",
            "by": 1}


def emit(registry, tenant, name: str = "lead.assigned", payload: dict | None = None) -> int:
    """Emit a real, declared event through the outbox API, as the crm addon does."""
    directory_tenant = registry.getUtility(ITenantDirectory).by_slug(tenant.slug)
    database = registry.getUtility(IDatabase)
    with database.session(tenant.schema_name) as session, session.begin():
        return registry.getUtility(IOutbox).emit(session, directory_tenant, name,
                                                 payload if payload is not None else ASSIGNED)


def create_endpoint(client, tenant, url: str, events: tuple[str, ...] = ("*",),
                    description: str = "ERP") -> tuple[int, str]:
    """Fill in the new-endpoint form; return the endpoint's id and the secret shown once."""
    form = client.get(f"{tenant.prefix}/settings/webhooks/new").forms["webhook-form"]
    form["url"] = url
    form["description"] = description
    for box in form.fields["events"]:
        box.checked = box._value in events
    page = form.submit(status=201)
    secret = page.html.find(id="webhook-secret")["value"]
    endpoint_id = int(page.html.find("a", string=True, href=lambda h: h and "/settings/webhooks/"
                                     in h)["href"].rsplit("/", 1)[1])
    return endpoint_id, secret


def verify(received, secret: str) -> bool:
    """What docs/webhooks.md tells a receiver to do (HMAC-SHA-256 over '<ts>.<body>')."""
    timestamp = received.headers["X-Jimu-Timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + received.body,
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(received.headers["X-Jimu-Signature"], "sha256=" + expected)


def log_rows(registry, tenant) -> list[WebhookDelivery]:
    database = registry.getUtility(IDatabase)
    with database.session(tenant.schema_name) as session:
        rows = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        session.expunge_all()
        return rows


@pytest.mark.extension_point("webhook.deliver")
def test_an_endpoint_made_in_the_form_gets_the_event_signed(webhook_registry, admin_client,
                                                            tenant, receiver):
    endpoint_id, secret = create_endpoint(admin_client, tenant, receiver.url("/hook"))
    assert secret.startswith("whsec_") and len(secret) > 40
    event_id = emit(webhook_registry, tenant)

    relay_until_idle(webhook_registry, tenant.schema_name)

    [post] = receiver.posts("/hook")
    assert verify(post, secret)
    assert post.headers["X-Jimu-Event"] == "lead.assigned"
    assert post.headers["X-Jimu-Delivery"] == str(event_id)
    assert post.headers["X-Jimu-Tenant"] == tenant.slug
    assert abs(int(post.headers["X-Jimu-Timestamp"]) - time.time()) < 60
    assert post.headers["Content-Type"].startswith("application/json")
    body = json.loads(post.body)
    assert body["id"] == event_id and body["event"] == "lead.assigned"
    assert body["tenant"] == tenant.slug and body["data"] == ASSIGNED
    assert body["occurred_at"].endswith("+00:00")
    # A signature over another body or timestamp does not verify.
    post.body = post.body.replace(b"41", b"42")
    assert not verify(post, secret)

    [row] = log_rows(webhook_registry, tenant)
    assert (row.endpoint_id, row.event_id, row.event_name, row.attempts, row.status_code,
            row.error) == (endpoint_id, event_id, "lead.assigned", 1, 200, None)
    assert row.delivered_at is not None and row.next_retry_at is None

    # The secret is shown once: the endpoint's page masks it and lists the delivery.
    page = admin_client.get(f"{tenant.prefix}/settings/webhooks/{endpoint_id}")
    assert secret not in page.text
    assert page.html.find(id="webhook-secret-masked").text.endswith(secret[-4:])
    assert page.html.find(id=f"webhook-delivery-{event_id}") is not None
    listing = admin_client.get(f"{tenant.prefix}/settings/webhooks")
    assert receiver.url("/hook") in listing.text and secret not in listing.text
    # webhook.deliver is the addon's own plumbing: it is not fanned out again.
    database = webhook_registry.getUtility(IDatabase)
    with database.session(tenant.schema_name) as session:
        fanned = session.scalars(
            select(OutboxEvent.name).join(OutboxDelivery)
            .where(OutboxDelivery.handler == "webhooks.fan_out")).all()
    assert fanned == ["lead.assigned"]


@pytest.mark.extension_point("jimucrm.core.outbox.interfaces.IEventHandler")
def test_the_fan_out_gets_every_event_but_its_own_for_tenants_with_the_addon(webhook_registry):
    handlers = event_handlers(webhook_registry)
    enabled = {"webhooks", "contacts", "crm", "sales"}
    assert "webhooks.fan_out" in handlers.names_for("lead.assigned", enabled)
    assert "webhooks.fan_out" in handlers.names_for("order.paid", enabled)
    assert "webhooks.fan_out" not in handlers.names_for("lead.assigned", enabled - {"webhooks"})
    assert handlers.names_for("webhook.deliver", enabled) == ["webhooks.deliver"]
    assert "webhook.deliver" not in handlers.broadcast_events()
    assert {"lead.assigned", "order.paid"} <= set(handlers.broadcast_events())
    assert handlers.external("webhooks.deliver") and not handlers.external("webhooks.fan_out")
    points = webhook_registry.getUtility(IAddonCatalogue).points
    assert "webhooks" in points["lead.assigned"].subscribed_by  # jimu extension-points says so


def test_an_endpoint_subscribes_to_some_events_only(webhook_registry, admin_client, tenant,
                                                    receiver):
    create_endpoint(admin_client, tenant, receiver.url("/leads"), events=("lead.converted",))
    emit(webhook_registry, tenant)  # lead.assigned: not subscribed
    converted = emit(webhook_registry, tenant, "lead.converted",
                     {"lead_id": 41, "contact_id": 3, "opportunity_id": 9, "by": 1})
    relay_until_idle(webhook_registry, tenant.schema_name)
    assert [json.loads(p.body)["id"] for p in receiver.posts("/leads")] == [converted]


def test_a_500_then_a_200_is_retried_and_delivered_once(webhook_registry, admin_client,
                                                        tenant, receiver):
    _, secret = create_endpoint(admin_client, tenant, receiver.url("/flaky"))
    receiver.answer("/flaky", 500)
    event_id = emit(webhook_registry, tenant)

    relay_until_idle(webhook_registry, tenant.schema_name)
    assert len(receiver.posts("/flaky")) == 1
    [row] = log_rows(webhook_registry, tenant)
    assert (row.attempts, row.status_code, row.error) == (1, 500, "HTTP 500")
    assert row.next_retry_at is not None and row.delivered_at is None

    relay_until(webhook_registry, tenant.schema_name,
                lambda: len(receiver.posts("/flaky")) == 2)
    time.sleep(1.5)  # past any further backoff: nothing more is sent
    relay_until_idle(webhook_registry, tenant.schema_name)
    posts = receiver.posts("/flaky")
    assert len(posts) == 2
    assert {p.headers["X-Jimu-Delivery"] for p in posts} == {str(event_id)}
    assert all(verify(p, secret) for p in posts)
    [row] = log_rows(webhook_registry, tenant)
    assert (row.attempts, row.status_code, row.error) == (2, 200, None)
    assert row.delivered_at is not None and row.next_retry_at is None


def test_a_failing_endpoint_is_parked_while_another_gets_its_delivery(
        webhook_registry, admin_client, tenant, receiver):
    # The good one first: its deliveries come first in the relay's batch, before the bad
    # one's failures, which must not make the relay send them again.
    good_id, good_secret = create_endpoint(admin_client, tenant, receiver.url("/good"))
    bad_id, _ = create_endpoint(admin_client, tenant, receiver.url("/bad"))
    receiver.answer("/bad", always=503)
    events = [emit(webhook_registry, tenant) for _ in range(3)]
    database = webhook_registry.getUtility(IDatabase)

    def parked() -> int:
        with database.session(tenant.schema_name) as session:
            return session.scalar(select(func.count()).select_from(OutboxDeadLetter))

    relay_until(webhook_registry, tenant.schema_name, lambda: parked() == 3, timeout=30)
    good = receiver.posts("/good")
    assert sorted(int(p.headers["X-Jimu-Delivery"]) for p in good) == events
    assert all(verify(p, good_secret) for p in good)
    assert len(receiver.posts("/bad")) == 3 * 3  # jimu.outbox_max_attempts each
    with database.session(tenant.schema_name) as session:
        letters = session.execute(select(OutboxDeadLetter.handler, OutboxDeadLetter.event_name)
                                  ).all()
    assert letters == [("webhooks.deliver", "webhook.deliver")] * 3
    rows = {(r.endpoint_id, r.event_id): r for r in log_rows(webhook_registry, tenant)}
    for event_id in events:
        assert rows[good_id, event_id].attempts == 1
        failed = rows[bad_id, event_id]
        assert (failed.attempts, failed.status_code, failed.error) == (3, 503, "HTTP 503")
        assert failed.next_retry_at is None and failed.delivered_at is None

    # jimu events replay sends the parked ones again, to the bad endpoint only.
    receiver.answer("/bad", always=200)
    with database.session(tenant.schema_name) as session, session.begin():
        assert replay(session, webhook_registry.getUtility(IOutbox)) == 3
    relay_until_idle(webhook_registry, tenant.schema_name)
    assert len(receiver.posts("/bad")) == 3 * 3 + 3
    assert len(receiver.posts("/good")) == 3


def test_a_disabled_endpoint_gets_nothing(webhook_registry, admin_client, tenant, receiver):
    endpoint_id, _ = create_endpoint(admin_client, tenant, receiver.url("/off"))
    page = admin_client.get(f"{tenant.prefix}/settings/webhooks/{endpoint_id}")
    page.forms["webhook-toggle"].submit(status=303)
    emit(webhook_registry, tenant)
    relay_until_idle(webhook_registry, tenant.schema_name)
    assert receiver.posts() == []

    # Disabled between the event and its delivery: still nothing.
    page = admin_client.get(f"{tenant.prefix}/settings/webhooks/{endpoint_id}")
    page.forms["webhook-toggle"].submit(status=303)  # enabled again
    emit(webhook_registry, tenant)
    webhook_registry.getUtility(IOutbox).relay(tenant.schema_name)  # the fan-out only
    page = admin_client.get(f"{tenant.prefix}/settings/webhooks/{endpoint_id}")
    page.forms["webhook-toggle"].submit(status=303)
    relay_until_idle(webhook_registry, tenant.schema_name)
    assert receiver.posts() == []
    assert log_rows(webhook_registry, tenant) == []


def test_test_event_rotation_edit_and_delete(webhook_registry, admin_client, tenant, receiver):
    endpoint_id, old_secret = create_endpoint(admin_client, tenant, receiver.url("/ping"))
    page = admin_client.get(f"{tenant.prefix}/settings/webhooks/{endpoint_id}")
    rotated = page.forms["webhook-rotate"].submit(status=200)
    assert rotated.headers["Cache-Control"] == "no-store"
    secret = rotated.html.find(id="webhook-secret")["value"]
    assert secret != old_secret

    page = admin_client.get(f"{tenant.prefix}/settings/webhooks/{endpoint_id}")
    page.forms["webhook-test"].submit(status=303)
    relay_until_idle(webhook_registry, tenant.schema_name)
    [post] = receiver.posts("/ping")
    assert post.headers["X-Jimu-Event"] == "webhook.test"
    assert verify(post, secret) and not verify(post, old_secret)
    page = admin_client.get(f"{tenant.prefix}/settings/webhooks/{endpoint_id}")
    assert page.html.find(id=f"webhook-delivery-{post.headers['X-Jimu-Delivery']}")

    form = page.forms["webhook-form"]
    form["url"] = receiver.url("/moved")
    form["description"] = "订单系统"
    form.submit(status=303)
    emit(webhook_registry, tenant)
    relay_until_idle(webhook_registry, tenant.schema_name)
    assert len(receiver.posts("/moved")) == 1

    page = admin_client.get(f"{tenant.prefix}/settings/webhooks/{endpoint_id}")
    page.forms["webhook-delete"].submit(status=303)
    admin_client.get(f"{tenant.prefix}/settings/webhooks/{endpoint_id}", status=404)
    assert log_rows(webhook_registry, tenant) == []  # the log goes with the endpoint


def test_the_form_keeps_what_was_typed_beside_the_error(admin_client, tenant):
    form = admin_client.get(f"{tenant.prefix}/settings/webhooks/new").forms["webhook-form"]
    form["url"] = "ftp://example.com/x"
    for box in form.fields["events"]:
        box.checked = False
    form["description"] = "x" * 201
    page = form.submit(status=400)
    assert page.html.find(id="webhook-url")["value"] == "ftp://example.com/x"
    errors = page.html.select(".field.has-error")
    assert {e.get("id") or e.find(["input", "fieldset"]).get("id") for e in errors} == \
        {"webhook-url", "webhook-description", "webhook-events"}


@pytest.mark.parametrize("username, roles", [("staff", ("staff",)), ("boss", ("manager",))])
def test_only_tenant_admins_reach_the_settings(webhook_app, webhook_registry, tenant,
                                               make_user, login, username, roles):
    database = webhook_registry.getUtility(IDatabase)
    with database.session(tenant.schema_name) as session, session.begin():
        endpoint = WebhookEndpoint(url="https://example.com/x", description="", events=["*"],
                                   secret="whsec_test", is_active=True)
        session.add(endpoint)
        session.flush()
        endpoint_id = endpoint.id
    login(webhook_app, tenant, make_user(tenant, username, roles=roles)).follow()
    base = f"{tenant.prefix}/settings/webhooks"
    for path in (base, base + "/new", f"{base}/{endpoint_id}"):
        assert webhook_app.get(path, expect_errors=True).status_int in (403, 404)
    token = webhook_app.get(f"{tenant.prefix}/").html.find("meta", attrs={"name": "csrf-token"})
    csrf = token["content"] if token else ""
    for path in (base + "/new", f"{base}/{endpoint_id}", f"{base}/{endpoint_id}/delete",
                 f"{base}/{endpoint_id}/rotate", f"{base}/{endpoint_id}/test"):
        response = webhook_app.post(path, {"csrf_token": csrf, "url": "https://example.com/y"},
                                    expect_errors=True)
        assert response.status_int in (403, 404), path
    with database.session(tenant.schema_name) as session:
        kept = session.get(WebhookEndpoint, endpoint_id)
        assert (kept.url, kept.secret) == ("https://example.com/x", "whsec_test")


def test_the_secret_is_in_no_log(webhook_registry, admin_client, tenant, receiver, caplog):
    caplog.set_level(logging.DEBUG)
    endpoint_id, secret = create_endpoint(admin_client, tenant, receiver.url("/quiet"))
    receiver.answer("/quiet", 500)
    emit(webhook_registry, tenant)
    relay_until(webhook_registry, tenant.schema_name,
                lambda: len(receiver.posts("/quiet")) == 2)
    assert receiver.posts("/quiet")[0].headers["X-Jimu-Signature"]
    assert secret not in caplog.text
    database = webhook_registry.getUtility(IDatabase)
    with database.session(tenant.schema_name) as session:
        texts = [" ".join(map(str, row)) for row in session.execute(
            select(*WebhookDelivery.__table__.c)).all()]
        texts += session.scalars(select(OutboxDelivery.last_error)
                                 .where(OutboxDelivery.last_error.is_not(None))).all()
        texts += session.scalars(select(cast(OutboxEvent.payload, TEXT))).all()
        audit = session.scalars(select(cast(AuditEntry.changes, TEXT))
                                .where(AuditEntry.model.contains("webhook"))).all()
        raw = session.scalar(select(cast(WebhookEndpoint.__table__.c.secret, TEXT))
                             .where(WebhookEndpoint.id == endpoint_id))
    assert texts and audit  # the failed try left an error; the endpoint's creation is audited
    assert not [text for text in texts + audit if secret in (text or "")]
    assert secret not in raw  # stored encrypted
    assert "redacted" in " ".join(audit)


def test_a_relay_out_of_time_leaves_the_rest_of_a_batch_of_posts_pending(
        webhook_registry, admin_client, tenant, receiver):
    for path in ("/a", "/b", "/c"):
        create_endpoint(admin_client, tenant, receiver.url(path))
    emit(webhook_registry, tenant)
    fan_out = relay_schema(webhook_registry, tenant.schema_name, budget=0)
    assert fan_out.done == 1 and receiver.posts() == []  # database work: the whole batch
    for sent in (1, 2, 3):
        report = relay_schema(webhook_registry, tenant.schema_name, budget=0)
        assert report.done == 1 and len(receiver.posts()) == sent
        assert report.more is (sent < 3)
