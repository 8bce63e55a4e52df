"""The REST resource of quotes and orders: generated (``/api/v1/sales_orders``), read-only.

Lists and one-record GETs come from core's model views like every other resource
(filters, sort, cursor pages, record and field rules). Creating an order, editing
its lines and moving it through its states stay with the order editor and
:mod:`.workflow`, the one way numbers, prices, totals, history and events
are kept right; the API does not offer a second one. A one-record GET adds the
order's ``lines`` and its state ``history`` (:func:`order_detail`).
"""

from __future__ import annotations

from typing import Any

from pyramid.request import Request
from sqlalchemy import select

from jimucrm.core.interfaces import IFieldAccess

from .models import Order, OrderHistory, OrderLine

AMOUNTS = ("untaxed_amount", "tax_amount", "total_amount")
LINE_MONEY = ("unit_price", "discount_pct", "tax_rate", "untaxed_amount", "tax_amount",
              "total_amount")
_DECIMAL = {"type": "string", "format": "decimal"}
DETAIL_SCHEMA: dict[str, Any] = {
    "lines": {"type": "array", "description": "The order's lines, in order. Prices and "
              "amounts only for callers who may read the order's amounts.",
              "items": {"type": "object", "required": ["id", "position", "product_id",
                                                       "description", "quantity"],
                        "properties": {
                            "id": {"type": "integer"}, "position": {"type": "integer"},
                            "product_id": {"type": "integer",
                                           "x-jimu-relation": {"table": "sales_products",
                                                               "key": "id", "label": "name"}},
                            "description": {"type": "string"}, "quantity": _DECIMAL,
                            **dict.fromkeys(LINE_MONEY, _DECIMAL)}}},
    "history": {"type": "array", "description": "State changes, oldest first.",
                "items": {"type": "object", "required": ["from_state", "to_state",
                                                         "created_at"],
                          "properties": {
                              "from_state": {"type": "string", "nullable": True},
                              "to_state": {"type": "string"},
                              "user_id": {"type": "integer", "nullable": True},
                              "note": {"type": "string"},
                              "created_at": {"type": "string", "format": "date-time"}}}},
}


def order_detail(request: Request, order: Order) -> dict[str, Any]:
    """``lines`` and ``history`` of ``order`` for the API's one-record GET.

    Amounts go together (as on the order page): a caller who may not read every
    amount of the order gets lines without prices, which would give them away.
    """
    access = request.find_service(IFieldAccess)
    amounts = all(access.readable(request, Order, name) for name in AMOUNTS)
    session = request.dbsession
    lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)
                            .order_by(OrderLine.position, OrderLine.id))
    history = session.scalars(select(OrderHistory).where(OrderHistory.order_id == order.id)
                              .order_by(OrderHistory.created_at, OrderHistory.id))
    return {
        "lines": [{"id": line.id, "position": line.position, "product_id": line.product_id,
                   "description": line.description, "quantity": line.quantity,
                   **({name: getattr(line, name) for name in LINE_MONEY} if amounts else {})}
                  for line in lines],
        "history": [{"from_state": step.from_state, "to_state": step.to_state,
                     "user_id": step.user_id, "note": step.note,
                     "created_at": step.created_at} for step in history],
    }
