"""The domain events the sales addon emits through the transactional outbox.

Every event carries the same payload shape (:func:`payload`), so a handler such
as a dashboard needs no query: amounts are decimal strings with two places
(``"1130.00"``), times ISO 8601 with their offset, ids integers.

``order_id``, ``number``, ``kind`` (``order`` or ``quote``), ``state`` (after the
change), ``from_state`` (before it; null on ``order.created``), ``occurred_at``
(when it happened: the status history's time), ``user_id`` (who did it; null
for imports and demo data), ``customer_id``, ``customer_name``, ``owner_id``,
``quote_id`` (the quote an order came from, else null), ``order_date``,
``currency``, ``exchange_rate`` (CNY per unit of ``currency``), ``untaxed``,
``tax``, ``total``, ``total_cny``, ``paid_at`` (null until paid),
``refunded_amount`` and ``refunded_at`` (null until refunded), and ``lines``:
a list of ``{product_id, product_code, product_name, category_id, quantity,
unit_price, discount_pct, tax_rate, untaxed, tax, total}`` (``quantity`` with
three places, rates and discounts percentages with two).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pyramid.config import Configurator

from .models import Order
from .services import cents

_SHAPE = " Payload: the sales order shape (jimucrm.addons.sales.events)."

EVENTS = {
    "order.created": "A sales order was created (entered, or converted from a quote), as a "
                     "draft.",
    "order.confirmed": "A sales order was confirmed: the customer committed to it.",
    "order.paid": "A sales order was paid; paid_at says when.",
    "order.shipped": "A paid sales order was shipped.",
    "order.completed": "A shipped sales order was completed (delivered and closed).",
    "order.cancelled": "A draft or confirmed sales order was cancelled; from_state says which.",
    "order.refunded": "A paid, shipped or completed sales order was refunded; refunded_amount "
                      "says how much (at most the total).",
    "quote.sent": "A quote was sent to the customer.",
    "quote.accepted": "The customer accepted a quote (an order may follow: order.created with "
                      "its quote_id).",
}


def declare(config: Configurator) -> None:
    for name, doc in EVENTS.items():
        config.add_domain_event(name, doc + _SHAPE)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(cents(value))


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def payload(order: Order, *, from_state: str | None, occurred_at: datetime,
            user_id: int | None) -> dict[str, Any]:
    """The event payload for ``order`` as it is now (lines and totals included)."""
    lines = [{
        "product_id": line.product_id,
        "product_code": line.product.code,
        "product_name": line.product.name,
        "category_id": line.product.category_id,
        "quantity": str(line.quantity.quantize(Decimal("0.001"))),
        "unit_price": _money(line.unit_price),
        "discount_pct": str(line.discount_pct.quantize(Decimal("0.01"))),
        "tax_rate": str(line.tax_rate.quantize(Decimal("0.01"))),
        "untaxed": _money(line.untaxed_amount),
        "tax": _money(line.tax_amount),
        "total": _money(line.total_amount),
    } for line in order.lines]
    return {
        "order_id": order.id,
        "number": order.number,
        "kind": order.kind,
        "state": order.state,
        "from_state": from_state,
        "occurred_at": _time(occurred_at),
        "user_id": user_id,
        "customer_id": order.customer_id,
        "customer_name": order.customer.name,
        "owner_id": order.owner_id,
        "quote_id": order.quote_id,
        "order_date": order.order_date.isoformat(),
        "currency": order.currency,
        "exchange_rate": str(Decimal(order.exchange_rate).quantize(Decimal("0.000001"))),
        "untaxed": _money(order.untaxed_amount),
        "tax": _money(order.tax_amount),
        "total": _money(order.total_amount),
        "total_cny": _money(order.total_amount * order.exchange_rate),
        "paid_at": _time(order.paid_at),
        "refunded_amount": _money(order.refunded_amount),
        "refunded_at": _time(order.refunded_at),
        "lines": lines,
    }
