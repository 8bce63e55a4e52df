"""The outbox: written in the caller's transaction, relayed after commit, handled once,
retried with backoff, parked as a dead letter, replayed; handlers per addon; the CLI."""

from __future__ import annotations

import re
import time
import uuid
from unittest.mock import ANY

import pytest
import redis
import transaction
from click.testing import CliRunner
from outbox_helpers import outbox_environ, wait_for
from outbox_support import COUNTERS, EFFECTS, calls_key, fail_key, tries_key
from pyramid.exceptions import ConfigurationExecutionError
from pyramid.scripting import prepare
from sqlalchemy import func, select

from jimucrm.core import configure
from jimucrm.core.cli import cli
from jimucrm.core.interfaces import IDatabase, ITenantDirectory
from jimucrm.core.outbox import Event, IOutbox, UnknownEvent
from jimucrm.core.outbox.models import OutboxDeadLetter, OutboxDelivery, OutboxEvent
from jimucrm.core.outbox.relay import backoff_seconds
from jimucrm.tenants.interfaces import ITenantProvisioner

RELAY = "jimu.outbox.relay"


def _emit(registry, tenant, name, payload):
    database = registry.getUtility(IDatabase)
    with database.session(tenant.schema_name) as session, session.begin():
        return registry.getUtility(IOutbox).emit(session, tenant, name, payload)


def _effects(registry, tenant, handler=None):
    database = registry.getUtility(IDatabase)
    query = select(EFFECTS.c.event_id, EFFECTS.c.attempt)
    if handler is not None:
        query = query.where(EFFECTS.c.handler == handler)
    with database.session(tenant.schema_name) as session:
        return session.execute(query.order_by(EFFECTS.c.id)).all()


def _cli(servers, settings, *args):
    return CliRunner().invoke(
        cli, ["--database-url", servers.database_url, "--redis-url", servers.redis_url, *args],
        env=outbox_environ(settings))


def test_a_rolled_back_emit_writes_nothing_and_sends_nothing(outbox_registry, outbox_tenant,
                                                           published):
    database = outbox_registry.getUtility(IDatabase)
    outbox = outbox_registry.getUtility(IOutbox)
    with database.session(outbox_tenant.schema_name) as session:
        session.begin()
        assert outbox.emit(session, outbox_tenant, "test.counted", {"key": "a"})
        assert published == []  # nothing leaves before the commit
        session.rollback()
        assert session.scalar(select(func.count()).select_from(OutboxEvent)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxDelivery)) == 0
    assert published == []


def test_a_savepoint_does_not_send_the_relay_early(outbox_registry, outbox_tenant, published):
    database = outbox_registry.getUtility(IDatabase)
    outbox = outbox_registry.getUtility(IOutbox)
    with database.session(outbox_tenant.schema_name) as session, session.begin():
        with session.begin_nested():
            outbox.emit(session, outbox_tenant, "test.counted", {"key": "a"})
        assert published == []
    assert published == [(RELAY, (outbox_tenant.schema_name,))]


@pytest.mark.slow
@pytest.mark.extension_point("jimucrm.core.outbox.interfaces.IEventHandler")
def test_a_request_emits_and_a_worker_handles_the_event_once(outbox_registry, outbox_tenant,
                                                              start_worker, published,
                                                              outbox_counts):
    start_worker()
    env = prepare(registry=outbox_registry)
    request = env["request"]
    request.tenant = outbox_tenant
    request.tm = transaction.TransactionManager(explicit=True)
    try:
        with request.tm:
            event_id = request.emit_event("test.counted", {"key": "orders"})
            assert published == []
    finally:
        env["closer"]()
    assert published == [(RELAY, (outbox_tenant.schema_name,))]
    wait_for(lambda: outbox_counts(outbox_tenant.schema_name).get("done") == 1, what="handled")
    assert _effects(outbox_registry, outbox_tenant) == [(event_id, 1)]
    database = outbox_registry.getUtility(IDatabase)
    with database.session(outbox_tenant.schema_name) as session:
        assert session.scalar(select(COUNTERS.c.n).where(COUNTERS.c.key == "orders")) == 1
        delivery = session.scalars(select(OutboxDelivery)).one()
        assert (delivery.event_id, delivery.handler, delivery.attempts) == \
            (event_id, "test.count", 1)
        assert delivery.processed_at is not None
    time.sleep(1.5)  # a sweep or two later, still once
    assert len(_effects(outbox_registry, outbox_tenant)) == 1


