"""Role-based access: permissions declared by packages and addons, roles that grant
them, record rules (own / team / all per model) and field permissions.

* :mod:`.permissions`: ``config.declare_permission`` and ``config.add_model_permissions``;
* :mod:`.grants`: what a user's roles grant, loaded once per request into the identity;
* :mod:`.services`: :class:`~jimucrm.core.interfaces.IRecordRules` and
  :class:`~jimucrm.core.interfaces.IFieldAccess`, which views, the API and exports ask;
* :mod:`.defaults`: the manager and staff roles each tenant starts with.
"""

from __future__ import annotations

from pyramid.config import Configurator

from jimucrm.core.events import ITenantAddonsChanged, ITenantProvisioned
from jimucrm.core.i18n import _
from jimucrm.core.interfaces import IFieldAccess, IRecordRules

from .defaults import create_system_roles, grant_enabled_addons
from .services import FieldAccess, RecordRules


def includeme(config: Configurator) -> None:
    config.include(".permissions")
    config.add_migration_branch("security_rbac", "jimucrm.security.rbac:migrations/versions")
    config.register_service(RecordRules(), IRecordRules)
    config.register_service(FieldAccess(), IFieldAccess)
    config.add_event_subscriber(create_system_roles, ITenantProvisioned)
    config.add_event_subscriber(grant_enabled_addons, ITenantAddonsChanged)
    group = _("Settings")
    config.declare_permission("settings.users", _("Manage users, roles and teams"), group=group)
