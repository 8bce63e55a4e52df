"""What the contacts addon adds to its generated pages: the home panel's figures, the
detail panels (company and tags, possible duplicates, score) and their request methods.

The list, form, detail, delete and export pages themselves come from core's
model views (``config.add_model_views`` in ``includeme``); the duplicates, merge
and tag pages are in :mod:`.pages`.
"""

from __future__ import annotations

from datetime import timedelta

from pyramid.request import Request
from sqlalchemy import func, select

from jimucrm.core.interfaces import IRecordRules

from .interfaces import IContactScorer, IDuplicateFinder
from .models import Company, Contact


def contact_summary(request: Request) -> dict[str, int]:
    """Figures for the home page panel: how many contacts, how many this week."""
    week_ago = func.now() - timedelta(days=7)
    query = select(func.count(), func.count().filter(Contact.created_at >= week_ago))
    query = request.find_service(IRecordRules).apply(request, query.select_from(Contact), Contact)
    total, recent = request.dbsession.execute(query).one()
    return {"total": total, "recent": recent}


def contact_score(request: Request, contact: Contact) -> int:
    """The contact's score from the tenant's ``IContactScorer`` (the detail panel)."""
    return request.find_service(IContactScorer).score(contact)


def contact_duplicates(request: Request, contact: Contact) -> list[Contact]:
    """Contacts that look like ``contact`` (the "possible duplicates" panel)."""
    return request.find_service(IDuplicateFinder).duplicates_of(request, contact)


def readable_company(request: Request, contact: Contact) -> Company | None:
    """The contact's company when the user may open it (else the panel names none)."""
    if contact.company_id is None or not request.has_permission("companies.view"):
        return None
    query = request.find_service(IRecordRules).apply(
        request, select(Company).where(Company.id == contact.company_id), Company)
    return request.dbsession.scalars(query).one_or_none()


def company_people(request: Request, company: Company) -> list[Contact]:
    """The company's people the user may read (the company page's panel)."""
    query = request.find_service(IRecordRules).apply(
        request, select(Contact).where(Contact.company_id == company.id), Contact)
    return list(request.dbsession.scalars(query.order_by(Contact.name, Contact.id)))


def may_write(request: Request, record: object, permission: str) -> bool:
    """The user holds ``permission`` and the record rules let them change ``record``."""
    return bool(request.has_permission(permission)) and request.find_service(
        IRecordRules).allows(request, record, "write")
