"""Extension points the contacts addon provides."""

from __future__ import annotations

from zope.interface import Attribute, Interface

# The UI slot of the contact detail page (``<table>.detail`` of its model views):
# dependants add their panels there (``config.add_panel(CONTACT_DETAIL_SLOT, …)``).
CONTACT_DETAIL_SLOT = "contacts.detail"


class IContactScorer(Interface):
    """Scores a contact from 0 to 100 for how promising it is; shown on its page.

    The default counts how complete the profile is. An addon overrides it to
    score by its own rules (industry, company size, purchase history…).
    """

    def score(contact) -> int:
        """A number from 0 to 100 for ``contact`` (a Contact row)."""


class IDuplicateFinder(Interface):
    """Finds contacts that are probably the same person as another.

    The default (:class:`~.duplicates.DuplicateFinder`) matches the normalised
    name, the phone or mobile number (by blind index: equal numbers, however
    written) and the e-mail address (case-insensitive). An addon overrides it to
    match by its own rules (company and title, fuzzy names, an external master
    data service). Only contacts the request's user may read are returned.
    """

    def duplicates_of(request, contact) -> list:
        """Contacts other than ``contact`` that look like the same person, best first."""

    def groups(request, limit: int = 50) -> list[list]:
        """Groups of two or more contacts that look like one person (at most ``limit``)."""


class IContactsMerging(Interface):
    """Event: contacts are being merged into one, in the transaction that merges them.

    Sent after the surviving contact took the chosen values and before the merged
    contact is deleted. Every addon whose rows refer to contacts subscribes
    (``config.add_event_subscriber(handler, IContactsMerging)``; delivered only
    in tenants that enabled the subscribing addon) and moves its rows from
    ``merged`` to ``survivor`` (``UPDATE … SET contact_id = survivor.id``). A row
    still referring to the merged contact afterwards stops the merge with a
    message naming its table, rather than losing data to a cascade.
    """

    request = Attribute("The request merging the contacts")
    survivor = Attribute("The Contact that stays")
    merged = Attribute("The Contact that is merged into the survivor, then deleted")
