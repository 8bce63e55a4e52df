"""Default implementations of the contacts addon's extension points, and the one way
a contact is created (so every new customer sends the same events)."""

from __future__ import annotations

from typing import Any

from pyramid.registry import Registry
from pyramid.request import Request
from sqlalchemy.orm import Session
from zope.interface import implementer

from jimucrm.core.events import notify
from jimucrm.core.interfaces import ITenant
from jimucrm.core.outbox import IOutbox

from .events import CUSTOMER_CREATED, ContactCreated
from .interfaces import IContactScorer
from .models import Contact

SCORED_FIELDS = ("company_id", "title", "phone", "email", "city")


@implementer(IContactScorer)
class CompletenessScorer:
    """20 points for each of company, title, phone, e-mail and city filled in."""

    def score(self, contact) -> int:
        return sum(20 for field in SCORED_FIELDS if getattr(contact, field, ""))


def customer_payload(contact: Contact) -> dict[str, Any]:
    """The ``customer.created`` payload of a flushed contact."""
    created = contact.created_at
    return {"contact_id": contact.id, "company_id": contact.company_id,
            "owner_id": contact.owner_id, "source": contact.source,
            "created_at": created.isoformat() if created is not None else None}


def announce_contact(registry: Registry, session: Session, tenant: ITenant,
                     contact: Contact, request: Request | None = None) -> None:
    """Send the events of a new, flushed contact in ``session``'s transaction.

    ``customer.created`` goes to the tenant's outbox (it commits or rolls back with
    the contact); with a ``request``, ``IContactCreated`` also goes to synchronous
    subscribers.
    """
    if contact.created_at is None:
        session.refresh(contact, ["created_at"])  # set by the database on insert
    registry.getUtility(IOutbox).emit(session, tenant, CUSTOMER_CREATED,
                                      customer_payload(contact))
    if request is not None:
        notify(registry, ContactCreated(request, contact), tenant.addons)


def contact_created(request: Request, contact: Contact) -> None:
    """The model views' ``on_created`` hook: the form or the API made ``contact``."""
    announce_contact(request.registry, request.dbsession, request.tenant, contact, request)


def create_contact(request: Request, **values: Any) -> Contact:
    """Create a contact from ``values`` (column names) in the request's transaction.

    For code that makes customers (a converted lead, an import): the contact is
    flushed and announced exactly as one entered on the form.
    """
    contact = Contact(**values)
    request.dbsession.add(contact)
    request.dbsession.flush()
    contact_created(request, contact)
    return contact
