"""A salesperson's first day in a real browser, through the UI only: log in, create a lead,
return it to the public pool and claim it back, convert it, move the deal across the
kanban (mouse and keyboard, without a page reload), sell to the new customer, and see
the dashboard's figures follow, relayed by a real ``jimu worker`` process.

Every page is saved under test-artifacts/screenshots/journey-*.png.
"""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from jimucrm.addons.contacts.models import Contact
from jimucrm.addons.crm.models import Lead, Opportunity, OpportunityStage
from jimucrm.addons.sales.models import Order
from jimucrm.core.interfaces import IDatabase

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LEAD, COMPANY = "陈静", "宁波晨曦食品有限公司"
DEAL = "晨曦食品门店会员系统"
PRODUCT = "MN-2701 · 27 英寸 4K 显示器"
# Two at 2199.00, 13 % VAT on top (the demo tenant's prices exclude tax).
ORDER_TOTAL = (2 * Decimal("2199.00") * Decimal("1.13")).quantize(Decimal("0.01"))


def dashboard_figures(page, data_url: str) -> dict:
    """What the dashboard page shows: its key figures and the funnel table; and the
    converted leads from the JSON its charts read."""
    panels = page.locator(".dashboard-figures")
    funnel = page.locator("[data-chart=funnel] + table tbody tr")
    return {
        "converted": page.request.get(data_url).json()["leads"]["total_converted"],
        "revenue": Decimal(page.locator("#figure-revenue").inner_text()),
        "orders": int(panels.locator("section").nth(0).locator("strong").inner_text()),
        "customers": int(page.locator("#figure-customers").inner_text()),
        "leads": int(panels.locator("section").nth(2).locator("strong").inner_text()),
        "open": int(page.locator("#figure-open").inner_text()),
        "funnel": {funnel.nth(n).locator("th").inner_text(): int(
            funnel.nth(n).locator("td").inner_text()) for n in range(funnel.count())},
    }


