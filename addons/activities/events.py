"""The domain events the activities addon emits through the transactional outbox.

Payloads hold ids, kinds and times (ISO 8601 with offset), never an entry's text:
a handler that needs the subject loads the activity.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pyramid.config import Configurator

from .models import Activity

EVENTS = {
    "activity.created": (
        "An activity was added to a record's timeline (a note, call, visit, e-mail or task). "
        "Payload: activity_id, record_type, record_id, kind, occurred_at, due_at (tasks, "
        "else null), assignee_id (tasks, else null), author_id."),
    "task.completed": (
        "A task on a record's timeline was marked done. Payload: activity_id, record_type, "
        "record_id, done_at, due_at, assignee_id, completed_by (user id)."),
}


def declare_events(config: Configurator) -> None:
    for name, doc in EVENTS.items():
        config.add_domain_event(name, doc)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def created_payload(activity: Activity) -> dict[str, Any]:
    return {"activity_id": activity.id, "record_type": activity.record_type,
            "record_id": activity.record_id, "kind": activity.kind,
            "occurred_at": _time(activity.occurred_at), "due_at": _time(activity.due_at),
            "assignee_id": activity.assignee_id, "author_id": activity.author_id}


def completed_payload(activity: Activity, user_id: int) -> dict[str, Any]:
    return {"activity_id": activity.id, "record_type": activity.record_type,
            "record_id": activity.record_id, "done_at": _time(activity.done_at),
            "due_at": _time(activity.due_at), "assignee_id": activity.assignee_id,
            "completed_by": user_id}
