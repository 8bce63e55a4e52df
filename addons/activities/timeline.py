"""What the timeline panel shows and what its forms do: list, add, edit, delete, complete.

Every function takes the record through :func:`.records.load_record` (or the
entry through :func:`activity_or_404`), so record rules hold everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from jimucrm.core.i18n import _
from jimucrm.core.pagination import page_number
from jimucrm.security.models import User

from .events import completed_payload, created_payload
from .forms import ActivityForm, blank_form, local_text, now
from .models import KINDS, TASK, Activity
from .records import (
    MAX_ID_DIGITS,
    RecordType,
    load_record,
    record_id_of,
    type_of_model,
    usable_type,
)

PAGE_SIZE = 20
# Held by managers: edit and delete anyone's entries, complete anyone's tasks.
MANAGE = "activities.manage"

KIND_TITLES = {
    "note": _("Note"),
    "call": _("Call"),
    "visit": _("Visit"),
    "task": _("Task"),
    "email": _("activity_kind_email", default="E-mail"),
}
# One character per kind, beside its title (text, so it needs no icon font or image).
KIND_ICONS = {"note": "✎", "call": "☎", "visit": "⌂", "task": "☐", "email": "✉"}
assert set(KIND_TITLES) == set(KINDS) == set(KIND_ICONS)


@dataclass
class Timeline:
    """One page of a record's timeline, the form to add to it, and what the templates ask."""

    request: Request
    record_type: RecordType
    record: Any
    record_id: int
    entries: list[Activity]
    page: int
    has_more: bool
    names: dict[int, str]
    users: list[tuple[int, str]]
    can_create: bool
    form: ActivityForm | None = None
    anchor: str = field(init=False)
    back: str = field(init=False)
    now: datetime = field(default_factory=now)
    titles = KIND_TITLES
    icons = KIND_ICONS
    text = staticmethod(local_text)

    def __post_init__(self) -> None:
        self.anchor = f"timeline-{self.record_type.name}-{self.record_id}"
        self.back = back_path(self.request)

    def may(self, action: str, activity: Activity) -> bool:
        """Whether the user may ``complete``, ``edit`` or ``delete`` ``activity``."""
        return CHECKS[action](self.request, activity)


def back_path(request: Request) -> str:
    """The page the user is on (the one an htmx request came from), to return to."""
    current = request.headers.get("HX-Current-URL") if request.headers.get(
        "HX-Request") == "true" else None
    if current:
        parts = urlsplit(current)
        if parts.netloc == request.host:
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.path_qs


def safe_next(request: Request, default: str) -> str:
    """``next`` from the form or query if it is a page of this tenant, else ``default``.

    Only paths under the tenant's own prefix are followed: never another host
    (``//evil``, ``/\\evil``), never another tenant.
    """
    value = str(request.params.get("next", ""))
    prefix = request.script_name + "/"
    if value.startswith(prefix) and not value.startswith(("//", "/\\")) \
            and "\\" not in value and len(value) <= 2000:
        return request.host_url + value
    return default


def record_url(request: Request, record_type: RecordType, record_id: int) -> str:
    """The record's own page, or its timeline page when no page is known."""
    if record_type.route is not None:
        return request.route_url(record_type.route, id=record_id)
    return request.route_url("activities_record", record_type=record_type.name,
                             record_id=record_id)


def _user_id(request: Request) -> int:
    return request.identity.user_id


