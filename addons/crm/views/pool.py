"""The public lead pool (公海): who may claim what, and the user's own leads to return."""

from __future__ import annotations

from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy import func, or_, select

from jimucrm.core.metadata.search import starts_with
from jimucrm.core.pagination import paginate

from ..access import scoped_leads
from ..leads import active_sources, crm_settings
from ..models import OPEN_LEAD_STATUSES, Lead
from ..pool import open_leads_held
from . import STATUS_TITLES

PAGE_SIZE = 50


@view_config(route_name="crm_pool", permission="leads.claim", tenant=True,
             renderer="jimucrm.addons.crm:templates/pool.pt")
def pool(request: Request) -> dict:
    session = request.dbsession
    term = request.params.get("q", "").strip()[:100]
    sources = active_sources(session)
    source = request.params.get("source", "")
    query = scoped_leads(request, select(Lead).where(Lead.owner_id.is_(None),
                                                     Lead.status.in_(OPEN_LEAD_STATUSES)))
    if term:
        query = query.where(or_(*(starts_with(column, term)
                                  for column in (Lead.name, Lead.company, Lead.region))))
    if source in {str(s.id) for s in sources}:
        query = query.where(Lead.source_id == int(source))
    else:
        source = ""
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    page = paginate(request.params, total, PAGE_SIZE)
    leads = session.scalars(query.order_by(Lead.pooled_at.desc().nulls_last(), Lead.id.desc())
                            .limit(page.size).offset(page.offset)).unique().all()
    settings = crm_settings(session)
    mine = session.scalars(select(Lead).where(Lead.owner_id == request.identity.user_id,
                                              Lead.status.in_(OPEN_LEAD_STATUSES))
                           .order_by(Lead.claimed_at.desc().nulls_last(), Lead.id.desc())
                           .limit(PAGE_SIZE)).unique().all()
    return {"leads": leads, "q": term, "source": source, "sources": sources,
            "page": page.number, "pages": page.pages, "total": total,
            "held": open_leads_held(session, request.identity.user_id),
            "limit": settings.claim_limit, "auto_return_days": settings.auto_return_days,
            "mine": mine, "statuses": STATUS_TITLES}
