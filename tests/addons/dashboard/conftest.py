"""Fixtures for the dashboard's tests: orders and deals made through the sales and crm
code (with their real outbox events), and the relay run as a worker runs it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from jimucrm.addons.contacts.models import Company, Contact
from jimucrm.addons.crm.models import OpportunityStage
from jimucrm.addons.sales import workflow
from jimucrm.addons.sales.models import Order, OrderLine, Product
from jimucrm.addons.sales.pricing import recompute
from jimucrm.addons.sales.services import VatPolicy
from jimucrm.core.interfaces import IDatabase, ITenantDirectory
from jimucrm.core.outbox import IOutbox


@dataclass
class Shop:
    """A tenant with a customer and two products, and ways to sell to it."""

    registry: object
    slug: str
    schema: str
    customer: int
    laptop: int  # 6999.00, 13 % VAT
    tea: int  # 680.00, 9 % VAT

    @property
    def tenant(self):
        return self.registry.getUtility(ITenantDirectory).by_slug(self.slug)

    def session(self):
        return self.registry.getUtility(IDatabase).session(self.schema)

    def _actor(self, session) -> workflow.Actor:
        outbox, tenant = self.registry.getUtility(IOutbox), self.tenant
        return workflow.Actor(session, None,
                              lambda name, payload: outbox.emit(session, tenant, name, payload))

    def sell(self, lines: list[tuple[int, int]], *, currency: str = "CNY",
             rate: str = "1", paid_at: datetime | None = None) -> int:
        """A new order, confirmed and paid (at ``paid_at``); returns its id."""
        with self.session() as session, session.begin():
            actor = self._actor(session)
            order = Order(kind="order", customer_id=self.customer, currency=currency,
                          exchange_rate=Decimal(rate), prices_include_tax=False,
                          order_date=date.today())
            order.customer = session.get(Contact, self.customer)
            for position, (product_id, quantity) in enumerate(lines):
                product = session.get(Product, product_id)
                order.lines.append(OrderLine(
                    position=position, product=product, product_id=product.id,
                    description=product.name, quantity=Decimal(quantity),
                    unit_price=product.list_price, discount_pct=Decimal(0),
                    tax_rate=VatPolicy().rate(product, order)))
            recompute(order, VatPolicy())
            workflow.create(actor, order)
            workflow.transition(actor, order, "confirmed")
            workflow.transition(actor, order, "paid", at=paid_at)
            return order.id

    def refund(self, order_id: int, amount: str | None = None) -> None:
        with self.session() as session, session.begin():
            order = session.get(Order, order_id)
            workflow.transition(self._actor(session), order, "refunded",
                                amount=None if amount is None else Decimal(amount))

    def relay(self):
        """Deliver every due event of the tenant, as the worker's relay task does."""
        return self.registry.getUtility(IOutbox).relay(self.schema)

    def stage(self, name: str) -> int:
        with self.session() as session:
            return session.scalar(select(OpportunityStage.id)
                                  .where(OpportunityStage.name == name))


@pytest.fixture
def make_shop(registry, make_tenant):
    """``make_shop(demo=False)``: a new tenant as a :class:`Shop`."""

    def make(demo: bool = False) -> Shop:
        handle = make_tenant("仪表盘公司", demo=demo)
        database = registry.getUtility(IDatabase)
        with database.session(handle.schema_name) as session, session.begin():
            customer = Contact(name="王伟", company=Company(name="上海云帆贸易有限公司"),
                               city="上海")
            laptop = Product(code="NB-1", name="积木笔记本", unit="台",
                             list_price=Decimal("6999.00"), tax_class="standard")
            tea = Product(code="TE-1", name="西湖龙井", unit="盒",
                          list_price=Decimal("680.00"), tax_class="reduced")
            session.add_all([customer, laptop, tea])
            session.flush()
            ids = customer.id, laptop.id, tea.id
        return Shop(registry, handle.slug, handle.schema_name, *ids)

    return make


@pytest.fixture
def shop(make_shop) -> Shop:
    return make_shop()


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)
