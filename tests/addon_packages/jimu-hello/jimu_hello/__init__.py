"""A third-party addon: a page, a menu entry, a home panel and an event subscriber."""

from pyramid.config import Configurator

from jimucrm.addons.contacts.events import IContactCreated
from jimucrm.core.i18n import _

from .subscribers import greet


def includeme(config: Configurator) -> None:
    config.add_migration_branch("hello", "jimu_hello:migrations/versions")
    config.add_message_catalogues("jimu_hello:locale")
    config.declare_permission("hello.view", _("See greetings"), roles=("manager", "staff"))
    config.add_route("hello", "/hello/")
    config.add_menu_item("hello", _("Greetings"), "hello", order=50, permission="hello.view")
    config.add_panel("home", "jimu_hello:templates/panel.pt")
    config.add_event_subscriber(greet, IContactCreated)
    config.scan(".views")
