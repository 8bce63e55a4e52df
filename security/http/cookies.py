"""Every cookie the app sets leaves with HttpOnly, SameSite and, on HTTPS, Secure.

A ``NewResponse`` subscriber rather than a tween: Pyramid runs response callbacks (where
the Redis session sets its cookie) after the tweens, and ``NewResponse`` after those.
``Secure`` is added when the request came over HTTPS (directly, or via a trusted proxy)
or when ``jimu.secure_cookies`` is on; attributes a cookie already has are kept.
"""

from __future__ import annotations

from pyramid.events import NewResponse


def _attributes(cookie: str) -> set[str]:
    return {part.split("=", 1)[0].strip().lower() for part in cookie.split(";")[1:]}


def harden(cookie: str, *, secure: bool) -> str:
    """``cookie`` (a Set-Cookie value) with the missing protective attributes added."""
    present = _attributes(cookie)
    added = []
    if "httponly" not in present:
        added.append("HttpOnly")
    if "samesite" not in present:
        added.append("SameSite=Lax")
    if secure and "secure" not in present:
        added.append("Secure")
    return "; ".join([cookie.rstrip("; "), *added]) if added else cookie


def harden_cookies(event: NewResponse) -> None:
    request, response = event.request, event.response
    secure = request.scheme == "https" or bool(
        request.registry.settings.get("jimu.secure_cookies"))
    headerlist = response.headerlist
    for index, (name, value) in enumerate(headerlist):
        if name.lower() == "set-cookie":
            headerlist[index] = (name, harden(value, secure=secure))
