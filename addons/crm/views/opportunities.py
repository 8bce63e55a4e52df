"""Opportunities: the kanban of the funnel, moves between stages, and the panel of a
deal's generated page (forecast figures, the move form, the stage history). The list,
the new and edit forms, the page itself, export and the REST resource are core's
generated model views; the stage is read-only there, so every move goes through
:func:`~jimucrm.addons.crm.funnel.move` (history, ``opportunity.stage_changed``).

A move is a plain form POST on every card (a stage select and a button), so the
board works from the keyboard and without JavaScript. With JavaScript, htmx posts
the same form and swaps the board in place, and ``static/kanban.js`` turns a
drag and drop into that form's submission. Won and lost ask for a reason: a
dialog with htmx, a page of its own without.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from pyramid.httpexceptions import (
    HTTPBadRequest,
    HTTPForbidden,
    HTTPMovedPermanently,
    HTTPSeeOther,
)
from pyramid.renderers import get_renderer, render_to_response
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import or_, select

from jimucrm.core.i18n import _
from jimucrm.core.urls import parse_id, safe_next

from ..access import may_write_opportunity, opportunity_or_404, scoped_opportunities
from ..funnel import MoveRefused, ReasonRequired, history, move, stages
from ..leads import now, user_names
from ..models import Opportunity, OpportunityStage
from . import money

RENDERER = "jimucrm.addons.crm:templates/"
BOARD = RENDERER + "board.pt"
# Closed deals stay on the board this long after closing, then only in the forecast.
CLOSED_SHOWN_DAYS = 30
MAX_PER_COLUMN = 200


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def board(request: Request, *, moved: int | None = None, message=None) -> dict:
    """The columns of the board, each with its cards and sums."""
    session = request.dbsession
    columns = []
    query = scoped_opportunities(request, select(Opportunity).join(Opportunity.stage).where(
        or_(Opportunity.closed_at.is_(None),
            Opportunity.closed_at >= now() - timedelta(days=CLOSED_SHOWN_DAYS))))
    by_stage: dict[int, list[Opportunity]] = {}
    for opportunity in session.scalars(query.order_by(
            Opportunity.expected_close_date.asc().nulls_last(), Opportunity.id)).unique():
        by_stage.setdefault(opportunity.stage_id, []).append(opportunity)
    all_stages = stages(session)
    for stage in all_stages:
        cards = by_stage.get(stage.id, [])
        amount = sum((card.amount for card in cards), Decimal("0"))
        weighted = sum((card.weighted_amount for card in cards), Decimal("0"))
        columns.append({"stage": stage, "cards": cards[:MAX_PER_COLUMN], "count": len(cards),
                        "amount": money(amount), "weighted": money(weighted)})
    cards = [card for column in columns for card in column["cards"]]
    return {"columns": columns, "stages": all_stages, "moved": moved, "message": message,
            "owners": user_names(session, (card.owner_id for card in cards)),
            "writable": {card.id for card in cards if may_write_opportunity(request, card)},
            "money": money, "next": request.route_path("crm_kanban")}


@view_config(route_name="crm_kanban", permission="opportunities.view", tenant=True,
             renderer=RENDERER + "kanban.pt")
def kanban(request: Request) -> dict:
    return {**board(request), "board_macro": get_renderer(BOARD).implementation()}


def _stage(request: Request, value) -> OpportunityStage | None:
    stage_id = parse_id(value)
    stage = request.dbsession.get(OpportunityStage, stage_id) if stage_id else None
    return stage if stage is not None and stage.is_active else None


def _reason_form(request: Request, opportunity: Opportunity, stage: OpportunityStage,
                 reason: str, error, next_url: str) -> Response:
    """Ask why the deal was won or lost: a dialog for htmx, a page without it."""
    values = {"opportunity": opportunity, "stage": stage, "reason": reason, "error": error,
              "next": next_url}
    if _is_htmx(request):
        response = render_to_response(RENDERER + "close_dialog.pt", values, request=request)
        response.headers["HX-Retarget"] = "#crm-dialog"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    response = render_to_response(RENDERER + "close.pt", values, request=request)
    if error is not None and reason:
        response.status_int = 400
    return response


@view_config(route_name="crm_opportunity_move", permission="opportunities.edit", tenant=True,
             request_method="POST")
def opportunity_move(request: Request) -> Response:
    opportunity = opportunity_or_404(request)
    if not may_write_opportunity(request, opportunity):
        raise HTTPForbidden()
    stage = _stage(request, request.POST.get("stage_id"))
    if stage is None:
        raise HTTPBadRequest()
    reason = str(request.POST.get("reason", "")).strip()
    next_url = str(request.POST.get("next", ""))
    try:
        moved = move(request, opportunity, stage, reason)
    except ReasonRequired as refusal:
        return _reason_form(request, opportunity, stage, reason,
                            refusal.message if reason else None, next_url)
    except MoveRefused as refusal:
        if stage.is_closed:
            return _reason_form(request, opportunity, stage, reason[:2000], refusal.message,
                                next_url)
        if _is_htmx(request):
            return render_to_response(BOARD, board(request, message=refusal.message),
                                      request=request)
        request.session.flash(request.localizer.translate(refusal.message))
        return HTTPSeeOther(safe_next(request, next_url, "crm_kanban"))
    message = _("${name} moved to ${stage}.",
                mapping={"name": opportunity.name, "stage": stage.name}) if moved else None
    if _is_htmx(request):
        return render_to_response(BOARD, board(request, moved=opportunity.id, message=message),
                                  request=request)
    if message is not None:
        request.session.flash(request.localizer.translate(message))
    return HTTPSeeOther(safe_next(request, next_url, "crm_kanban"))


@view_config(route_name="crm_opportunity_old", permission="opportunities.view", tenant=True)
def opportunity_moved(request: Request) -> HTTPMovedPermanently:
    """A deal's page used to be /crm/opportunities/<id>: send old links to the new one
    (a deal out of reach is a 404 here too: no probing through the old address)."""
    opportunity = opportunity_or_404(request)
    return HTTPMovedPermanently(request.route_url("crm_opportunity", id=opportunity.id))


def opportunity_panel(request: Request, opportunity: Opportunity) -> dict:
    """What the deal's panel on its generated page shows (request method
    ``crm_opportunity_panel``): forecast figures, the move form, the stage history."""
    session = request.dbsession
    changes = history(session, opportunity)
    stage_names = {stage.id: stage.name for stage in stages(session, active_only=False)}
    return {"opportunity": opportunity, "changes": changes, "stage_names": stage_names,
            "names": user_names(session, [change.user_id for change in changes]),
            "stages": stages(session),
            "writable": may_write_opportunity(request, opportunity), "money": money}
