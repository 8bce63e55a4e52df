"""Events through the outbox with the dashboard's payload, and the tax policy override.

The probe app is configured like the suite's, plus the handlers of ``sales_probe``
(every sales event) and the test addon ``sales_export_tax`` (which overrides
ITaxPolicy), made discoverable for this module only.
"""

from __future__ import annotations

import sys
import uuid
from dataclasses import dataclass

import pytest
import sales_probe
from sqlalchemy import select, text

from jimucrm.addons.sales.events import EVENTS
from jimucrm.addons.sales.models import Order
from jimucrm.core import configure
from jimucrm.core.interfaces import IDatabase
from jimucrm.core.outbox import IOutbox
from jimucrm.core.outbox.models import OutboxEvent
from jimucrm.tenants.interfaces import ITenantProvisioner

PAYLOAD_KEYS = {
    "order_id", "number", "kind", "state", "from_state", "occurred_at", "user_id",
    "customer_id", "customer_name", "owner_id", "quote_id", "order_date", "currency",
    "exchange_rate", "untaxed", "tax", "total", "total_cny", "paid_at", "refunded_amount",
    "refunded_at", "lines",
}
LINE_KEYS = {"product_id", "product_code", "product_name", "category_id", "quantity",
             "unit_price", "discount_pct", "tax_rate", "untaxed", "tax", "total"}


@dataclass(frozen=True)
class Handle:
    slug: str
    schema_name: str
    prefix: str


@pytest.fixture(scope="module")
def probe(settings, tmp_path_factory):
    """The probe app's configurator; tenants it made lose the test addon at the end."""
    found = tmp_path_factory.mktemp("probe-dist")
    info = found / "jimu_sales_export_tax-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: jimu-sales-export-tax\n"
                                   "Version: 0.1.0\n")
    (info / "entry_points.txt").write_text(
        "[jimucrm.addons]\nsales_export_tax = sales_export_tax\n")
    sys.path.insert(0, str(found))
    try:
        config = configure({**settings, "jimu.includes":
                            "jimucrm.tenants jimucrm.security sales_probe"})
    finally:
        sys.path.remove(str(found))
    config.made = []
    yield config
    database = config.registry.getUtility(IDatabase)
    with database.engine.begin() as connection:
        # Other processes of the suite do not know the test addon: forget it.
        connection.execute(text("DELETE FROM public.tenant_addons "
                                "WHERE addon = 'sales_export_tax'"))
    database.dispose()


def _tenant(probe, addons) -> Handle:
    slug = f"probe-{uuid.uuid4().hex[:8]}"
    tenant, _ = probe.registry.getUtility(ITenantProvisioner).create(slug, "探针公司",
                                                                     addons=addons)
    return Handle(tenant.slug, tenant.schema_name, f"/t/{tenant.slug}")


@pytest.fixture(scope="module")
def probe_app(probe):
    return probe.make_wsgi_app()


def _outbox(registry, schema) -> list[tuple[str, dict]]:
    with registry.getUtility(IDatabase).session(schema) as session:
        return [(row.name, row.payload) for row in
                session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))]


def test_confirm_pay_refund_write_events_in_the_outbox(registry, tenant, catalogue, client,
                                                       browser_for, new_order, press):
    seller = browser_for(tenant, "seller")
    manager = client(tenant, "boss", roles=("manager",), teams=("华东",))
    order_id = new_order(seller, catalogue.customer,
                         [(catalogue.laptop, 2, "", "10"), (catalogue.tea, 3)])
    press(seller, order_id, "confirm")
    press(manager, order_id, "pay", note="银行转账")
    press(manager, order_id, "refund", amount="100.50", note="部分退款")

    events = _outbox(registry, tenant.schema_name)
    assert [name for name, _ in events] == ["order.created", "order.confirmed", "order.paid",
                                            "order.refunded"]
    for _name, payload in events:
        assert set(payload) == PAYLOAD_KEYS
        assert [set(line) for line in payload["lines"]] == [LINE_KEYS, LINE_KEYS]
    created, confirmed, paid, refunded = (payload for _, payload in events)
    assert (created["from_state"], created["state"]) == (None, "draft")
    assert (confirmed["from_state"], confirmed["state"]) == ("draft", "confirmed")
    # 2 × 6999 × 0.9 = 12598.20 + 13 % = 1637.77; 3 × 680 = 2040.00 + 9 % = 183.60
    assert (paid["untaxed"], paid["tax"], paid["total"], paid["total_cny"]) == \
        ("14638.20", "1821.37", "16459.57", "16459.57")
    assert paid["currency"] == "CNY" and paid["exchange_rate"] == "1.000000"
    assert paid["paid_at"] is not None and paid["paid_at"] == paid["occurred_at"]
    assert paid["lines"][0] == {
        "product_id": catalogue.laptop, "product_code": "NB-1", "product_name": "积木笔记本",
        "category_id": paid["lines"][0]["category_id"], "quantity": "2.000",
        "unit_price": "6999.00", "discount_pct": "10.00", "tax_rate": "13.00",
        "untaxed": "12598.20", "tax": "1637.77", "total": "14235.97"}
    assert paid["customer_id"] == catalogue.customer and paid["customer_name"] == "王伟"
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session:
        order = session.get(Order, order_id)
        assert paid["owner_id"] == order.owner_id and paid["number"] == order.number
        assert paid["user_id"] != order.owner_id  # the manager paid it
    assert (refunded["refunded_amount"], refunded["from_state"]) == ("100.50", "paid")
    assert refunded["refunded_at"] is not None


