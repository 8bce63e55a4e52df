"""The user's own password change, at /account/password."""

from __future__ import annotations

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.security import remember
from pyramid.view import view_config

from jimucrm.core.i18n import _
from jimucrm.core.interfaces import ICryptoProvider

from ..audit.log import PASSWORD_CHANGED, record
from ..interfaces import ILoginThrottle, IPasswordPolicy
from ..models import User
from ..throttle import client_address
from ..views import lockout


@view_config(route_name="account_password", permission="authenticated", tenant=True,
             request_method=("GET", "POST"),
             renderer="jimucrm.security.passwords:templates/change.pt")
def change_password(request: Request):
    if request.method != "POST":
        return {"errors": {}}
    user = request.dbsession.get(User, request.identity.user_id)
    throttle = request.find_service(ILoginThrottle)
    slug, address = request.tenant.slug, client_address(request)
    # Wrong current passwords count like failed logins: a stolen session is no oracle.
    wait = throttle.retry_after(slug, user.username, address)
    if wait:
        return {"errors": {"current_password": [lockout(request, wait)]}}
    current = request.POST.get("current_password", "")
    new = request.POST.get("new_password", "")
    repeat = request.POST.get("repeat_password", "")
    crypto = request.find_service(ICryptoProvider)
    errors: dict = {}
    if not crypto.verify_password(user.password_hash, current):
        errors["current_password"] = [_("The current password is incorrect.")]
    problems = request.find_service(IPasswordPolicy).problems(
        new, username=user.username, display_name=user.display_name, email=user.email or "")
    if not problems and new == current:
        problems = [_("The new password must differ from the current one.")]
    if problems:
        errors["new_password"] = problems
    if new != repeat:
        errors["repeat_password"] = [_("The two new passwords differ.")]
    if errors:
        if "current_password" in errors:
            wait = throttle.failed(slug, user.username, address)
            if wait:
                errors["current_password"] = [lockout(request, wait)]
                return {"errors": errors}
        request.response.status_int = 400
        return {"errors": errors}
    user.password_hash = crypto.hash_password(new)
    # A new session id; the old one (and a copy an attacker may hold) is worthless now.
    headers = remember(request, user.id)
    record(request, PASSWORD_CHANGED, model="users", record_id=user.id)
    request.session.flash(request.localizer.translate(_("Your password has been changed.")))
    return HTTPSeeOther(request.route_url("account_security"), headers=headers)
