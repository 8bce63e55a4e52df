"""Events the contacts addon emits.

Outbox events (``request.emit_event``, delivered after commit to handlers such as
the dashboard's), with their names as constants for handlers to import:

* :data:`CUSTOMER_CREATED` ``customer.created``: ``contact_id``, ``company_id``
  (null when none), ``owner_id`` (null for imports and demo rows), ``source``
  (a code of :data:`~.models.SOURCES`, or null), ``created_at`` (ISO 8601 with
  its offset). Emitted in the transaction that creates the contact, whether by
  the form, the REST API, a converted lead or the demo data.
* :data:`CUSTOMER_MERGED` ``customer.merged``: ``survivor_id``, ``merged_id``,
  ``fields`` (the names of the fields whose value came from the merged contact),
  ``by`` (the user id).

Synchronous zope events: :class:`ContactCreated` (``IContactCreated``) and
:class:`ContactsMerging` (:class:`~.interfaces.IContactsMerging`).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyramid.request import Request
from zope.interface import Attribute, Interface, implementer

from .interfaces import IContactsMerging

CUSTOMER_CREATED = "customer.created"
CUSTOMER_MERGED = "customer.merged"

EVENTS = {
    CUSTOMER_CREATED: "A customer (contact) was created: by the form, the REST API, a "
                      "converted lead or the demo data. Payload: contact_id, company_id, "
                      "owner_id, source, created_at.",
    CUSTOMER_MERGED: "Two contacts were merged: merged_id was moved into survivor_id and "
                     "deleted. Payload: survivor_id, merged_id, fields, by.",
}


class IContactCreated(Interface):
    """Event: a contact was created, in the transaction that created it.

    Subscribers run in that transaction: what they write commits or rolls back
    with the contact. Sent for contacts created in a request (form, API, lead
    conversion); the outbox's ``customer.created`` covers every way.
    """

    request = Attribute("The request that created the contact")
    contact = Attribute("The new Contact row (flushed: it has its id)")


@implementer(IContactCreated)
@dataclass(frozen=True)
class ContactCreated:
    request: Request
    contact: object


@implementer(IContactsMerging)
@dataclass(frozen=True)
class ContactsMerging:
    request: Request
    survivor: object
    merged: object
