"""The permission catalogue: every permission, declared by the package that owns it.

Core only keeps the catalogue; who holds what is decided by the security policy
that ``jimucrm.security`` registers (roles, record rules, field permissions).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyramid.config import Configurator
from pyramid.i18n import TranslationString
from pyramid.registry import Registry

from .interfaces import IAddonCatalogue

# Held by whoever is logged in through a browser session (never through an API
# token): their own account pages and the home page. No role grants it.
AUTHENTICATED = "authenticated"


@dataclass(frozen=True)
class Permission:
    name: str
    title: TranslationString
    group: TranslationString
    roles: tuple[str, ...]
    addon: str | None


def declare_permission(config: Configurator, name: str, title: TranslationString, *,
                   group: TranslationString | None = None,
                   roles: tuple[str, ...] = ()) -> None:
    """Config directive: declare permission ``name`` (dotted: ``contacts.view``).

    Views, menu items and panels name only declared permissions (a test checks);
    the role editor lists them under ``group``. ``roles`` names the system roles
    (``manager``, ``staff``) that receive it by default when a tenant gets the
    declaring package: at provisioning, or when the declaring addon is enabled.
    """
    addon = config.registry.getUtility(IAddonCatalogue).addon_of(config.package_name)
    permission = Permission(name, title, group or title, tuple(roles), addon)

    def register() -> None:
        config.registry.jimu_permissions[name] = permission

    # Two declarations of one name are a configuration conflict at start-up.
    config.action(("jimu.permission", name), register)


def permissions(registry: Registry) -> dict[str, Permission]:
    """Every declared permission by name."""
    return registry.jimu_permissions


def includeme(config: Configurator) -> None:
    config.registry.jimu_permissions = {}
    config.add_directive("declare_permission", declare_permission)
