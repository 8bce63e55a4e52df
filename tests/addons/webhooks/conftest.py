"""Fixtures for the webhooks tests: an app whose operator lets webhooks reach 127.0.0.0/8,
a real HTTP receiver on 127.0.0.1, and the outbox relayed as a worker relays it."""

from __future__ import annotations

import http.server
import threading
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import webtest
from webhook_helpers import WEBHOOK_SETTINGS

from jimucrm.core import configure
from jimucrm.core.celery import get_celery
from jimucrm.core.interfaces import IDatabase


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST and answers as told."""

    base_url: str
    requests: list[Received] = field(default_factory=list)
    statuses: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    always: dict[str, int] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base_url + path

    def answer(self, path: str, *statuses: int, always: int | None = None) -> None:
        """Answer the next POSTs to ``path`` with ``statuses``, then ``always`` (200)."""
        self.statuses[path].extend(statuses)
        if always is not None:
            self.always[path] = always

    def posts(self, path: str | None = None) -> list[Received]:
        return [r for r in self.requests if path is None or r.path == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver("")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            state.requests.append(Received(self.path, dict(self.headers.items()), body))
            queued = state.statuses[self.path]
            status = queued.popleft() if queued else state.always.get(self.path, 200)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def webhook_registry(settings, config):
    """The app as an on-prem operator configures it: 127.0.0.0/8 allowed for webhooks."""
    configured = configure({**settings, **WEBHOOK_SETTINGS})
    get_celery(configured.registry)
    configured.registry.jimu_wsgi_app = configured.make_wsgi_app()
    yield configured.registry
    configured.registry.getUtility(IDatabase).dispose()


@pytest.fixture
def webhook_app(webhook_registry) -> webtest.TestApp:
    """A browser-like client of the app with the allowed networks."""
    return webtest.TestApp(webhook_registry.jimu_wsgi_app,
                           extra_environ={"HTTP_HOST": "localhost"})


@pytest.fixture
def admin_client(webhook_app, tenant, make_user, login) -> webtest.TestApp:
    """``webhook_app`` with an administrator of ``tenant`` logged in."""
    login(webhook_app, tenant, make_user(tenant, "admin", is_admin=True)).follow()
    return webhook_app
