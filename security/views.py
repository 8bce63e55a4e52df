"""Login, logout, and what an anonymous user sees on a protected page."""

from __future__ import annotations

from datetime import UTC, datetime

from pyramid.httpexceptions import HTTPForbidden, HTTPFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.security import NO_PERMISSION_REQUIRED, forget, remember
from pyramid.view import forbidden_view_config, view_config
from sqlalchemy import func, or_, select

from jimucrm.core.i18n import _
from jimucrm.core.interfaces import ICryptoProvider
from jimucrm.core.urls import safe_next
from jimucrm.core.views.errors import http_error

from .audit.log import record_login, record_login_failure, record_logout
from .interfaces import ILoginThrottle
from .models import User
from .throttle import client_address


def find_user(request: Request, login: str) -> User | None:
    """The active user whose username or e-mail is ``login`` (case-insensitive)."""
    login = login.strip().lower()
    if not login:
        return None
    return request.dbsession.scalars(
        select(User).where(
            or_(func.lower(User.username) == login, func.lower(User.email) == login),
            User.is_active.is_(True),
        )
    ).first()


@view_config(route_name="login", tenant=True, permission=NO_PERMISSION_REQUIRED,
             renderer="jimucrm.security:templates/login.pt", request_method=("GET", "POST"))
def login(request: Request):
    next_url = request.params.get("next", "")
    if request.method == "GET" and request.identity is not None:
        return HTTPFound(safe_next(request, next_url))
    form = {"login": request.POST.get("login", ""), "next": next_url, "error": None}
    if request.method != "POST":
        return form
    throttle = request.find_service(ILoginThrottle)
    slug, address = request.tenant.slug, client_address(request)
    wait = throttle.retry_after(slug, form["login"], address)
    if wait == 0:
        user = find_user(request, form["login"])
        password = request.POST.get("password", "")
        crypto = request.find_service(ICryptoProvider)
        # An unknown user is checked against "" too: the answer takes as long.
        if crypto.verify_password(user.password_hash if user else "", password) and user:
            if crypto.needs_rehash(user.password_hash):
                user.password_hash = crypto.hash_password(password)
            user.last_login_at = datetime.now(UTC)
            throttle.succeeded(slug, form["login"])
            headers = remember(request, user.id)
            record_login(request, user)
            return HTTPSeeOther(safe_next(request, next_url), headers=headers)
        wait = throttle.failed(slug, form["login"], address)
    record_login_failure(request, form["login"], locked=bool(wait))
    if wait:
        minutes = max(1, -(-wait // 60))
        form["error"] = _("Too many failed attempts. Try again in ${minutes} minutes.",
                          mapping={"minutes": minutes})
        request.response.status_int = 429
        request.response.headers["Retry-After"] = str(wait)
    else:
        form["error"] = _("The username or password is incorrect.")
        request.response.status_int = 400
    return form


@view_config(route_name="logout", tenant=True, permission=NO_PERMISSION_REQUIRED,
             request_method="POST")
def logout(request: Request) -> HTTPSeeOther:
    record_logout(request)
    headers = forget(request)
    return HTTPSeeOther(request.route_url("login"), headers=headers)


@forbidden_view_config(renderer="jimucrm.core:templates/error.pt")
def forbidden(exc: HTTPForbidden, request: Request):
    if request.tenant is not None and request.identity is None:
        return HTTPFound(request.route_url("login", _query={"next": request.path_qs}))
    return http_error(exc, request)
