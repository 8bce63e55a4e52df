"""The activity form: what a user typed, checked on the server, errors beside each field.

Times are typed as ``datetime-local`` values (``2026-11-26T09:30``) and read in
:data:`ZONE`, the deployment's business time zone, as the dashboard counts days.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pyramid.i18n import TranslationString
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jimucrm.core.i18n import _
from jimucrm.security.models import User

from .models import BODY_LENGTH, KINDS, SUBJECT_LENGTH, TASK, Activity

ZONE = ZoneInfo("Asia/Shanghai")
INPUT_FORMAT = "%Y-%m-%dT%H:%M"
FIELDS = ("kind", "subject", "body", "occurred_at", "due_at", "assignee_id", "reminder_at")
TASK_FIELDS = ("due_at", "assignee_id", "reminder_at")


@dataclass
class ActivityForm:
    """The form's values as typed (strings) and its errors by field."""

    values: dict[str, str]
    errors: dict[str, TranslationString] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors


def now() -> datetime:
    return datetime.now(UTC)


def local_input(value: datetime | None) -> str:
    """``value`` as a ``datetime-local`` input holds it."""
    return value.astimezone(ZONE).strftime(INPUT_FORMAT) if value is not None else ""


def local_text(value: datetime | None) -> str:
    """``value`` as a person reads it: ``2026-11-26 09:30`` in :data:`ZONE`."""
    return value.astimezone(ZONE).strftime("%Y-%m-%d %H:%M") if value is not None else ""


def blank_form(user_id: int, kind: str = "note") -> ActivityForm:
    values = dict.fromkeys(FIELDS, "")
    values.update(kind=kind, assignee_id=str(user_id))
    return ActivityForm(values)


def form_of(activity: Activity) -> ActivityForm:
    """The edit form of ``activity``."""
    return ActivityForm({
        "kind": activity.kind, "subject": activity.subject, "body": activity.body,
        "occurred_at": local_input(activity.occurred_at), "due_at": local_input(activity.due_at),
        "assignee_id": str(activity.assignee_id or ""),
        "reminder_at": local_input(activity.reminder_at)})


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, INPUT_FORMAT).replace(tzinfo=ZONE)
    except ValueError:
        return None


def _active_user(session: Session, text: str) -> int | None:
    if not text.isdigit() or len(text) > 9:
        return None
    user_id = int(text)
    found = session.scalar(select(func.count()).select_from(User).where(
        User.id == user_id, User.is_active.is_(True)))
    return user_id if found else None


def validate(session: Session, params: Mapping[str, Any]) -> tuple[ActivityForm, dict]:
    """Check a submitted activity; return the form (to show again) and the clean values."""
    values = {name: str(params.get(name, "")).strip() for name in FIELDS}
    form = ActivityForm(values)
    errors = form.errors
    clean: dict[str, Any] = {}
    kind = values["kind"]
    if kind not in KINDS:
        errors["kind"] = _("Choose what kind of entry this is.")
    clean["kind"] = kind
    for name, limit in (("subject", SUBJECT_LENGTH), ("body", BODY_LENGTH)):
        if len(values[name]) > limit:
            errors[name] = _("At most ${limit} characters.", mapping={"limit": limit})
        clean[name] = values[name]
    if kind == TASK and not values["subject"] and "subject" not in errors:
        errors["subject"] = _("Say what is to be done.")
    elif kind != TASK and not values["subject"] and not values["body"] \
            and "body" not in errors:
        errors["body"] = _("Write what happened.")
    clean["occurred_at"] = now()
    if values["occurred_at"]:
        occurred = _parse_time(values["occurred_at"])
        if occurred is None:
            errors["occurred_at"] = _("Enter a date and time.")
        clean["occurred_at"] = occurred
    for name in TASK_FIELDS:
        clean[name] = None
    if kind == TASK:
        for name in ("due_at", "reminder_at"):
            if values[name]:
                clean[name] = _parse_time(values[name])
                if clean[name] is None:
                    errors[name] = _("Enter a date and time.")
        if clean["due_at"] and clean["reminder_at"] and clean["reminder_at"] > clean["due_at"]:
            errors["reminder_at"] = _("The reminder should come before the task is due.")
        clean["assignee_id"] = _active_user(session, values["assignee_id"])
        if clean["assignee_id"] is None:
            errors["assignee_id"] = _("Choose an active user.")
    return form, clean
