"""The half-finished login: password right, second factor still to come.

Kept in the session under one key, never as the session's user: the security
policy sees nobody logged in until the second step calls ``remember``. The
session id is changed when the marker is set, as at a full login.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from pyramid.request import Request

from ..models import User

PENDING = "mfa_pending"
PENDING_SECONDS = 300


@dataclass(frozen=True)
class PendingLogin:
    user: User
    login: str  # as typed at the password step: the throttle counts failures by it
    next_url: str


def start(request: Request, user: User, login: str, next_url: str) -> None:
    """Remember that ``user`` gave the right password; a code must follow within 5 minutes."""
    session = request.session
    session.invalidate()
    session[PENDING] = {"user_id": user.id, "tenant": request.tenant.slug, "login": login,
                        "next": next_url, "expires": int(time.time()) + PENDING_SECONDS}
    session.new_csrf_token()


def current(request: Request) -> PendingLogin | None:
    """The pending login of this session in this tenant, unless expired or the user is gone."""
    marker = request.session.get(PENDING)
    if not isinstance(marker, dict) or marker.get("tenant") != request.tenant.slug:
        return None
    if marker.get("expires", 0) < time.time():
        clear(request)
        return None
    user = request.dbsession.get(User, marker.get("user_id"))
    if user is None or not user.is_active:
        clear(request)
        return None
    return PendingLogin(user, str(marker.get("login", "")), str(marker.get("next", "")))


def clear(request: Request) -> None:
    request.session.pop(PENDING, None)
