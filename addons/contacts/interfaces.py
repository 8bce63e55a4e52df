"""Extension points the contacts addon provides."""

from __future__ import annotations

from zope.interface import Interface


class IContactScorer(Interface):
    """Scores a contact from 0 to 100 for how promising it is; shown on its page.

    The default counts how complete the profile is. An addon overrides it to
    score by its own rules (industry, company size, purchase history…).
    """

    def score(contact) -> int:
        """A number from 0 to 100 for ``contact`` (a Contact row)."""
