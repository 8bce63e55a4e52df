"""Login (password, then a code when the user has a second factor), logout, and what an
anonymous user sees on a protected page."""

from __future__ import annotations

from datetime import UTC, datetime

from pyramid.httpexceptions import HTTPForbidden, HTTPFound, HTTPSeeOther
from pyramid.i18n import TranslationString
from pyramid.request import Request
from pyramid.security import NO_PERMISSION_REQUIRED, forget, remember
from pyramid.view import forbidden_view_config, view_config
from sqlalchemy import func, or_, select

from jimucrm.core.i18n import _
from jimucrm.core.interfaces import ICryptoProvider
from jimucrm.core.urls import safe_next
from jimucrm.core.views.errors import http_error

from .audit.log import MFA_CODE_USED, record, record_login, record_login_failure, record_logout
from .interfaces import ILoginThrottle
from .mfa import pending
from .mfa import service as mfa
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


def lockout(request: Request, wait: int) -> TranslationString:
    """Answer 429 with Retry-After; the message to show beside the form."""
    request.response.status_int = 429
    request.response.headers["Retry-After"] = str(wait)
    minutes = max(1, -(-wait // 60))
    return _("Too many failed attempts. Try again in ${minutes} minutes.",
             mapping={"minutes": minutes})


def finish_login(request: Request, user: User, login: str, next_url: str) -> HTTPSeeOther:
    """Log ``user`` in (every factor checked): new session, audit entry, on to ``next_url``."""
    request.find_service(ILoginThrottle).succeeded(request.tenant.slug, login)
    user.last_login_at = datetime.now(UTC)
    headers = remember(request, user.id)
    record_login(request, user)
    return HTTPSeeOther(safe_next(request, next_url), headers=headers)


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
            if mfa.is_enabled(request.dbsession, user.id):
                # Not logged in yet, and the failures are not forgotten: the code decides.
                pending.start(request, user, form["login"], next_url)
                return HTTPSeeOther(request.route_url("login_totp"))
            return finish_login(request, user, form["login"], next_url)
        wait = throttle.failed(slug, form["login"], address)
    record_login_failure(request, form["login"], locked=bool(wait))
    if wait:
        form["error"] = lockout(request, wait)
    else:
        form["error"] = _("The username or password is incorrect.")
        request.response.status_int = 400
    return form


def _second_factor(request: Request, user: User, code: str) -> tuple[bool, int | None]:
    """Whether ``code`` is the user's current TOTP code or an unused recovery code,
    and, for a recovery code, how many are left."""
    if mfa.normalise_totp_code(code) is not None:
        row = mfa.totp_of(request.dbsession, user.id, lock=True)
        return (row is not None and row.confirmed_at is not None and
                mfa.check_code(row, code)), None
    if not mfa.is_enabled(request.dbsession, user.id) or not mfa.use_recovery_code(
            request.dbsession, request.find_service(ICryptoProvider), user.id, code):
        return False, None
    left = mfa.unused_recovery_codes(request.dbsession, user.id)
    record(request, MFA_CODE_USED, model="users", record_id=user.id, user=user,
           details={"left": left})
    return True, left


@view_config(route_name="login_totp", tenant=True, permission=NO_PERMISSION_REQUIRED,
             renderer="jimucrm.security:templates/login_totp.pt", request_method=("GET", "POST"))
def login_totp(request: Request):
    """The second step: a code from the authenticator, or a recovery code."""
    waiting = pending.current(request)
    if waiting is None:  # none, expired, or for another tenant: start again
        return HTTPSeeOther(request.route_url("login"))
    form = {"error": None}
    if request.method != "POST":
        return form
    throttle = request.find_service(ILoginThrottle)
    slug, address = request.tenant.slug, client_address(request)
    wait = throttle.retry_after(slug, waiting.login, address)
    if wait == 0:
        passed, left = _second_factor(request, waiting.user, request.POST.get("code", ""))
        if passed:
            response = finish_login(request, waiting.user, waiting.login, waiting.next_url)
            if left is not None:
                request.session.flash(request.localizer.translate(_(
                    "You logged in with a recovery code; ${count} are left. Make new ones "
                    "under Account security when you run short.", mapping={"count": left})))
            return response
        wait = throttle.failed(slug, waiting.login, address)
    record_login_failure(request, waiting.login, locked=bool(wait), reason="second_factor")
    if wait:
        # Locked out: the password step must be passed again once the wait is over.
        pending.clear(request)
        form["error"] = lockout(request, wait)
    else:
        form["error"] = _("The code is not right, or it was used already.")
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
