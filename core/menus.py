"""The main menu, assembled from what packages and addons contribute."""

from __future__ import annotations

from dataclasses import dataclass

from pyramid.config import Configurator
from pyramid.i18n import TranslationString
from pyramid.request import Request
from zope.interface import implementer

from .addons import fill_ui_slot
from .interfaces import IMenuItem
from .permissions import AUTHENTICATED

MAIN_MENU = "main_menu"


@implementer(IMenuItem)
@dataclass(frozen=True)
class MenuItem:
    name: str
    title: TranslationString
    route: str
    order: int = 100
    permission: str = AUTHENTICATED
    addon: str | None = None


def add_menu_item(
    config: Configurator,
    name: str,
    title: TranslationString,
    route: str,
    *,
    order: int = 100,
    permission: str = AUTHENTICATED,
) -> None:
    """Config directive: add an entry to the main menu.

    The entry shows only to users who hold ``permission`` in the current tenant.
    """
    addon = fill_ui_slot(config, MAIN_MENU)
    item = MenuItem(name, title, route, order, permission, addon)

    def register() -> None:
        config.registry.registerUtility(item, IMenuItem, name=name)

    config.action(("jimu.menu_item", name), register)


def menu_items(request: Request) -> list[MenuItem]:
    """The entries the current user may see, in menu order."""
    tenant = request.tenant
    # An error raised before routing (a tween refusing the request) has no context
    # to check permissions against: its error page shows no menu.
    if tenant is None or not hasattr(request, "context"):
        return []
    items = [item for _, item in request.registry.getUtilitiesFor(IMenuItem)
             if item.addon is None or item.addon in tenant.addons]
    return sorted(
        (item for item in items if request.has_permission(item.permission)),
        key=lambda item: (item.order, item.name),
    )


def includeme(config: Configurator) -> None:
    config.add_ui_slot(MAIN_MENU, "The main menu in the header: one entry per module.")
    config.add_directive("add_menu_item", add_menu_item)
    config.add_request_method(menu_items, "menu_items", reify=True)