def test_lead_to_paid_order_to_dashboard(page, live_server, make_tenant, make_user, registry,
                                         jimu_worker, log_in, kanban, screenshot):
    jimu_worker(registry)  # relays the outbox events the live server's commits announce
    tenant = make_tenant("积木旅程测试有限公司", demo=True)
    make_user(tenant, "wangfang", roles=("manager",))
    database = registry.getUtility(IDatabase)
    problems = []
    page.on("console", lambda message: problems.append((page.url, message.text))
            if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append((page.url, str(error))))
    data_url = f"{live_server}{tenant.prefix}/dashboard/data.json"

    # 1. The login form.
    log_in(page, tenant, "wangfang", before_submit=lambda: screenshot(page, "journey-01-login"))
    expect(page.locator(".mainmenu")).to_be_visible()
    screenshot(page, "journey-02-home")

    # The dashboard before (the demo's own events change no figure when relayed).
    page.click(".mainmenu a:text-is('仪表盘')")
    expect(page.locator("[data-chart=funnel] canvas")).to_have_count(1)
    before = dashboard_figures(page, data_url)
    screenshot(page, "journey-03-dashboard-before")

    # 2. A lead through its form: it is mine (the pool is the default assignment mode);
    # I return it to the pool and claim it back from there.
    page.click(".mainmenu a:text-is('线索')")
    page.click("a.button:has-text('新建')")
    page.fill("#name", LEAD)
    page.fill("#company", COMPANY)
    page.fill("#phone", "13905741234")
    page.select_option("#source_id", label="展会")
    page.fill("#region", "浙江宁波")
    screenshot(page, "journey-04-lead-form")
    page.click("#crm_lead-form button[type=submit]")
    expect(page.locator("h1")).to_contain_text(LEAD)
    with database.session(tenant.schema_name) as session:
        lead = session.scalars(select(Lead).where(Lead.name == LEAD)).one()
        lead_id, owner_id = lead.id, lead.owner_id
    assert owner_id is not None
    screenshot(page, "journey-05-lead")
    page.fill("#return-reason", "客户下季度才有预算")
    page.click("#return-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/crm/pool/$"))
    with database.session(tenant.schema_name) as session:
        assert session.get(Lead, lead_id).owner_id is None
    row = page.locator("table.list tbody tr", has=page.locator(f"a:text-is('{LEAD}')"))
    expect(row).to_contain_text(COMPANY)
    screenshot(page, "journey-06-pool")
    row.locator("button:has-text('认领')").click()
    expect(page.locator(".flash, [role=status]").first).to_contain_text(LEAD)
    with database.session(tenant.schema_name) as session:
        assert session.get(Lead, lead_id).owner_id == owner_id
    screenshot(page, "journey-07-claimed")

    # 3. Conversion: a customer and a deal at the first stage.
    page.fill("#convert-opportunity_name", DEAL)
    page.fill("#convert-amount", "86000")
    page.select_option("#convert-stage_id", label="初步接洽 (10%)")
    screenshot(page, "journey-08-convert")
    page.click("#convert-form button[type=submit]")
    expect(page.locator("h1")).to_contain_text(DEAL)
    with database.session(tenant.schema_name) as session:
        deal = session.scalars(select(Opportunity).where(Opportunity.name == DEAL)).one()
        deal_id = deal.id
        customer_id = deal.contact_id
        assert session.get(Contact, customer_id).name == LEAD
        assert session.get(Lead, lead_id).status == "converted"
        stage_ids = dict(session.execute(select(OpportunityStage.name, OpportunityStage.id)).all())
    screenshot(page, "journey-09-deal")

    # 4. The kanban: two stages by mouse, one by keyboard, no page load in between.
    page.click(".mainmenu a:text-is('商机')")
    expect(kanban.column(page, "初步接洽")).to_contain_text(DEAL)
    page.evaluate("window.jimuNoReload = true")
    for stage in ("需求确认", "方案报价"):
        kanban.card(page, DEAL).drag_to(kanban.column(page, stage))
        expect(kanban.column(page, stage)).to_contain_text(DEAL)
        expect(page.locator(".kanban-status")).to_contain_text(f"已移到“{stage}”")
        with database.session(tenant.schema_name) as session:
            assert session.get(Opportunity, deal_id).stage_id == stage_ids[stage]
    card = kanban.card(page, DEAL)
    card.locator("select").focus()
    card.locator("select").select_option(label="谈判")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(kanban.column(page, "谈判")).to_contain_text(DEAL)
    expect(kanban.card(page, DEAL)).to_be_focused()
    assert page.evaluate("window.jimuNoReload") is True
    with database.session(tenant.schema_name) as session:
        assert session.get(Opportunity, deal_id).stage_id == stage_ids["谈判"]
    screenshot(page, "journey-10-kanban")

    # 5. An order for the new customer: a product line, saved, confirmed, paid.
    page.click(".mainmenu a:text-is('销售')")
    page.get_by_role("link", name="新建订单").first.click()
    page.select_option("#customer", label=f"{LEAD} · {COMPANY}")
    page.select_option("select[name=line-0-product]", label=PRODUCT)
    page.fill("input[name=line-0-quantity]", "2")
    page.click("button[value=recalculate]")
    expect(page.locator(".order-lines tfoot .total")).to_have_text(f"{ORDER_TOTAL:,}")
    screenshot(page, "journey-11-order-editor")
    page.locator("#order-form button[value=save]").first.click()
    expect(page.locator("#order-state")).to_have_text("草稿")
    page.click("#action-confirm button[type=submit]")
    expect(page.locator("#order-state")).to_have_text("已确认")
    page.fill("#note-pay", "对公转账已到账")
    page.click("#action-pay button[type=submit]")
    expect(page.locator("#order-state")).to_have_text("已付款")
    expect(page.locator(".flash")).to_have_text(re.compile(r"^SO-\S+ 现在是“已付款”状态。$"))
    expect(page.locator("#status-history li")).to_have_count(3)
    with database.session(tenant.schema_name) as session:
        order = session.scalars(select(Order).where(Order.customer_id == customer_id)).one()
        assert (order.state, order.total_amount) == ("paid", ORDER_TOTAL)
    screenshot(page, "journey-12-order-paid")

    # 6. The dashboard after: the worker relayed every event; the figures moved by
    # exactly what was done.
    expected = {**before, "revenue": before["revenue"] + ORDER_TOTAL,
                "orders": before["orders"] + 1, "customers": before["customers"] + 1,
                "leads": before["leads"] + 1, "converted": before["converted"] + 1,
                "open": before["open"] + 1,
                "funnel": {**before["funnel"], "谈判": before["funnel"]["谈判"] + 1}}
    page.click(".mainmenu a:text-is('仪表盘')")
    deadline = time.monotonic() + 60
    while (after := dashboard_figures(page, data_url)) != expected and \
            time.monotonic() < deadline:
        time.sleep(0.5)
        page.reload()
    assert after == expected
    expect(page.locator("[data-chart=funnel] canvas")).to_have_count(1)
    screenshot(page, "journey-13-dashboard-after")
    assert problems == []
