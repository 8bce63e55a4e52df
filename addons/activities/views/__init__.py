"""The activities addon's pages: a record's timeline and its entries, my tasks,
notifications. Shared helpers for them live here."""

from __future__ import annotations

from markupsafe import Markup
from pyramid.renderers import render, render_to_response
from pyramid.request import Request
from pyramid.response import Response

RENDERER = "jimucrm.addons.activities:templates/"


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def panel_html(request: Request, record) -> Markup:
    """The timeline panel of ``record`` as the detail page shows it."""
    return Markup(render(RENDERER + "timeline.pt", {"record": record}, request=request))  # noqa: S704 - Chameleon output is already escaped  # nosec B704


def panel_response(request: Request, record) -> Response:
    """The panel alone: what htmx swaps in for the one on the page.

    Always 200: htmx swaps only successful answers, and the panel carries its own
    error messages when the form was refused.
    """
    return render_to_response(RENDERER + "timeline.pt", {"record": record}, request=request)
