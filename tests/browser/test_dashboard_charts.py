"""The dashboard in a real browser: ECharts from our static files draws every widget
under the CSP, from the demo tenant's figures."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_dashboard_draws_its_charts(page, make_tenant, make_user, log_in, screenshot):
    tenant = make_tenant("积木仪表盘测试有限公司", demo=True)
    make_user(tenant, "lina", roles=("manager",))
    problems = []
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    log_in(page, tenant, "lina")
    expect(page.locator("#home-revenue")).to_be_visible(timeout=20000)
    page.click(".mainmenu a:text-is('仪表盘')")
    for name in ("revenue", "funnel", "customers", "leads", "products"):
        expect(page.locator(f"[data-chart={name}] canvas")).to_have_count(1)
    expect(page.locator("#figure-revenue")).not_to_have_text("0.00")
    screenshot(page, "dashboard-30-days")
    page.click("a.button:has-text('最近 90 天')")
    expect(page.locator("[data-chart=revenue] canvas")).to_have_count(1)
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "dashboard-phone")
    assert problems == []
