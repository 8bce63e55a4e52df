"""Security headers on every response (the security issue extends these)."""

from __future__ import annotations

from collections.abc import Callable

from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def security_headers_tween_factory(handler: Callable[[Request], Response],
                                   registry: Registry) -> Callable[[Request], Response]:
    def security_headers_tween(request: Request) -> Response:
        response = handler(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return security_headers_tween
