"""The crm pages: leads, the public pool, the opportunity kanban, the forecast, settings.

Until core's metadata-driven list and form views exist, the lead list and the
lead and opportunity forms are written by hand here too.
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
OWNER_CHOICES = {
    "me": _("Me"),
    "pool": _("The public pool"),
    "auto": _("Assign automatically"),
}


def like_prefix(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def money(value) -> str:
    """12,345.00: amounts with thousands separators (the same in both languages)."""
    return f"{value:,.2f}"
