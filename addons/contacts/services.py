"""Default implementations of the contacts addon's extension points."""

from __future__ import annotations

from zope.interface import implementer

from .interfaces import IContactScorer

SCORED_FIELDS = ("company", "title", "phone", "email", "city")


@implementer(IContactScorer)
class CompletenessScorer:
    """20 points for each of company, title, phone, e-mail and city filled in."""

    def score(self, contact) -> int:
        return sum(20 for field in SCORED_FIELDS if getattr(contact, field, ""))
