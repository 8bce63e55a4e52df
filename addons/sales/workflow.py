"""The life of quotes and orders: allowed transitions, status history, events.

Everything that changes a quote's or an order's state goes through
:func:`create`, :func:`transition` or :func:`convert`, so the rules below hold
for the pages, the demo data and whatever calls this module next.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pyramid.i18n import TranslationString
from sqlalchemy.orm import Session

from jimucrm.core.i18n import _

from . import events
from .models import STATE_CHOICES, Order, OrderHistory, OrderLine
from .numbering import next_number

# state -> the states it may move to.
ORDER_FLOW: dict[str, tuple[str, ...]] = {
    "draft": ("confirmed", "cancelled"),
    "confirmed": ("paid", "cancelled"),
    "paid": ("shipped", "refunded"),
    "shipped": ("completed", "refunded"),
    "completed": ("refunded",),
    "cancelled": (),
    "refunded": (),
}
QUOTE_FLOW: dict[str, tuple[str, ...]] = {
    "draft": ("sent", "cancelled"),
    "sent": ("accepted", "rejected", "cancelled"),
    "accepted": ("converted",),
    "rejected": (),
    "cancelled": (),
    "converted": (),
}
FLOWS = {"order": ORDER_FLOW, "quote": QUOTE_FLOW}

# The verb of a button (and of its URL) -> the state it leads to.
ACTIONS = {
    "confirm": "confirmed", "pay": "paid", "ship": "shipped", "complete": "completed",
    "cancel": "cancelled", "refund": "refunded",
    "send": "sent", "accept": "accepted", "reject": "rejected",
}
ACTION_FOR = {state: action for action, state in ACTIONS.items()}
# Permissions beyond ``orders.edit`` that a move to a state needs.
STATE_PERMISSIONS = {"paid": "orders.pay", "refunded": "orders.refund"}
EVENT_FOR = {
    ("order", "confirmed"): "order.confirmed",
    ("order", "paid"): "order.paid",
    ("order", "shipped"): "order.shipped",
    ("order", "completed"): "order.completed",
    ("order", "cancelled"): "order.cancelled",
    ("order", "refunded"): "order.refunded",
    ("quote", "sent"): "quote.sent",
    ("quote", "accepted"): "quote.accepted",
}
# Only drafts are edited; after that, lines and amounts are what was agreed.
EDITABLE_STATES = ("draft",)

STATE_LABELS = dict(STATE_CHOICES)
# How a message names a quote or an order in the middle of a sentence.
KIND_NAMES = {"quote": _("quote"), "order": _("order")}
ACTION_LABELS = {
    "confirm": _("Confirm"), "pay": _("Record payment"), "ship": _("Mark shipped"),
    "complete": _("Complete"), "cancel": _("Cancel"), "refund": _("Refund"),
    "send": _("Mark sent"), "accept": _("Mark accepted"), "reject": _("Mark rejected"),
}


class TransitionRefused(Exception):
    """A change the rules do not allow; ``reason`` says why, translatable.

    ``field`` names the form field at fault (``amount`` of a refund), if any.
    """

    def __init__(self, reason: TranslationString, field: str | None = None) -> None:
        super().__init__(str(reason))
        self.reason = reason
        self.field = field


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Actor:
    """Who acts and where: the session, the user (None: the system), how to emit events."""

    session: Session
    user_id: int | None
    emit: Callable[[str, dict[str, Any]], object]
    now: Callable[[], datetime] = field(default=_now)


def next_states(order: Order) -> tuple[str, ...]:
    """The states ``order`` may move to from where it is (conversion aside)."""
    return tuple(state for state in FLOWS[order.kind][order.state] if state != "converted")


def can_move(order: Order, target: str) -> bool:
    return target in FLOWS[order.kind].get(order.state, ())


def is_editable(order: Order) -> bool:
    return order.state in EDITABLE_STATES


@dataclass(frozen=True)
class Step:
    """What one change did: the event it calls for (None: no event), from which state, when."""

    order: Order
    event: str | None
    from_state: str | None
    at: datetime
    user_id: int | None

    def payload(self) -> dict[str, Any]:
        """The event's payload, taken from the order as it is now."""
        return events.payload(self.order, from_state=self.from_state, occurred_at=self.at,
                              user_id=self.user_id)


# -- the rules, on the objects alone (no session): the one place they live -----------
def begin(order: Order, *, user_id: int | None, at: datetime, note: str = "") -> Step:
    """Make ``order`` a draft with its first history row (it still needs a number)."""
    order.state = "draft"
    order.order_date = order.order_date or at.date()
    order.history.append(OrderHistory(from_state=None, to_state="draft", user_id=user_id,
                                      note=note, created_at=at))
    return Step(order, "order.created" if order.kind == "order" else None, None, at, user_id)


