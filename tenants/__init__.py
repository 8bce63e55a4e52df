"""Tenants: the platform registry, provisioning, routing and per-schema migrations."""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.tweens import EXCVIEW, MAIN

from jimucrm.core.i18n import _
from jimucrm.core.interfaces import ICacheGeneration, IDatabase, ITenantDirectory

from .addons import TenantAddons
from .directory import TenantDirectory
from .interfaces import ITenantAddons, ITenantProvisioner
from .provisioning import Provisioner


def includeme(config: Configurator) -> None:
    settings = config.get_settings()
    config.add_migration_branch("platform", "jimucrm.tenants:migrations/versions",
                                scope="public")
    config.add_message_catalogues("jimucrm.tenants:locale")
    config.add_extension_points("jimucrm.tenants.interfaces")

    def register() -> None:
        directory = TenantDirectory(
            config.registry.getUtility(IDatabase),
            config.registry.getUtility(ICacheGeneration),
            base_domain=settings["jimu.base_domain"],
            ttl=settings["jimu.tenant_cache_seconds"],
        )
        config.registry.registerUtility(directory, ITenantDirectory)
        config.registry.registerUtility(Provisioner(config.registry), ITenantProvisioner)
        config.registry.registerUtility(TenantAddons(config.registry), ITenantAddons)

    config.action("jimu.tenants.services", register)
    # Below the exception view, so an unknown tenant gets the 404 page.
    config.add_tween("jimucrm.tenants.routing.tenant_tween_factory", under=EXCVIEW, over=MAIN)
    config.scan(".subscribers")
    config.add_route("settings_addons", "/settings/addons")
    config.add_menu_item("settings", _("Settings"), "settings_addons", order=900,
                         permission="admin")
    config.scan(".views")
