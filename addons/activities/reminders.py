"""Sending due reminders: every tenant with activities enabled, each reminder once.

A reminder is due when its ``reminder_at`` has passed and ``reminded_at`` is still
empty. The sweep locks the due rows with ``SELECT … FOR UPDATE SKIP LOCKED``, sets
``reminded_at`` and delivers through the tenant's
:class:`~.interfaces.INotificationChannel` in the same transaction: two workers
sweeping at once skip each other's rows, and a delivery that fails rolls the mark
back, so the next sweep tries again.
"""

from __future__ import annotations

from datetime import datetime

from pyramid.request import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from jimucrm.core.i18n import _
from jimucrm.core.interfaces import IAddonCatalogue
from jimucrm.tenants.sweeps import each_tenant_with

from .forms import local_text, now
from .interfaces import INotificationChannel
from .models import TASK, Activity
from .records import record_types
from .services import Notice

ADDON = "activities"
# Reminders sent per tenant and sweep; the rest wait a minute for the next one.
BATCH = 500


def _notice(request: Request, activity: Activity) -> Notice:
    translate = request.localizer.translate
    body = translate(_("Due ${time}", mapping={"time": local_text(activity.due_at)})) \
        if activity.due_at is not None else ""
    record_type = record_types(request.registry).get(activity.record_type)
    link = record_type.path(request, activity.record_id) if record_type is not None else ""
    return Notice(user_id=activity.assignee_id or activity.author_id,
                  title=translate(_("Reminder: ${subject}",
                                    mapping={"subject": activity.subject})),
                  body=body, link=link)


def send_due(request: Request, session: Session, tenant, at: datetime) -> list[int]:
    """Send the reminders due at ``at`` in ``tenant`` (``session`` bound to its schema);
    return the ids of the tasks reminded."""
    channel = request.registry.getUtility(IAddonCatalogue).composed(
        tenant.addons).getUtility(INotificationChannel)
    due = session.scalars(
        select(Activity).where(Activity.reminder_at <= at, Activity.reminded_at.is_(None))
        .order_by(Activity.reminder_at, Activity.id).limit(BATCH)
        .with_for_update(skip_locked=True)).all()
    sent = []
    for activity in due:
        activity.reminded_at = at
        # A task done (or no longer a task) before its reminder: marked, not sent.
        if activity.kind != TASK or activity.done_at is not None:
            continue
        notice = _notice(request, activity)
        if notice.user_id is None:
            continue
        channel.deliver(session, tenant, notice)
        sent.append(activity.id)
    session.flush()
    return sent


def send_all(request: Request, at: datetime | None = None) -> dict[str, list[int]]:
    """Send due reminders in every tenant with activities, each in its own transaction.

    One tenant's failure is logged and does not stop the others. Returns the task ids
    reminded per schema (schemas with none left out).
    """
    at = at or now()
    return each_tenant_with(request.registry, ADDON,
                            lambda session, tenant: send_due(request, session, tenant, at))
