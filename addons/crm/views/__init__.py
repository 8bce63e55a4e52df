"""The crm pages: leads, the public pool, the opportunity kanban, the forecast, settings.

The lead and opportunity lists, forms and pages are core's generated model views;
these modules add the work panels of those pages and the pages of their own.
"""

from __future__ import annotations

from jimucrm.core.i18n import _

STATUS_TITLES = {
    "new": _("New"),
    "contacted": _("Contacted"),
    "qualified": _("Qualified"),
    "converted": _("Converted"),
    "lost": _("Lost"),
}
ACTIVITY_TITLES = {
    "note": _("Note"),
    "call": _("Call"),
    "visit": _("Visit"),
    "created": _("Lead created"),
    "claimed": _("Claimed from the pool"),
    "returned": _("Returned to the pool"),
    "auto_returned": _("Returned to the pool automatically"),
    "assigned": _("Assigned"),
    "converted": _("Converted"),
    "status": _("Status changed"),
}


def money(value) -> str:
    """12,345.00: amounts with thousands separators (the same in both languages)."""
    return f"{value:,.2f}"
