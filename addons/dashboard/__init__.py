"""Dashboard addon: the tenant's dashboard of ECharts widgets and a home panel.

* Aggregates (:mod:`.models`, branch ``dashboard``) kept current by outbox
  handlers (``dashboard.order_paid``, …) on the sales and crm events and contacts'
  ``customer.created``; :func:`.aggregates.rebuild`
  recomputes them from the source tables (new tenants, ``jimu dashboard rebuild``).
* ``/dashboard`` (permission ``dashboard.view``, managers and staff): funnel by stage,
  revenue by day, new customers, lead conversion, top products, over 30 or 90 days.
  The figures are tenant-wide: holding ``dashboard.view`` shows every order's
  revenue, whoever owns it; record rules do not narrow them.
* ECharts (Apache-2.0) is served from this addon's static files; no CDN.
"""

from __future__ import annotations

from pyramid.config import Configurator

from jimucrm.core.events import ITenantProvisioned
from jimucrm.core.i18n import _
from jimucrm.core.permissions import AUTHENTICATED

from .aggregates import DELTAS, apply_event, handler_name
from .subscribers import fill_new_tenant
from .views import dashboard_figures


def includeme(config: Configurator) -> None:
    config.add_migration_branch("dashboard", "jimucrm.addons.dashboard:migrations/versions")
    config.add_message_catalogues("jimucrm.addons.dashboard:locale")
    config.declare_permission(
        "dashboard.view",
        _("View the dashboard: tenant-wide revenue, funnel, leads and customers"),
        group=_("Dashboard"), roles=("manager", "staff"))
    for name in DELTAS:
        config.add_event_handler(name, apply_event, name=handler_name(name))
    config.add_event_subscriber(fill_new_tenant, ITenantProvisioned)
    config.add_static_view("dashboard-static", "jimucrm.addons.dashboard:static",
                           cache_max_age=3600, permission=AUTHENTICATED)
    config.add_route("dashboard", "/dashboard")
    config.add_route("dashboard_data", "/dashboard/data.json")
    config.add_menu_item("dashboard", _("Dashboard"), "dashboard", order=15,
                         permission="dashboard.view")
    config.add_panel("home", "jimucrm.addons.dashboard:templates/panel.pt", order=5,
                     permission="dashboard.view")
    config.add_request_method(dashboard_figures, "dashboard_figures", reify=True)
    config.scan(".views")
