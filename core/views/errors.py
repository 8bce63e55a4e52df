"""Error pages (403/404/410/500) rendered in the layout."""

from __future__ import annotations

import logging

from pyramid.httpexceptions import HTTPException, HTTPInternalServerError
from pyramid.interfaces import IRootFactory
from pyramid.request import Request
from pyramid.traversal import DefaultRootFactory
from pyramid.view import exception_view_config
from pyramid_retry import mark_error_retryable
from transaction.interfaces import NoTransaction

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


def ensure_context(request: Request) -> None:
    """Give ``request`` the root context when the error came before the router made one:
    the error page's menu asks ``request.has_permission``, which needs a context."""
    if getattr(request, "context", None) is None:
        factory = request.registry.queryUtility(IRootFactory, default=DefaultRootFactory)
        request.context = factory(request)


def restart_transaction(request: Request, exc: Exception) -> None:
    """Abort the request's transaction and begin a clean one.

    The error may have come from the database: PostgreSQL then refuses every
    further statement of the transaction, and a failed flush leaves the session
    unusable, while the error page's layout still loads the user and checks
    permissions. The new transaction is only for reading: pyramid_tm aborts it
    (the request failed); when pyramid_tm is already done (its commit failed),
    a finished callback does.
    """
    manager = request.tm
    try:
        failed = manager.get()
    except NoTransaction:
        failed = None
    if failed is not None:
        # Only the failed transaction's data managers know whether ``exc`` is worth
        # another attempt (a serialization failure, a deadlock): tell pyramid_retry
        # now, since pyramid_tm will only ask the new transaction.
        if failed.isRetryableError(exc):
            mark_error_retryable(exc)
        manager.abort()  # zope.sqlalchemy rolls the session back and closes it
    manager.begin()
    if not request.environ.get("tm.active"):
        request.add_finished_callback(lambda request: request.tm.abort())


@exception_view_config(Exception,
                       renderer="jimucrm.core:templates/error.pt")
def server_error(exc: Exception, request: Request) -> dict:
    # Log the traceback; never show it.
    log.error("unhandled error on %s", request.path, exc_info=exc)
    restart_transaction(request, exc)
    ensure_context(request)
    return _render(request, HTTPInternalServerError.code)
