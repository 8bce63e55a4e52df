"""Security headers on every response: pages, redirects, error pages and static files.

The Content-Security-Policy allows no inline script, no inline style (neither
``<style>`` nor ``style=""``), no ``on*=`` handlers, no ``eval`` and no framing:
templates load ``.js``/``.css`` files from our own static folder (see
``tests/security/test_templates.py``). When htmx arrives, configure it with
``includeIndicatorStyles: false`` and ``allowEval: false`` (a ``<meta name="htmx-config">``),
or it injects a ``<style>`` element the policy refuses.

HSTS goes out only on HTTPS, which behind a proxy means ``X-Forwarded-Proto: https``
from a trusted proxy (see :mod:`.proxy`, which runs before this tween).
"""

from __future__ import annotations

from collections.abc import Callable

from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "autoplay", "camera", "display-capture", "geolocation", "gyroscope",
    "magnetometer", "microphone", "midi", "payment", "usb", "browsing-topics",
))

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

# Two years, every subdomain (tenants live on <slug>.<base domain>); as deploy/nginx.
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"


def security_headers_tween_factory(handler: Callable[[Request], Response],
                                   registry: Registry) -> Callable[[Request], Response]:
    def security_headers_tween(request: Request) -> Response:
        response = handler(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.scheme == "https":
            response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
        if "Cache-Control" not in response.headers:
            # Pages carry personal data and CSRF tokens: no shared or back-button caches.
            # Static files set their own max-age.
            response.headers["Cache-Control"] = "no-store"
        return response

    return security_headers_tween
