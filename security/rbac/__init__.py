"""Role-based access: permissions declared by packages and addons, roles that grant
them, record rules (own / team / all per model) and field permissions.

* :mod:`.permissions`: ``config.declare_permission`` and ``config.add_model_permissions``;
* :mod:`.grants`: what a user's roles grant, loaded once per request into the identity;
* :mod:`.services`: :class:`~jimucrm.core.interfaces.IRecordRules` and
  :class:`~jimucrm.core.interfaces.IFieldAccess`, which views, the API and exports ask;
* :mod:`.defaults`: the manager and staff roles each tenant starts with;
* :mod:`.views`: the tenant admin's pages for users, roles and teams (``/settings/users``,
  ``/settings/roles``, ``/settings/teams``; permission ``settings.users``).
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
    # "new" before "{id}": routes match in the order they are added.
    config.add_route("settings_users", "/settings/users")
    config.add_route("settings_user_new", "/settings/users/new")
    config.add_route("settings_user", "/settings/users/{id}")
    config.add_route("settings_user_deactivate", "/settings/users/{id}/deactivate")
    config.add_route("settings_user_reactivate", "/settings/users/{id}/reactivate")
    config.add_route("settings_user_reset_mfa", "/settings/users/{id}/reset-mfa")
    config.add_route("settings_roles", "/settings/roles")
    config.add_route("settings_role_new", "/settings/roles/new")
    config.add_route("settings_role", "/settings/roles/{id}")
    config.add_route("settings_role_delete", "/settings/roles/{id}/delete")
    config.add_route("settings_teams", "/settings/teams")
    config.add_route("settings_team", "/settings/teams/{id}")
    config.add_route("settings_team_deactivate", "/settings/teams/{id}/deactivate")
    config.add_route("settings_team_reactivate", "/settings/teams/{id}/reactivate")
    config.add_menu_item("users", _("Users & roles"), "settings_users", order=890,
                         permission="settings.users")
    config.scan(".views")
