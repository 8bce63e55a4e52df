"""The Pyramid security policy: a user of the request's tenant, from the session."""

from __future__ import annotations

import time
from dataclasses import dataclass

from pyramid.interfaces import ISecurityPolicy
from pyramid.request import Request
from pyramid.security import Allowed, Denied
from zope.interface import implementer

from .models import User

SESSION_USER = "user_id"
SESSION_TENANT = "tenant"
SESSION_LOGIN_AT = "login_at"


@dataclass(frozen=True)
class Identity:
    """Who is logged in; copied from the user row so templates never lazy-load."""

    user_id: int
    tenant_slug: str
    username: str
    display_name: str
    is_admin: bool


@implementer(ISecurityPolicy)
class SessionSecurityPolicy:
    """Identity from the server-side session, valid only in the tenant it was made in.

    Permissions for now: any active user of the tenant holds ``view`` and
    ``edit``; ``admin`` needs an admin user. The RBAC of the security issue
    replaces :meth:`permits` without changing how views declare permissions.
    """

    def identity(self, request: Request) -> Identity | None:
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
        return Identity(user.id, tenant.slug, user.username, user.display_name, user.is_admin)

    def authenticated_userid(self, request: Request) -> int | None:
        identity = request.identity
        return identity.user_id if identity is not None else None

    def permits(self, request: Request, context, permission: str):
        identity = request.identity
        if identity is None:
            return Denied("not logged in")
        if permission == "admin" and not identity.is_admin:
            return Denied("needs an administrator")
        return Allowed("active user of this tenant")

    def remember(self, request: Request, userid: int, **kw) -> list:
        # A new session id at login: a session id planted before it is worthless.
        request.session.invalidate()
        request.session[SESSION_USER] = userid
        request.session[SESSION_TENANT] = request.tenant.slug
        request.session[SESSION_LOGIN_AT] = int(time.time())
        request.session.new_csrf_token()
        return []

    def forget(self, request: Request, **kw) -> list:
        request.session.invalidate()
        return []
