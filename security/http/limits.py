"""Request limits: bodies over ``jimu.max_request_bytes`` get a 413 error page, and
parameters holding NUL characters (or bytes that are not UTF-8) a 400.

A declared ``Content-Length`` over the limit is refused before anything reads the body.
A body without one (``Transfer-Encoding: chunked``, which gunicorn passes through with
``wsgi.input_terminated``) is wrapped in a counting stream that raises 413 as soon as
the reader goes past the limit, so the body is never read beyond it either. The proxy
in front should refuse earlier (nginx ``client_max_body_size``), with a limit no larger
than this one.

NUL (``\\x00``) can never be stored (PostgreSQL text refuses it, and psycopg raises before
sending the query), so no honest form or query string carries one; without this check a
search box given ``%00`` answers with a 500. File contents in multipart uploads are not
parameters and may hold any byte.

pyramid_retry copies every request body into a seekable buffer (memory or a temporary
file) *before* any tween runs, so that it can replay a request. Its ``activate_hook``
(``retry.activate_hook``, set by :func:`jimucrm.security.http.includeme`) is asked first:
for an oversized or unknown-length body it answers "one attempt", which skips the copy
and leaves the refusal to the tween below.
"""

from __future__ import annotations

from collections.abc import Callable

from pyramid.httpexceptions import HTTPBadRequest, HTTPException, HTTPRequestEntityTooLarge
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response

from jimucrm.core.views.errors import ensure_context


class LimitedInput:
    """A ``wsgi.input`` that refuses to deliver more than ``limit`` bytes."""

    def __init__(self, stream, limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self._read = 0

    def _count(self, data: bytes) -> bytes:
        self._read += len(data)
        if self._read > self._limit:
            raise HTTPRequestEntityTooLarge()
        return data

    def read(self, size: int = -1) -> bytes:
        allowed = self._limit + 1 - self._read
        size = allowed if size is None or size < 0 else min(size, allowed)
        return self._count(self._stream.read(size))

    def readline(self, size: int = -1) -> bytes:
        allowed = self._limit + 1 - self._read
        size = allowed if size is None or size < 0 else min(size, allowed)
        return self._count(self._stream.readline(size))

    def readlines(self, hint: int = -1) -> list[bytes]:
        return list(iter(self.readline, b""))

    def __iter__(self):
        return iter(self.readline, b"")


def body_too_large_or_unknown(request: Request, limit: int) -> bool:
    length = request.content_length
    return (length is None and request.is_body_readable) or (length is not None and
                                                             length > limit)


def retry_activate_hook_factory(limit: int, then: Callable[[Request], int | None] | None):
    """pyramid_retry's ``activate_hook``: no replay buffer for bodies we will refuse."""

    def retry_activate_hook(request: Request) -> int | None:
        if body_too_large_or_unknown(request, limit):
            return 1
        return then(request) if then is not None else None

    return retry_activate_hook


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def has_nul(request: Request) -> bool:
    """Whether the path, a query parameter or a form field holds a NUL character."""
    if "\x00" in request.path_info or "%00" in request.query_string:
        return True
    values = list(request.GET.values())
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and \
            request.content_type in FORM_TYPES:
        values += [value for value in request.POST.values() if isinstance(value, str)]
    return any("\x00" in value for value in values if isinstance(value, str))


def refuse(request: Request, error: HTTPException) -> HTTPException:
    """``error``, ready to raise before routing: the error page needs a context
    (its menu asks ``request.has_permission``), which the router has not made yet."""
    ensure_context(request)
    return error


def request_size_tween_factory(handler: Callable[[Request], Response],
                               registry: Registry) -> Callable[[Request], Response]:
    limit = registry.settings["jimu.max_request_bytes"]

    def request_size_tween(request: Request) -> Response:
        length = request.content_length
        if length is not None and length > limit:
            raise refuse(request, HTTPRequestEntityTooLarge())
        if length is None and request.is_body_readable:
            # No length (chunked, passed through with wsgi.input_terminated): count instead.
            request.environ["wsgi.input"] = LimitedInput(request.environ["wsgi.input"], limit)
        try:
            bad = has_nul(request)
        except UnicodeDecodeError:  # parameters that are not UTF-8
            bad = True
        if bad:
            raise refuse(request, HTTPBadRequest())
        return handler(request)

    return request_size_tween
