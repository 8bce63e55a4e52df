"""What makes a request an API request, and how API responses are written."""

from __future__ import annotations

import datetime
import decimal
import uuid

from pyramid.config import Configurator
from pyramid.renderers import JSON
from pyramid.request import Request

API_PREFIX = "/api"


def bearer_credential(request: Request) -> str | None:
    """The credential of an ``Authorization: Bearer …`` header, else None.

    The scheme is matched without regard to case (RFC 7235); an empty
    credential is returned as ``""``, so that it is refused rather than ignored.
    """
    header = request.headers.get("Authorization")
    if not header:
        return None
    scheme, _, credential = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credential.strip()


def is_api_request(request: Request) -> bool:
    """A request under the API prefix, or one carrying a Bearer credential.

    Browsers never send a Bearer header on their own; a client that does is an
    API client wherever it points, so its errors are JSON too.
    """
    path = request.path_info
    return (path == API_PREFIX or path.startswith(API_PREFIX + "/")
            or bearer_credential(request) is not None)


class ApiPredicate:
    """``api=True`` matches API requests (see :func:`is_api_request`); ``False`` the others."""

    def __init__(self, value: bool, config: Configurator) -> None:
        self.value = bool(value)

    def text(self) -> str:
        return f"api = {self.value}"

    phash = text

    def __call__(self, context, request: Request) -> bool:
        return is_api_request(request) is self.value


def json_renderer() -> JSON:
    """Pyramid's JSON renderer, also writing dates and times (ISO 8601), decimals
    (as strings: no precision lost) and UUIDs."""
    renderer = JSON(ensure_ascii=False)
    for kind in (datetime.datetime, datetime.date, datetime.time):
        renderer.add_adapter(kind, lambda value, request: value.isoformat())
    renderer.add_adapter(decimal.Decimal, lambda value, request: str(value))
    renderer.add_adapter(uuid.UUID, lambda value, request: str(value))
    return renderer
