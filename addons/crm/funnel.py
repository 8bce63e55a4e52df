"""Opportunities through the funnel: stages, creation, stage moves with their history."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pyramid.i18n import TranslationString
from pyramid.request import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from jimucrm.core.i18n import _

from .leads import now
from .models import Opportunity, OpportunityStage, StageChange

MAX_REASON = 500


class MoveRefused(Exception):
    """A stage move that cannot happen as asked; ``message`` says why."""

    def __init__(self, message: TranslationString) -> None:
        super().__init__(str(message))
        self.message = message


class ReasonRequired(MoveRefused):
    """Won and lost need a reason: ask for one."""


def stages(session: Session, *, active_only: bool = True) -> list[OpportunityStage]:
    query = select(OpportunityStage).order_by(OpportunityStage.position, OpportunityStage.id)
    if active_only:
        query = query.where(OpportunityStage.is_active.is_(True))
    return list(session.scalars(query))


def first_open_stage(session: Session) -> OpportunityStage | None:
    return next((stage for stage in stages(session) if not stage.is_closed), None)


def _amount(value: Decimal) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


def create_opportunity(request: Request, *, name: str, stage: OpportunityStage,
                       amount: Decimal, currency: str = "CNY",
                       expected_close_date: date | None = None,
                       probability: int | None = None, owner_id: int | None = None,
                       contact_id: int | None = None, lead_id: int | None = None,
                       reason: str = "") -> Opportunity:
    """Create an opportunity in ``stage``; its history starts there. Emits
    ``opportunity.created`` (and ``opportunity.won``/``lost`` when created closed)."""
    session = request.dbsession
    user_id = request.identity.user_id
    if stage.is_closed and not reason.strip():
        raise ReasonRequired(_("Say why the deal was won or lost."))
    opportunity = Opportunity(
        name=name, stage_id=stage.id, amount=amount, currency=currency,
        expected_close_date=expected_close_date, probability=probability,
        owner_id=owner_id if owner_id is not None else user_id, contact_id=contact_id,
        lead_id=lead_id, close_reason=reason.strip() if stage.is_closed else "",
        closed_at=now() if stage.is_closed else None)
    opportunity.stage = stage
    session.add(opportunity)
    session.flush()
    opportunity_started(request, opportunity)
    return opportunity


def opportunity_started(request: Request, opportunity: Opportunity) -> None:
    """After a new opportunity's flush: its history starts in its stage, and
    ``opportunity.created`` (then won/lost when created closed) is emitted. The
    generated form and the REST API call it too (``on_created``)."""
    stage = opportunity.stage
    request.dbsession.add(StageChange(
        opportunity_id=opportunity.id, from_stage_id=None, to_stage_id=stage.id,
        user_id=request.identity.user_id, reason=opportunity.close_reason))
    close_date = opportunity.expected_close_date
    request.emit_event("opportunity.created", {
        "opportunity_id": opportunity.id, "stage_id": stage.id,
        "amount": _amount(opportunity.amount), "currency": opportunity.currency,
        "expected_close_date": close_date.isoformat() if close_date else None,
        "owner_id": opportunity.owner_id, "lead_id": opportunity.lead_id,
        "contact_id": opportunity.contact_id, "by": request.identity.user_id})
    if stage.is_closed:
        _emit_closed(request, opportunity)


def move(request: Request, opportunity: Opportunity, stage: OpportunityStage,
         reason: str = "") -> bool:
    """Move ``opportunity`` to ``stage``; False when it already is there.

    A won or lost stage needs a ``reason`` (:class:`ReasonRequired` otherwise) and
    closes the deal; moving out of one reopens it. Records the history and emits
    ``opportunity.stage_changed``, then ``opportunity.won`` or ``opportunity.lost``.
    """
    if stage.id == opportunity.stage_id:
        return False
    if not stage.is_active:
        raise MoveRefused(_("This stage is no longer in use."))
    reason = reason.strip()
    if stage.is_closed and not reason:
        raise ReasonRequired(_("Say why the deal was won or lost."))
    if len(reason) > MAX_REASON:
        raise MoveRefused(_("At most ${limit} characters.", mapping={"limit": MAX_REASON}))
    session = request.dbsession
    user_id = request.identity.user_id
    previous = opportunity.stage_id
    opportunity.stage_id = stage.id
    opportunity.stage = stage
    if stage.is_closed:
        opportunity.close_reason, opportunity.closed_at = reason, now()
    else:
        opportunity.close_reason, opportunity.closed_at = "", None
    session.add(StageChange(opportunity_id=opportunity.id, from_stage_id=previous,
                            to_stage_id=stage.id, user_id=user_id, reason=reason))
    session.flush()
    request.emit_event("opportunity.stage_changed", {
        "opportunity_id": opportunity.id, "from_stage_id": previous, "to_stage_id": stage.id,
        "probability": opportunity.effective_probability, "by": user_id})
    if stage.is_closed:
        _emit_closed(request, opportunity)
    return True


def _emit_closed(request: Request, opportunity: Opportunity) -> None:
    name = "opportunity.won" if opportunity.stage.is_won else "opportunity.lost"
    request.emit_event(name, {
        "opportunity_id": opportunity.id, "stage_id": opportunity.stage_id,
        "amount": _amount(opportunity.amount), "currency": opportunity.currency,
        "owner_id": opportunity.owner_id, "reason": opportunity.close_reason,
        "closed_at": opportunity.closed_at.isoformat(), "by": request.identity.user_id})


def history(session: Session, opportunity: Opportunity) -> list[StageChange]:
    return list(session.scalars(select(StageChange)
                                .where(StageChange.opportunity_id == opportunity.id)
                                .order_by(StageChange.changed_at.desc(), StageChange.id.desc())))
