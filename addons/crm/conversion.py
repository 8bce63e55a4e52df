"""Lead → contact + opportunity, in one transaction.

The customer is a contact of the contacts addon (the person, with the lead's
company name in ``company``); contacts has no company record of its own yet.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pyramid.request import Request

from jimucrm.addons.contacts.events import ContactCreated
from jimucrm.addons.contacts.models import Contact
from jimucrm.core.events import notify

from .funnel import create_opportunity
from .leads import now, record
from .models import Lead, Opportunity, OpportunityStage


def convert(request: Request, lead: Lead, *, contact_name: str, company: str,
            opportunity_name: str, stage: OpportunityStage, amount: Decimal,
            expected_close_date: date | None) -> tuple[Contact, Opportunity]:
    """Make the contact and the opportunity, mark the lead converted; emit the events.

    Both records belong to the lead's owner (the converting user if the lead had
    none). ``IContactCreated`` goes to contacts' subscribers as for any new contact;
    ``opportunity.created`` and then ``lead.converted`` go through the outbox.
    """
    session = request.dbsession
    user_id = request.identity.user_id
    owner_id = lead.owner_id or user_id
    contact = Contact(name=contact_name, company=company, title="", phone=lead.phone,
                      email=lead.email, city=lead.region, notes=lead.notes, owner_id=owner_id)
    session.add(contact)
    session.flush()
    notify(request.registry, ContactCreated(request, contact), request.tenant.addons)
    opportunity = create_opportunity(
        request, name=opportunity_name, stage=stage, amount=amount,
        expected_close_date=expected_close_date, owner_id=owner_id, contact_id=contact.id,
        lead_id=lead.id)
    lead.status, lead.contact_id, lead.converted_at = "converted", contact.id, now()
    record(session, lead, "converted", opportunity_name, user_id=user_id)
    request.emit_event("lead.converted", {
        "lead_id": lead.id, "contact_id": contact.id, "opportunity_id": opportunity.id,
        "by": user_id})
    return contact, opportunity
