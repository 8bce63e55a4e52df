"""Lead → contact + opportunity, in one transaction.

The customer is a contact of the contacts addon, made by its
:func:`~jimucrm.addons.contacts.services.create_contact` (so ``customer.created``
is emitted as for any new customer), in the company of the lead's company name
(an existing company of that exact name, else a new one).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pyramid.request import Request
from sqlalchemy import select

from jimucrm.addons.contacts.models import Company, Contact
from jimucrm.addons.contacts.services import create_contact

from .funnel import create_opportunity
from .leads import now, record
from .models import Lead, Opportunity, OpportunityStage


def convert(request: Request, lead: Lead, *, contact_name: str, company: str,
            opportunity_name: str, stage: OpportunityStage, amount: Decimal,
            expected_close_date: date | None) -> tuple[Contact, Opportunity]:
    """Make the contact and the opportunity, mark the lead converted; emit the events.

    Both records belong to the lead's owner (the converting user if the lead had
    none). The contact's events go out as for any new contact (``IContactCreated``,
    ``customer.created``); ``opportunity.created`` and then ``lead.converted`` go
    through the outbox.
    """
    session = request.dbsession
    user_id = request.identity.user_id
    owner_id = lead.owner_id or user_id
    contact = create_contact(
        request, name=contact_name, company=_company(request, company, owner_id), title="",
        phone=lead.phone or None, email=lead.email, city=lead.region, notes=lead.notes,
        source="lead", owner_id=owner_id)
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


def _company(request: Request, name: str, owner_id: int) -> Company | None:
    """The company called ``name`` (the first made), or a new one owned by ``owner_id``."""
    name = name.strip()
    if not name:
        return None
    found = request.dbsession.scalars(
        select(Company).where(Company.name == name).order_by(Company.id).limit(1)).first()
    if found is not None:
        return found
    company = Company(name=name, source="lead", owner_id=owner_id)
    request.dbsession.add(company)
    return company
