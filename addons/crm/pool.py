"""The public lead pool (公海): claim, return, and the automatic return of neglected leads."""

from __future__ import annotations

from datetime import datetime, timedelta

from pyramid.i18n import TranslationString
from pyramid.registry import Registry
from pyramid.request import Request
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from jimucrm.core.i18n import _
from jimucrm.core.interfaces import ITenant
from jimucrm.core.outbox import IOutbox

from .leads import crm_settings, now, record
from .models import OPEN_LEAD_STATUSES, Lead, LeadActivity

MAX_REASON = 500
# Leads returned per transaction by the automatic return, so one tenant's backlog
# never holds thousands of row locks at once.
AUTO_RETURN_BATCH = 500


class PoolRefused(Exception):
    """A claim or return that cannot happen; ``message`` says why, for the user."""

    def __init__(self, message: TranslationString) -> None:
        super().__init__(str(message))
        self.message = message


def open_leads_held(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Lead).where(
        Lead.owner_id == user_id, Lead.status.in_(OPEN_LEAD_STATUSES))) or 0


def claim(request: Request, lead: Lead) -> None:
    """Give a pool lead to the requesting user, within the tenant's claim limit.

    ``lead`` must have been loaded ``FOR UPDATE``; the user's claims are serialised
    by a transaction-scoped advisory lock, so two claims at once cannot both slip
    under the limit.
    """
    session = request.dbsession
    user_id = request.identity.user_id
    if lead.owner_id is not None:
        raise PoolRefused(_("This lead is no longer in the public pool."))
    if not lead.is_open:
        raise PoolRefused(_("Only open leads can be claimed."))
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('jimu.crm.claim'), :user)"),
                    {"user": user_id})
    limit = crm_settings(session).claim_limit
    held = open_leads_held(session, user_id)
    if limit and held >= limit:
        raise PoolRefused(_(
            "You already hold ${held} open leads and the limit is ${limit}: convert or "
            "return some before claiming more.", mapping={"held": held, "limit": limit}))
    lead.owner_id, lead.claimed_at, lead.pooled_at = user_id, now(), None
    record(session, lead, "claimed", user_id=user_id)
    request.emit_event("lead.claimed", {"lead_id": lead.id, "owner_id": user_id,
                                        "claimed_at": lead.claimed_at.isoformat()})


def return_to_pool(request: Request, lead: Lead, reason: str) -> None:
    """Put an owned, open lead back in the pool; the reason goes on its timeline."""
    reason = reason.strip()
    if lead.owner_id is None:
        raise PoolRefused(_("This lead is already in the public pool."))
    if not lead.is_open:
        raise PoolRefused(_("Only open leads can be returned to the pool."))
    if not reason:
        raise PoolRefused(_("Say why the lead goes back to the pool."))
    if len(reason) > MAX_REASON:
        raise PoolRefused(_("At most ${limit} characters.", mapping={"limit": MAX_REASON}))
    previous = lead.owner_id
    _to_pool(lead)
    record(request.dbsession, lead, "returned", reason, user_id=request.identity.user_id)
    request.emit_event("lead.returned", {
        "lead_id": lead.id, "previous_owner_id": previous, "reason": reason,
        "automatic": False, "by": request.identity.user_id})


def _to_pool(lead: Lead) -> None:
    lead.owner_id, lead.claimed_at, lead.pooled_at = None, None, now()


def overdue(days: int, at: datetime | None = None):
    """The condition for an owned, open lead without a follow-up for ``days`` days.

    A lead never followed up counts from when it was claimed (or created).
    """
    cutoff = (at or now()) - timedelta(days=days)
    last = func.coalesce(Lead.last_follow_up_at, Lead.claimed_at, Lead.created_at)
    return (Lead.owner_id.is_not(None), Lead.status.in_(OPEN_LEAD_STATUSES), last < cutoff)


def auto_return(registry: Registry, session: Session, tenant: ITenant,
                at: datetime | None = None) -> list[int]:
    """Return every overdue lead of ``tenant`` to the pool; their ids.

    Runs in the caller's transaction, ``session`` bound to the tenant's schema.
    Emits ``lead.returned`` (automatic) for each one.
    """
    days = crm_settings(session).auto_return_days
    if not days:
        return []
    leads = session.scalars(
        select(Lead).where(*overdue(days, at)).order_by(Lead.id).limit(AUTO_RETURN_BATCH)
        .with_for_update(of=Lead, skip_locked=True)).unique().all()
    outbox = registry.getUtility(IOutbox)
    for lead in leads:
        previous = lead.owner_id
        _to_pool(lead)
        session.add(LeadActivity(lead_id=lead.id, kind="auto_returned", content=str(days),
                                 occurred_at=lead.pooled_at))
        outbox.emit(session, tenant, "lead.returned", {
            "lead_id": lead.id, "previous_owner_id": previous,
            "reason": f"auto_return_days={days}", "automatic": True, "by": None})
    session.flush()
    return [lead.id for lead in leads]
