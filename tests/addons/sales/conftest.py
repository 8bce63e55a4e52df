"""Fixtures for the sales addon's tests: a small catalogue, customers, users, orders.

Tenants, users and the app come from ``tests/conftest.py``; everything here goes
through the real database and the real pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
import webtest
from sqlalchemy import select

from jimucrm.addons.contacts.models import Company, Contact
from jimucrm.addons.sales.models import Product, ProductCategory
from jimucrm.core.interfaces import IDatabase
from jimucrm.security.models import User


@dataclass(frozen=True)
class Catalogue:
    customer: int  # 上海云帆 王伟
    other_customer: int
    laptop: int  # 13 % VAT, 6999.00
    tea: int  # 9 % VAT, 680.00
    service: int  # 6 % VAT, 600.00
    old: int  # inactive


@pytest.fixture
def seed(registry, make_user):
    """``seed(tenant)``: two customers, owned by the staff user ``seller`` (team 华东), and
    four products; returns their ids as a :class:`Catalogue`."""

    def fill(tenant) -> Catalogue:
        make_user(tenant, "seller", roles=("staff",), teams=("华东",))
        database = registry.getUtility(IDatabase)
        with database.session(tenant.schema_name) as session, session.begin():
            seller = session.scalar(select(User.id).where(User.username == "seller"))
            customers = [Contact(name="王伟", company=Company(name="上海云帆贸易有限公司"),
                                 city="上海", owner_id=seller),
                         Contact(name="李娜", company=Company(name="杭州青禾科技有限公司"),
                                 city="杭州", owner_id=seller)]
            category = ProductCategory(name="电子产品")
            products = [
                Product(code="NB-1", name="积木笔记本", category=category, unit="台",
                        list_price=Decimal("6999.00"), tax_class="standard"),
                Product(code="TE-1", name="西湖龙井", category=category, unit="盒",
                        list_price=Decimal("680.00"), tax_class="reduced"),
                Product(code="SV-1", name="安装服务", unit="次", list_price=Decimal("600.00"),
                        tax_class="services"),
                Product(code="OLD-1", name="停售产品", unit="件", list_price=Decimal("1.00"),
                        active=False),
            ]
            session.add_all([*customers, category, *products])
            session.flush()
            return Catalogue(customers[0].id, customers[1].id, *(p.id for p in products))

    return fill


@pytest.fixture
def catalogue(seed, tenant) -> Catalogue:
    return seed(tenant)


@pytest.fixture
def browser_for(wsgi_app, login):
    """``browser_for(tenant, username, app=None)``: a browser of its own, logged in as the
    user (of the suite's app, or of ``app``)."""

    def open_(tenant, username: str, app=None) -> webtest.TestApp:
        browser = webtest.TestApp(app or wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
        login(browser, tenant, username).follow()
        return browser

    return open_


@pytest.fixture
def client(make_user, browser_for):
    """``client(tenant, username, roles=("staff",), teams=(), is_admin=False)``: a
    browser of its own, logged in as a new user."""

    def make(tenant, username: str, *, roles=("staff",), teams=(), is_admin=False):
        make_user(tenant, username, roles=roles, teams=teams, is_admin=is_admin)
        return browser_for(tenant, username)

    return make


def fill_order(form: webtest.Form, customer: int, lines: list[tuple], *,
               order_date: str | None = None) -> None:
    """Put ``customer`` and ``lines`` ((product, quantity[, price[, discount]]) each)
    into the order form, which must have at least as many line rows."""
    form["customer"] = str(customer)
    if order_date:
        form["order_date"] = order_date
    for index, line in enumerate(lines):
        product, quantity, *rest = line
        form[f"line-{index}-product"] = str(product)
        form[f"line-{index}-quantity"] = str(quantity)
        if rest:
            form[f"line-{index}-unit_price"] = str(rest[0])
        if len(rest) > 1:
            form[f"line-{index}-discount"] = str(rest[1])


@pytest.fixture
def new_order(tenant):
    """``new_order(browser, customer, lines, kind="order")``: save one through the form;
    returns its id. Rows are added with the form's own "Add line" button."""

    def create(browser, customer: int, lines: list[tuple], *, kind: str = "order",
               target=None, order_date: str | None = None) -> int:
        target = target or tenant
        page = browser.get(f"{target.prefix}/sales/orders/new", params={"kind": kind})
        form = page.forms["order-form"]
        for _ in range(len(lines) - 1):
            form["customer"] = str(customer)
            page = form.submit("op", value="add")
            form = page.forms["order-form"]
        fill_order(form, customer, lines, order_date=order_date)
        saved = form.submit("op", value="save")
        assert saved.status_int == 303, saved.text
        return int(re.search(r"/sales/orders/(\d+)$", saved.location).group(1))

    return create


@pytest.fixture
def press(tenant):
    """``press(browser, order_id, action, status=303, **fields)``: submit a state button's
    form on the order's page (the real form, with its CSRF token)."""

    def submit(browser, order_id: int, action: str, status: int = 303, *, target=None,
               **fields):
        page = browser.get(f"{(target or tenant).prefix}/sales/orders/{order_id}")
        form = page.forms[f"action-{action}"]
        for name, value in fields.items():
            form[name] = value
        return form.submit(status=status)

    return submit
