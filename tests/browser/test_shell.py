"""The UI shell in a real browser: login, menu, contacts, language switch, phone width."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-电池-staple"


@pytest.fixture
def demo(make_tenant, make_user):
    tenant = make_tenant("积木浏览器测试有限公司", demo=True)
    # The demo contacts belong to nobody: only an administrator (scope "all") sees them all.
    make_user(tenant, "zhangwei", is_admin=True)
    return tenant


def test_login_page_is_chinese_and_login_works(page, live_server, demo, screenshot):
    page.goto(f"{live_server}{demo.prefix}/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator(".tenant-name")).to_have_text("积木浏览器测试有限公司")
    screenshot(page, "01-login-zh")

    page.fill("#login", "zhangwei")
    page.fill("#password", "wrong")
    page.click("#login-form button[type=submit]")
    expect(page.locator(".form-error")).to_be_visible()
    expect(page.locator("#login")).to_have_value("zhangwei")
    screenshot(page, "02-login-error")

    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator(".username")).to_have_text("zhangwei 用户")
    # Every enabled addon adds entries; the contacts one is there.
    expect(page.locator(".mainmenu a", has_text="联系人")).to_have_count(1)
    screenshot(page, "03-home")


def test_contacts_list_form_errors_and_detail(page, live_server, demo, log_in, screenshot):
    log_in(page, demo, "zhangwei")
    page.click(".mainmenu a:text-is('联系人')")
    expect(page.locator("table.list tbody tr")).to_have_count(50)
    screenshot(page, "04-contacts")

    page.fill("input[name=q]", "王")
    page.press("input[name=q]", "Enter")
    rows = page.locator("table.list tbody tr")
    expect(rows.first).to_contain_text("王")

    page.goto(f"{live_server}{demo.prefix}/contacts/new")
    page.fill("#name", "刘洋")
    page.fill("#email", "not-an-email")
    page.fill("#notes", "展会上认识 <script>alert(1)</script>")
    page.click("#contact-form button[type=submit]")
    expect(page.locator(".field.has-error")).to_have_count(1)
    expect(page.locator("#name")).to_have_value("刘洋")
    expect(page.locator("#notes")).to_have_value("展会上认识 <script>alert(1)</script>")
    screenshot(page, "05-contact-form-error")

    page.fill("#email", "liuyang@example.cn")
    page.click("#contact-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/contacts/\d+$"))
    expect(page.locator("h1")).to_have_text("刘洋")
    expect(page.locator(".flash")).to_be_visible()
    expect(page.locator("dl.details").first).to_contain_text("<script>alert(1)</script>")
    screenshot(page, "06-contact-detail")


def test_language_switch_to_english_and_back(page, demo, log_in, screenshot):
    log_in(page, demo, "zhangwei")
    page.click(".locales a[lang=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#logout-form button")).to_have_text("Log out")
    screenshot(page, "07-home-en")
    page.click(".locales a[lang=zh-CN]")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_phone_width(browser, live_server, demo, log_in, screenshot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        log_in(page, demo, "zhangwei")
        page.goto(f"{live_server}{demo.prefix}/contacts/")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"page scrolls sideways on a phone: {width}px"
        screenshot(page, "08-contacts-phone")
    finally:
        context.close()


def test_error_pages_use_the_layout(page, live_server, demo, screenshot):
    page.goto(f"{live_server}/t/no-such-company/")
    expect(page.locator(".error-page .status")).to_have_text("404")
    screenshot(page, "09-not-found")
