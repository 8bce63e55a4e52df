"""Webhooks addon: every domain event, as a signed POST, to the tenant's endpoints.

* :mod:`.models` (branch ``webhooks``): endpoints (URL, subscribed events or ``*``,
  the signing secret encrypted with the tenant's data key) and a delivery log kept
  to the last :data:`~.models.LOG_PER_ENDPOINT` deliveries per endpoint;
* :mod:`.delivery`: an outbox handler of every event (``"*"``) writes one
  ``webhook.deliver`` outbox event per subscribed endpoint, whose handler POSTs it,
  signed (:mod:`.signing`), through the SSRF guard (:mod:`.guard`); failures retry
  and dead-letter the outbox's way, each endpoint on its own;
* ``/settings/webhooks`` (permission ``webhooks.manage``, tenant administrators):
  endpoints, their secret shown once, a test event, recent deliveries.

Operators of on-prem installs let endpoints into their intranet with
``jimu.webhooks_allowed_networks``. docs/webhooks.md is the receivers' guide.
"""

from __future__ import annotations

from pyramid.config import Configurator

from jimucrm.core.i18n import _
from jimucrm.core.outbox import EVERY_EVENT

from .delivery import DELIVER_EVENT, DELIVER_HANDLER, FAN_OUT_HANDLER, deliver, fan_out


def includeme(config: Configurator) -> None:
    config.add_migration_branch("webhooks", "jimucrm.addons.webhooks:migrations/versions")
    config.add_message_catalogues("jimucrm.addons.webhooks:locale")
    config.declare_permission(
        "webhooks.manage",
        _("Manage webhooks: endpoints, their signing secrets and delivery log"),
        group=_("Webhooks"))
    config.add_domain_event(
        DELIVER_EVENT,
        "The webhooks addon's own: one event's POST to one endpoint (payload: endpoint_id, "
        "id, event, occurred_at, tenant, data). Not sent to webhooks itself.",
        wildcard=False)
    config.add_event_handler(EVERY_EVENT, fan_out, name=FAN_OUT_HANDLER)
    config.add_event_handler(DELIVER_EVENT, deliver, name=DELIVER_HANDLER, external=True)
    config.add_route("webhooks", "/settings/webhooks")
    config.add_route("webhook_new", "/settings/webhooks/new")
    config.add_route("webhook", "/settings/webhooks/{id}")
    config.add_route("webhook_action", "/settings/webhooks/{id}/{action}")
    config.add_menu_item("webhooks", _("Webhooks"), "webhooks", order=930,
                         permission="webhooks.manage")
    config.scan(".views")
