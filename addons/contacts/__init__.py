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
from .views import contact_created, contact_score, contact_summary


def includeme(config: Configurator) -> None:
    config.add_migration_branch("contacts", "jimucrm.addons.contacts:migrations/versions")
    config.add_message_catalogues("jimucrm.addons.contacts:locale")
    config.add_model_permissions(Contact, "contacts", _("Contacts"))
    # Routes contacts, contact_new, contact, contact_edit, contact_delete, contacts_export…
    views = config.add_model_views(
        Contact, name="contact", route_prefix="/contacts", permission="contacts",
        title=_("Contacts"), item_title=_("Contact"), default_sort=("name",),
        on_created=contact_created)
    config.add_menu_item("contacts", _("Contacts"), "contacts", order=20,
                         permission="contacts.view")
    config.register_service(CompletenessScorer(), IContactScorer)
    config.add_panel("home", "jimucrm.addons.contacts:templates/panel.pt", order=10,
                     permission="contacts.view")
    config.add_panel(views.detail_slot, "jimucrm.addons.contacts:templates/score.pt",
                     order=10, permission="contacts.view")
    config.add_request_method(contact_summary, "contact_summary", reify=True)
    config.add_request_method(contact_score, "contact_score")
