"""What the sales addon does on others' events."""

from __future__ import annotations

from jimucrm.core.events import ITenantProvisioned
from jimucrm.core.interfaces import IAddonCatalogue
from jimucrm.core.outbox import IOutbox

from .demo import load_demo
from .interfaces import ITaxPolicy


def fill_demo_tenant(event: ITenantProvisioned) -> None:
    """A tenant created with demo data gets a product catalogue and 90 days of orders."""
    if not event.demo:
        return
    registry = event.registry
    outbox = registry.getUtility(IOutbox)
    # The tenant's own tax policy: an addon overriding it prices the demo orders too.
    policy = registry.getUtility(IAddonCatalogue).composed(
        frozenset(event.tenant.addons)).getUtility(ITaxPolicy)

    def emit(name: str, payload: dict) -> None:
        outbox.emit(event.session, event.tenant, name, payload)

    load_demo(event.session, event.tenant, policy, emit)
