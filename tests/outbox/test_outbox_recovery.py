"""Nothing lost, nothing done twice: a worker killed mid-batch, a relay message lost."""

from __future__ import annotations

import pytest
import redis
from outbox_helpers import wait_for
from outbox_support import COUNTERS, EFFECTS, calls_key
from sqlalchemy import func, select

from jimucrm.core.interfaces import IDatabase
from jimucrm.core.outbox import IOutbox
from jimucrm.core.outbox.relay import BATCH_SIZE

EVENTS = 300
PER_COMMIT = 10
SLEEP = 0.01  # per handler call: a batch of 100 takes a second or more


def _emit_many(registry, tenant, count: int, payload: dict) -> list[int]:
    database = registry.getUtility(IDatabase)
    outbox = registry.getUtility(IOutbox)
    ids = []
    for start in range(0, count, PER_COMMIT):
        with database.session(tenant.schema_name) as session, session.begin():
            ids += [outbox.emit(session, tenant, "test.counted", payload)
                    for _ in range(min(PER_COMMIT, count - start))]
    return ids


@pytest.mark.slow
def test_a_worker_killed_mid_batch_leaves_every_event_handled_exactly_once(
        outbox_registry, outbox_tenant, start_worker, outbox_counts, settings):
    schema = outbox_tenant.schema_name
    client = redis.Redis.from_url(settings["jimu.redis_url"])
    calls = calls_key(schema, "test.count")
    # Emitted before a worker runs, so that it takes them in full batches.
    ids = _emit_many(outbox_registry, outbox_tenant, EVENTS, {"key": "kill", "sleep": SLEEP})
    first = start_worker(wait=False)

    def done() -> int:
        return outbox_counts(schema).get("done", 0)

    # Let a batch commit, then kill while the next one is half done: handlers have run
    # (counted in Redis) whose work has not committed.
    wait_for(lambda: done() >= BATCH_SIZE, timeout=60, what="a first batch")
    wait_for(lambda: int(client.get(calls) or 0) >= done() + BATCH_SIZE // 2, timeout=60,
             what="a batch half done")
    first.kill()
    done_at_kill, calls_at_kill = done(), int(client.get(calls))
    assert done_at_kill < EVENTS
    assert calls_at_kill > done_at_kill  # work in flight was lost with the worker

    start_worker(wait=False)
    wait_for(lambda: done() == EVENTS, timeout=120, what="every event handled")

    database = outbox_registry.getUtility(IDatabase)
    with database.session(schema) as session:
        assert session.scalar(select(COUNTERS.c.n).where(COUNTERS.c.key == "kill")) == EVENTS
        handled = session.execute(select(EFFECTS.c.event_id).where(
            EFFECTS.c.handler == "test.count")).scalars().all()
        assert sorted(handled) == sorted(ids)  # each event's effect once, none missing
        assert session.scalar(select(func.count(EFFECTS.c.event_id.distinct()))) == EVENTS
    assert outbox_counts(schema) == {"done": EVENTS, "letters": 0}
    # The handler itself ran more often than that: the killed batch ran twice.
    assert int(client.get(calls)) > EVENTS


@pytest.mark.slow
def test_the_sweep_delivers_events_whose_relay_message_was_lost(
        outbox_registry, outbox_tenant, start_worker, outbox_counts, settings, published):
    schema = outbox_tenant.schema_name
    client = redis.Redis.from_url(settings["jimu.redis_url"])
    ids = _emit_many(outbox_registry, outbox_tenant, 5, {"key": "lost"})
    assert ("jimu.outbox.relay", (schema,)) in published
    # No worker runs: the relay messages wait in the broker. Lose them.
    lost = client.delete("celery", *client.scan_iter("celery\x06\x16*"))
    assert lost >= 1
    worker = start_worker()
    try:
        wait_for(lambda: outbox_counts(schema).get("done") == len(ids), timeout=30,
                 what="the sweep")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the worker's log:\n{worker.log.read_text()[-3000:]}"
                             ) from None
    assert outbox_counts(schema) == {"done": len(ids), "letters": 0}
