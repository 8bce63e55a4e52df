"""CRM's part of merging two contacts: their leads and opportunities move to the survivor."""

from __future__ import annotations

from sqlalchemy import select

from jimucrm.addons.contacts.interfaces import IContactsMerging

from .models import Lead, Opportunity


def move_leads_and_opportunities(event: IContactsMerging) -> None:
    """Leads converted into the merged contact and its opportunities now name the survivor."""
    session = event.request.dbsession
    for model in (Lead, Opportunity):
        for row in session.scalars(select(model).where(model.contact_id == event.merged.id)):
            row.contact_id = event.survivor.id
