"""Writing audit entries: who did it, from where, and what.

Entries written for a request join the request's transaction, so a change and
its audit entry commit or roll back together. Failed logins are the exception:
they are written in a transaction of their own, so a refused request leaves its
trace whatever happens to the request's transaction.
"""

from __future__ import annotations

import getpass
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pyramid.request import Request
from pyramid.threadlocal import get_current_request
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from jimucrm.core.interfaces import IDatabase

from ..models import User
from ..throttle import client_address
from .models import AuditEntry
from .values import jsonable

REQUEST_ID = "jimu.request_id"
USER_AGENT_LENGTH = 300
LOGIN_LENGTH = 100

# What an entry says happened. Records: create/update/delete; the rest are events.
CREATE, UPDATE, DELETE = "create", "update", "delete"
LOGIN, LOGIN_FAILED, LOGOUT = "login", "login_failed", "logout"
ADDON_ENABLED, ADDON_DISABLED = "addon_enabled", "addon_disabled"
EXPORT = "export"
PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an action name, not a password
# The second factor: turned on or off by the user, reset by an administrator, recovery
# codes replaced, a recovery code spent at login.
MFA_ENABLED, MFA_DISABLED, MFA_RESET = "mfa_enabled", "mfa_disabled", "mfa_reset"
MFA_CODES_REPLACED, MFA_CODE_USED = "mfa_codes_replaced", "mfa_recovery_code_used"
# API tokens: made, revoked (by their owner, an administrator or the token itself), and
# a presented token refused.
TOKEN_CREATED, TOKEN_REVOKED, TOKEN_REFUSED = "token_created", "token_revoked", "token_refused"
# Users, roles and teams changed on the settings pages: one line saying what an
# administrator did (roles given and taken, permissions added and removed), beside the
# row changes the ORM capture records.
USER_CREATED, USER_ROLES_CHANGED = "user.created", "user.roles_changed"
USER_TEAMS_CHANGED, USER_ADMIN_CHANGED = "user.teams_changed", "user.admin_changed"
USER_DEACTIVATED, USER_REACTIVATED = "user.deactivated", "user.reactivated"
USER_PASSWORD_SET = "user.password_set"  # noqa: S105 - an action name, not a password
ROLE_CREATED, ROLE_CHANGED, ROLE_DELETED = "role.created", "role.changed", "role.deleted"
TEAM_CREATED, TEAM_RENAMED = "team.created", "team.renamed"
TEAM_DEACTIVATED, TEAM_REACTIVATED = "team.deactivated", "team.reactivated"
ACTIONS = (CREATE, UPDATE, DELETE, LOGIN, LOGIN_FAILED, LOGOUT, ADDON_ENABLED, ADDON_DISABLED,
           EXPORT, PASSWORD_CHANGED, MFA_ENABLED, MFA_DISABLED, MFA_RESET, MFA_CODES_REPLACED,
           MFA_CODE_USED, TOKEN_CREATED, TOKEN_REVOKED, TOKEN_REFUSED,
           USER_CREATED, USER_ROLES_CHANGED, USER_TEAMS_CHANGED, USER_ADMIN_CHANGED,
           USER_DEACTIVATED, USER_REACTIVATED, USER_PASSWORD_SET, ROLE_CREATED, ROLE_CHANGED,
           ROLE_DELETED, TEAM_CREATED, TEAM_RENAMED, TEAM_DEACTIVATED, TEAM_REACTIVATED)


@dataclass(frozen=True)
class Actor:
    """Who acts, and from where: a request's user, or a process (command, task)."""

    user_id: int | None = None
    username: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def entry(self, action: str, *, model: str | None = None, record_id: Any = None,
              changes: Mapping[str, Any] | None = None,
              details: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The column values of an audit entry this actor causes."""
        merged = {**self.details, **(details or {})}
        return {
            "user_id": self.user_id,
            "username": self.username,
            "ip": self.ip,
            "user_agent": self.user_agent,
            "action": action,
            "model": model,
            "record_id": None if record_id is None else str(record_id)[:100],
            "changes": dict(changes) if changes else None,
            "details": jsonable(merged) if merged else None,
            "request_id": self.request_id,
        }


def request_id(request: Request) -> str:
    """An id for the request, the same in every entry it causes."""
    value = request.environ.get(REQUEST_ID)
    if not value:
        value = request.environ[REQUEST_ID] = uuid.uuid4().hex
    return value


def request_actor(request: Request, user: Any = None) -> Actor:
    """The request's user (or ``user``, e.g. the one logging in), address and agent."""
    if user is None:
        user = request.identity
    agent = request.user_agent
    return Actor(
        user_id=getattr(user, "user_id", None) or getattr(user, "id", None),
        username=getattr(user, "username", None),
        ip=client_address(request)[:64],
        user_agent=agent[:USER_AGENT_LENGTH] if agent else None,
        request_id=request_id(request),
    )


def process_actor() -> Actor:
    """A command or task, not a web user: the operating-system account and host."""
    try:
        os_user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER
        os_user = None
    return Actor(details={"via": "process", "os_user": os_user, "host": socket.gethostname()})


def current_actor(tenant_slug: str | None = None) -> Actor:
    """The actor of the request being served, if it is for ``tenant_slug``; else the process."""
    request = get_current_request()
    tenant = getattr(request, "tenant", None) if request is not None else None
    if tenant is not None and (tenant_slug is None or tenant.slug == tenant_slug):
        return request_actor(request)
    return process_actor()


def add_entry(session: Session, actor: Actor, action: str, **values: Any) -> AuditEntry:
    """Add one entry to ``session`` (a session bound to the tenant's schema)."""
    entry = AuditEntry(**actor.entry(action, **values))
    session.add(entry)
    return entry


def record(request: Request, action: str, *, model: str | None = None, record_id: Any = None,
           changes: Mapping[str, Any] | None = None, details: Mapping[str, Any] | None = None,
           user: Any = None) -> None:
    """Record ``action`` in the request's tenant log, in the request's transaction."""
    add_entry(request.dbsession, request_actor(request, user), action, model=model,
              record_id=record_id, changes=changes, details=details)


def record_export(request: Request, what: str, count: int, **details: Any) -> None:
    """Record that the request's user exported ``count`` rows of ``what``.

    Every export view calls this (``details``: the filters used, the format…).
    """
    record(request, EXPORT, model=what, details={"count": count, **details})


def record_login(request: Request, user: Any) -> None:
    """``user`` logged in (call after ``remember``)."""
    record(request, LOGIN, model="users", record_id=user.id, user=user)


def record_logout(request: Request) -> None:
    """The request's user logs out (call before ``forget``)."""
    identity = request.identity
    if identity is not None:
        record(request, LOGOUT, model="users", record_id=identity.user_id)


def record_login_failure(request: Request, login: str, *, locked: bool = False,
                         reason: str = "credentials") -> None:
    """A login as ``login`` was refused: wrong ``reason`` (credentials, second factor…),
    or ``locked`` out.

    Written and committed at once in a transaction of its own.
    """
    login = (login or "").strip()[:LOGIN_LENGTH]
    database = request.registry.getUtility(IDatabase)
    with database.session(request.tenant.schema_name) as session, session.begin():
        lowered = login.lower()
        user = session.execute(
            select(User.id, User.username).where(
                or_(func.lower(User.username) == lowered, func.lower(User.email) == lowered))
        ).first() if lowered else None
        actor = request_actor(request, user)
        add_entry(session, actor, LOGIN_FAILED, model="users",
                  record_id=user.id if user is not None else None,
                  details={"login": login, "reason": "locked" if locked else reason})
