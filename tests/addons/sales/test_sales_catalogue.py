"""Products, categories and price lists, and how a price list prices an order."""

from __future__ import annotations

import re
from decimal import Decimal

from jimucrm.addons.sales.models import Order, Product
from jimucrm.core.interfaces import IDatabase


def test_products_form_checks_and_saves(registry, tenant, catalogue, client):
    manager = client(tenant, "boss", roles=("manager",))
    form = manager.get(f"{tenant.prefix}/sales/categories/new").forms["sales_category-form"]
    form["name"] = "笔记本电脑"
    [parent] = [value for value, _selected, label in form["parent_id"].options
                if label == "电子产品"]
    form["parent_id"] = parent
    detail = form.submit(status=303).follow()
    assert "笔记本电脑" in detail.text and "电子产品" in detail.text  # the parent's name
    laptops = re.search(r"/sales/categories/(\d+)$", detail.request.path).group(1)

    form = manager.get(f"{tenant.prefix}/sales/products/new").forms["sales_product-form"]
    # A taken code (a unique constraint) and a price with three decimals.
    form["code"], form["name"], form["list_price"] = "NB-1", "重复编码", "12.345"
    form["category_id"] = laptops
    page = form.submit(status=400)
    assert "has-error" in page.html.find(id="list_price").find_parent("div")["class"]
    form = page.forms["sales_product-form"]
    assert (form["name"].value, form["list_price"].value) == ("重复编码", "12.345")
    form["list_price"] = "88.80"
    page = form.submit(status=400)
    assert "has-error" in page.html.find(id="code").find_parent("div")["class"]
    form = page.forms["sales_product-form"]
    form["code"], form["tax_class"] = "PR-9", "services"
    form.submit(status=303)
    listing = manager.get(f"{tenant.prefix}/sales/products/", params={"q": "PR"})
    assert "重复编码" in listing.text and "88.80" in listing.text and "笔记本电脑" in listing.text
    forged = manager.get(f"{tenant.prefix}/sales/products/new").forms["sales_product-form"]
    forged["code"], forged["name"], forged["list_price"] = "PR-10", "伪造分类", "1"
    forged["category_id"].force_value("2147483647")
    assert "has-error" in forged.submit(status=400).html.find(id="category_id") \
        .find_parent("div")["class"]
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session:
        product = session.query(Product).filter_by(code="PR-9").one()
        assert (product.list_price, product.tax_class) == (Decimal("88.80"), "services")


def test_a_price_list_prices_the_lines(registry, tenant, catalogue, client, browser_for,
                                       new_order):
    manager = client(tenant, "boss", roles=("manager",))
    form = manager.get(f"{tenant.prefix}/sales/pricelists/new").forms["sales_pricelist-form"]
    form["name"], form["valid_from"], form["valid_to"] = "经销商价", "2026-01-01", "2025-01-01"
    page = form.submit(status=400)  # the end before the start: the spec's clean hook
    assert "has-error" in page.html.find(id="valid_to").find_parent("div")["class"]
    form = page.forms["sales_pricelist-form"]
    form["valid_to"] = ""
    detail = form.submit(status=303).follow()
    add = detail.forms["pricelist-add-form"]
    add["product"], add["discount"] = str(catalogue.laptop), "15"
    detail = add.submit("op", value="add", status=303).follow()
    add = detail.forms["pricelist-add-form"]
    add["product"], add["price"], add["discount"] = str(catalogue.tea), "600", "5"
    refused = add.submit("op", value="add", status=400)  # a price or a discount, not both
    assert refused.forms["pricelist-add-form"]["price"].value == "600"
    add = refused.forms["pricelist-add-form"]
    add["discount"] = ""
    add.submit("op", value="add", status=303)
    pricelist = re.search(r"/sales/pricelists/(\d+)$", detail.request.path).group(1)

    seller = browser_for(tenant, "seller")
    page = seller.get(f"{tenant.prefix}/sales/orders/new")
    form = page.forms["order-form"]
    form["pricelist"] = pricelist
    form["customer"] = str(catalogue.customer)
    page = form.submit("op", value="add")
    form = page.forms["order-form"]
    form["line-0-product"], form["line-0-quantity"] = str(catalogue.laptop), "1"
    form["line-1-product"], form["line-1-quantity"] = str(catalogue.tea), "2"
    order_id = int(re.search(r"(\d+)$", form.submit("op", value="save", status=303)
                             .location).group(1))
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session:
        order = session.get(Order, order_id)
        lines = [(line.unit_price, line.discount_pct, line.untaxed_amount)
                 for line in order.lines]
    # The discount shows on the line; the fixed price replaces the list price.
    assert lines == [(Decimal("6999.00"), Decimal("15.00"), Decimal("5949.15")),
                     (Decimal("600.00"), Decimal("0.00"), Decimal("1200.00"))]


def test_a_foreign_currency_needs_an_exchange_rate(tenant, catalogue, browser_for):
    seller = browser_for(tenant, "seller")
    form = seller.get(f"{tenant.prefix}/sales/orders/new").forms["order-form"]
    form["customer"], form["currency"] = str(catalogue.customer), "EUR"
    form["line-0-product"], form["line-0-quantity"] = str(catalogue.laptop), "1"
    page = form.submit("op", value="save", status=400)
    error = page.html.find(id="currency").find_parent("div").find("p", class_="error")
    assert error is not None and "EUR" in error.text
    assert page.forms["order-form"]["currency"].value == "EUR"
