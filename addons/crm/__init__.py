"""CRM addon: leads with sources, the public lead pool (公海) with claim limits and
automatic return, assignment rules, conversion to a contact and an opportunity,
opportunities through configurable stages on a kanban, and the weighted forecast.

* :mod:`.models`: the tables; :mod:`.events`: the outbox events it emits;
* :mod:`.interfaces`: ``ILeadAssignment``, with defaults in :mod:`.services`;
* :mod:`.access`: record rules for every lead and opportunity query, plus the pool;
* :mod:`.leads`, :mod:`.pool`, :mod:`.conversion`, :mod:`.funnel`, :mod:`.forecast`:
  what the pages and the task do; :mod:`.tasks`: the automatic return to the pool.
"""

from __future__ import annotations

from pyramid.config import Configurator

from jimucrm.addons.contacts.interfaces import IContactsMerging
from jimucrm.core.events import ITenantProvisioned
from jimucrm.core.i18n import _
from jimucrm.core.permissions import AUTHENTICATED

from .access import scoped_leads
from .events import declare_events
from .funnel import opportunity_started
from .interfaces import ILeadAssignment
from .leads import lead_created
from .merge import move_leads_and_opportunities
from .models import Lead, Opportunity
from .services import SettingsAssignment
from .subscribers import place_demo_data
from .tasks import AutoReturnTimer
from .views.leads import lead_panel
from .views.opportunities import opportunity_panel

# The lead and opportunity lists, forms, detail pages, export and REST resources are
# generated (``config.add_model_views`` below: crm_leads, crm_lead_new, crm_lead,
# crm_lead_edit… and crm_opportunities, crm_opportunity…); these are the rest.
ROUTES = (
    ("crm_lead_follow_up", "/crm/leads/{id}/follow-ups"),
    ("crm_lead_status", "/crm/leads/{id}/status"),
    ("crm_lead_claim", "/crm/leads/{id}/claim"),
    ("crm_lead_return", "/crm/leads/{id}/return"),
    ("crm_lead_assign", "/crm/leads/{id}/assign"),
    ("crm_lead_convert", "/crm/leads/{id}/convert"),
    ("crm_pool", "/crm/pool/"),
    ("crm_kanban", "/crm/opportunities/"),
    # Before the generated pages moved to /crm/deals/: links people kept still work.
    ("crm_opportunity_old", "/crm/opportunities/{id:\\d+}"),
    ("crm_opportunity_move", "/crm/opportunities/{id}/move"),
    ("crm_forecast", "/crm/forecast"),
    ("crm_settings", "/crm/settings"),
    ("crm_settings_stages", "/crm/settings/stages"),
    ("crm_settings_stage_toggle", "/crm/settings/stages/{id}/toggle"),
    ("crm_settings_sources", "/crm/settings/sources"),
    ("crm_settings_source_toggle", "/crm/settings/sources/{id}/toggle"),
    ("crm_settings_rules", "/crm/settings/rules"),
    ("crm_settings_rule_delete", "/crm/settings/rules/{id}/delete"),
)


def includeme(config: Configurator) -> None:
    config.add_migration_branch("crm", "jimucrm.addons.crm:migrations/versions")
    config.add_message_catalogues("jimucrm.addons.crm:locale")
    leads, opportunities = _("Leads"), _("Opportunities")
    config.add_model_permissions(Lead, "leads", leads, owner="owner_id")
    config.add_model_permissions(Opportunity, "opportunities", opportunities, owner="owner_id")
    config.declare_permission("leads.claim", _("Claim leads from the public pool and return "
                                               "them"), group=leads, roles=("manager", "staff"))
    config.declare_permission("leads.assign", _("Assign leads to others"), group=leads,
                              roles=("manager",))
    config.declare_permission("crm.settings", _("Configure the CRM: pool, assignment, stages, "
                                                "sources"), group=_("Settings"))
    declare_events(config)
    config.register_service(SettingsAssignment(), ILeadAssignment)
    config.add_event_subscriber(place_demo_data, ITenantProvisioned)
    config.add_event_subscriber(move_leads_and_opportunities, IContactsMerging)
    config.add_task_module("jimucrm.addons.crm.tasks")
    config.add_worker_step(AutoReturnTimer)
    config.add_static_view("crm-static", "jimucrm.addons.crm:static", cache_max_age=3600,
                           permission=AUTHENTICATED)
    for name, pattern in ROUTES:
        config.add_route(name, pattern)
    lead_views = config.add_model_views(
        Lead, name="crm_lead", route_prefix="/crm/leads", permission="leads", title=leads,
        item_title=_("Lead"), default_sort=("-created_at",), on_created=lead_created,
        scope=scoped_leads)
    opportunity_views = config.add_model_views(
        Opportunity, name="crm_opportunity", list_name="crm_opportunities",
        route_prefix="/crm/deals", permission="opportunities", title=opportunities,
        item_title=_("Opportunity"), default_sort=("-created_at",),
        on_created=opportunity_started)
    # The work on a record (follow-ups, pool, assignment, conversion; stage moves and
    # their history) is a panel of its generated detail page.
    config.add_panel(lead_views.detail_slot, "jimucrm.addons.crm:templates/lead_panel.pt",
                     order=5, permission="leads.view")
    config.add_panel(opportunity_views.detail_slot,
                     "jimucrm.addons.crm:templates/opportunity_panel.pt", order=5,
                     permission="opportunities.view")
    config.add_request_method(lead_panel, "crm_lead_panel")
    config.add_request_method(opportunity_panel, "crm_opportunity_panel")
    config.add_menu_item("crm_leads", leads, "crm_leads", order=30, permission="leads.view")
    config.add_menu_item("crm_pool", _("Lead pool"), "crm_pool", order=31,
                         permission="leads.claim")
    config.add_menu_item("crm_kanban", opportunities, "crm_kanban", order=32,
                         permission="opportunities.view")
    config.add_menu_item("crm_forecast", _("Forecast"), "crm_forecast", order=33,
                         permission="opportunities.view")
    config.add_menu_item("crm_settings", _("CRM settings"), "crm_settings", order=880,
                         permission="crm.settings")
    config.scan(".views")
