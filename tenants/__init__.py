"""Tenants: the platform registry, provisioning, routing and per-schema migrations."""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.tweens import EXCVIEW, MAIN

from jimucrm.core.events import IServeStarting
from jimucrm.core.i18n import _
from jimucrm.core.interfaces import ICacheGeneration, IDatabase, ITenantDirectory

from .addons import TenantAddons
from .directory import TenantDirectory
from .interfaces import ITenantAddons, ITenantProvisioner
from .provisioning import Provisioner
from .subscribers import prepare_to_serve


def includeme(config: Configurator) -> None:
    settings = config.get_settings()
    config.add_migration_branch("platform", "jimucrm.tenants:migrations/versions",
                                scope="public")
    config.add_message_catalogues("jimucrm.tenants:locale")
    config.add_extension_points("jimucrm.tenants.interfaces")

    directory = TenantDirectory(
        config.registry.getUtility(IDatabase),
        config.registry.getUtility(ICacheGeneration),
        base_domain=settings["jimu.base_domain"],
        ttl=settings["jimu.tenant_cache_seconds"],
    )
    config.register_service(directory, ITenantDirectory)
    config.register_service(Provisioner(config.registry), ITenantProvisioner)
    config.register_service(TenantAddons(config.registry), ITenantAddons)
    # Below the exception view, so an unknown tenant gets the 404 page.
    config.add_tween("jimucrm.tenants.routing.tenant_tween_factory", under=EXCVIEW, over=MAIN)
    config.add_event_subscriber(prepare_to_serve, IServeStarting)
    config.declare_permission("settings.addons", _("Enable and disable addons"),
                          group=_("Settings"))
    config.add_route("settings_addons", "/settings/addons")
    config.add_menu_item("settings", _("Settings"), "settings_addons", order=900,
                         permission="settings.addons")
    config.scan(".views")
