"""The API's first endpoints: who am I, and drop the token I came with."""

from __future__ import annotations

from pyramid.httpexceptions import HTTPNoContent
from pyramid.request import Request
from pyramid.view import view_config

from jimucrm.core.api import api_error
from jimucrm.core.i18n import _

from .lifecycle import revoke_token
from .models import ApiToken

# Who am I, and drop the token in use: what any API client needs first.
API_ME = "api.me"


@view_config(route_name="api_me", tenant=True, permission=API_ME, request_method="GET",
             renderer="json")
def me(request: Request) -> dict:
    identity = request.identity
    token = None
    if identity.token_id is not None:
        row = request.dbsession.get(ApiToken, identity.token_id)
        token = {"id": row.id, "name": row.name, "prefix": row.prefix, "scopes": row.scopes,
                 "created_at": row.created_at, "expires_at": row.expires_at}
    return {
        "id": identity.user_id,
        "username": identity.username,
        "display_name": identity.display_name,
        "tenant": identity.tenant_slug,
        "permissions": sorted(identity.permissions),
        "authenticated_by": "token" if token is not None else "session",
        "token": token,
    }


@view_config(route_name="api_token", tenant=True, permission=API_ME, request_method="DELETE")
def revoke_current_token(request: Request) -> HTTPNoContent:
    """Revoke the token the request came with (a script dropping its credential).

    Tokens cannot manage other tokens; this only ever narrows what exists.
    """
    identity = request.identity
    if identity.token_id is None:
        raise api_error(400, _("This request did not come with an API token."))
    revoke_token(request, request.dbsession.get(ApiToken, identity.token_id), via="api")
    return HTTPNoContent()
