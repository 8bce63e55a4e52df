"""The JSON API base: what every endpoint under ``/api/`` shares.

* one error shape for every API request::

      {"error": {"code": "not_found", "message": "<translated>",
                 "fields": {"name": "<translated>"}}}

  (``fields`` only when there are per-field messages), rendered by exception
  views that take precedence over the HTML error pages for API requests, so an
  API client gets a 401 or 403 in JSON, never a redirect to the login page;
* :func:`api_error` for endpoints to raise such an error with their own message,
  code or per-field messages;
* the ``api`` view predicate (``api=True``: the request is an API request, see
  :func:`is_api_request`) and a ``json`` renderer that writes dates and times.

Endpoints live in the package or addon that owns what they serve, under
``/api/v1/`` (``API_PREFIX + "/v1/…"``), with ``tenant=True`` and an explicit
permission like every other view.
"""

from __future__ import annotations

from pyramid.config import Configurator

from .base import API_PREFIX, ApiPredicate, bearer_credential, is_api_request, json_renderer
from .errors import CODES, api_error, error_body

__all__ = ["API_PREFIX", "CODES", "api_error", "bearer_credential", "error_body", "includeme",
           "is_api_request"]


def includeme(config: Configurator) -> None:
    config.add_view_predicate("api", ApiPredicate)
    config.add_renderer("json", json_renderer())
    config.scan(".errors")
    # The generated resources' routes come with each ``config.add_model_views``.
    config.add_route("api_openapi", API_PREFIX + "/v1/openapi.json")
    config.scan(".openapi")
