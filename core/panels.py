"""Panels: pieces of page that packages and addons put into named UI slots."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from pyramid.config import Configurator
from pyramid.renderers import render
from pyramid.request import Request

from .addons import fill_ui_slot
from .permissions import AUTHENTICATED

HOME = "home"
# Every record's page, whatever its model, generated or hand-written (besides the
# model views' own ``<table>.detail``): for panels that apply to records of any model.
RECORD_DETAIL = "record_detail"
USER_MENU = "usermenu"


@dataclass(frozen=True)
class Panel:
    slot: str
    renderer: str
    order: int
    permission: str
    addon: str | None


def add_panel(config: Configurator, slot: str, renderer: str, *, order: int = 100,
              permission: str = AUTHENTICATED) -> None:
    """Config directive: render template ``renderer`` into UI slot ``slot``.

    The template gets ``request`` and whatever the page hands to the slot (the
    detail slots of model views pass ``record``); the panel shows only to users holding
    ``permission``, and only in tenants that enabled the contributing addon.
    """
    addon = fill_ui_slot(config, slot)
    config.registry.jimu_panels.append(Panel(slot, renderer, order, permission, addon))


def panels(request: Request, slot: str, **values: object) -> list[Markup]:
    """The rendered panels of ``slot`` for this request, in order, given ``values``."""
    tenant = request.tenant
    chosen = sorted(
        (panel for panel in request.registry.jimu_panels
         if panel.slot == slot
         and (panel.addon is None or (tenant is not None and panel.addon in tenant.addons))
         and request.has_permission(panel.permission)),
        key=lambda panel: panel.order,
    )
    return [Markup(render(panel.renderer, dict(values), request=request)) for panel in chosen]  # noqa: S704 - Chameleon output is already escaped  # nosec B704


def includeme(config: Configurator) -> None:
    config.registry.jimu_panels = []
    config.add_ui_slot(HOME, "The home page below the welcome line: summary panels.")
    config.add_ui_slot(RECORD_DETAIL,
                       "Every record's page, whatever its model: panels below the record "
                       "(``record`` is passed; generated pages also pass ``spec``). "
                       "Hand-written detail pages render it with one line.")
    config.add_ui_slot(USER_MENU, "The user menu of every page of a tenant, before the "
                                  "user's name: small links such as unread notifications.")
    config.add_directive("add_panel", add_panel)
    config.add_request_method(panels, "panels")
