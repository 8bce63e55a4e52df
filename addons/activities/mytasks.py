"""Open tasks of a user: the "My tasks" page and the home page's panel."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pyramid.request import Request
from sqlalchemy import Select, inspect, select

from .forms import ZONE, now
from .models import TASK, Activity
from .records import record_title, record_types
from .timeline import record_url

DUE_FILTERS = ("today", "week", "overdue")
HOME_LIMIT = 10


@dataclass(frozen=True)
class TaskRow:
    """An open task, and the record it is about (title and link, if the user may see it)."""

    activity: Activity
    record_title: str | None
    record_link: str | None
    overdue: bool


def _day_start(moment: datetime) -> datetime:
    local = moment.astimezone(ZONE)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def open_tasks(user_id: int) -> Select:
    return select(Activity).where(Activity.kind == TASK, Activity.done_at.is_(None),
                                  Activity.assignee_id == user_id)


def due_filter(query: Select, due: str, moment: datetime) -> Select:
    """Tasks due ``today`` (or before: overdue ones need doing today too), this ``week``
    (to Sunday's end) or ``overdue``; anything else: every open task."""
    today = _day_start(moment)
    if due == "today":
        return query.where(Activity.due_at < today + timedelta(days=1))
    if due == "week":
        return query.where(Activity.due_at < today + timedelta(days=7 - today.weekday()))
    if due == "overdue":
        return query.where(Activity.due_at < moment)
    return query


def _records(request: Request, wanted: dict[str, set[int]]) -> dict[tuple[str, int], Any]:
    """The records the tasks are about, that the user may still see: one query per type."""
    types = record_types(request.registry)
    found: dict[tuple[str, int], Any] = {}
    for name, ids in wanted.items():
        record_type = types.get(name)
        if record_type is None or not record_type.enabled_for(request.tenant) or \
                not request.has_permission(record_type.permission):
            continue
        key = inspect(record_type.model).primary_key[0]
        query = record_type.scoped(request, select(record_type.model)
                                   .where(key.in_(sorted(ids))))
        for record in request.dbsession.scalars(query).unique():
            found[name, inspect(record).identity[0]] = record
    return found


def task_rows(request: Request, tasks: list[Activity]) -> list[TaskRow]:
    wanted: dict[str, set[int]] = defaultdict(set)
    for task in tasks:
        wanted[task.record_type].add(task.record_id)
    records = _records(request, wanted)
    types = record_types(request.registry)
    moment = now()
    rows = []
    for task in tasks:
        record = records.get((task.record_type, task.record_id))
        rows.append(TaskRow(
            task, record_title(record) if record is not None else None,
            record_url(request, types[task.record_type], task.record_id)
            if record is not None else None,
            task.due_at is not None and task.due_at < moment))
    return rows


def my_tasks(request: Request, due: str = "", limit: int | None = None) -> list[TaskRow]:
    """The user's open tasks, soonest due first (those without a due date last)."""
    query = due_filter(open_tasks(request.identity.user_id), due, now())
    query = query.order_by(Activity.due_at.asc().nulls_last(), Activity.id)
    if limit is not None:
        query = query.limit(limit)
    return task_rows(request, list(request.dbsession.scalars(query)))


def home_tasks(request: Request) -> list[TaskRow]:
    """``request.activity_home_tasks``: today's and overdue tasks, for the home panel."""
    return my_tasks(request, "today", HOME_LIMIT)
