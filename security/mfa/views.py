"""The user's own two-step verification pages, under /account/security."""

from __future__ import annotations

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config

from jimucrm.core.i18n import _
from jimucrm.core.interfaces import ICryptoProvider

from ..audit.log import MFA_CODES_REPLACED, MFA_DISABLED, MFA_ENABLED, record
from ..interfaces import ILoginThrottle
from ..models import User
from ..throttle import client_address
from ..views import lockout
from . import service

TEMPLATES = "jimucrm.security.mfa:templates/"
CODES_PAGE = TEMPLATES + "recovery_codes.pt"
AUTHENTICATED = "authenticated"


def _user(request: Request) -> User:
    return request.dbsession.get(User, request.identity.user_id)


def _flash(request: Request, message) -> None:
    request.session.flash(request.localizer.translate(message))


def _refuse(request: Request, errors: dict) -> dict:
    request.response.status_int = 400
    return {"errors": errors}


def _locked(request: Request, username: str, *, failed: bool = False) -> int:
    """Seconds the account must wait; with ``failed``, after counting one more failure.

    Wrong passwords and codes here count like failed logins: a stolen session must not
    become a way to guess the password or the second factor.
    """
    throttle = request.find_service(ILoginThrottle)
    if failed:
        return throttle.failed(request.tenant.slug, username, client_address(request))
    return throttle.retry_after(request.tenant.slug, username, client_address(request))


def _show_codes(request: Request, codes: list[str], *, first: bool) -> dict:
    # Shown in the response to the POST that made them, never stored in plain text.
    request.override_renderer = CODES_PAGE
    return {"codes": codes, "first": first}


@view_config(route_name="account_security", permission=AUTHENTICATED, tenant=True,
             request_method="GET", renderer=TEMPLATES + "security.pt")
def account_security(request: Request) -> dict:
    user_id = request.identity.user_id
    enabled = service.is_enabled(request.dbsession, user_id)
    return {"enabled": enabled,
            "unused_codes": service.unused_recovery_codes(request.dbsession, user_id)
            if enabled else 0}


@view_config(route_name="account_totp_setup", permission=AUTHENTICATED, tenant=True,
             request_method="POST")
def totp_setup(request: Request) -> HTTPSeeOther:
    try:
        service.start_enrolment(request.dbsession, request.identity.user_id)
    except ValueError:
        return HTTPSeeOther(request.route_url("account_security"))
    return HTTPSeeOther(request.route_url("account_totp_enrol"))


@view_config(route_name="account_totp_enrol", permission=AUTHENTICATED, tenant=True,
             request_method=("GET", "POST"), renderer=TEMPLATES + "enrol.pt")
def totp_enrol(request: Request):
    user = _user(request)
    row = service.totp_of(request.dbsession, user.id, lock=request.method == "POST")
    if row is None or row.confirmed_at is not None:
        # Nothing being enrolled (or already on): the overview says what to do.
        return HTTPSeeOther(request.route_url("account_security"))
    uri = service.provisioning_uri(row.secret, user.username, request.tenant.name)
    page = {"secret": service.format_secret(row.secret), "qr_svg": service.qr_svg(uri),
            "errors": {}}
    if request.method != "POST":
        return page
    if not service.confirm(row, request.POST.get("code", "")):
        request.response.status_int = 400
        page["errors"] = {"code": _("The code is not right. Check the time on your phone and "
                                    "enter the code shown now.")}
        return page
    codes = service.replace_recovery_codes(request.dbsession,
                                           request.find_service(ICryptoProvider), user.id)
    record(request, MFA_ENABLED, model="users", record_id=user.id)
    _flash(request, _("Two-step verification is on."))
    return _show_codes(request, codes, first=True)


@view_config(route_name="account_recovery_codes", permission=AUTHENTICATED, tenant=True,
             request_method=("GET", "POST"), renderer=TEMPLATES + "regenerate.pt")
def recovery_codes(request: Request):
    user_id = request.identity.user_id
    row = service.totp_of(request.dbsession, user_id, lock=request.method == "POST")
    if row is None or row.confirmed_at is None:
        return HTTPSeeOther(request.route_url("account_security"))
    if request.method != "POST":
        return {"errors": {}}
    username = request.identity.username
    wait = _locked(request, username)
    if wait == 0 and not service.check_code(row, request.POST.get("code", "")):
        wait = _locked(request, username, failed=True)
        if wait == 0:
            return _refuse(request, {"code": _("The code is not right, or it was used "
                                               "already.")})
    if wait:
        return {"errors": {"code": lockout(request, wait)}}
    codes = service.replace_recovery_codes(request.dbsession,
                                           request.find_service(ICryptoProvider), user_id)
    record(request, MFA_CODES_REPLACED, model="users", record_id=user_id)
    return _show_codes(request, codes, first=False)


@view_config(route_name="account_totp_disable", permission=AUTHENTICATED, tenant=True,
             request_method=("GET", "POST"), renderer=TEMPLATES + "disable.pt")
def totp_disable(request: Request):
    user = _user(request)
    row = service.totp_of(request.dbsession, user.id, lock=request.method == "POST")
    if row is None or row.confirmed_at is None:
        return HTTPSeeOther(request.route_url("account_security"))
    if request.method != "POST":
        return {"errors": {}}
    wait = _locked(request, user.username)
    if wait:
        return {"errors": {"code": lockout(request, wait)}}
    crypto = request.find_service(ICryptoProvider)
    errors = {}
    if not crypto.verify_password(user.password_hash, request.POST.get("password", "")):
        errors["password"] = _("The password is incorrect.")
    code = request.POST.get("code", "")
    # A recovery code will do: the authenticator may be what was lost.
    if not errors and not (service.check_code(row, code) or
                           service.use_recovery_code(request.dbsession, crypto, user.id, code)):
        errors["code"] = _("The code is not right, or it was used already.")
    if errors:
        wait = _locked(request, user.username, failed=True)
        if wait:
            return {"errors": {"code": lockout(request, wait)}}
        return _refuse(request, errors)
    service.reset_mfa(request.dbsession, user.id)
    record(request, MFA_DISABLED, model="users", record_id=user.id)
    _flash(request, _("Two-step verification is off."))
    return HTTPSeeOther(request.route_url("account_security"))
