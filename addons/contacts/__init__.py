"""Contacts addon: the people a tenant works with.

The CRM issue grows this into companies, people, tags and timelines; the
foundation keeps it small so every tenant has real records from the start.
"""

from __future__ import annotations

from pyramid.config import Configurator

from jimucrm.core.i18n import _

from .interfaces import IContactScorer
from .models import Contact
from .services import CompletenessScorer
from .views import contact_summary


def includeme(config: Configurator) -> None:
    config.add_migration_branch("contacts", "jimucrm.addons.contacts:migrations/versions")
    config.add_message_catalogues("jimucrm.addons.contacts:locale")
    config.add_model_permissions(Contact, "contacts", _("Contacts"))
    config.add_route("contacts", "/contacts/")
    config.add_route("contact_new", "/contacts/new")
    config.add_route("contact", "/contacts/{id}")
    config.add_menu_item("contacts", _("Contacts"), "contacts", order=20,
                         permission="contacts.view")
    config.register_service(CompletenessScorer(), IContactScorer)
    config.add_panel("home", "jimucrm.addons.contacts:templates/panel.pt", order=10,
                     permission="contacts.view")
    config.add_request_method(contact_summary, "contact_summary", reify=True)
    config.scan(".views")
