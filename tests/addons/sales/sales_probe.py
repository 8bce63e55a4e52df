"""Test-only handlers of every sales event, included through ``jimu.includes`` by the
probe app of test_sales_events.py. They keep what they were given in memory."""

from __future__ import annotations

from jimucrm.addons.sales.events import EVENTS

RECEIVED: list[tuple[str, str, dict]] = []  # (schema, event name, payload)


def record(session, event) -> None:
    RECEIVED.append((event.schema, event.name, event.payload))


def includeme(config) -> None:
    for name in EVENTS:
        config.add_event_handler(name, record, name=f"sales_probe.{name.replace('.', '_')}")
