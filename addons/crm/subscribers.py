"""What crm does on others' events: dates and owners for the demo data."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from jimucrm.core.events import ITenantProvisioned
from jimucrm.security.models import User

from .leads import now
from .models import Lead, Opportunity, StageChange

DEMO_HORIZON_DAYS = 90


def place_demo_data(event: ITenantProvisioned) -> None:
    """A demo tenant's leads and deals get dates around today and the admin as owner.

    Data files hold no dates relative to today and no user ids (the admin is made
    in the same transaction, after them), so this runs after both: worked leads
    (contacted, qualified) go to the admin, new ones stay in the pool, and the deals'
    expected close dates spread over the next 90 days.
    """
    if not event.demo:
        return
    session = event.session
    session.flush()
    admin_id = session.scalar(select(User.id).where(User.is_admin.is_(True))
                              .order_by(User.id).limit(1))
    today, moment = now().date(), now()
    for index, lead in enumerate(session.scalars(select(Lead).order_by(Lead.id)).unique()):
        if lead.status in ("contacted", "qualified") and admin_id is not None:
            lead.owner_id = admin_id
            lead.claimed_at = moment - timedelta(days=3 + index % 10)
            lead.last_follow_up_at = moment - timedelta(days=index % 5)
        else:
            lead.pooled_at = moment - timedelta(days=1 + index % 20)
    deals = session.scalars(select(Opportunity).order_by(Opportunity.id)).unique().all()
    for index, deal in enumerate(deals):
        deal.owner_id = admin_id
        deal.expected_close_date = today + timedelta(
            days=1 + (index * DEMO_HORIZON_DAYS) // max(1, len(deals)))
        if deal.stage.is_closed:
            deal.closed_at = moment - timedelta(days=index % 7)
        session.add(StageChange(opportunity_id=deal.id, from_stage_id=None,
                                to_stage_id=deal.stage_id, user_id=admin_id,
                                reason=deal.close_reason))
    session.flush()
