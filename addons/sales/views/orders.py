"""A quote's or order's page with state buttons and status history, and state changes.

The list is core's generated one (see the package), linking here."""

from __future__ import annotations

from decimal import Decimal

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.i18n import TranslationString
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from jimucrm.core.i18n import _
from jimucrm.core.interfaces import IRecordRules
from jimucrm.security.models import User

from ..forms import parse_decimal
from ..models import Order, OrderHistory, OrderLine
from ..workflow import (
    ACTION_FOR,
    ACTION_LABELS,
    ACTIONS,
    STATE_LABELS,
    STATE_PERMISSIONS,
    TransitionRefused,
    convert,
    is_editable,
    next_states,
    transition,
)
from . import TEMPLATES, actor, money, order_for, shown, when

MAX_NOTE = 1000


def _actions(request: Request, order: Order) -> list[tuple[str, TranslationString]]:
    """The state buttons this user may press on ``order``: (action, label)."""
    if not request.find_service(IRecordRules).allows(request, order, "write"):
        return []
    return [(ACTION_FOR[state], ACTION_LABELS[ACTION_FOR[state]])
            for state in next_states(order)
            if request.has_permission(STATE_PERMISSIONS.get(state, "orders.edit"))]


def render_detail(request: Request, order: Order, *, error: TranslationString | None = None,
                  errors: dict | None = None, values: dict | None = None) -> dict:
    session = request.dbsession
    history = session.execute(
        select(OrderHistory, User.display_name)
        .outerjoin(User, User.id == OrderHistory.user_id)
        .where(OrderHistory.order_id == order.id)
        .order_by(OrderHistory.created_at.desc(), OrderHistory.id.desc())).all()
    lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)
                            .options(selectinload(OrderLine.product))
                            .order_by(OrderLine.position)).all()
    rules = request.find_service(IRecordRules)
    writable = rules.allows(request, order, "write")
    converted = None
    if order.is_quote:
        converted = session.scalars(rules.apply(
            request, select(Order).where(Order.quote_id == order.id), Order)).one_or_none()
    owner = session.get(User, order.owner_id) if order.owner_id else None
    return {
        "order": order, "lines": lines, "history": history, "owner": owner,
        "actions": _actions(request, order),
        "can_edit": writable and is_editable(order) and request.has_permission("orders.edit"),
        "can_convert": writable and order.is_quote and order.state in ("sent", "accepted")
        and request.has_permission("orders.create"),
        "converted": converted, "states": STATE_LABELS, "money": money, "when": when,
        "error": error, "errors": errors or {}, "values": values or {},
        "show": shown(request),
    }


@view_config(route_name="sales_order", permission="orders.view", tenant=True,
             renderer=TEMPLATES + "detail.pt")
def order_detail(request: Request) -> dict:
    return render_detail(request, order_for(request))


def _refused(request: Request, order: Order, **kwargs) -> dict:
    request.response.status_int = 409 if "error" in kwargs else 400
    return render_detail(request, order, **kwargs)


def _state_change(request: Request):
    order = order_for(request, "write", lock=True)
    action = request.matchdict["action"]
    note = request.POST.get("note", "").strip()
    values = {"note": note, "amount": request.POST.get("amount", "").strip()}
    if len(note) > MAX_NOTE:
        return _refused(request, order, values=values, errors={"note": _(
            "At most ${limit} characters.", mapping={"limit": MAX_NOTE})})
    try:
        if action == "convert":
            created = convert(actor(request), order, note=note)
            request.session.flash(request.localizer.translate(_(
                "${quote} became order ${number}.",
                mapping={"quote": order.number, "number": created.number})))
            return HTTPSeeOther(request.route_url("sales_order", id=created.id))
        amount = None
        if action == "refund" and values["amount"]:
            amount = parse_decimal(values["amount"], places=2, maximum=Decimal("1e13"))
            if amount is None:
                return _refused(request, order, values=values, errors={"amount": _(
                    "Enter an amount, with at most 2 decimals.")})
        transition(actor(request), order, ACTIONS[action], note=note, amount=amount)
    except TransitionRefused as refused:
        if refused.field:
            return _refused(request, order, values=values, errors={refused.field: refused.reason})
        return _refused(request, order, values=values, error=refused.reason)
    request.session.flash(request.localizer.translate(_(
        "${number} is now ${state}.",
        mapping={"number": order.number,
                 # Translated first: a mapping's TranslationString is not.
                 "state": request.localizer.translate(STATE_LABELS[order.state])})))
    return HTTPSeeOther(request.route_url("sales_order", id=order.id))


# One view per action, each with the permission it needs: paying and refunding are
# the manager's by default, the rest follow the order's edit permission.
for _action, _state in ACTIONS.items():
    view_config(route_name="sales_order_action", match_param=f"action={_action}",
                request_method="POST", tenant=True, renderer=TEMPLATES + "detail.pt",
                permission=STATE_PERMISSIONS.get(_state, "orders.edit"))(_state_change)
view_config(route_name="sales_order_action", match_param="action=convert",
            request_method="POST", tenant=True, renderer=TEMPLATES + "detail.pt",
            permission="orders.create")(_state_change)
