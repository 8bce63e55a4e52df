"""Who a request with ``Authorization: Bearer jimu_…`` is: the token's owner,
holding the token's scopes of what the owner holds now.

The security policy asks :func:`identity_from_token` whenever a request carries
a Bearer credential, and never falls back to the session cookie then. A token
request carries no ambient credential (a browser never adds the header on its
own, and a page of another site cannot without a CORS preflight that gets no
answer), so it needs no CSRF token: :func:`csrf_required` is Pyramid's CSRF
callback. A refused token ends the request with 401 wherever it points
(:func:`refuse_invalid_tokens`), and the refusal is audited.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from pyramid.events import ContextFound
from pyramid.httpexceptions import HTTPException
from pyramid.request import Request, RequestLocalCache
from sqlalchemy import select

from jimucrm.core.api import api_error, bearer_credential
from jimucrm.core.i18n import _
from jimucrm.core.interfaces import ICryptoProvider

from ..models import User
from .lifecycle import now, record_refusal
from .models import ApiToken
from .secret import matches as secret_matches
from .secret import parse

if TYPE_CHECKING:
    from ..policy import Identity

# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
REFUSED = "jimu.token_refused"
CHALLENGE = 'Bearer realm="jimu", error="invalid_token"'

# Told to the client only once the secret matched: whoever holds it may know.
MESSAGES = {
    "revoked": _("This API token has been revoked."),
    "expired": _("This API token has expired."),
    "owner_inactive": _("The owner of this API token can no longer log in."),
}
INVALID = _("The API token is not valid.")


def is_token_request(request: Request) -> bool:
    """Whether the request authenticates with a Bearer token (valid or not)."""
    return bearer_credential(request) is not None


def csrf_required(request: Request) -> bool:
    """Pyramid's CSRF callback: check unsafe methods, except on token requests."""
    return not is_token_request(request)


def identity_from_token(request: Request) -> Identity | None:
    """The identity of the request's Bearer token, or None when it is refused.

    Refused: not a token string, unknown in the request's tenant (tokens live in
    the tenant's schema, so another tenant's token is simply not there), a
    wrong secret, revoked, expired, or an owner who is no longer active. Without
    a tenant there is nothing to look in (yet: pyramid_tm asks before the
    tenant is known, so that answer is not kept).
    """
    if request.tenant is None or bearer_credential(request) is None:
        return None
    return _token_identity(request)


@RequestLocalCache()
def _token_identity(request: Request) -> Identity | None:
    """:func:`identity_from_token`, once per request: a refusal is audited once."""
    from ..policy import identity_for_user  # the policy imports this module

    token = parse(bearer_credential(request))
    if token is None:
        return _refuse(request, "malformed")
    row = request.dbsession.scalars(
        select(ApiToken).where(ApiToken.prefix == token.prefix)).one_or_none()
    if row is None:
        return _refuse(request, "unknown", prefix=token.prefix)
    if not secret_matches(request.find_service(ICryptoProvider), token, row.secret_hash):
        return _refuse(request, "secret", row)
    moment = now()
    status = row.status(moment)
    if status != "active":
        return _refuse(request, status, row)
    user = request.dbsession.get(User, row.user_id)
    if user is None or not user.is_active:
        return _refuse(request, "owner_inactive", row)
    identity = identity_for_user(request, user, scopes=row.scopes, token_id=row.id)
    if row.last_used_at is None or moment - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = moment
    return identity


def _refuse(request: Request, reason: str, row: ApiToken | None = None,
            prefix: str | None = None) -> None:
    request.environ[REFUSED] = reason
    record_refusal(request, reason, row, prefix)
    return None


def invalid_token(request: Request) -> HTTPException:
    """The 401 for a refused token (RFC 6750 ``invalid_token``)."""
    message = MESSAGES.get(request.environ.get(REFUSED), INVALID)
    return api_error(401, message, headers={"WWW-Authenticate": CHALLENGE})


def refuse_invalid_tokens(event: ContextFound) -> None:
    """Subscriber: a request whose token is refused goes no further, whatever its route."""
    request = event.request
    if is_token_request(request) and identity_from_token(request) is None:
        raise invalid_token(request)
