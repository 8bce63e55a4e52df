"""Error pages (403/404/410/500) rendered in the layout."""

from __future__ import annotations

import logging

from pyramid.httpexceptions import HTTPException, HTTPInternalServerError
from pyramid.request import Request
from pyramid.view import exception_view_config

from ..i18n import _

log = logging.getLogger(__name__)

TITLES = {
    400: _("Bad request"),
    403: _("You do not have access to this page"),
    404: _("Page not found"),
    405: _("Method not allowed"),
    410: _("This workspace has been archived"),
    413: _("Request too large"),
    500: _("Something went wrong on our side"),
}

EXPLANATIONS = {
    403: _("Ask your administrator for the permission you need."),
    404: _("The address may be mistyped, or the page was removed."),
    410: _("Its data is kept; contact the platform operator to restore it."),
    500: _("The error was logged. Please try again in a moment."),
}


def _render(request: Request, status: int) -> dict:
    request.response.status_int = status
    return {
        "status": status,
        "title": TITLES.get(status, _("Error")),
        "explanation": EXPLANATIONS.get(status, ""),
    }


@exception_view_config(HTTPException,
                       renderer="jimucrm.core:templates/error.pt")
def http_error(exc: HTTPException, request: Request):
    if exc.code < 400:
        return exc
    response = _render(request, exc.code)
    if exc.code == 405:
        request.response.headers.update(
            {k: v for k, v in exc.headers.items() if k.lower() == "allow"})
    return response


@exception_view_config(Exception,
                       renderer="jimucrm.core:templates/error.pt")
def server_error(exc: Exception, request: Request) -> dict:
    # Log the traceback; never show it.
    log.error("unhandled error on %s", request.path, exc_info=exc)
    return _render(request, HTTPInternalServerError.code)
