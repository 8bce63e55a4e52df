"""Test-only events and handlers, included through ``jimu.includes`` by the tests'
app and by the worker processes they start (this folder is on their PYTHONPATH).

Handlers write their effects to two tables made only in the tests' tenants, and
count every call in Redis, outside any transaction: a call whose transaction was
rolled back still counts there, its effect does not.
"""

from __future__ import annotations

import functools
import time

import redis
from sqlalchemy import BigInteger, Column, Identity, Integer, MetaData, String, Table
from sqlalchemy.dialects.postgresql import insert

from jimucrm.core.models import TENANT_SCHEMA

METADATA = MetaData(schema=TENANT_SCHEMA)
COUNTERS = Table(
    "outbox_test_counters", METADATA,
    Column("key", String(50), primary_key=True),
    Column("n", Integer, nullable=False),
)
# No unique constraint on purpose: an effect applied twice must show as two rows.
EFFECTS = Table(
    "outbox_test_effects", METADATA,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("event_id", BigInteger, nullable=False),
    Column("handler", String(200), nullable=False),
    Column("attempt", Integer, nullable=False),
)


@functools.cache
def redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def calls_key(schema: str, handler: str) -> str:
    return f"outbox-test:{schema}:{handler}:calls"


def tries_key(schema: str) -> str:
    return f"outbox-test:{schema}:flaky:tries"


def fail_key(schema: str) -> str:
    return f"outbox-test:{schema}:flaky:fail"


def _redis(event) -> redis.Redis:
    return redis_client(event.registry.settings["jimu.redis_url"])


def _effect(session, event) -> None:
    session.execute(EFFECTS.insert().values(event_id=event.id, handler=event.handler,
                                            attempt=event.attempt))


def count(session, event) -> None:
    """Adds one to the counter named in the payload (slowly, if asked)."""
    _redis(event).incr(calls_key(event.schema, event.handler))
    time.sleep(event.payload.get("sleep", 0))
    session.execute(insert(COUNTERS).values(key=event.payload["key"], n=1).on_conflict_do_update(
        index_elements=[COUNTERS.c.key], set_={"n": COUNTERS.c.n + 1}))
    _effect(session, event)


def flaky(session, event) -> None:
    """Fails while the tenant's fail flag is set in Redis; records when each try ran."""
    client = _redis(event)
    client.rpush(tries_key(event.schema), repr(time.time()))
    _effect(session, event)  # written, then rolled back with the savepoint on failure
    if client.exists(fail_key(event.schema)):
        raise RuntimeError("told to fail")


def steady(session, event) -> None:
    _redis(event).incr(calls_key(event.schema, event.handler))
    _effect(session, event)


def includeme(config) -> None:
    # wildcard=False: handlers of every event (the webhooks addon's fan-out) stay out of
    # these tests' delivery counts.
    config.add_domain_event("test.counted", "Test: count one (payload: key, sleep).",
                            wildcard=False)
    config.add_domain_event("test.flaky", "Test: one handler fails on demand, one never.",
                            wildcard=False)
    config.add_domain_event("test.gated", "Test: one handler for everyone, one for contacts.",
                            wildcard=False)
    config.add_event_handler("test.counted", count, name="test.count")
    config.add_event_handler("test.flaky", flaky, name="test.flaky")
    config.add_event_handler("test.flaky", steady, name="test.steady")
    config.add_event_handler("test.gated", steady, name="test.everyone")
    # Registered as the contacts addon would register it: only its tenants get it.
    config.with_package("jimucrm.addons.contacts").add_event_handler(
        "test.gated", steady, name="test.contacts_only")
