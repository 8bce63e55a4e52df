"""The Pyramid security policy: a user of the request's tenant, and what its roles grant."""

from __future__ import annotations

import time
from dataclasses import dataclass

from pyramid.interfaces import ISecurityPolicy
from pyramid.request import Request, RequestLocalCache
from pyramid.security import Allowed, Denied
from zope.interface import implementer

from jimucrm.core.permissions import AUTHENTICATED, permissions

from .models import User
from .rbac.grants import Grants, load_grants
from .tokens.identity import identity_from_token, is_token_request

SESSION_USER = "user_id"
SESSION_TENANT = "tenant"
SESSION_LOGIN_AT = "login_at"
# The default permission of views that declare none; never declared, never granted.
UNDECLARED = "jimu.undeclared-permission"


@dataclass(frozen=True)
class Identity:
    """Who is logged in; copied from the user row so templates never lazy-load."""

    user_id: int
    tenant_slug: str
    username: str
    display_name: str
    is_admin: bool
    permissions: frozenset[str]
    grants: Grants
    # Set when the request came with an API token instead of a session.
    token_id: int | None = None


def identity_for_user(request: Request, user: User, *, scopes=None,
                      token_id: int | None = None) -> Identity:
    """The identity of ``user`` in the request's tenant.

    An administrator holds every declared permission; anyone else what their
    roles grant. ``scopes`` (an API token's) narrow that further, never widen it.
    """
    grants = load_grants(request.dbsession, user.id)
    held = frozenset(permissions(request.registry)) if user.is_admin else grants.permissions
    if scopes is not None:
        held &= frozenset(scopes)
    return Identity(user.id, request.tenant.slug, user.username, user.display_name,
                    user.is_admin, held, grants, token_id)


@implementer(ISecurityPolicy)
class SessionSecurityPolicy:
    """Identity from the server-side session, valid only in the tenant it was made in.

    A permission is allowed when the identity holds it (see
    :func:`identity_for_user`); ``authenticated`` is held by every session
    identity and by no API token.
    """

    def __init__(self) -> None:
        # Pyramid asks for the identity on every permission check (menus, panels, record
        # rules…): load the user and their grants once per request, not once per check.
        self._identities = RequestLocalCache(self._load_identity)

    def identity(self, request: Request) -> Identity | None:
        if request.tenant is None and not is_token_request(request):
            return None  # not cached: the tenant tween may not have run yet
        return self._identities.get_or_create(request)

    def _load_identity(self, request: Request) -> Identity | None:
        if is_token_request(request):
            # A Bearer request is its token's, never the session's: a refused token is nobody.
            return identity_from_token(request)
        tenant = request.tenant
        if tenant is None:
            return None
        session = request.session
        if session.get(SESSION_TENANT) != tenant.slug or SESSION_USER not in session:
            return None
        limit = request.registry.settings["jimu.session_absolute_seconds"]
        if time.time() - session.get(SESSION_LOGIN_AT, 0) > limit:
            # Idle sessions expire in Redis; this ends active ones after a fixed span.
            session.invalidate()
            return None
        user = request.dbsession.get(User, session[SESSION_USER])
        if user is None or not user.is_active:
            return None
        return identity_for_user(request, user)

    def authenticated_userid(self, request: Request) -> int | None:
        identity = request.identity
        return identity.user_id if identity is not None else None

    def permits(self, request: Request, context, permission: str):
        identity = request.identity
        if identity is None:
            return Denied("not logged in")
        if permission == AUTHENTICATED:
            if identity.token_id is None:
                return Allowed("logged in")
            return Denied("an API token cannot act on the account itself")
        if permission in identity.permissions:
            return Allowed(f"holds {permission}")
        return Denied(f"lacks {permission}")

    def remember(self, request: Request, userid: int, **kw) -> list:
        # A new session id at login: a session id planted before it is worthless.
        request.session.invalidate()
        request.session[SESSION_USER] = userid
        request.session[SESSION_TENANT] = request.tenant.slug
        request.session[SESSION_LOGIN_AT] = int(time.time())
        request.session.new_csrf_token()
        self._identities.clear(request)
        return []

    def forget(self, request: Request, **kw) -> list:
        request.session.invalidate()
        self._identities.clear(request)
        return []
