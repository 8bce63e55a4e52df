"""The dashboard's figures: events through the real outbox relay into the aggregates,
the JSON and pages that show them, the rebuild, and who may see them."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text, update

from jimucrm.addons.dashboard.aggregates import day_of, rebuild, today
from jimucrm.addons.dashboard.models import (
    AppliedEvent,
    CustomerDay,
    FunnelStage,
    LeadDay,
    ProductDay,
    RevenueDay,
)
from jimucrm.core.outbox.models import DONE, PENDING, OutboxDelivery, OutboxEvent

AGGREGATES = (RevenueDay, ProductDay, FunnelStage, LeadDay, CustomerDay)


def snapshot(shop) -> dict:
    """Every aggregate row, zero rows left out (a rebuild does not make them)."""
    found = {}
    with shop.session() as session:
        for model in AGGREGATES:
            table = model.__table__
            rows = session.execute(select(table)).all()
            found[table.name] = sorted(
                tuple(row) for row in rows
                if any(value for key, value in row._mapping.items()
                       if key not in {c.name for c in table.primary_key.columns}))
    return found


@pytest.fixture
def viewer(app, make_user, login):
    """``viewer(shop, roles=("manager",))``: ``app`` logged in as a new user of the shop."""

    def log_in(shop, roles=("manager",), username="viewer"):
        handle = type("Handle", (), {"prefix": f"/t/{shop.slug}", "slug": shop.slug,
                                     "schema_name": shop.schema})
        make_user(handle, username, roles=roles)
        app.reset()
        login(app, handle, username).follow()
        return app

    return log_in


def test_a_paid_order_shows_in_the_json_and_the_pages(shop, viewer):
    order_id = shop.sell([(shop.laptop, 2), (shop.tea, 3)])
    # 2 × 6999 + 13 % = 15817.74; 3 × 680 + 9 % = 2223.60
    report = shop.relay()
    assert report.done >= 1
    app = viewer(shop)
    data = app.get(f"/t/{shop.slug}/dashboard/data.json").json
    assert data["revenue"]["total"] == "18041.34"
    assert data["revenue"]["orders"] == 1
    assert data["revenue"]["paid"][-1] == "18041.34" and data["end"] == today().isoformat()
    assert [(p["code"], p["quantity"], p["amount"]) for p in data["top_products"]] == \
        [("NB-1", "2", "15817.74"), ("TE-1", "3", "2223.60")]
    assert len(data["revenue"]["days"]) == 30
    assert len(app.get(f"/t/{shop.slug}/dashboard/data.json?days=90").json["revenue"]["days"]) \
        == 90
    page = app.get(f"/t/{shop.slug}/dashboard")
    assert page.html.find(id="figure-revenue").get_text() == "18041.34"
    assert page.html.find(attrs={"data-chart": "funnel"}) is not None
    assert "echarts.min.js" in page.text and "积木笔记本" in page.text
    home = app.get(f"/t/{shop.slug}/")
    assert home.html.find(id="home-revenue").get_text() == "¥18041.34"
    assert order_id


def test_a_refund_subtracts_and_a_foreign_currency_counts_in_cny(shop, viewer):
    first = shop.sell([(shop.tea, 1)])  # 741.20
    shop.sell([(shop.laptop, 1)], currency="USD", rate="7.100000")  # 7908.87 USD
    shop.refund(first, "100.50")
    shop.relay()
    data = viewer(shop).get(f"/t/{shop.slug}/dashboard/data.json").json
    paid_cny = Decimal("741.20") + (Decimal("7908.87") * Decimal("7.1")).quantize(Decimal("0.01"))
    assert Decimal(data["revenue"]["paid"][-1]) == paid_cny
    assert data["revenue"]["refunded"][-1] == "100.50"
    assert Decimal(data["revenue"]["total"]) == paid_cny - Decimal("100.50")
    with shop.session() as session:
        rows = {row.currency: row for row in session.scalars(select(RevenueDay))}
    assert rows["USD"].amount == Decimal("7908.87") and rows["USD"].orders == 1
    assert rows["CNY"].refunds == 1 and rows["CNY"].refunded == Decimal("100.50")


def test_an_event_delivered_again_is_not_counted_twice(shop):
    shop.sell([(shop.laptop, 1)])
    shop.relay()
    before = snapshot(shop)
    assert before["dashboard_revenue_days"]
    with shop.session() as session, session.begin():
        paid = session.scalar(select(OutboxEvent.id).where(OutboxEvent.name == "order.paid"))
        # What an operator's replay does to a delivery: pending again, tries from zero.
        changed = session.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.event_id == paid,
                   OutboxDelivery.handler == "dashboard.order_paid",
                   OutboxDelivery.state == DONE)
            .values(state=PENDING, attempts=0, available_at=text("clock_timestamp()")))
        assert changed.rowcount == 1
    assert shop.relay().done == 1
    assert snapshot(shop) == before
    with shop.session() as session:
        assert session.scalar(select(OutboxDelivery.state).where(
            OutboxDelivery.event_id == paid,
            OutboxDelivery.handler == "dashboard.order_paid")) == DONE


def _crm_flow(app, shop) -> None:
    """A lead made on its form, converted (a contact and a deal), the deal moved."""
    form = app.get(f"/t/{shop.slug}/crm/leads/new").forms["crm_lead-form"]
    form["name"], form["company"] = "赵总", "华夏机械有限公司"
    lead_page = form.submit(status=303).follow()
    form = lead_page.forms["convert-form"]
    form["opportunity_name"], form["amount"] = "华夏机械项目", "50000"
    form["stage_id"] = str(shop.stage("需求确认"))
    deal_page = form.submit(status=303).follow()
    deal_id = re.search(r"/crm/deals/(\d+)", deal_page.request.url).group(1)
    board = app.get(f"/t/{shop.slug}/crm/opportunities/")
    move = next(f for f in board.forms.values()
                if f.action.endswith(f"/crm/opportunities/{deal_id}/move"))
    move["stage_id"] = str(shop.stage("方案报价"))
    move.submit(status=303)


def test_rebuild_gives_what_the_events_gave(shop, viewer, now):
    app = viewer(shop)
    shop.sell([(shop.laptop, 1), (shop.tea, 2)])
    shop.sell([(shop.tea, 5)], paid_at=now - timedelta(days=3))
    refunded = shop.sell([(shop.laptop, 3)], currency="USD", rate="7.123456")
    shop.refund(refunded)
    _crm_flow(app, shop)
    shop.relay()
    incremental = snapshot(shop)
    assert incremental["dashboard_lead_days"] == [(today(), 1, 1)]
    assert (shop.stage("方案报价"), 1) in incremental["dashboard_funnel"]
    assert len(incremental["dashboard_revenue_days"]) == 3  # today CNY and USD, 3 days ago
    assert (day_of(now - timedelta(days=3)), "CNY") in {
        row[:2] for row in incremental["dashboard_revenue_days"]}
    with shop.session() as session, session.begin():
        rebuild(session)
    # The fixture's customer was written straight to the table, without the event.
    rebuilt = snapshot(shop)
    assert rebuilt["dashboard_customer_days"] == [(today(), 2)]
    assert incremental["dashboard_customer_days"] == [(today(), 1)]
    incremental.pop("dashboard_customer_days"), rebuilt.pop("dashboard_customer_days")
    assert rebuilt == incremental
    data = app.get(f"/t/{shop.slug}/dashboard/data.json").json
    assert data["leads"]["rate"] == 100.0 and data["customers"]["total"] == 2


def test_a_demo_tenant_starts_with_its_figures_and_events_do_not_add_them_again(make_shop):
    shop = make_shop(demo=True)
    at_start = snapshot(shop)
    assert at_start["dashboard_revenue_days"] and at_start["dashboard_funnel"]
    assert at_start["dashboard_lead_days"] and at_start["dashboard_customer_days"]
    with shop.session() as session:
        demo_events = session.scalar(select(text("count(*)")).select_from(OutboxEvent)
                                     .where(OutboxEvent.name == "order.paid"))
        counted = session.scalar(select(text("count(*)")).select_from(AppliedEvent))
    assert demo_events > 0 and counted >= demo_events
    shop.relay()  # the demo's own order events: already in the figures
    assert snapshot(shop) == at_start


def test_who_may_see_the_dashboard(shop, viewer, make_user, login, app):
    shop.sell([(shop.tea, 1)])
    shop.relay()
    staff = viewer(shop, roles=("staff",), username="clerk")
    assert staff.get(f"/t/{shop.slug}/dashboard/data.json").json["revenue"]["total"] == "741.20"
    nobody = viewer(shop, roles=(), username="norole")
    nobody.get(f"/t/{shop.slug}/dashboard", status=403)
    nobody.get(f"/t/{shop.slug}/dashboard/data.json", status=403)
    assert nobody.get(f"/t/{shop.slug}/").html.find(id="home-revenue") is None
    app.reset()
    anonymous = app.get(f"/t/{shop.slug}/dashboard/data.json", expect_errors=True)
    assert anonymous.status_int in (302, 303, 401, 403)
    assert "741" not in anonymous.text
