"""API errors: one JSON shape for every error an API request gets.

An error raised anywhere (a view, the security policy, a tween below the
exception view) is rendered by the views here when the request is an API
request; the HTML error pages of :mod:`jimucrm.core.views.errors` stay for
the rest. Views with an ``api=True`` predicate outrank those without, and the
``HTTPForbidden`` view here outranks the login redirect of the security package.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from pyramid.exceptions import BadCSRFOrigin, BadCSRFToken
from pyramid.httpexceptions import HTTPException, HTTPForbidden, exception_response
from pyramid.i18n import TranslationString
from pyramid.request import Request
from pyramid.view import exception_view_config, forbidden_view_config

from ..i18n import _
from ..views.errors import restart_transaction

log = logging.getLogger(__name__)

# The ``code`` of each status: stable names clients may branch on.
CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    500: "server_error",
    503: "unavailable",
}
CSRF_FAILED = "csrf_failed"

MESSAGES = {
    "bad_request": _("The request is not valid."),
    "unauthenticated": _("Authentication is required: log in, or send an API token."),
    "forbidden": _("You do not have the permission this needs."),
    "not_found": _("Not found."),
    "method_not_allowed": _("This method is not allowed here."),
    "conflict": _("This conflicts with the current state of the record."),
    "gone": _("This is no longer available."),
    "payload_too_large": _("The request is too large."),
    "unsupported_media_type": _("This content type is not accepted here."),
    "validation_failed": _("Some fields are not valid."),
    "too_many_requests": _("Too many requests. Try again later."),
    "server_error": _("Something went wrong on our side. The error was logged."),
    "unavailable": _("The service is unavailable for a moment. Try again later."),
    CSRF_FAILED: _("The CSRF token is missing or not valid."),
    "error": _("The request failed."),
}

# Headers of an error that tell the client what to do next.
PASSED_ON = ("Allow", "Retry-After", "WWW-Authenticate")
# RFC 6750: a 401 names the scheme the API accepts.
CHALLENGE = 'Bearer realm="jimu"'

FieldMessages = Mapping[str, TranslationString | str]


@dataclass(frozen=True)
class ErrorDetails:
    """What an endpoint adds to an error: its own code, message, per-field messages."""

    code: str | None = None
    message: TranslationString | str | None = None
    fields: FieldMessages = field(default_factory=dict)


def api_error(status: int, message: TranslationString | str | None = None, *,
              code: str | None = None, fields: FieldMessages | None = None,
              headers: Mapping[str, str] | None = None) -> HTTPException:
    """An HTTP error for an endpoint to raise, rendered in the API's error shape.

    ``raise api_error(422, fields={"name": _("Enter a name.")})``; without a
    ``message`` the status's own (translated) message is used.
    """
    error = exception_response(status, headers=dict(headers or {}))
    error.jimu_api_error = ErrorDetails(code, message, dict(fields or {}))
    return error


def error_body(request: Request, code: str, message: TranslationString | str | None = None,
               fields: FieldMessages | None = None) -> dict:
    """The JSON error body, its messages translated for ``request``."""
    translate = request.localizer.translate
    body = {"code": code, "message": translate(message or MESSAGES.get(code, MESSAGES["error"]))}
    if fields:
        body["fields"] = {name: translate(text) for name, text in fields.items()}
    return {"error": body}


def _respond(request: Request, status: int, code: str, message=None, fields=None,
             headers: Mapping[str, str] | None = None) -> dict:
    request.response.status_int = status
    for name, value in (headers or {}).items():
        request.response.headers[name] = value
    if status == 401 and "WWW-Authenticate" not in request.response.headers:
        request.response.headers["WWW-Authenticate"] = CHALLENGE
    return error_body(request, code, message, fields)


@exception_view_config(HTTPException, api=True, renderer="json")
def api_http_error(exc: HTTPException, request: Request):
    if exc.code < 400:
        return exc
    details = getattr(exc, "jimu_api_error", None) or ErrorDetails()
    code = details.code or (CSRF_FAILED if isinstance(exc, BadCSRFToken | BadCSRFOrigin)
                            else CODES.get(exc.code, "error"))
    headers = {name: exc.headers[name] for name in PASSED_ON if name in exc.headers}
    return _respond(request, exc.code, code, details.message, details.fields, headers)


@forbidden_view_config(api=True, renderer="json")
def api_forbidden(exc: HTTPForbidden, request: Request) -> dict:
    # Nobody authenticated: 401, so the client knows to authenticate (no login page).
    if request.identity is None:
        return _respond(request, 401, "unauthenticated")
    details = getattr(exc, "jimu_api_error", None) or ErrorDetails()
    return _respond(request, 403, details.code or "forbidden", details.message, details.fields)


@exception_view_config(Exception, api=True, renderer="json")
def api_server_error(exc: Exception, request: Request) -> dict:
    # Log the traceback; never show it.
    log.error("unhandled error on %s", request.path, exc_info=exc)
    # As the HTML 500 page does: a clean transaction, and pyramid_retry told of a retryable error.
    restart_transaction(request, exc)
    return _respond(request, 500, "server_error")
