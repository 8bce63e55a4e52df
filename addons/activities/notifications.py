"""In-app notifications: what a user has not read yet, and marking them read."""

from __future__ import annotations

from pyramid.request import Request
from sqlalchemy import func, select, update

from .forms import now
from .models import Notification


def unread_count(request: Request) -> int:
    """``request.unread_notifications``: how many of the user's notifications are unread."""
    if request.identity is None:
        return 0
    return request.dbsession.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == request.identity.user_id, Notification.read_at.is_(None)))


def mark_read(request: Request, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications read (``None``: all of them); how many changed.

    A conditional UPDATE scoped to the user: another user's id changes nothing.
    """
    statement = update(Notification).where(
        Notification.user_id == request.identity.user_id, Notification.read_at.is_(None))
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    return request.dbsession.execute(statement.values(read_at=now())).rowcount
