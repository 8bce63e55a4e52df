"""The audit log: who changed what, when and from where, per tenant, append-only.

* every insert, update and delete of a tenant model, captured from the ORM
  (:mod:`.capture`), with before/after values and sensitive fields redacted;
* logins (successful or refused), logouts, addons enabled or disabled, exports
  (:mod:`.log`: ``record``, ``record_export``…; core's list exports through the
  ``IRecordsExported`` event);
* ``/settings/audit`` for tenant admins: search, page, export as CSV;
* each UTC day sealed: hashed, chained to the day before and signed with the
  deployment's audit key (Ed25519, or SM2 in national mode), checked by
  ``jimu audit verify`` (:mod:`.seal`).

Settings read (declared in ``jimucrm.core.settings``): ``jimu.audit_key_file``
(default: ``audit-signing-key.<provider>.pem`` in the data directory) and
``jimu.crypto``.
"""

from __future__ import annotations

from pyramid.config import Configurator

from jimucrm.core.events import IRecordsExported, ITenantAddonsChanged, ITenantProvisioned
from jimucrm.core.i18n import _

from . import capture
from .capture import audit_session
from .log import Actor, process_actor, record, record_export
from .subscribers import make_log_append_only, record_addons_changed, record_records_exported

__all__ = ["Actor", "audit_session", "includeme", "process_actor", "record", "record_export"]


def includeme(config: Configurator) -> None:
    capture.install()
    config.add_migration_branch("security_audit", "jimucrm.security.audit:migrations/versions")
    config.add_event_subscriber(make_log_append_only, ITenantProvisioned)
    config.add_event_subscriber(record_addons_changed, ITenantAddonsChanged)
    config.add_event_subscriber(record_records_exported, IRecordsExported)
    config.add_task_module("jimucrm.security.audit.tasks")
    config.declare_permission("settings.audit", _("Search and export the audit log"),
                          group=_("Settings"))
    config.add_route("settings_audit", "/settings/audit")
    config.add_route("settings_audit_csv", "/settings/audit.csv")
    config.add_menu_item("audit", _("Audit log"), "settings_audit", order=910,
                         permission="settings.audit")
    config.scan(".views")
