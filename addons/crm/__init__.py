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

from .events import declare_events
from .interfaces import ILeadAssignment
from .merge import move_leads_and_opportunities
from .models import Lead, Opportunity
from .services import SettingsAssignment
from .subscribers import place_demo_data
from .tasks import AutoReturnTimer

ROUTES = (
    ("crm_leads", "/crm/leads/"),
    ("crm_lead_new", "/crm/leads/new"),
    ("crm_lead", "/crm/leads/{id}"),
    ("crm_lead_follow_up", "/crm/leads/{id}/follow-ups"),
    ("crm_lead_status", "/crm/leads/{id}/status"),
    ("crm_lead_claim", "/crm/leads/{id}/claim"),
    ("crm_lead_return", "/crm/leads/{id}/return"),
    ("crm_lead_assign", "/crm/leads/{id}/assign"),
    ("crm_lead_convert", "/crm/leads/{id}/convert"),
    ("crm_pool", "/crm/pool/"),
    ("crm_kanban", "/crm/opportunities/"),
    ("crm_opportunity_new", "/crm/opportunities/new"),
    ("crm_opportunity", "/crm/opportunities/{id}"),
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
