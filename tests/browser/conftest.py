"""A live server and Debian's chromium driven by playwright."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct-horse-电池-staple"  # what tests/conftest.py's make_user gives everyone
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def live_server(wsgi_app):
    """The real app behind waitress on a free loopback port."""
    from waitress.server import create_server

    server = create_server(wsgi_app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture(scope="session")
def browser():
    if not shutil.which("chromium") and not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """``screenshot(page, name)`` saves a full-page PNG under test-artifacts/screenshots."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def log_in(live_server) -> Callable:
    """``log_in(page, tenant, username, before_submit=None)``: sign in through the
    tenant's login form (``before_submit()`` runs once the form is filled in)."""

    def sign_in(page, tenant, username: str,
                before_submit: Callable[[], object] | None = None) -> None:
        page.goto(f"{live_server}{tenant.prefix}/")
        page.fill("#login", username)
        page.fill("#password", PASSWORD)
        if before_submit is not None:
            before_submit()
        page.click("#login-form button[type=submit]")

    return sign_in


class Kanban:
    """Finding the opportunity kanban's columns and cards by what a person reads."""

    @staticmethod
    def column(page, stage: str):
        return page.locator(f".kanban-column:has(h2 span:text-is('{stage}'))")

    @staticmethod
    def card(page, name: str):
        return page.locator(".kanban-card", has=page.locator(f"a:text-is('{name}')"))


@pytest.fixture
def kanban() -> Kanban:
    return Kanban()
