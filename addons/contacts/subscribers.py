"""What contacts does on others' events."""

from __future__ import annotations

import json
from importlib.resources import files

from pyramid.events import subscriber

from jimucrm.core.interfaces import ITenantProvisioned

from .models import Contact


@subscriber(ITenantProvisioned)
def load_demo_contacts(event: ITenantProvisioned) -> None:
    """A demo tenant starts with sample contacts so every page has something to show."""
    if not event.demo:
        return
    raw = files(__package__).joinpath("data/demo_contacts.json").read_text(encoding="utf-8")
    event.session.add_all(Contact(**row) for row in json.loads(raw))
