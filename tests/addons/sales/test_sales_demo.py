"""Demo data: a Chinese catalogue and 90 days of quotes and orders in every state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from jimucrm.addons.sales.models import Order, OrderHistory, PriceList, Product, ProductCategory
from jimucrm.addons.sales.workflow import FLOWS
from jimucrm.core.interfaces import IDatabase
from jimucrm.core.outbox.models import OutboxEvent


def test_a_demo_tenant_has_a_catalogue_and_orders_in_every_state(registry, make_tenant, client):
    tenant = make_tenant("演示公司", demo=True)
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session:
        assert session.scalar(select(func.count()).select_from(Product)) >= 30
        assert session.scalar(select(func.count()).select_from(ProductCategory)
                              .where(ProductCategory.parent_id.is_not(None))) >= 8
        assert session.scalar(select(func.count()).select_from(PriceList)) == 3
        orders = dict(session.execute(select(Order.state, func.count())
                                      .where(Order.kind == "order").group_by(Order.state)).all())
        quotes = dict(session.execute(select(Order.state, func.count())
                                      .where(Order.kind == "quote").group_by(Order.state)).all())
        assert set(orders) == set(FLOWS["order"]), orders
        assert {"sent", "converted", "rejected"} <= set(quotes), quotes
        assert sum(orders.values()) >= 300
        first, last = session.execute(select(func.min(Order.order_date),
                                             func.max(Order.order_date))).one()
        today = datetime.now(UTC).date()
        assert today - timedelta(days=91) <= first and last <= today
        customers = session.scalar(select(func.count(func.distinct(Order.customer_id))))
        assert customers >= 20
        assert session.scalar(select(func.count()).select_from(Order)
                              .where(Order.currency == "USD")) > 0
        # Every order went through the workflow: history and numbers and events.
        assert session.scalar(select(func.count()).select_from(Order).where(
            ~Order.id.in_(select(OrderHistory.order_id)))) == 0
        assert session.scalar(select(func.count()).select_from(OutboxEvent)
                              .where(OutboxEvent.name == "order.paid")) == \
            session.scalar(select(func.count()).select_from(Order)
                           .where(Order.paid_at.is_not(None)))
        assert session.scalar(select(func.count(func.distinct(Order.number)))) == \
            session.scalar(select(func.count()).select_from(Order))
    admin = client(tenant, "chief", roles=(), is_admin=True)
    listing = admin.get(f"{tenant.prefix}/sales/orders/")
    assert listing.html.find("table", class_="list") is not None  # the generated list
    products = admin.get(f"{tenant.prefix}/sales/products/")
    assert "龙井" in products.text
