"""The user's notifications: read them, open one, mark them read."""

from __future__ import annotations

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy import func, select

from jimucrm.core.pagination import paginate
from jimucrm.core.permissions import AUTHENTICATED

from ..forms import local_text
from ..models import Notification
from ..notifications import mark_read
from ..records import MAX_ID_DIGITS
from . import RENDERER

PAGE_SIZE = 30


@view_config(route_name="notifications", tenant=True, permission=AUTHENTICATED,
             renderer=RENDERER + "notifications.pt")
def notifications_page(request: Request) -> dict:
    """Newest first; unread ones stand out and can be opened or marked read."""
    mine = select(Notification).where(Notification.user_id == request.identity.user_id)
    total = request.dbsession.scalar(select(func.count()).select_from(mine.subquery()))
    page = paginate(request.params, total, PAGE_SIZE)
    rows = request.dbsession.scalars(
        mine.order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(page.size).offset(page.offset)).all()
    return {"rows": rows, "page": page.number, "pages": page.pages, "when": local_text,
            "unread": sum(1 for row in rows if row.read_at is None)}


@view_config(route_name="notification_read", request_method="POST", tenant=True,
             permission=AUTHENTICATED)
def read_notification(request: Request):
    """Mark one read; with ``open``, go to what it links to."""
    raw = request.matchdict["id"]
    if len(raw) > MAX_ID_DIGITS:
        raise HTTPNotFound()
    notification = request.dbsession.scalar(select(Notification).where(
        Notification.id == int(raw), Notification.user_id == request.identity.user_id))
    if notification is None:  # someone else's is the same answer as none
        raise HTTPNotFound()
    mark_read(request, notification.id)
    if request.POST.get("open") and notification.link.startswith("/") and \
            not notification.link.startswith("//"):
        return HTTPSeeOther(request.host_url + request.script_name + notification.link)
    return HTTPSeeOther(request.route_url("notifications"))


@view_config(route_name="notifications_read_all", request_method="POST", tenant=True,
             permission=AUTHENTICATED)
def read_all(request: Request):
    mark_read(request)
    return HTTPSeeOther(request.route_url("notifications"))
