"""The language switch: remembers the choice in a cookie."""

from __future__ import annotations

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.request import Request
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from ..i18n import LOCALE_COOKIE, LOCALES
from ..urls import safe_next


@view_config(route_name="locale", permission=NO_PERMISSION_REQUIRED)
def switch_locale(request: Request) -> HTTPFound:
    code = request.matchdict["code"]
    if code not in LOCALES:
        raise HTTPNotFound()
    response = HTTPFound(safe_next(request, request.params.get("next")))
    response.set_cookie(
        LOCALE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
        path="/",
    )
    return response
