"""CRM settings: the pool's limits, how leads are assigned, the rules, stages and sources."""

from __future__ import annotations

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy import func, select

from jimucrm.core.i18n import _
from jimucrm.core.urls import parse_id

from ..forms import validate_rule, validate_settings, validate_stage
from ..funnel import stages
from ..leads import active_sources, active_users, crm_settings
from ..models import AssignmentRule, LeadSource, OpportunityStage
from ..services import ASSIGNMENT_MODE_TITLES

RENDERER = "jimucrm.addons.crm:templates/settings.pt"
PERMISSION = "crm.settings"


def _page(request: Request, **extra) -> dict:
    session = request.dbsession
    settings = crm_settings(session)
    sources = list(session.scalars(select(LeadSource).order_by(LeadSource.position,
                                                               LeadSource.id)))
    rules = list(session.scalars(select(AssignmentRule).order_by(AssignmentRule.position,
                                                                 AssignmentRule.id)))
    users = active_users(session)
    page = {
        "values": {"claim_limit": str(settings.claim_limit),
                   "auto_return_days": str(settings.auto_return_days),
                   "assignment_mode": settings.assignment_mode},
        "errors": {}, "modes": ASSIGNMENT_MODE_TITLES,
        "stages": stages(session, active_only=False),
        "stage_values": {"name": "", "position": "", "probability": "", "kind": "open"},
        "stage_errors": {},
        "sources": sources, "source_value": "", "source_error": None,
        "rules": rules, "rule_values": {"region": "", "source_id": "", "user_id": "",
                                        "position": ""},
        "rule_errors": {}, "users": users, "user_names": dict(users),
        "source_names": {source.id: source.name for source in sources},
    }
    page.update(extra)
    return page


def _done(request: Request, message) -> HTTPSeeOther:
    request.session.flash(request.localizer.translate(message))
    return HTTPSeeOther(request.route_url("crm_settings"))


@view_config(route_name="crm_settings", permission=PERMISSION, tenant=True, renderer=RENDERER,
             request_method=("GET", "POST"))
def settings_page(request: Request):
    if request.method == "GET":
        return _page(request)
    form = validate_settings(request.POST)
    if not form.valid:
        request.response.status_int = 400
        return _page(request, values=form.values, errors=form.errors)
    settings = crm_settings(request.dbsession)
    for name, value in form.cleaned.items():
        setattr(settings, name, value)
    return _done(request, _("CRM settings saved."))


@view_config(route_name="crm_settings_stages", permission=PERMISSION, tenant=True,
             renderer=RENDERER, request_method="POST")
def stage_add(request: Request):
    session = request.dbsession
    form = validate_stage(request.POST)
    if form.valid and session.scalar(select(func.count()).select_from(OpportunityStage).where(
            OpportunityStage.name == form.cleaned["name"])):
        form.errors["name"] = _("A stage of that name exists already.")
    if not form.valid:
        request.response.status_int = 400
        return _page(request, stage_values=form.values, stage_errors=form.errors)
    kind = form.cleaned["kind"]
    session.add(OpportunityStage(name=form.cleaned["name"], position=form.cleaned["position"],
                                 probability=form.cleaned["probability"],
                                 is_won=kind == "won", is_lost=kind == "lost", is_active=True))
    return _done(request, _("Stage added."))


@view_config(route_name="crm_settings_stage_toggle", permission=PERMISSION, tenant=True,
             request_method="POST")
def stage_toggle(request: Request):
    stage_id = parse_id(request.matchdict["id"])
    stage = request.dbsession.get(OpportunityStage, stage_id) if stage_id else None
    if stage is None:
        raise HTTPNotFound()
    stage.is_active = not stage.is_active
    return _done(request, _("Stage shown on the board.") if stage.is_active
                 else _("Stage hidden from the board; its deals keep it."))


@view_config(route_name="crm_settings_sources", permission=PERMISSION, tenant=True,
             renderer=RENDERER, request_method="POST")
def source_add(request: Request):
    session = request.dbsession
    name = str(request.POST.get("name", "")).strip()
    error = None
    if not name:
        error = _("Name the source.")
    elif len(name) > 50:
        error = _("At most ${limit} characters.", mapping={"limit": 50})
    elif session.scalar(select(func.count()).select_from(LeadSource)
                        .where(LeadSource.name == name)):
        error = _("A source of that name exists already.")
    if error is not None:
        request.response.status_int = 400
        return _page(request, source_value=name, source_error=error)
    position = (session.scalar(select(func.max(LeadSource.position))) or 0) + 10
    session.add(LeadSource(name=name, position=position, is_active=True))
    return _done(request, _("Source added."))


@view_config(route_name="crm_settings_source_toggle", permission=PERMISSION, tenant=True,
             request_method="POST")
def source_toggle(request: Request):
    source_id = parse_id(request.matchdict["id"])
    source = request.dbsession.get(LeadSource, source_id) if source_id else None
    if source is None:
        raise HTTPNotFound()
    source.is_active = not source.is_active
    return _done(request, _("Source offered again.") if source.is_active
                 else _("Source no longer offered; leads keep it."))


@view_config(route_name="crm_settings_rules", permission=PERMISSION, tenant=True,
             renderer=RENDERER, request_method="POST")
def rule_add(request: Request):
    session = request.dbsession
    sources = {source.id: source for source in active_sources(session)}
    users = dict(active_users(session))
    form = validate_rule(request.POST, sources, users)
    if not form.valid:
        request.response.status_int = 400
        return _page(request, rule_values=form.values, rule_errors=form.errors)
    session.add(AssignmentRule(region=form.cleaned["region"] or None,
                               source_id=form.cleaned["source_id"],
                               user_id=form.cleaned["user_id"],
                               position=form.cleaned["position"]))
    return _done(request, _("Assignment rule added."))


@view_config(route_name="crm_settings_rule_delete", permission=PERMISSION, tenant=True,
             request_method="POST")
def rule_delete(request: Request):
    rule_id = parse_id(request.matchdict["id"])
    rule = request.dbsession.get(AssignmentRule, rule_id) if rule_id else None
    if rule is None:
        raise HTTPNotFound()
    request.dbsession.delete(rule)
    return _done(request, _("Assignment rule deleted."))
