"""Who reaches which lead or opportunity: record rules, plus the public pool.

Every query of leads and opportunities goes through these functions, which go
through :class:`~jimucrm.core.interfaces.IRecordRules`. Leads get one addition:
a lead nobody owns is in the public pool, and the pool is visible to whoever
holds ``leads.claim`` whatever their record rules say (own-scope rules would
otherwise hide every ownerless row). Changing a lead still needs the record
rules' write scope, so a pool lead must be claimed (or assigned) before anyone
but a user with an all-records scope edits it.
"""

from __future__ import annotations

from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from sqlalchemy import Select, or_, select

from jimucrm.core.interfaces import IRecordRules
from jimucrm.core.urls import parse_id

from .models import Lead, Opportunity

CLAIM = "leads.claim"


def scoped_leads(request: Request, statement: Select, action: str = "read") -> Select:
    """``statement`` narrowed to the leads the user may reach for ``action``.

    Reading adds the pool for holders of ``leads.claim``.
    """
    rules = request.find_service(IRecordRules)
    if rules.scope(request, Lead, action) == "all":
        return statement
    owned = rules.apply(request, select(Lead.id), Lead, action)
    condition = Lead.id.in_(owned.scalar_subquery())
    if action == "read" and request.has_permission(CLAIM):
        condition = or_(condition, Lead.owner_id.is_(None))
    return statement.where(condition)


def may_read_lead(request: Request, lead: Lead) -> bool:
    if lead.owner_id is None and request.has_permission(CLAIM):
        return True
    return request.find_service(IRecordRules).allows(request, lead, "read")


def may_write_lead(request: Request, lead: Lead) -> bool:
    return request.find_service(IRecordRules).allows(request, lead, "write")


def lead_or_404(request: Request, *, for_update: bool = False) -> Lead:
    """The lead named by the route's ``id``, if the user may see it; else 404.

    Out of the user's records is the same answer as no such record: no probing.
    ``for_update`` locks the row, so two claims of one lead run one after the other.
    """
    lead_id = parse_id(request.matchdict.get("id"))
    if lead_id is None:
        raise HTTPNotFound()
    query = select(Lead).where(Lead.id == lead_id)
    if for_update:
        query = query.with_for_update(of=Lead)
    lead = request.dbsession.scalars(query).unique().one_or_none()
    if lead is None or not may_read_lead(request, lead):
        raise HTTPNotFound()
    return lead


def scoped_opportunities(request: Request, statement: Select, action: str = "read") -> Select:
    return request.find_service(IRecordRules).apply(request, statement, Opportunity, action)


def opportunity_or_404(request: Request) -> Opportunity:
    opportunity_id = parse_id(request.matchdict.get("id"))
    if opportunity_id is None:
        raise HTTPNotFound()
    opportunity = request.dbsession.get(Opportunity, opportunity_id)
    if opportunity is None or not request.find_service(IRecordRules).allows(
            request, opportunity, "read"):
        raise HTTPNotFound()
    return opportunity


def may_write_opportunity(request: Request, opportunity: Opportunity) -> bool:
    return request.find_service(IRecordRules).allows(request, opportunity, "write")
