"""What the audit log does when others' events happen."""

from __future__ import annotations

from jimucrm.core.events import IRecordsExported, ITenantAddonsChanged, ITenantProvisioned

from .log import ADDON_DISABLED, ADDON_ENABLED, add_entry, current_actor, record_export
from .models import APPEND_ONLY_TABLES, append_only_ddl


def record_addons_changed(event: ITenantAddonsChanged) -> None:
    """Enabling or disabling an addon changes what users may do: one entry per addon."""
    actor = current_actor(event.tenant.slug)
    for action, names in ((ADDON_ENABLED, event.enabled), (ADDON_DISABLED, event.disabled)):
        for name in names:
            add_entry(event.session, actor, action, model="addons", record_id=name,
                      details={"addons": sorted(event.tenant.addons)})


def record_records_exported(event: IRecordsExported) -> None:
    """An export from a list (core's model views): who took how many rows of what."""
    record_export(event.request, event.model, event.count, format=event.format,
                  filters=dict(event.filters), truncated=event.truncated)


def make_log_append_only(event: ITenantProvisioned) -> None:
    """Create the append-only triggers in a new tenant's schema.

    The provisioning script is compiled from table definitions, which carry no
    triggers; the migration creates the same function and triggers.
    """
    connection = event.session.connection()
    for table in APPEND_ONLY_TABLES:
        for ddl in append_only_ddl(table):
            connection.execute(ddl)
