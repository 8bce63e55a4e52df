"""Core's pages: the layout, home, language switch and error pages."""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.events import BeforeRender
from pyramid.renderers import get_renderer
from pyramid.security import NO_PERMISSION_REQUIRED

from ..i18n import LOCALE_NAMES

LAYOUT = "jimucrm.core:templates/layout.pt"


def add_layout(event: BeforeRender) -> None:
    """Give every template the layout macro and what the header needs."""
    request = event.get("request")
    event.setdefault("layout", get_renderer(LAYOUT).implementation())
    event.setdefault("locale_names", LOCALE_NAMES)
    if request is not None:
        event.setdefault("current_locale", request.locale_name)
        event.setdefault("t", request.localizer.translate)


def includeme(config: Configurator) -> None:
    config.add_static_view("static", "jimucrm.core:static", cache_max_age=3600,
                           permission=NO_PERMISSION_REQUIRED)
    config.add_subscriber(add_layout, BeforeRender)
    config.add_route("home", "/")
    config.add_route("locale", "/locale/{code}")
    config.scan(".home")
    config.scan(".locale")
    config.scan(".errors")
