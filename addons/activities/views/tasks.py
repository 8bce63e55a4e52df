"""My tasks: the open tasks assigned to me, filtered by when they are due."""

from __future__ import annotations

from pyramid.request import Request
from pyramid.view import view_config

from jimucrm.core.i18n import _

from ..forms import local_text
from ..mytasks import DUE_FILTERS, my_tasks
from . import RENDERER

FILTER_TITLES = {"": _("All open"), "today": _("Due today"), "week": _("Due this week"),
                 "overdue": _("Overdue")}
assert set(FILTER_TITLES) == {"", *DUE_FILTERS}


@view_config(route_name="activities_tasks", tenant=True, permission="activities.view",
             renderer=RENDERER + "tasks.pt")
def tasks_page(request: Request) -> dict:
    due = request.params.get("due", "")
    if due not in DUE_FILTERS:
        due = ""
    return {"rows": my_tasks(request, due), "due": due, "filters": FILTER_TITLES,
            "when": local_text}
