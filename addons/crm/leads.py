"""Leads: the tenant's CRM settings, creating leads, follow-ups, status, assignment."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from pyramid.request import Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jimucrm.security.models import User

from .interfaces import ILeadAssignment
from .models import FOLLOW_UP_KINDS, CrmSettings, Lead, LeadActivity, LeadSource


def now() -> datetime:
    return datetime.now(UTC)


def crm_settings(session: Session, *, for_update: bool = False) -> CrmSettings:
    """The tenant's settings row (made with the defaults if a tenant lacks it)."""
    query = select(CrmSettings).where(CrmSettings.id == 1)
    if for_update:
        query = query.with_for_update()
    row = session.scalars(query).one_or_none()
    if row is None:
        row = CrmSettings(id=1, claim_limit=50, auto_return_days=30, assignment_mode="pool")
        session.add(row)
        session.flush()
    return row


def active_sources(session: Session) -> list[LeadSource]:
    return list(session.scalars(select(LeadSource).where(LeadSource.is_active.is_(True))
                                .order_by(LeadSource.position, LeadSource.id)))


def user_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Display names of the users ``ids`` (one query; unknown ids are left out)."""
    wanted = sorted({user_id for user_id in ids if user_id is not None})
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}


def active_users(session: Session) -> list[tuple[int, str]]:
    """(id, display name) of the tenant's active users, by name: owners to choose from."""
    return list(session.execute(select(User.id, User.display_name)
                                .where(User.is_active.is_(True))
                                .order_by(User.display_name, User.id)).tuples())


def is_active_user(session: Session, user_id: int | None) -> bool:
    return user_id is not None and bool(session.scalar(
        select(func.count()).select_from(User)
        .where(User.id == user_id, User.is_active.is_(True))))


def record(session: Session, lead: Lead, kind: str, content: str = "",
           user_id: int | None = None) -> LeadActivity:
    """Add an entry to ``lead``'s timeline; a follow-up also moves ``last_follow_up_at``."""
    when = now()
    activity = LeadActivity(lead_id=lead.id, kind=kind, content=content, user_id=user_id,
                            occurred_at=when)
    session.add(activity)
    if kind in FOLLOW_UP_KINDS:
        lead.last_follow_up_at = when
        if lead.status == "new":
            lead.status = "contacted"
    return activity


def create_lead(request: Request, values: dict, *, owner: str | int) -> Lead:
    """Create a lead; ``owner`` is 'me', 'pool', 'auto' (ILeadAssignment) or a user id.

    Emits ``lead.created`` and, when the assignment gave it to someone, ``lead.assigned``.
    """
    session = request.dbsession
    user_id = request.identity.user_id
    lead = Lead(**values, status="new")
    if owner == "me":
        lead.owner_id, lead.claimed_at = user_id, now()
    elif owner in ("pool", "auto"):
        lead.owner_id, lead.pooled_at = None, now()
    else:
        lead.owner_id, lead.claimed_at = int(owner), now()
    session.add(lead)
    session.flush()
    record(session, lead, "created", user_id=user_id)
    request.emit_event("lead.created", {
        "lead_id": lead.id, "owner_id": lead.owner_id, "source_id": lead.source_id,
        "region": lead.region, "by": user_id})
    if owner == "auto":
        assign_automatically(request, lead)
    elif owner not in ("me", "pool"):
        request.emit_event("lead.assigned", {
            "lead_id": lead.id, "owner_id": lead.owner_id, "previous_owner_id": None,
            "method": "manual", "by": user_id})
    return lead


def lead_created(request: Request, lead: Lead) -> None:
    """After a lead made by the generated form or the REST API is flushed.

    With the tenant's assignment mode ``pool`` (the default) the lead is its
    creator's, claimed now. With any other mode the settings decide: the lead
    enters the pool and :class:`ILeadAssignment` gives it to someone, or leaves it
    there. Its timeline starts and ``lead.created`` (then ``lead.assigned``) is emitted.
    """
    automatic = crm_settings(request.dbsession).assignment_mode != "pool"
    if automatic:
        lead.owner_id, lead.pooled_at = None, now()
    else:
        lead.claimed_at = now()
    record(request.dbsession, lead, "created", user_id=request.identity.user_id)
    request.emit_event("lead.created", {
        "lead_id": lead.id, "owner_id": lead.owner_id, "source_id": lead.source_id,
        "region": lead.region, "by": request.identity.user_id})
    if automatic:
        assign_automatically(request, lead)


def assign(request: Request, lead: Lead, owner_id: int, *, method: str = "manual") -> None:
    """Give ``lead`` to ``owner_id`` (checked to be an active user by the caller)."""
    previous = lead.owner_id
    lead.owner_id, lead.claimed_at, lead.pooled_at = owner_id, now(), None
    names = user_names(request.dbsession, [owner_id])
    record(request.dbsession, lead, "assigned", names.get(owner_id, ""),
           user_id=request.identity.user_id)
    request.emit_event("lead.assigned", {
        "lead_id": lead.id, "owner_id": owner_id, "previous_owner_id": previous,
        "method": method, "by": request.identity.user_id})


def assign_automatically(request: Request, lead: Lead) -> int | None:
    """Ask :class:`ILeadAssignment`; give the lead to its choice or leave it in the pool."""
    choice = request.find_service(ILeadAssignment).assign(request, lead)
    if choice is None or not is_active_user(request.dbsession, choice):
        return None
    assign(request, lead, choice, method="automatic")
    return choice


def set_status(request: Request, lead: Lead, status: str) -> None:
    if status != lead.status:
        lead.status = status
        record(request.dbsession, lead, "status", status, user_id=request.identity.user_id)
