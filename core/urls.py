"""URL helpers."""

from __future__ import annotations

from urllib.parse import urlsplit

from pyramid.request import Request


def safe_next(request: Request, target: str | None, default_route: str = "home") -> str:
    """``target`` if it is a path on this host, else the URL of ``default_route``.

    Refuses absolute URLs, scheme-relative ``//host`` and backslash tricks, so a
    ``next`` parameter can never send the user to another site.
    """
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and "\\" not in target:
            return request.host_url + target
    return request.route_url(default_route)
