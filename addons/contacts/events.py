"""Events the contacts addon emits."""

from __future__ import annotations

from dataclasses import dataclass

from pyramid.request import Request
from zope.interface import Attribute, Interface, implementer


class IContactCreated(Interface):
    """Event: a contact was created, in the transaction that created it.

    Subscribers run in that transaction: what they write commits or rolls back
    with the contact.
    """

    request = Attribute("The request that created the contact")
    contact = Attribute("The new Contact row (flushed: it has its id)")


@implementer(IContactCreated)
@dataclass(frozen=True)
class ContactCreated:
    request: Request
    contact: object
