"""URL helpers."""

from __future__ import annotations

from urllib.parse import urlsplit

from pyramid.httpexceptions import HTTPNotFound
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


# The largest value of PostgreSQL's ``integer``, the type of every serial id: a bigger
# number given to a query fails the request's transaction instead of finding nothing.
MAX_ID = 2**31 - 1
_MAX_ID_DIGITS = len(str(MAX_ID))


def parse_id(value: object) -> int | None:
    """``value`` (a path segment or form value) as a record id, or None when no row has it.

    Only plain ASCII digits from 1 to :data:`MAX_ID`: signs, spaces, ``1e3``, full-width
    digits and numbers too big for an ``integer`` column are None, never an error.
    """
    text = str(value) if value is not None else ""
    if not text.isascii() or not text.isdigit() or len(text) > _MAX_ID_DIGITS:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def matched_id(request: Request, name: str = "id") -> int:
    """The record id in the route's ``{name}`` placeholder; 404 when it cannot be one."""
    number = parse_id(request.matchdict.get(name))
    if number is None:
        raise HTTPNotFound()
    return number