def user_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Display names of the users ``ids`` (one query)."""
    wanted = sorted({user_id for user_id in ids if user_id is not None})
    if not wanted:
        return {}
    return {user_id: name for user_id, name in session.execute(
        select(User.id, User.display_name).where(User.id.in_(wanted)))}


def active_users(session: Session) -> list[tuple[int, str]]:
    """(id, display name) of the active users: whom a task may be assigned to."""
    return [(user_id, name) for user_id, name in session.execute(
        select(User.id, User.display_name).where(User.is_active.is_(True))
        .order_by(User.display_name, User.id))]


def page_of(request: Request, record_type: RecordType, record_id: int,
            page: int) -> tuple[list[Activity], bool]:
    """Page ``page`` of the record's entries, newest first; and whether older ones exist."""
    rows = request.dbsession.scalars(
        select(Activity).where(Activity.record_type == record_type.name,
                               Activity.record_id == record_id)
        .order_by(Activity.occurred_at.desc(), Activity.id.desc())
        .limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def build(request: Request, record_type: RecordType, record: Any, *, page: int = 1,
          form: ActivityForm | None = None) -> Timeline:
    record_id = record_id_of(record)
    entries, more = page_of(request, record_type, record_id, page)
    can_create = bool(request.has_permission("activities.create"))
    if can_create and form is None:
        form = blank_form(_user_id(request))
    names = user_names(request.dbsession, [item.author_id for item in entries]
                       + [item.assignee_id for item in entries])
    return Timeline(request, record_type, record, record_id, entries, page, more, names,
                    active_users(request.dbsession) if can_create else [], can_create, form)


# The form state a view hands to the panel it renders again (errors and what was typed).
_FORM_STATE = "jimu.activities.form"
# The page of entries the timeline's own page shows (the detail pages show the first).
PAGE_STATE = "jimu.activities.page"


def remember_form(request: Request, form: ActivityForm) -> None:
    request.environ[_FORM_STATE] = form


def panel_timeline(request: Request, record: Any) -> Timeline | None:
    """``request.activity_timeline(record)``: the timeline panel's data, or None where
    the record's model has no timeline or the user may not see it."""
    if not request.has_permission("activities.view"):
        return None
    found = type_of_model(request.registry, type(record))
    if found is None or usable_type(request, found.name) is None:
        return None
    return build(request, found, record, form=request.environ.get(_FORM_STATE),
                 page=request.environ.get(PAGE_STATE, 1))


def activity_or_404(request: Request, raw_id: str) -> tuple[Activity, RecordType, Any]:
    """The entry named in the URL, its record type and its record, if the user may view
    that record; else 404."""
    if not raw_id.isdigit() or len(raw_id) > MAX_ID_DIGITS:
        raise HTTPNotFound()
    activity = request.dbsession.get(Activity, int(raw_id))
    if activity is None:
        raise HTTPNotFound()
    record_type, record = load_record(request, activity.record_type, activity.record_id)
    return activity, record_type, record


def _mine_or_managed(request: Request, activity: Activity) -> bool:
    return activity.author_id == _user_id(request) or bool(request.has_permission(MANAGE))


def may_edit(request: Request, activity: Activity) -> bool:
    return bool(request.has_permission("activities.edit")) and _mine_or_managed(
        request, activity)


def may_delete(request: Request, activity: Activity) -> bool:
    return bool(request.has_permission("activities.delete")) and _mine_or_managed(
        request, activity)


def may_complete(request: Request, activity: Activity) -> bool:
    """Open tasks: their assignee, their author and managers mark them done."""
    return activity.is_open_task and bool(request.has_permission("activities.edit")) and (
        activity.assignee_id == _user_id(request) or _mine_or_managed(request, activity))


def create(request: Request, record_type: RecordType, record_id: int,
           values: dict[str, Any]) -> Activity:
    """Add an entry to the record's timeline; emits ``activity.created``."""
    activity = Activity(record_type=record_type.name, record_id=record_id,
                        author_id=_user_id(request), **values)
    request.dbsession.add(activity)
    request.dbsession.flush()
    request.emit_event("activity.created", created_payload(activity))
    return activity


def update(activity: Activity, values: dict[str, Any]) -> None:
    """Change an entry; a task whose reminder time changed will be reminded again."""
    if values.get("reminder_at") != activity.reminder_at:
        activity.reminded_at = None
    if values["kind"] != TASK:
        activity.done_at = None
    for name, value in values.items():
        setattr(activity, name, value)


CHECKS = {"complete": may_complete, "edit": may_edit, "delete": may_delete}


def complete(request: Request, activity: Activity) -> None:
    """Mark an open task done; emits ``task.completed``."""
    activity.done_at = now()
    request.dbsession.flush()
    request.emit_event("task.completed", completed_payload(activity, _user_id(request)))


def page_param(request: Request) -> int:
    return page_number(request.params)