@pytest.mark.slow
def test_a_failing_handler_retries_with_backoff_is_parked_and_replayed(
        outbox_registry, outbox_tenant, start_worker, outbox_counts, servers, settings):
    schema = outbox_tenant.schema_name
    client = redis.Redis.from_url(settings["jimu.redis_url"])
    client.set(fail_key(schema), 1)
    start_worker()
    event_id = _emit(outbox_registry, outbox_tenant, "test.flaky", {"order": 7})

    wait_for(lambda: outbox_counts(schema).get("letters") == 1, timeout=30, what="dead letter")
    tries = [float(t) for t in client.lrange(tries_key(schema), 0, -1)]
    assert len(tries) == 3  # jimu.outbox_max_attempts
    # Backoff 1 s, then 2 s (jimu.outbox_backoff_seconds = 1, doubling).
    assert tries[1] - tries[0] >= 0.9 and tries[2] - tries[1] >= 1.9
    assert outbox_counts(schema) == {"done": 1, "dead": 1, "letters": 1}
    # The other handler of the same event ran once, unaffected.
    assert _effects(outbox_registry, outbox_tenant, "test.steady") == [(event_id, 1)]
    assert _effects(outbox_registry, outbox_tenant, "test.flaky") == []
    database = outbox_registry.getUtility(IDatabase)
    with database.session(schema) as session:
        letter = session.scalars(select(OutboxDeadLetter)).one()
    assert (letter.event_id, letter.handler, letter.event_name, letter.attempts) == \
        (event_id, "test.flaky", "test.flaky", 3)
    assert "RuntimeError: told to fail" in letter.last_error

    status = _cli(servers, settings, "events", "status", "--tenant", outbox_tenant.slug)
    assert status.exit_code == 0, status.output
    assert schema in status.output
    # Pending, retrying, dead.
    assert re.search(rf"{schema}\s*│\s*0\s*│\s*0\s*│\s*1\s*│", status.output), status.output

    client.delete(fail_key(schema))
    replayed = _cli(servers, settings, "events", "replay", "--tenant", outbox_tenant.slug,
                    "--id", str(letter.id))
    assert replayed.exit_code == 0, replayed.output
    assert schema in replayed.output
    wait_for(lambda: outbox_counts(schema) == {"done": 2, "letters": 0}, what="replayed")
    assert _effects(outbox_registry, outbox_tenant, "test.flaky") == [(event_id, 1)]
    assert _effects(outbox_registry, outbox_tenant, "test.steady") == [(event_id, 1)]
    assert client.get(calls_key(schema, "test.steady")) == b"1"


def test_handlers_run_only_for_tenants_that_enabled_their_addon(outbox_registry, registry):
    provisioner = registry.getUtility(ITenantProvisioner)
    directory = outbox_registry.getUtility(ITenantDirectory)
    suffix = uuid.uuid4().hex[:6]
    provisioner.create(f"with-{suffix}", "有联系人", addons=["contacts"])
    provisioner.create(f"without-{suffix}", "无联系人", addons=[])
    deliveries = {}
    for slug in (f"with-{suffix}", f"without-{suffix}"):
        tenant = directory.by_slug(slug)
        event_id = _emit(outbox_registry, tenant, "test.gated", {})
        with outbox_registry.getUtility(IDatabase).session(tenant.schema_name) as session:
            deliveries[slug.split("-")[0]] = session.execute(
                select(OutboxDelivery.event_id, OutboxDelivery.handler)
                .order_by(OutboxDelivery.handler)).all()
    assert deliveries["with"] == [(ANY, "test.contacts_only"), (ANY, "test.everyone")]
    assert deliveries["without"] == [(ANY, "test.everyone")]
    assert event_id == deliveries["without"][0][0]


def test_emit_refuses_what_it_cannot_deliver(outbox_registry, outbox_tenant, make_tenant):
    outbox = outbox_registry.getUtility(IOutbox)
    database = outbox_registry.getUtility(IDatabase)
    with database.session(outbox_tenant.schema_name) as session, session.begin():
        with pytest.raises(UnknownEvent, match="test.countd"):
            outbox.emit(session, outbox_tenant, "test.countd", {})
        with pytest.raises(TypeError, match="JSON"):
            outbox.emit(session, outbox_tenant, "test.counted", {"when": time})
        with pytest.raises(TypeError, match="dict"):
            outbox.emit(session, outbox_tenant, "test.counted", ["key"])
    other = make_tenant("别家")
    with (database.session(other.schema_name) as session, session.begin(),
          pytest.raises(ValueError, match="schema")):
        outbox.emit(session, outbox_tenant, "test.counted", {"key": "x"})


def test_a_handler_of_an_undeclared_event_stops_start_up(settings):
    config = configure(settings)
    config.add_event_handler("order.payed", lambda session, event: None, name="typo.handler")
    with pytest.raises(ConfigurationExecutionError, match="order.payed"):
        config.commit()


def test_backoff_doubles_up_to_an_hour():
    assert [backoff_seconds(5, n) for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert backoff_seconds(5, 30) == 3600


@pytest.mark.parametrize("args, message", [
    (("events", "replay"), "--all"),
    (("events", "replay", "--all", "--id", "3"), "--all"),
    (("events", "replay", "--id", "3"), "--tenant"),
    (("events", "replay", "--tenant", "no-such-tenant", "--all"), "no-such-tenant"),
    (("events", "status", "--tenant", "no-such-tenant"), "no-such-tenant"),
])
def test_cli_errors_are_one_line_and_exit_1(servers, settings, args, message):
    result = _cli(servers, settings, *args)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_replaying_a_dead_letter_that_does_not_exist_fails(servers, settings, outbox_tenant):
    result = _cli(servers, settings, "events", "replay", "--tenant", outbox_tenant.slug,
                  "--id", "999")
    assert result.exit_code == 1
    assert "999" in result.output


def test_status_without_a_tenant_lists_every_tenant(servers, settings, outbox_tenant,
                                                    outbox_registry):
    _emit(outbox_registry, outbox_tenant, "test.counted", {"key": "status"})
    result = _cli(servers, settings, "events", "status")
    assert result.exit_code == 0, result.output
    assert re.search(rf"{outbox_tenant.schema_name}\s*│\s*1\s*│\s*0\s*│\s*0\s*│", result.output)
    nothing = _cli(servers, settings, "events", "replay", "--tenant", outbox_tenant.slug, "--all")
    assert nothing.exit_code == 0, nothing.output


def test_an_event_finds_its_tenant(outbox_registry, outbox_tenant):
    event = Event(1, "test.counted", {}, None, outbox_tenant.schema_name, "test.count", 1,
                  outbox_registry)
    assert event.tenant.slug == outbox_tenant.slug
