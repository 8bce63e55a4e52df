"""The customer profile: tags, company, and sales' orders and lifetime value."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select

from jimucrm.addons.contacts.models import Contact
from jimucrm.addons.sales.models import Order


def test_profile_shows_orders_and_lifetime_value(make_tenant, client_for, db):
    tenant = make_tenant("演示公司", demo=True)
    admin = client_for(tenant, "boss", is_admin=True)
    with db(tenant) as session:
        contact_id = session.scalar(
            select(Order.customer_id).where(Order.kind == "order")
            .group_by(Order.customer_id).order_by(func.count().desc(), Order.customer_id)
            .limit(1))
        orders = session.scalars(select(Order).where(Order.customer_id == contact_id,
                                                     Order.kind == "order")
                                 .order_by(Order.order_date.desc(), Order.id.desc())).all()
        expected: dict[str, Decimal] = defaultdict(Decimal)
        for order in orders:
            if order.state in ("paid", "shipped", "completed", "refunded"):
                expected[order.currency] += order.total_amount - (order.refunded_amount or 0)
        latest = [order.number for order in orders[:10]]
        company = session.get(Contact, contact_id).company_name
    page = admin.get(f"{tenant.prefix}/contacts/{contact_id}")
    panel = page.html.find("section", class_="customer-sales")
    assert [a.get_text() for a in panel.select("table.customer-orders tbody a")] == latest
    shown = [dd.get_text() for dd in panel.select("dl.lifetime-value dd")]
    assert shown == [f"{currency} {amount:,.2f}" for currency, amount in sorted(expected.items())]
    assert company in page.html.find("section", class_="contact-profile").get_text()
    everything = admin.get(panel.find("a", id="customer-all-orders")["href"])
    assert "Total" in everything.text or "合计" in everything.text
    listed = {cell.get_text() for cell in everything.html.select("tbody td:first-child a")}
    assert listed == {order.number for order in orders[:len(listed)]} and len(listed) == \
        min(len(orders), 50)


def test_no_sales_panel_without_orders_permission(client_for, tenant, add_contacts, db):
    [contact_id] = add_contacts(tenant, {"name": "王伟"})
    with db(tenant) as session:
        from jimucrm.security.rbac.models import Role, RolePermission

        staff = session.scalar(select(Role.id).where(Role.key == "staff"))
        session.execute(RolePermission.__table__.delete().where(
            RolePermission.role_id == staff, RolePermission.permission == "orders.view"))
        session.get(Contact, contact_id).owner_id = None
    seller = client_for(tenant, "seller")
    boss = client_for(tenant, "boss", is_admin=True)
    assert boss.get(f"{tenant.prefix}/contacts/{contact_id}").html.find(
        "section", class_="customer-sales")
    add_contacts(tenant, {"name": "自己的"}, owner="seller")
    with db(tenant) as session:
        own = session.scalar(select(Contact.id).where(Contact.name == "自己的"))
    assert seller.get(f"{tenant.prefix}/contacts/{own}").html.find(
        "section", class_="customer-sales") is None


def test_tags_added_removed_and_listed(admin, tenant, add_contacts):
    [contact_id] = add_contacts(tenant, {"name": "王伟"})
    detail = admin.get(f"{tenant.prefix}/contacts/{contact_id}")
    form = detail.forms["tag-form"]
    form["tag"] = " 老客户 "
    detail = form.submit(status=303).follow()
    profile = detail.html.find("section", class_="contact-profile")
    tag_link = profile.find("ul", class_="tags").find("a")
    assert tag_link.get_text() == "老客户"
    tagged = admin.get(tag_link["href"])
    assert [a.get_text() for a in tagged.html.select("#tagged-contacts tbody a")] == ["王伟"]
    overview = admin.get(f"{tenant.prefix}/contacts/tags/")
    assert "老客户" in overview.text and "(1)" in overview.text
    remove = [form for form in detail.forms.values()
              if form.action.endswith("/tags") and "remove" in form.fields][0]
    page = remove.submit(status=303).follow()
    assert page.html.find("section", class_="contact-profile").find("ul", class_="tags") is None
