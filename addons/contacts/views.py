"""What the contacts addon adds to its generated pages: the home panel's figures,
the score on the detail page, and the event sent when a contact is created.

The list, form, detail, delete and export pages themselves come from core's
model views (``config.add_model_views`` in ``includeme``).
"""

from __future__ import annotations

from datetime import timedelta

from pyramid.request import Request
from sqlalchemy import func, select

from jimucrm.core.events import notify
from jimucrm.core.interfaces import IRecordRules

from .events import ContactCreated
from .interfaces import IContactScorer
from .models import Contact


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


def contact_created(request: Request, contact: Contact) -> None:
    """Sent by the generated form once the new contact is flushed."""
    notify(request.registry, ContactCreated(request, contact), request.tenant.addons)