def move(order: Order, target: str, *, user_id: int | None, at: datetime, note: str = "",
         amount: Decimal | None = None) -> Step:
    """Move ``order`` to ``target`` if the rules allow it, with its history row.

    ``amount`` is the refunded amount (default: the total) when ``target`` is
    ``refunded``. Raises :class:`TransitionRefused` and changes nothing otherwise.
    """
    if not can_move(order, target):
        raise TransitionRefused(_(
            "A ${kind} in state ${state} cannot become ${target}.",
            mapping={"kind": KIND_NAMES[order.kind],
                     "state": STATE_LABELS[order.state], "target": STATE_LABELS[target]}))
    if target in ("confirmed", "sent", "accepted") and not order.lines:
        raise TransitionRefused(_("Add at least one line first."))
    if target == "refunded":
        amount = order.total_amount if amount is None else amount
        if not Decimal(0) < amount <= order.total_amount:
            raise TransitionRefused(_(
                "The refund must be more than 0 and at most the total, ${total}.",
                mapping={"total": str(order.total_amount)}), field="amount")
        order.refunded_amount, order.refunded_at = amount, at
    if target == "paid":
        order.paid_at = at
    from_state, order.state = order.state, target
    order.history.append(OrderHistory(from_state=from_state, to_state=target, user_id=user_id,
                                      note=note, created_at=at))
    return Step(order, EVENT_FOR.get((order.kind, target)), from_state, at, user_id)


def order_from_quote(quote: Order, order_date: date) -> Order:
    """A new order with the quote's customer, currency, prices and lines."""
    order = Order(kind="order", customer_id=quote.customer_id, customer=quote.customer,
                  owner_id=quote.owner_id, pricelist_id=quote.pricelist_id,
                  quote=quote, currency=quote.currency, exchange_rate=quote.exchange_rate,
                  prices_include_tax=quote.prices_include_tax, order_date=order_date,
                  notes=quote.notes, untaxed_amount=quote.untaxed_amount,
                  tax_amount=quote.tax_amount, total_amount=quote.total_amount)
    for line in quote.lines:
        order.lines.append(OrderLine(
            position=line.position, product_id=line.product_id, product=line.product,
            description=line.description, quantity=line.quantity, unit_price=line.unit_price,
            discount_pct=line.discount_pct, tax_rate=line.tax_rate,
            untaxed_amount=line.untaxed_amount, tax_amount=line.tax_amount,
            total_amount=line.total_amount))
    return order


def check_convertible(quote: Order) -> None:
    if not quote.is_quote or quote.state not in ("sent", "accepted"):
        raise TransitionRefused(_("Only a sent or accepted quote can become an order."))


# -- the same, in a session: locked, numbered, with events --------------------------
def _emit(actor: Actor, step: Step) -> None:
    if step.event is not None:
        actor.session.flush()
        actor.emit(step.event, step.payload())


def create(actor: Actor, order: Order, *, note: str = "", at: datetime | None = None) -> Order:
    """Number and add a new draft ``order`` (a quote or an order) with its first history row."""
    step = begin(order, user_id=actor.user_id, at=at or actor.now(), note=note)
    order.number = next_number(actor.session, order.kind, order.order_date.year)
    actor.session.add(order)
    _emit(actor, step)
    return order


def transition(actor: Actor, order: Order, target: str, *, note: str = "",
               amount: Decimal | None = None, at: datetime | None = None) -> OrderHistory:
    """Move ``order`` to ``target`` if the rules allow it, with history and event.

    The order's row is locked and re-read first, so two people pressing "pay" at
    once give one payment: the second sees the state the first left.
    """
    actor.session.flush()
    actor.session.refresh(order, with_for_update=True)
    step = move(order, target, user_id=actor.user_id, at=at or actor.now(), note=note,
                amount=amount)
    _emit(actor, step)
    return order.history[-1]


def convert(actor: Actor, quote: Order, *, note: str = "",
            at: datetime | None = None, order_date: date | None = None) -> Order:
    """Turn a sent or accepted quote into a new draft order with the same lines.

    A sent quote is accepted first (``quote.accepted``); the quote ends ``converted``
    and the order keeps a link to it (``quote_id``, one order per quote).
    """
    at = at or actor.now()
    actor.session.flush()
    actor.session.refresh(quote, with_for_update=True)
    check_convertible(quote)
    if quote.state == "sent":
        transition(actor, quote, "accepted", note=note, at=at)
    order = order_from_quote(quote, order_date or at.date())
    transition(actor, quote, "converted", note=note, at=at)
    return create(actor, order, note=note or quote.number, at=at)
