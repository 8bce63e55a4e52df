"""Default implementations of the activities addon's extension points."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session
from zope.interface import implementer

from .interfaces import INotificationChannel
from .models import SUBJECT_LENGTH, Notification


@dataclass(frozen=True)
class Notice:
    """What a channel delivers: to whom, a title, a body and a link inside the tenant."""

    user_id: int
    title: str
    body: str = ""
    link: str = ""


@implementer(INotificationChannel)
class InAppChannel:
    """Stores the notice as an unread notification of its addressee."""

    def deliver(self, session: Session, tenant, notice: Notice) -> None:
        session.add(Notification(user_id=notice.user_id, title=notice.title[:SUBJECT_LENGTH],
                                 body=notice.body, link=notice.link))
