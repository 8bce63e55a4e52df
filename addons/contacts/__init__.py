"""Contacts addon: the customers a tenant works with, people and companies.

* Models (:mod:`.models`, branch ``contacts``): companies, contacts (a person may
  belong to a company), tags on both; phones, mobiles and ID-card numbers
  encrypted with blind indexes (exact search only).
* Generated pages (core's model views) at ``/contacts`` and ``/companies``,
  permissions ``contacts.*`` and ``companies.*`` with record rules by owner, and
  ``contacts.merge``; own pages (:mod:`.pages`): possible duplicates, merge, tags.
* Events (:mod:`.events`): ``customer.created`` and ``customer.merged`` through the
  outbox; synchronous ``IContactCreated`` and ``IContactsMerging`` (addons whose
  rows refer to contacts move them to the surviving contact).
* Extension points (:mod:`.interfaces`): ``IContactScorer``, ``IDuplicateFinder``,
  and the contact detail slot :data:`~.interfaces.CONTACT_DETAIL_SLOT`.
"""

from __future__ import annotations

from pyramid.config import Configurator

from jimucrm.core.events import ITenantProvisioned
from jimucrm.core.i18n import _

from .duplicates import DuplicateFinder
from .events import EVENTS
from .interfaces import CONTACT_DETAIL_SLOT, IContactScorer, IDuplicateFinder
from .models import Company, Contact
from .services import CompletenessScorer, contact_created
from .subscribers import announce_demo_customers
from .views import (
    company_people,
    contact_duplicates,
    contact_score,
    contact_summary,
    may_write,
    readable_company,
)

PANELS = "jimucrm.addons.contacts:templates/"


def includeme(config: Configurator) -> None:
    config.add_migration_branch("contacts", "jimucrm.addons.contacts:migrations/versions")
    config.add_message_catalogues("jimucrm.addons.contacts:locale")
    config.add_model_permissions(Contact, "contacts", _("Contacts"))
    config.add_model_permissions(Company, "companies", _("Companies"))
    config.declare_permission("contacts.merge", _("Merge duplicate contacts"),
                              group=_("Contacts"), roles=("manager",))
    for name, doc in EVENTS.items():
        config.add_domain_event(name, doc)
    # Fixed paths before the model views' ``{id}`` routes (those take digits only anyway).
    config.add_route("contacts_duplicates", "/contacts/duplicates")
    config.add_route("contacts_tags", "/contacts/tags/")
    config.add_route("contacts_tag", "/contacts/tags/{id}")
    config.add_route("contact_merge", "/contacts/{id}/merge/{other}")
    config.add_route("contact_tags", "/contacts/{id}/tags")
    # Routes contacts, contact_new, contact, contact_edit, contact_delete, contacts_export…
    views = config.add_model_views(
        Contact, name="contact", route_prefix="/contacts", permission="contacts",
        title=_("Contacts"), item_title=_("Contact"), default_sort=("name",),
        on_created=contact_created)
    if views.detail_slot != CONTACT_DETAIL_SLOT:  # the slot dependants register on
        raise ValueError(f"contacts detail slot is {views.detail_slot}")
    companies = config.add_model_views(
        Company, name="company", list_name="companies", route_prefix="/companies",
        permission="companies", title=_("Companies"), item_title=_("Company"),
        default_sort=("name",))
    config.add_menu_item("contacts", _("Contacts"), "contacts", order=20,
                         permission="contacts.view")
    config.add_menu_item("companies", _("Companies"), "companies", order=21,
                         permission="companies.view")
    config.register_service(CompletenessScorer(), IContactScorer)
    config.register_service(DuplicateFinder(), IDuplicateFinder)
    config.add_event_subscriber(announce_demo_customers, ITenantProvisioned)
    config.add_panel("home", PANELS + "panel.pt", order=10, permission="contacts.view")
    config.add_panel(CONTACT_DETAIL_SLOT, PANELS + "profile.pt", order=5,
                     permission="contacts.view")
    config.add_panel(CONTACT_DETAIL_SLOT, PANELS + "duplicates_panel.pt", order=8,
                     permission="contacts.view")
    config.add_panel(CONTACT_DETAIL_SLOT, PANELS + "score.pt", order=10,
                     permission="contacts.view")
    config.add_panel(companies.detail_slot, PANELS + "company_people.pt", order=10,
                     permission="contacts.view")
    config.add_request_method(contact_summary, "contact_summary", reify=True)
    config.add_request_method(contact_score, "contact_score")
    config.add_request_method(contact_duplicates, "contact_duplicates")
    config.add_request_method(readable_company, "readable_company")
    config.add_request_method(company_people, "company_people")
    config.add_request_method(may_write, "contacts_may_write")
    config.scan(".pages")
