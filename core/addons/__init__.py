"""Addons: discovery, the dependency graph, per-addon registries and the view guard.

Built-in addons and third-party packages are found the same way, through the
``jimucrm.addons`` entry-point group; each entry point names an addon's package,
which has a ``manifest.toml`` and an ``includeme(config)``.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from types import ModuleType

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.viewderivers import INGRESS
from zope.interface.interface import InterfaceClass
from zope.interface.registry import Components

from ..interfaces import INTERNAL, IAddonCatalogue
from .catalogue import AddonCatalogue, ExtensionPoint, dotted_name
from .graph import AddonGraphError, check_unique
from .guard import addon_guard
from .manifest import Manifest, ManifestError, read_manifest

__all__ = ["AddonCatalogue", "AddonGraphError", "ExtensionPoint", "Manifest", "ManifestError",
           "discover", "dotted_name", "fill_ui_slot", "first_line", "include_addons"]

ENTRY_POINT_GROUP = "jimucrm.addons"


def discover() -> dict[str, Manifest]:
    """The manifest of every installed addon, checked for duplicate names."""
    manifests = []
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        distribution = entry_point.dist.name if entry_point.dist is not None else None
        manifest = read_manifest(entry_point.value, distribution)
        if manifest.name != entry_point.name:
            raise ManifestError(f"{manifest.path}: name {manifest.name!r} differs from its "
                                f"entry point {entry_point.name!r} in {distribution}")
        manifests.append(manifest)
    return check_unique(manifests)


def _interfaces_in(module: ModuleType) -> list[InterfaceClass]:
    return [value for value in vars(module).values()
            if isinstance(value, InterfaceClass) and value.__module__ == module.__name__
            and not value.queryTaggedValue(INTERNAL)]


def first_line(doc: str | None) -> str:
    """The first line of a docstring (the catalogue shows only that)."""
    return (doc or "").strip().splitlines()[0] if (doc or "").strip() else ""


def add_extension_points(config: Configurator, module: str, kind: str = "interface") -> None:
    """Config directive: declare every interface in ``module`` as an extension point."""
    catalogue = config.registry.getUtility(IAddonCatalogue)
    resolved = config.maybe_dotted(module)
    owner = catalogue.addon_of(resolved.__name__) or resolved.__name__.split(".")[1]
    for interface in _interfaces_in(resolved):
        catalogue.declare_point(dotted_name(interface), kind, interface.__doc__ or "", owner)


def _subscriber_name(config: Configurator) -> str:
    catalogue = config.registry.getUtility(IAddonCatalogue)
    return catalogue.addon_of(config.package_name) or config.package_name.split(".")[1]


def register_service(config: Configurator, component: object, provided: InterfaceClass,
                     name: str = "") -> None:
    """Config directive: register ``component`` as the service for ``provided``.

    From an addon it goes into the addon's own registry, so only tenants that
    enabled the addon see it; registering for a point another addon provides
    needs an ``overrides`` entry in the manifest (checked here, at start-up).
    """
    catalogue = config.registry.getUtility(IAddonCatalogue)
    addon = catalogue.addon_of(config.package_name)
    point = dotted_name(provided)
    catalogue.check_override(addon, point)
    catalogue.registry_for(addon).registerUtility(component, provided, name)
    declared = catalogue.points.get(point)
    if declared is not None and addon is not None and declared.provider != addon:
        declared.overridden_by.add(addon)


def add_event_subscriber(config: Configurator, handler, event: InterfaceClass) -> None:
    """Config directive: call ``handler(event)`` when an ``event`` is notified.

    An addon's subscribers run only for tenants that enabled the addon.
    """
    catalogue = config.registry.getUtility(IAddonCatalogue)
    addon = catalogue.addon_of(config.package_name)
    if addon is None:
        config.add_subscriber(handler, event)
    else:
        catalogue.components[addon].registerHandler(handler, (event,))
    declared = catalogue.points.get(dotted_name(event))
    if declared is not None:
        declared.subscribed_by.add(_subscriber_name(config))


def add_ui_slot(config: Configurator, name: str, doc: str) -> None:
    """Config directive: declare a named place in the UI that addons may fill."""
    catalogue = config.registry.getUtility(IAddonCatalogue)
    catalogue.declare_point(name, "slot", doc, _subscriber_name(config))


def fill_ui_slot(config: Configurator, slot: str) -> str | None:
    """Record that the current package contributes to ``slot``; return its addon."""
    catalogue = config.registry.getUtility(IAddonCatalogue)
    point = catalogue.points.get(slot)
    if point is None or point.kind != "slot":
        raise AddonGraphError(f"{config.package_name} fills UI slot {slot!r}, which nobody "
                              f"declares")
    point.filled_by.add(_subscriber_name(config))
    return catalogue.addon_of(config.package_name)


def _components(request: Request) -> Components:
    catalogue = request.registry.getUtility(IAddonCatalogue)
    tenant = request.tenant
    return catalogue.base if tenant is None else catalogue.composed(tenant.addons)


def _find_service(request: Request, provided: InterfaceClass, name: str = ""):
    return request.components.getUtility(provided, name)


def _declare_addon_points(config: Configurator, catalogue: AddonCatalogue) -> None:
    for name in catalogue.order:
        manifest = catalogue.manifests[name]
        declared: set[str] = set()
        for module_name, kind in (("interfaces", "interface"), ("events", "event")):
            try:
                module = importlib.import_module(f"{manifest.package}.{module_name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{manifest.package}.{module_name}":
                    raise
                continue
            for interface in _interfaces_in(module):
                point = dotted_name(interface)
                catalogue.declare_point(point, kind, interface.__doc__ or "", name)
                declared.add(point)
        for point in manifest.provides:
            if point not in declared:
                raise ManifestError(
                    f"{manifest.path}: key 'provides' lists {point}, which is not an "
                    f"interface in {manifest.package}.interfaces or .events")


def include_addons(config: Configurator) -> None:
    """Include every addon, each after those it depends on."""
    catalogue = config.registry.getUtility(IAddonCatalogue)
    _declare_addon_points(config, catalogue)
    for name in catalogue.order:
        config.include(catalogue.manifests[name].package)


def includeme(config: Configurator) -> None:
    catalogue = AddonCatalogue(discover(), config.registry)
    # Registered at once (not as an action): the directives below need it while
    # packages are being included.
    config.registry.registerUtility(catalogue, IAddonCatalogue)
    config.add_directive("add_extension_points", add_extension_points)
    config.add_directive("register_service", register_service)
    config.add_directive("add_event_subscriber", add_event_subscriber)
    config.add_directive("add_ui_slot", add_ui_slot)
    config.add_request_method(_components, "components", reify=True)
    config.add_request_method(_find_service, "find_service")
    # Outside the security check: a disabled addon's page is a 404 even for the
    # anonymous, never a login prompt that would reveal it exists.
    config.add_view_deriver(addon_guard, under=INGRESS, over="secured_view")
    config.add_extension_points("jimucrm.core.interfaces")
    config.add_extension_points("jimucrm.core.events", kind="event")

