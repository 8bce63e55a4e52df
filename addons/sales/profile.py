"""The customer profile's sales panel: a contact's latest orders and lifetime value.

Registered on the contacts detail slot (``CONTACT_DETAIL_SLOT``) for users holding
``orders.view``; only orders the user's record rules let them read are counted,
and amounts only when their field rules let them see amounts.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pyramid.request import Request
from sqlalchemy import func, select

from jimucrm.core.interfaces import IRecordRules

from .models import Order
from .views import money, shown
from .workflow import STATE_LABELS

LATEST = 10
# Orders whose money the customer has paid (a refund is subtracted from its order).
PAID_STATES = ("paid", "shipped", "completed", "refunded")


def customer_sales(request: Request, contact: Any) -> dict[str, Any]:
    """The contact's last orders, how many there are, and lifetime value per currency."""
    rules = request.find_service(IRecordRules)
    orders = rules.apply(request, select(Order).where(Order.customer_id == contact.id,
                                                      Order.kind == "order"), Order)
    latest = request.dbsession.scalars(
        orders.order_by(Order.order_date.desc(), Order.id.desc()).limit(LATEST)).all()
    count = request.dbsession.scalar(select(func.count()).select_from(orders.subquery()))
    paid = rules.apply(request, select(
        Order.currency,
        func.sum(Order.total_amount - func.coalesce(Order.refunded_amount, Decimal("0"))))
        .where(
        Order.customer_id == contact.id, Order.kind == "order",
        Order.state.in_(PAID_STATES)), Order).group_by(Order.currency).order_by(Order.currency)
    lifetime = [(currency, total) for currency, total in request.dbsession.execute(paid)]
    return {"orders": latest, "count": count, "lifetime": lifetime, "money": money,
            "states": STATE_LABELS, "show": shown(request)}
