"""Leads: the list of the user's leads, the new-lead form, a lead's page and what it posts."""

from __future__ import annotations

from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy import func, or_, select

from jimucrm.core.i18n import _
from jimucrm.core.pagination import paginate

from ..access import lead_or_404, may_write_lead, scoped_leads
from ..conversion import convert
from ..forms import (
    LEAD_FIELDS,
    validate_conversion,
    validate_follow_up,
    validate_lead,
    validate_status,
)
from ..funnel import first_open_stage, stages
from ..leads import (
    active_sources,
    active_users,
    assign,
    assign_automatically,
    create_lead,
    is_active_user,
    record,
    set_status,
    user_names,
)
from ..models import LEAD_STATUSES, Lead, LeadActivity, Opportunity
from ..pool import PoolRefused, claim, return_to_pool
from . import ACTIVITY_TITLES, OWNER_CHOICES, STATUS_TITLES, like_prefix

PAGE_SIZE = 50
RENDERER = "jimucrm.addons.crm:templates/"


def _flash(request: Request, message) -> None:
    request.session.flash(request.localizer.translate(message))


@view_config(route_name="crm_leads", permission="leads.view", tenant=True,
             renderer=RENDERER + "leads.pt")
def lead_list(request: Request) -> dict:
    """The leads the user may see that somebody owns (the pool has its own page)."""
    term = request.params.get("q", "").strip()[:100]
    status = request.params.get("status", "")
    query = scoped_leads(request, select(Lead).where(Lead.owner_id.is_not(None)))
    if term:
        pattern = like_prefix(term)
        query = query.where(or_(Lead.name.ilike(pattern), Lead.company.ilike(pattern),
                                Lead.phone.like(pattern)))
    if status in LEAD_STATUSES:
        query = query.where(Lead.status == status)
    else:
        status = ""
    total = request.dbsession.scalar(select(func.count()).select_from(query.subquery()))
    page = paginate(request.params, total, PAGE_SIZE)
    leads = request.dbsession.scalars(
        query.order_by(Lead.created_at.desc(), Lead.id.desc()).limit(page.size)
        .offset(page.offset)).unique().all()
    return {"leads": leads, "q": term, "status": status, "statuses": STATUS_TITLES,
            "owners": user_names(request.dbsession, (lead.owner_id for lead in leads)),
            "page": page.number, "pages": page.pages, "total": total}


def _owner_options(request: Request) -> dict:
    """Who a new lead may go to: me, the pool, automatic; anyone, for leads.assign holders."""
    choices = dict(OWNER_CHOICES)
    if request.has_permission("leads.assign"):
        choices.update(active_users(request.dbsession))
    return choices


def _lead_form(request: Request, values: dict, errors: dict, status: int = 200) -> dict:
    request.response.status_int = status
    sources = active_sources(request.dbsession)
    return {"values": values, "errors": errors, "sources": sources,
            "owners": _owner_options(request)}


@view_config(route_name="crm_lead_new", permission="leads.create", tenant=True,
             renderer=RENDERER + "lead_form.pt", request_method=("GET", "POST"))
def lead_new(request: Request):
    if request.method == "GET":
        values = dict.fromkeys(LEAD_FIELDS, "")
        values["owner"] = request.params.get("owner", "me")
        return _lead_form(request, values, {})
    sources = {source.id: source for source in active_sources(request.dbsession)}
    owners = dict(active_users(request.dbsession)) \
        if request.has_permission("leads.assign") else {}
    form = validate_lead(request.POST, sources, owners)
    if not form.valid:
        return _lead_form(request, form.values, form.errors, 400)
    values = {name: form.cleaned[name] for name in LEAD_FIELDS if name != "owner"}
    lead = create_lead(request, values, owner=form.cleaned["owner"])
    _flash(request, _("Lead ${name} saved.", mapping={"name": lead.name}))
    if lead.owner_id is None or not may_write_lead(request, lead):
        return HTTPSeeOther(request.route_url("crm_pool"))
    return HTTPSeeOther(request.route_url("crm_lead", id=lead.id))


def lead_page(request: Request, lead: Lead, **extra) -> dict:
    """What the lead's page shows; ``extra`` carries a failed form's values and errors."""
    session = request.dbsession
    activities = session.scalars(select(LeadActivity).where(LeadActivity.lead_id == lead.id)
                                 .order_by(LeadActivity.occurred_at.desc(),
                                           LeadActivity.id.desc())).all()
    opportunities = session.scalars(select(Opportunity).where(Opportunity.lead_id == lead.id)
                                    .order_by(Opportunity.id)).unique().all()
    names = user_names(session, [lead.owner_id, *(a.user_id for a in activities)])
    writable = may_write_lead(request, lead)
    open_stages = [stage for stage in stages(session) if not stage.is_closed]
    default_stage = first_open_stage(session)
    convert_values = {
        "contact_name": lead.name, "company": lead.company,
        "opportunity_name": lead.company or lead.name, "amount": "",
        "stage_id": str(default_stage.id) if default_stage else "",
        "expected_close_date": "",
    }
    page = {
        "lead": lead, "activities": activities, "names": names, "writable": writable,
        "opportunities": opportunities, "statuses": STATUS_TITLES,
        "activity_titles": ACTIVITY_TITLES,
        "can_claim": lead.owner_id is None and lead.is_open and
        request.has_permission("leads.claim"),
        "can_return": lead.owner_id is not None and lead.is_open and writable and
        request.has_permission("leads.claim"),
        "can_assign": lead.is_open and request.has_permission("leads.assign"),
        "can_convert": lead.is_open and writable and lead.owner_id is not None and
        request.has_permission("contacts.create") and
        request.has_permission("opportunities.create"),
        "users": active_users(session) if request.has_permission("leads.assign") else [],
        "stages": open_stages, "convert": convert_values, "convert_errors": {},
        "follow_up": {"kind": "call", "content": ""}, "follow_up_errors": {},
        "return_reason": "", "return_error": None,
        "overdue_days": None,
    }
    page.update(extra)
    return page


