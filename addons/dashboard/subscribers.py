"""What the dashboard does on others' synchronous events."""

from __future__ import annotations

from jimucrm.core.events import ITenantProvisioned

from .aggregates import rebuild


def fill_new_tenant(event: ITenantProvisioned) -> None:
    """A new tenant's dashboard starts from what its data files and demo data hold.

    Demo orders are written with their events; the rebuild marks those as counted,
    so the figures are right whichever addon's subscriber ran first.
    """
    event.session.flush()
    rebuild(event.session)
