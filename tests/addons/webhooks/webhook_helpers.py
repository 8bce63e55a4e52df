"""Plain helpers of the webhooks tests (a module of its own: ``from conftest import``
would pick whichever ``conftest`` another test folder loaded first)."""

from __future__ import annotations

import time

from jimucrm.core.outbox import IOutbox

# Short retries so a test sees a delivery retried and parked within seconds.
WEBHOOK_SETTINGS = {
    "jimu.webhooks_allowed_networks": "127.0.0.0/8",
    "jimu.outbox_max_attempts": "3",
    "jimu.outbox_backoff_seconds": "1",
}


def relay_until_idle(registry, schema: str) -> None:
    """Run the relay as a worker would until it has nothing due (fan-out, then deliveries)."""
    outbox = registry.getUtility(IOutbox)
    for _ in range(20):
        report = outbox.relay(schema)
        if not (report.done or report.retried or report.parked or report.more):
            return
    raise AssertionError("the relay kept finding work")


def relay_until(registry, schema: str, check, timeout: float = 20) -> None:
    """Relay (waiting out the backoff) until ``check()`` holds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {check}")
        relay_until_idle(registry, schema)
        time.sleep(0.2)