@view_config(route_name="crm_lead", permission="leads.view", tenant=True,
             renderer=RENDERER + "lead.pt")
def lead_detail(request: Request) -> dict:
    return lead_page(request, lead_or_404(request))


def _writable_lead(request: Request) -> Lead:
    lead = lead_or_404(request)
    if not may_write_lead(request, lead):
        raise HTTPForbidden()
    return lead


@view_config(route_name="crm_lead_follow_up", permission="leads.edit", tenant=True,
             renderer=RENDERER + "lead.pt", request_method="POST")
def lead_follow_up(request: Request):
    lead = _writable_lead(request)
    form = validate_follow_up(request.POST)
    if not form.valid:
        request.response.status_int = 400
        return lead_page(request, lead, follow_up=form.values, follow_up_errors=form.errors)
    record(request.dbsession, lead, form.cleaned["kind"], form.cleaned["content"],
           user_id=request.identity.user_id)
    _flash(request, _("Follow-up recorded."))
    return HTTPSeeOther(request.route_url("crm_lead", id=lead.id))


@view_config(route_name="crm_lead_status", permission="leads.edit", tenant=True,
             request_method="POST")
def lead_status(request: Request):
    lead = _writable_lead(request)
    form = validate_status(request.POST)
    if form.valid and lead.status != "converted":
        set_status(request, lead, form.cleaned["status"])
        _flash(request, _("Status changed."))
    else:
        _flash(request, _("This status cannot be set here."))
    return HTTPSeeOther(request.route_url("crm_lead", id=lead.id))


@view_config(route_name="crm_lead_claim", permission="leads.claim", tenant=True,
             request_method="POST")
def lead_claim(request: Request):
    lead = lead_or_404(request, for_update=True)
    try:
        claim(request, lead)
    except PoolRefused as refusal:
        _flash(request, refusal.message)
        return HTTPSeeOther(request.route_url("crm_pool"))
    _flash(request, _("Lead ${name} is yours now.", mapping={"name": lead.name}))
    return HTTPSeeOther(request.route_url("crm_lead", id=lead.id))


@view_config(route_name="crm_lead_return", permission="leads.claim", tenant=True,
             renderer=RENDERER + "lead.pt", request_method="POST")
def lead_return(request: Request):
    lead = lead_or_404(request, for_update=True)
    if not may_write_lead(request, lead):
        raise HTTPForbidden()
    reason = str(request.POST.get("reason", ""))
    try:
        return_to_pool(request, lead, reason)
    except PoolRefused as refusal:
        request.response.status_int = 400
        return lead_page(request, lead, return_reason=reason.strip(),
                         return_error=refusal.message)
    _flash(request, _("Lead ${name} is back in the public pool.", mapping={"name": lead.name}))
    return HTTPSeeOther(request.route_url("crm_pool"))


@view_config(route_name="crm_lead_assign", permission="leads.assign", tenant=True,
             request_method="POST")
def lead_assign(request: Request):
    lead = lead_or_404(request, for_update=True)
    if not lead.is_open:
        raise HTTPNotFound()
    choice = str(request.POST.get("owner", "")).strip()
    if choice == "auto":
        chosen = assign_automatically(request, lead)
        if chosen is None:
            _flash(request, _("The assignment rules chose nobody: the lead stays where it is."))
        else:
            _flash(request, _("Lead assigned."))
        return HTTPSeeOther(request.route_url("crm_lead", id=lead.id))
    owner_id = int(choice) if choice.isascii() and choice.isdigit() and len(choice) < 10 \
        else None
    if not is_active_user(request.dbsession, owner_id):
        _flash(request, _("Choose who owns the lead."))
    elif owner_id != lead.owner_id:
        assign(request, lead, owner_id)
        _flash(request, _("Lead assigned."))
    return HTTPSeeOther(request.route_url("crm_lead", id=lead.id))


@view_config(route_name="crm_lead_convert", permission="leads.edit", tenant=True,
             renderer=RENDERER + "lead.pt", request_method="POST")
def lead_convert(request: Request):
    lead = lead_or_404(request, for_update=True)
    if not may_write_lead(request, lead) or not request.has_permission("contacts.create") or \
            not request.has_permission("opportunities.create"):
        raise HTTPForbidden()
    if not lead.is_open or lead.owner_id is None:
        _flash(request, _("Only open leads that somebody owns can be converted."))
        return HTTPSeeOther(request.route_url("crm_lead", id=lead.id))
    stage_map = {stage.id: stage for stage in stages(request.dbsession) if not stage.is_closed}
    form = validate_conversion(request.POST, stage_map)
    if not form.valid:
        request.response.status_int = 400
        return lead_page(request, lead, convert=form.values, convert_errors=form.errors)
    contact, opportunity = convert(
        request, lead, contact_name=form.cleaned["contact_name"],
        company=form.cleaned["company"], opportunity_name=form.cleaned["opportunity_name"],
        stage=stage_map[form.cleaned["stage_id"]], amount=form.cleaned["amount"],
        expected_close_date=form.cleaned["expected_close_date"])
    _flash(request, _("Lead converted: contact ${contact} and opportunity ${opportunity}.",
                      mapping={"contact": contact.name, "opportunity": opportunity.name}))
    return HTTPSeeOther(request.route_url("crm_opportunity", id=opportunity.id))

