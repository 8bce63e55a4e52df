"""Leads: the work panel of a lead's generated page (follow-ups, status, pool, assignment,
conversion) and what its forms post. The list, the new and edit forms, the page itself,
export and the REST resource are core's generated model views (see the package)."""

from __future__ import annotations

from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select

from jimucrm.core.i18n import _
from jimucrm.core.modelviews import model_views
from jimucrm.core.modelviews.views import TEMPLATES, detail_view

from ..access import lead_or_404, may_write_lead
from ..conversion import convert
from ..forms import validate_conversion, validate_follow_up, validate_status
from ..funnel import first_open_stage, stages
from ..leads import (
    active_users,
    assign,
    assign_automatically,
    is_active_user,
    record,
    set_status,
    user_names,
)
from ..models import Lead, LeadActivity, Opportunity
from ..pool import PoolRefused, claim, return_to_pool
from . import ACTIVITY_TITLES, STATUS_TITLES

DETAIL = f"{TEMPLATES}/detail.pt"


def _flash(request: Request, message) -> None:
    request.session.flash(request.localizer.translate(message))


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


def lead_panel(request: Request, lead: Lead) -> dict:
    """What the lead's work panel on its generated page shows (request method
    ``crm_lead_panel``); a failed form of the panel left its values in
    ``request.crm_lead_form``."""
    return lead_page(request, lead, **getattr(request, "crm_lead_form", {}))


def _again(request: Request, lead: Lead, **failed) -> Response:
    """The lead's page again, status 400, with a failed panel form's values and errors."""
    request.crm_lead_form = failed
    request.response.status_int = 400
    spec = model_views(request.registry, Lead.__tablename__)
    request.matchdict["id"] = str(lead.id)
    return render_to_response(DETAIL, detail_view(spec, request), request=request,
                              response=request.response)


def _writable_lead(request: Request) -> Lead:
    lead = lead_or_404(request)
    if not may_write_lead(request, lead):
        raise HTTPForbidden()
    return lead


@view_config(route_name="crm_lead_follow_up", permission="leads.edit", tenant=True,
             request_method="POST")
def lead_follow_up(request: Request):
    lead = _writable_lead(request)
    form = validate_follow_up(request.POST)
    if not form.valid:
        return _again(request, lead, follow_up=form.values, follow_up_errors=form.errors)
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
             request_method="POST")
def lead_return(request: Request):
    lead = lead_or_404(request, for_update=True)
    if not may_write_lead(request, lead):
        raise HTTPForbidden()
    reason = str(request.POST.get("reason", ""))
    try:
        return_to_pool(request, lead, reason)
    except PoolRefused as refusal:
        return _again(request, lead, return_reason=reason.strip(),
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
             request_method="POST")
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
        return _again(request, lead, convert=form.values, convert_errors=form.errors)
    contact, opportunity = convert(
        request, lead, contact_name=form.cleaned["contact_name"],
        company=form.cleaned["company"], opportunity_name=form.cleaned["opportunity_name"],
        stage=stage_map[form.cleaned["stage_id"]], amount=form.cleaned["amount"],
        expected_close_date=form.cleaned["expected_close_date"])
    _flash(request, _("Lead converted: contact ${contact} and opportunity ${opportunity}.",
                      mapping={"contact": contact.name, "opportunity": opportunity.name}))
    return HTTPSeeOther(request.route_url("crm_opportunity", id=opportunity.id))

