"""The main menu, assembled from what packages and addons contribute."""

from __future__ import annotations

from dataclasses import dataclass

from pyramid.config import Configurator
from pyramid.i18n import TranslationString
from pyramid.request import Request
from zope.interface import implementer

from .interfaces import IMenuItem


@implementer(IMenuItem)
@dataclass(frozen=True)
class MenuItem:
    name: str
    title: TranslationString
    route: str
    order: int = 100
    permission: str = "view"


def add_menu_item(
    config: Configurator,
    name: str,
    title: TranslationString,
    route: str,
    *,
    order: int = 100,
    permission: str = "view",
) -> None:
    """Config directive: add an entry to the main menu.

    The entry shows only to users who hold ``permission`` in the current tenant.
    """
    item = MenuItem(name, title, route, order, permission)

    def register() -> None:
        config.registry.registerUtility(item, IMenuItem, name=name)

    config.action(("jimu.menu_item", name), register)


def menu_items(request: Request) -> list[MenuItem]:
    """The entries the current user may see, in menu order."""
    if request.tenant is None:
        return []
    items = [item for _, item in request.registry.getUtilitiesFor(IMenuItem)]
    return sorted(
        (item for item in items if request.has_permission(item.permission)),
        key=lambda item: (item.order, item.name),
    )


def includeme(config: Configurator) -> None:
    config.add_directive("add_menu_item", add_menu_item)
    config.add_request_method(menu_items, "menu_items", reify=True)
