"""Test-only outbox handlers for every crm event, included through ``jimu.includes``
by the events test's app (pytest puts this folder on sys.path)."""

from __future__ import annotations

from jimucrm.addons.crm.events import EVENTS

# (schema, event name, payload) of every delivery, in this process.
RECEIVED: list[tuple[str, str, dict]] = []


def remember(session, event) -> None:
    RECEIVED.append((event.schema, event.name, dict(event.payload)))


def includeme(config) -> None:
    for name in EVENTS:
        config.add_event_handler(name, remember, name="crmtest." + name.replace(".", "_"))