@pytest.mark.extension_point("order.created")
@pytest.mark.extension_point("order.confirmed")
@pytest.mark.extension_point("order.paid")
@pytest.mark.extension_point("order.shipped")
@pytest.mark.extension_point("order.completed")
@pytest.mark.extension_point("order.cancelled")
@pytest.mark.extension_point("order.refunded")
@pytest.mark.extension_point("quote.sent")
@pytest.mark.extension_point("quote.accepted")
def test_handlers_receive_every_sales_event(probe, probe_app, seed, make_user, browser_for,
                                            new_order, press):
    target = _tenant(probe, ["sales"])
    catalogue = seed(target)
    seller = browser_for(target, "seller", probe_app)
    make_user(target, "boss", roles=("manager",), teams=("华东",))
    manager = browser_for(target, "boss", probe_app)
    order_id = new_order(seller, catalogue.customer, [(catalogue.service, 4)], target=target)
    for action, browser in (("confirm", seller), ("pay", manager), ("ship", seller),
                            ("complete", seller), ("refund", manager)):
        press(browser, order_id, action, target=target)
    cancelled = new_order(seller, catalogue.customer, [(catalogue.tea, 1)], target=target)
    press(seller, cancelled, "cancel", target=target)
    quote = new_order(seller, catalogue.customer, [(catalogue.laptop, 1)], kind="quote",
                      target=target)
    press(seller, quote, "send", target=target)
    press(seller, quote, "convert", target=target)

    sales_probe.RECEIVED.clear()
    probe.registry.getUtility(IOutbox).relay(target.schema_name)
    received = [(name, payload) for schema, name, payload in sales_probe.RECEIVED
                if schema == target.schema_name]
    assert {name for name, _ in received} == set(EVENTS)
    assert all(set(payload) == PAYLOAD_KEYS for _, payload in received)
    by_name = {name: payload for name, payload in received}
    assert by_name["order.refunded"]["refunded_amount"] == "2544.00"  # 4 × 600 + 6 %
    assert by_name["order.cancelled"]["from_state"] == "draft"
    assert by_name["quote.accepted"]["kind"] == "quote"
    converted = [payload for name, payload in received
                 if name == "order.created" and payload["quote_id"] == quote]
    assert len(converted) == 1 and converted[0]["lines"][0]["product_id"] == catalogue.laptop


@pytest.mark.extension_point("jimucrm.addons.sales.interfaces.ITaxPolicy")
def test_an_addon_replaces_the_tax_policy_where_it_is_enabled(probe, probe_app, seed,
                                                              make_user, browser_for,
                                                              new_order):
    plain = _tenant(probe, ["sales"])
    export = _tenant(probe, ["sales_export_tax"])
    totals = {}
    for target in (plain, export):
        catalogue = seed(target)
        seller = browser_for(target, "seller", probe_app)
        order_id = new_order(seller, catalogue.customer, [(catalogue.laptop, 1)],
                             target=target)
        page = seller.get(f"{target.prefix}/sales/orders/{order_id}")
        totals[target.slug] = page.html.find(id="order-tax").get_text()
    assert totals[plain.slug] == "909.87"  # 13 % VAT
    assert totals[export.slug] == "209.97"  # the override's 3 %

    # In a foreign currency the override zero-rates the sale (an export); the list price
    # is converted through the rate an administrator enters.
    make_user(export, "chief", roles=(), is_admin=True)
    admin = browser_for(export, "chief", probe_app)
    form = admin.get(f"{export.prefix}/sales/settings").forms["rate-form"]
    form["currency"], form["valid_from"], form["rate"] = "USD", "2000-01-01", "7.000000"
    form.submit(status=303)
    page = admin.get(f"{export.prefix}/sales/orders/new")
    form = page.forms["order-form"]
    form["customer"], form["currency"] = str(catalogue.customer), "USD"
    form["line-0-product"], form["line-0-quantity"] = str(catalogue.laptop), "1"
    preview = form.submit("op", value="recalculate", status=200)
    tfoot = preview.html.find("tfoot").get_text(" ", strip=True)
    assert "999.86" in tfoot and "0.00" in tfoot  # 6999 CNY / 7 = 999.857… USD, no tax
