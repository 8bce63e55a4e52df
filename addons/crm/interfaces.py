"""Extension points the crm addon provides."""

from __future__ import annotations

from zope.interface import Interface


class ILeadAssignment(Interface):
    """Chooses who gets a lead that is assigned automatically; None leaves it in the pool.

    Asked when a lead is created with "assign automatically" and when a manager
    asks for an automatic assignment of a pool lead. The default follows the
    tenant's setting (CRM settings → assignment): the public pool, round robin
    among the active users whose roles grant ``leads.claim``, the tenant's
    region/source rules, or the rules with round robin for leads no rule
    matches. An addon overrides it to assign by its own logic (territories,
    workload, skills…).
    """

    def assign(request, lead):
        """The id of the user who should own ``lead`` (a Lead row), or None for the pool.

        Runs in the request's transaction; it may read and write the tenant's
        tables through ``request.dbsession`` (round robin remembers its turn).
        It must return an active user of the tenant: the caller checks and
        leaves the lead in the pool otherwise.
        """

    def describe(request):
        """A short text (a TranslationString or str) saying how leads are assigned."""
