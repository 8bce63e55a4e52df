"""End to end through a real ``jimu worker`` process: the event's relay task, the fan-out
(whose own events are relayed after its commit), the signed POST, a retry."""

from __future__ import annotations

import time

import pytest
from test_webhooks import create_endpoint, emit, log_rows, verify
from webhook_helpers import WEBHOOK_SETTINGS


@pytest.fixture
def worker(jimu_worker, webhook_registry):
    """A worker configured as the on-prem operator configured ``webhook_registry``."""
    environ = {"JIMU_OUTBOX_SWEEP_SECONDS": "1"}
    for name, value in WEBHOOK_SETTINGS.items():
        environ["JIMU_" + name.split(".", 1)[1].upper()] = value
    return jimu_worker(webhook_registry, **environ)


def _wait(check, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {check}"
        time.sleep(0.1)


@pytest.mark.slow
def test_a_worker_delivers_the_event_and_retries_it(webhook_registry, admin_client, tenant,
                                                    receiver, worker):
    endpoint_id, secret = create_endpoint(admin_client, tenant, receiver.url("/erp"))
    receiver.answer("/erp", 502)
    event_id = emit(webhook_registry, tenant)

    _wait(lambda: len(receiver.posts("/erp")) == 2)
    first, second = receiver.posts("/erp")
    assert first.headers["X-Jimu-Delivery"] == second.headers["X-Jimu-Delivery"] == str(event_id)
    assert verify(first, secret) and verify(second, secret)
    _wait(lambda: any(row.delivered_at for row in log_rows(webhook_registry, tenant)))
    [row] = log_rows(webhook_registry, tenant)
    assert (row.endpoint_id, row.attempts, row.status_code) == (endpoint_id, 2, 200)
    time.sleep(2)  # a sweep or two later: still two requests
    assert len(receiver.posts("/erp")) == 2
