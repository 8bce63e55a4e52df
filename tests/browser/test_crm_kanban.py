"""The opportunity kanban in a real browser: drag and drop, the keyboard, the won dialog,
all without a page reload (htmx), under the app's CSP."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture
def sales(make_tenant, make_user):
    tenant = make_tenant("积木看板测试有限公司", demo=True)
    make_user(tenant, "kanban", is_admin=True)
    return tenant


def test_drag_keyboard_and_won_dialog_without_reload(page, live_server, sales, log_in, kanban,
                                                     screenshot):
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    log_in(page, sales, "kanban")
    page.goto(f"{live_server}{sales.prefix}/crm/opportunities/")
    expect(kanban.column(page, "方案报价")).to_contain_text("智联医疗 CRM 部署")
    screenshot(page, "crm-01-kanban")
    page.evaluate("window.jimuNoReload = true")

    # Drag and drop: the board is swapped in place.
    kanban.card(page, "智联医疗 CRM 部署").drag_to(kanban.column(page, "谈判"))
    expect(kanban.column(page, "谈判")).to_contain_text("智联医疗 CRM 部署")
    expect(page.locator(".kanban-status")).to_contain_text("已移到“谈判”")
    assert page.evaluate("window.jimuNoReload") is True

    # The keyboard: the card's own stage list and Move button.
    card = kanban.card(page, "金陵药房会员营销")
    card.locator("select").focus()
    card.locator("select").select_option(label="需求确认")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(kanban.column(page, "需求确认")).to_contain_text("金陵药房会员营销")
    expect(kanban.card(page, "金陵药房会员营销")).to_be_focused()
    assert page.evaluate("window.jimuNoReload") is True

    # Won asks why, in a dialog; the deal moves once a reason is given.
    kanban.card(page, "古城文旅票务对接").drag_to(kanban.column(page, "赢单"))
    dialog = page.locator("#crm-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#close-reason")).to_be_focused()
    screenshot(page, "crm-02-won-dialog")
    page.fill("#close-reason", "方案匹配，报价有竞争力")
    page.click("#close-form button[type=submit]")
    expect(dialog).to_be_hidden()
    expect(kanban.column(page, "赢单")).to_contain_text("古城文旅票务对接")
    assert page.evaluate("window.jimuNoReload") is True
    screenshot(page, "crm-03-after-moves")
    assert not [text for text in problems if "Content Security Policy" in text], problems


def test_kanban_works_without_javascript(browser, live_server, sales, log_in, kanban):
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    log_in(page, sales, "kanban")
    page.goto(f"{live_server}{sales.prefix}/crm/opportunities/")
    card = kanban.card(page, "海峡贸易订单协同")
    card.locator("select").select_option(label="输单")
    card.locator("button").click()
    page.fill("#close-reason", "客户选择了别家")
    page.click("#close-form button[type=submit]")
    expect(kanban.column(page, "输单")).to_contain_text("海峡贸易订单协同")
    context.close()
