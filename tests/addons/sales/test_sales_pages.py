"""The quote/order pages: the line editor without JavaScript, errors beside their fields,
state buttons, status history, permissions and record rules."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from jimucrm.addons.sales.models import Order, OrderHistory
from jimucrm.core.interfaces import IDatabase


def _order(registry, tenant, order_id) -> Order:
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session:
        order = session.get(Order, order_id)
        session.expunge(order)
        return order


def test_line_editor_adds_removes_and_recalculates_without_saving(registry, tenant, catalogue,
                                                                   browser_for):
    browser = browser_for(tenant, "seller")
    page = browser.get(f"{tenant.prefix}/sales/orders/new")
    form = page.forms["order-form"]
    form["customer"] = str(catalogue.customer)
    form["line-0-product"], form["line-0-quantity"] = str(catalogue.laptop), "2"
    page = form.submit("op", value="add", status=200)
    form = page.forms["order-form"]
    assert form["line-0-quantity"].value == "2" and form["line-1-quantity"].value == "1"
    form["line-1-product"], form["line-1-quantity"] = str(catalogue.tea), "3"
    page = form.submit("op", value="recalculate", status=200)
    totals = page.html.find("tfoot").get_text(" ", strip=True)
    # 13998.00 + 1819.74 and 2040.00 + 183.60
    assert "16,038.00" in totals and "2,003.34" in totals and "18,041.34" in totals
    page = page.forms["order-form"].submit("op", value="remove-0", status=200)
    form = page.forms["order-form"]
    assert form["line-0-product"].value == str(catalogue.tea)
    assert "line-1-product" not in form.fields
    assert "2,223.60" in page.html.find("tfoot").get_text()
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 0  # nothing saved
    saved = form.submit("op", value="save", status=303).follow()
    assert "SO-" in saved.text and "2,223.60" in saved.html.find(id="order-total").get_text()


def test_errors_are_shown_beside_their_fields_with_the_input_kept(registry, tenant, catalogue,
                                                                  browser_for):
    browser = browser_for(tenant, "seller")
    form = browser.get(f"{tenant.prefix}/sales/orders/new").forms["order-form"]
    form["order_date"] = "2026-02-30"
    form["line-0-product"], form["line-0-quantity"] = str(catalogue.laptop), "两台"
    form["line-0-discount"] = "120"
    form["notes"] = "<b>请尽快</b>"
    page = form.submit("op", value="save", status=400)
    html = page.html
    assert html.find("p", class_="form-error") is not None
    for name in ("customer", "order_date"):
        field = html.find(id=name).find_parent("div")
        assert "has-error" in field["class"] and field.find("p", class_="error").get_text()
    for name in ("quantity", "discount"):
        cell = html.find("input", attrs={"name": f"line-0-{name}"}).find_parent("td")
        assert "has-error" in cell["class"] and cell.find("p", class_="error").get_text()
    form = page.forms["order-form"]
    assert (form["order_date"].value, form["line-0-quantity"].value,
            form["line-0-discount"].value, form["notes"].value) == \
        ("2026-02-30", "两台", "120", "<b>请尽快</b>")
    assert "<b>请尽快</b>" not in page.text  # escaped, not markup
    # Chinese first: the messages are translated.
    assert "请" in html.find(id="customer").find_parent("div").find("p", class_="error").text
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 0


def test_inactive_and_unknown_products_are_refused(tenant, catalogue, browser_for):
    browser = browser_for(tenant, "seller")
    page = browser.get(f"{tenant.prefix}/sales/orders/new")
    token = page.forms["order-form"]["csrf_token"].value
    for product in (catalogue.old, 99999):
        page = browser.post(f"{tenant.prefix}/sales/orders/new", {
            "csrf_token": token, "op": "save", "customer": catalogue.customer,
            "order_date": "2026-03-01", "currency": "CNY", "line-0-product": product,
            "line-0-quantity": "1"}, status=400)
        cell = page.html.find("select", attrs={"name": "line-0-product"}).find_parent("td")
        assert cell.find("p", class_="error") is not None


def test_state_buttons_history_and_refusals(registry, tenant, catalogue, browser_for, client,
                                            new_order, press):
    seller = browser_for(tenant, "seller")
    order_id = new_order(seller, catalogue.customer, [(catalogue.service, 2)])
    page = seller.get(f"{tenant.prefix}/sales/orders/{order_id}")
    assert {form.id for form in page.forms.values()} >= {"action-confirm", "action-cancel"}
    assert "action-pay" not in {form.id for form in page.forms.values()}
    press(seller, order_id, "confirm", note="客户已签字")
    page = seller.get(f"{tenant.prefix}/sales/orders/{order_id}")
    # Staff may not take payments: no button, and the server refuses the POST.
    assert "action-pay" not in {form.id for form in page.forms.values()}
    token = page.forms["action-cancel"]["csrf_token"].value
    seller.post(f"{tenant.prefix}/sales/orders/{order_id}/pay", {"csrf_token": token},
                status=403)
    # A move the rules refuse is refused on the server, whatever the page showed.
    refused = seller.post(f"{tenant.prefix}/sales/orders/{order_id}/ship",
                          {"csrf_token": token}, status=409)
    assert refused.html.find(id="order-error") is not None
    seller.post(f"{tenant.prefix}/sales/orders/{order_id}/confirm", {}, status=400)  # no CSRF
    assert _order(registry, tenant, order_id).state == "confirmed"

    manager = client(tenant, "boss", roles=("manager",), teams=("华东",))
    press(manager, order_id, "pay")
    press(manager, order_id, "refund", status=400, amount="9999999")
    page = press(manager, order_id, "refund", status=400, amount="abc")
    field = page.html.find(id="refund-amount").find_parent("div")
    assert "has-error" in field["class"] and page.forms["action-refund"]["amount"].value == "abc"
    press(manager, order_id, "refund", amount="100", note="部分退款")
    order = _order(registry, tenant, order_id)
    assert (order.state, order.refunded_amount) == ("refunded", Decimal("100.00"))

    page = seller.get(f"{tenant.prefix}/sales/orders/{order_id}")
    timeline = page.html.find(id="status-history").find_all("li")
    assert len(timeline) == 4
    text = [item.get_text(" ", strip=True) for item in timeline]
    assert "客户已签字" in text[2] and "seller 用户" in text[2]  # newest first
    assert "部分退款" in text[0] and "boss 用户" in text[0]
    assert not {form.id for form in page.forms.values()} & {"action-refund", "action-pay"}
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session:
        assert session.scalar(select(func.count()).select_from(OrderHistory)
                              .where(OrderHistory.order_id == order_id)) == 4


def test_only_drafts_are_edited(registry, tenant, catalogue, browser_for, new_order, press):
    seller = browser_for(tenant, "seller")
    order_id = new_order(seller, catalogue.customer, [(catalogue.tea, 1)])
    form = seller.get(f"{tenant.prefix}/sales/orders/{order_id}/edit").forms["order-form"]
    form["line-0-quantity"] = "5"
    form.submit("op", value="save", status=303)
    assert _order(registry, tenant, order_id).total_amount == Decimal("3706.00")
    press(seller, order_id, "confirm")
    token = form["csrf_token"].value
    seller.post(f"{tenant.prefix}/sales/orders/{order_id}/edit",
                {"csrf_token": token, "op": "save", "customer": catalogue.customer,
                 "order_date": "2026-03-01", "currency": "CNY", "line-0-product": catalogue.tea,
                 "line-0-quantity": "1"}, status=303)
    assert _order(registry, tenant, order_id).total_amount == Decimal("3706.00")


def test_quote_becomes_an_order(registry, tenant, catalogue, browser_for, new_order, press):
    seller = browser_for(tenant, "seller")
    quote_id = new_order(seller, catalogue.customer, [(catalogue.laptop, 1)], kind="quote")
    assert _order(registry, tenant, quote_id).number.startswith("QT-")
    press(seller, quote_id, "send")
    created = press(seller, quote_id, "convert").follow()
    assert "SO-" in created.html.find("h1").text
    quote_page = seller.get(f"{tenant.prefix}/sales/orders/{quote_id}")
    assert quote_page.html.find(id="converted-order") is not None
    assert "action-convert" not in {form.id for form in quote_page.forms.values()}
    listing = seller.get(f"{tenant.prefix}/sales/orders/", params={"f_kind": "quote"})
    assert _order(registry, tenant, quote_id).number in listing.text


def test_record_rules_hide_colleagues_orders(tenant, catalogue, browser_for, client, new_order,
                                             make_user):
    seller = browser_for(tenant, "seller")
    order_id = new_order(seller, catalogue.customer, [(catalogue.service, 1)])
    number = seller.get(f"{tenant.prefix}/sales/orders/").html.find("tbody").a.text
    colleague = client(tenant, "colleague", roles=("staff",), teams=("华东",))
    assert number not in colleague.get(f"{tenant.prefix}/sales/orders/").text
    colleague.get(f"{tenant.prefix}/sales/orders/{order_id}", status=404)
    colleague.get(f"{tenant.prefix}/sales/orders/{order_id}/edit", status=404)
    token = colleague.get(f"{tenant.prefix}/sales/orders/new").forms["order-form"][
        "csrf_token"].value
    colleague.post(f"{tenant.prefix}/sales/orders/{order_id}/cancel", {"csrf_token": token},
                   status=404)
    # The colleague cannot pick the seller's customers either.
    page = colleague.get(f"{tenant.prefix}/sales/orders/new")
    assert str(catalogue.customer) not in [value for value, *_ in
                                           page.forms["order-form"]["customer"].options]
    outsider = client(tenant, "outsider", roles=("manager",), teams=("华南",))
    outsider.get(f"{tenant.prefix}/sales/orders/{order_id}", status=404)
    lead = client(tenant, "lead", roles=("manager",), teams=("华东",))
    assert number in lead.get(f"{tenant.prefix}/sales/orders/").text
    lead.get(f"{tenant.prefix}/sales/orders/{order_id}", status=200)


def test_users_without_the_permission_are_refused(tenant, catalogue, client):
    nobody = client(tenant, "nobody", roles=())
    nobody.get(f"{tenant.prefix}/sales/orders/", status=403)
    nobody.get(f"{tenant.prefix}/sales/orders/new", status=403)
    nobody.get(f"{tenant.prefix}/sales/settings", status=403)
    staff = client(tenant, "clerk", roles=("staff",))
    staff.get(f"{tenant.prefix}/sales/settings", status=403)
    assert "/sales/orders/" in staff.get(f"{tenant.prefix}/").text  # the menu entry
    assert "/sales/orders/" not in nobody.get(f"{tenant.prefix}/").text


def test_settings_make_prices_tax_inclusive(registry, tenant, catalogue, client, browser_for,
                                            new_order):
    manager = client(tenant, "boss", roles=("manager",), teams=("华东",))
    form = manager.get(f"{tenant.prefix}/sales/settings").forms["settings-form"]
    form["prices_include_tax"] = True
    form.submit(status=303)
    rate = manager.get(f"{tenant.prefix}/sales/settings").forms["rate-form"]
    rate["valid_from"], rate["rate"] = "2026-01-01", "-1"
    page = rate.submit(status=400)
    assert page.forms["rate-form"]["rate"].value == "-1"
    assert "has-error" in page.html.find(id="rate-rate").find_parent("div")["class"]
    seller = browser_for(tenant, "seller")
    order_id = new_order(seller, catalogue.customer, [(catalogue.laptop, 1, "113.00")])
    order = _order(registry, tenant, order_id)
    assert (order.prices_include_tax, order.untaxed_amount, order.tax_amount,
            order.total_amount) == (True, Decimal("100.00"), Decimal("13.00"),
                                    Decimal("113.00"))


def test_field_rules_hide_amounts_and_guard_notes(registry, tenant, catalogue, browser_for,
                                                  new_order):
    from jimucrm.security.rbac.models import Role, RoleFieldRule

    seller = browser_for(tenant, "seller")
    order_id = new_order(seller, catalogue.customer, [(catalogue.tea, 1)])
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session, \
            session.begin():
        staff = session.scalar(select(Role.id).where(Role.key == "staff"))
        session.add_all([RoleFieldRule(role_id=staff, model="sales_orders",
                                       field="total_amount", access="none"),
                         RoleFieldRule(role_id=staff, model="sales_orders", field="notes",
                                       access="read")])
        session.get(Order, order_id).notes = "原备注"
    seller = browser_for(tenant, "seller")  # a new login reads the rules
    assert "741.20" not in seller.get(f"{tenant.prefix}/sales/orders/").text
    detail = seller.get(f"{tenant.prefix}/sales/orders/{order_id}")
    assert detail.html.find(id="order-total") is None and "741.20" not in detail.text
    form = seller.get(f"{tenant.prefix}/sales/orders/{order_id}/edit").forms["order-form"]
    assert form["notes"].attrs.get("readonly") == "readonly"
    form["notes"].force_value("改掉备注")
    form.submit("op", value="save", status=303)
    assert _order(registry, tenant, order_id).notes == "原备注"
