"""Making and revoking tokens, and the audit entries that say so."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from pyramid.request import Request
from sqlalchemy import func, or_, select

from jimucrm.core.interfaces import ICryptoProvider, IDatabase

from ..audit.log import (
    TOKEN_CREATED,
    TOKEN_REFUSED,
    TOKEN_REVOKED,
    USER_AGENT_LENGTH,
    Actor,
    add_entry,
    record,
    request_id,
)
from ..throttle import client_address
from .models import ApiToken
from .secret import TokenString, digest, new_token

MODEL = ApiToken.__tablename__

# Lifetimes offered when a token is made, in days (None: until revoked).
EXPIRY_DAYS: dict[str, int | None] = {"30": 30, "90": 90, "365": 365, "never": None}
DEFAULT_EXPIRY = "90"
# Enough for every script a person runs; a runaway loop cannot fill the table.
MAX_ACTIVE_PER_USER = 50


def now() -> datetime:
    return datetime.now(UTC)


def active_count(request: Request, user_id: int) -> int:
    moment = now()
    return request.dbsession.scalar(
        select(func.count()).select_from(ApiToken).where(
            ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > moment)))


def create_token(request: Request, user_id: int, name: str, scopes: Iterable[str],
                 days: int | None) -> tuple[ApiToken, TokenString]:
    """Store a new token for ``user_id``; return the row and the token string.

    The string is the only copy of the secret: show it once, never store or log it.
    """
    crypto = request.find_service(ICryptoProvider)
    session = request.dbsession
    token = new_token()
    # 48 random bits: a clash is unlikely, not impossible.
    while session.scalar(select(ApiToken.id).where(ApiToken.prefix == token.prefix)):
        token = new_token()
    created = now()
    row = ApiToken(user_id=user_id, name=name, prefix=token.prefix,
                   secret_hash=digest(crypto, token), scopes=sorted(set(scopes)),
                   expires_at=created + timedelta(days=days) if days else None,
                   created_from=client_address(request)[:64])
    session.add(row)
    session.flush()
    record(request, TOKEN_CREATED, model=MODEL, record_id=row.id,
           details={"owner": user_id, "name": name, "prefix": row.prefix,
                    "scopes": row.scopes, "expires_at": row.expires_at})
    return row, token


def revoke_token(request: Request, row: ApiToken, *, via: str) -> bool:
    """Revoke ``row`` (``via``: the page or endpoint that asked); False if it already was."""
    if row.revoked_at is not None:
        return False
    row.revoked_at = now()
    record(request, TOKEN_REVOKED, model=MODEL, record_id=row.id,
           details={"owner": row.user_id, "name": row.name, "prefix": row.prefix, "via": via})
    return True


def record_refusal(request: Request, reason: str, row: ApiToken | None = None,
                   prefix: str | None = None) -> None:
    """A presented token was refused: written at once, in a transaction of its own
    (the refused request's transaction is rolled back). The secret is never written."""
    agent = request.user_agent
    # Not request_actor(): it would ask the security policy, which is asking us.
    actor = Actor(ip=client_address(request)[:64],
                  user_agent=agent[:USER_AGENT_LENGTH] if agent else None,
                  request_id=request_id(request))
    details = {"reason": reason, "prefix": row.prefix if row is not None else prefix}
    if row is not None:
        details["owner"] = row.user_id
    database = request.registry.getUtility(IDatabase)
    with database.session(request.tenant.schema_name) as session, session.begin():
        add_entry(session, actor, TOKEN_REFUSED, model=MODEL,
                  record_id=row.id if row is not None else None, details=details)
