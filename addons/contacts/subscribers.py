"""What the contacts addon does on others' events."""

from __future__ import annotations

from jimucrm.core.events import ITenantProvisioned

from .demo import load_demo
from .services import announce_contact


def announce_demo_customers(event: ITenantProvisioned) -> None:
    """A tenant created with demo data gets the demo customers, each announced.

    Runs before the subscribers of addons that depend on contacts (a tenant's
    registry delivers to an addon's dependencies first): sales' demo orders
    need these customers, and the dashboard's rebuild counts their events once.
    """
    if not event.demo:
        return
    for contact in load_demo(event.session):
        announce_contact(event.registry, event.session, event.tenant, contact)
