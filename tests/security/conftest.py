"""Helpers for the security sweeps: the route table, a crawler, forms, XSS and CSRF checks.

Only helpers live here; tenants, users and the app come from ``tests/conftest.py``.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
import webtest
from bs4 import BeautifulSoup

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
PLACEHOLDER = re.compile(r"\{(\w+)(?::[^}]*)?\}")
# Values for placeholders that are not record ids (a route the sweep does not know yet
# gets "1", which is still somebody's id).
KNOWN_VALUES = {"code": "en", "slug": "demo"}


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    placeholders: tuple[str, ...]
    route: Any = field(compare=False, repr=False)

    def path(self, ids: dict[str, str] | str) -> str:
        """The route's path with every placeholder filled: ``ids`` for record ids."""
        values = {}
        for name in self.placeholders:
            if isinstance(ids, dict):
                values[name] = ids.get(name, KNOWN_VALUES.get(name, "1"))
            else:
                values[name] = KNOWN_VALUES.get(name, ids)
        return self.route.generate(values)


def route_table(wsgi_app) -> list[Route]:
    """Every route of the app except static views, with its placeholders."""
    found = []
    for route in wsgi_app.routes_mapper.get_routes():
        if route.name.startswith("__"):
            continue
        found.append(Route(route.name, route.pattern,
                           tuple(PLACEHOLDER.findall(route.pattern)), route))
    assert found, "the route table is empty"
    return found


def csrf_token(app: webtest.TestApp, prefix: str) -> str:
    """The CSRF token of ``app``'s current session (from a page's hidden field)."""
    page = app.get(f"{prefix}/login", status="*")
    if page.status_int in (301, 302, 303):
        page = page.follow()
    field = BeautifulSoup(page.text, "html.parser").find("input", attrs={"name": "csrf_token"})
    assert field is not None, "no page with a CSRF token field"
    return field["value"]


def is_login_redirect(response: webtest.TestResponse) -> bool:
    return response.status_int in (302, 303) and "/login" in response.headers.get("Location", "")


def needs_login(response: webtest.TestResponse) -> bool:
    """Refused for want of a login: the login page for a browser, a JSON 401 under /api/."""
    if response.status_int == 401 and response.content_type == "application/json":
        return response.json["error"]["code"] == "unauthenticated"
    return is_login_redirect(response)


def crawl(app: webtest.TestApp, prefix: str, start: Iterable[str] = ("/",),
          limit: int = 150) -> dict[str, webtest.TestResponse]:
    """GET every HTML page reachable by links from ``start`` inside ``prefix``.

    Links that change state by GET (the language switch) are not followed. Returns
    path → response (errors included; redirects are followed once).
    """
    seen: dict[str, webtest.TestResponse] = {}
    queue = deque(prefix + path for path in start)
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        response = app.get(url, status="*")
        if response.status_int in (301, 302, 303) and \
                urlsplit(response.location).path.startswith(prefix):
            response = response.follow(status="*")
        seen[url] = response
        if "html" not in response.content_type:
            continue
        for link in BeautifulSoup(response.text, "html.parser").find_all("a", href=True):
            parts = urlsplit(link["href"])
            if parts.netloc not in ("", "localhost") or not parts.path.startswith(prefix):
                continue
            if parts.path.startswith(f"{prefix}/locale/") or parts.path.startswith(
                    f"{prefix}/static/"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in seen:
                queue.append(target)
    return seen


def forms_on(pages: dict[str, webtest.TestResponse]) -> Iterator[tuple[str, str, webtest.Form]]:
    """(page, form id or index, form) for every form on the crawled HTML pages."""
    seen = set()
    for url, response in pages.items():
        if "html" not in response.content_type:
            continue
        for key, form in response.forms.items():
            if not isinstance(key, int):
                continue
            identity = (form.action, form.method, tuple(sorted(str(f) for f in form.fields)))
            if identity in seen:
                continue
            seen.add(identity)
            yield url, form.id or str(key), form


TEXT_INPUTS = {"text", "search", "email", "tel", "url", "password", "number", "date", "hidden",
               None, ""}


def text_fields(form: webtest.Form, *, hidden: bool = True) -> list[str]:
    """Names of the fields of ``form`` a user (or a forged request) can type into."""
    names = []
    for name, fields in form.fields.items():
        if name == "csrf_token" or name is None:
            continue
        for widget in fields:
            tag = getattr(widget, "tag", "input")
            kind = (widget.attrs.get("type") or "text").lower() if tag == "input" else None
            if tag == "textarea" or (tag == "input" and kind in TEXT_INPUTS and
                                     (hidden or kind != "hidden")):
                names.append(name)
                break
    return names


def plausible_value(name: str, form: webtest.Form) -> str:
    """A valid-looking value for a field, so one other field can carry the payload."""
    lowered = name.lower()
    kind = (form.fields[name][0].attrs.get("type") or "").lower()
    if "mail" in lowered or kind == "email":
        return "filler@example.cn"
    if "phone" in lowered or "mobile" in lowered or kind == "tel":
        return "13800138000"
    if "id_number" in lowered:  # a resident ID number with its check digit
        return "11010519491231002X"
    if "credit_code" in lowered:  # a unified social credit code with its check character
        return "91350100M000100Y43"
    if "url" in lowered or "site" in lowered or kind == "url":
        return "https://example.cn/"
    if kind == "number":
        return "1"
    if kind == "date":
        return "2024-01-01"
    return "安全的值"


def xss_payload(marker: str) -> str:
    """One string that breaks out of text, double- and single-quoted attributes and URLs.

    No whitespace, so it survives fields that refuse spaces (``…@example.cn`` is added
    for e-mail fields). If any part lands in the page unescaped, the DOM gets an element
    or attribute carrying ``marker``, which :func:`xss_findings` looks for.
    """
    return (f"\"'><script>{marker}()</script><img/src=x/id={marker}/onerror={marker}()>"
            f"<svg/onload={marker}()>'autofocus/onfocus='{marker}()")


def xss_findings(html: str, markers: Iterable[str]) -> list[str]:
    """Where a payload marker became live HTML: script text, an on* handler, an id, a URL."""
    markers = tuple(markers)
    found = []
    for tag in BeautifulSoup(html, "html.parser").find_all(True):
        if tag.name in ("script", "style"):
            text = tag.get_text()
            found += [f"<{tag.name}> holds {m}" for m in markers if m in text]
        for attribute, value in tag.attrs.items():
            value = " ".join(value) if isinstance(value, list) else str(value)
            if attribute.lower().startswith("on"):
                found += [f"<{tag.name} {attribute}=…{m}…>" for m in markers if m in value]
            if attribute.lower() == "id" and value in markers:
                found.append(f"<{tag.name} id={value}>")
            if attribute.lower() in ("href", "src", "action", "formaction") and \
                    value.strip().lower().startswith(("javascript:", "data:text/html")):
                found.append(f"<{tag.name} {attribute}={value[:40]}>")
    return found


class Sweep:
    """The helpers above, handed to tests as the ``sweep`` fixture."""

    UNSAFE_METHODS = UNSAFE_METHODS
    route_table = staticmethod(route_table)
    csrf_token = staticmethod(csrf_token)
    is_login_redirect = staticmethod(is_login_redirect)
    needs_login = staticmethod(needs_login)
    crawl = staticmethod(crawl)
    forms_on = staticmethod(forms_on)
    text_fields = staticmethod(text_fields)
    plausible_value = staticmethod(plausible_value)
    xss_payload = staticmethod(xss_payload)
    xss_findings = staticmethod(xss_findings)


@pytest.fixture
def sweep() -> type[Sweep]:
    return Sweep
