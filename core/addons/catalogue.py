"""The addon catalogue: manifests, order, per-addon registries, composed registries."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from zope.interface import implementer
from zope.interface.interface import InterfaceClass
from zope.interface.registry import Components

from ..i18n import _
from ..interfaces import IAddonCatalogue
from .graph import AddonGraphError, closure, topological_order
from .manifest import Manifest

COMPOSED_CACHE_SIZE = 1024


def dotted_name(interface: InterfaceClass) -> str:
    return f"{interface.__module__}.{interface.__name__}"


@dataclass
class ExtensionPoint:
    """An interface, event or UI slot others may override, subscribe to or fill."""

    name: str
    kind: str  # "interface" | "event" | "slot"
    doc: str
    provider: str  # addon name, or the core package that declares it
    overridden_by: set[str] = field(default_factory=set)
    subscribed_by: set[str] = field(default_factory=set)
    filled_by: set[str] = field(default_factory=set)


@implementer(IAddonCatalogue)
class AddonCatalogue:
    """Holds every installed addon's manifest and its own component registry."""

    def __init__(self, manifests: dict[str, Manifest], base: Components) -> None:
        self.manifests = manifests
        self.order = topological_order(manifests)
        self._rank = {name: index for index, name in enumerate(self.order)}
        self._packages = sorted(((m.package, m.name) for m in manifests.values()),
                                key=lambda item: -len(item[0]))
        # The application registry: what core, tenants and security register.
        self.base = base
        self.components = {name: Components(f"jimu:addon:{name}") for name in self.order}
        self.points: dict[str, ExtensionPoint] = {}
        self._composed: OrderedDict[frozenset[str], Components] = OrderedDict()
        self._lock = threading.Lock()

    # -- which addon is this? ---------------------------------------------------------
    def addon_of(self, package_name: str) -> str | None:
        for package, name in self._packages:
            if package_name == package or package_name.startswith(package + "."):
                return name
        return None

    def registry_for(self, addon: str | None) -> Components:
        return self.base if addon is None else self.components[addon]

    # -- extension points -------------------------------------------------------------
    def declare_point(self, name: str, kind: str, doc: str, provider: str) -> ExtensionPoint:
        existing = self.points.get(name)
        if existing is not None and existing.provider != provider:
            raise AddonGraphError(
                f"extension point {name} is declared by both {existing.provider} and {provider}")
        point = existing or ExtensionPoint(name, kind, doc, provider)
        self.points[name] = point
        return point

    def check_override(self, addon: str | None, point_name: str) -> None:
        """Registering for another addon's point needs ``overrides`` and a dependency."""
        point = self.points.get(point_name)
        if point is None or addon is None or point.provider == addon:
            return
        if point.provider not in self.manifests:
            # Core's points are deployment-wide services, looked up in the application
            # registry: an addon's registration would silently do nothing.
            raise AddonGraphError(
                f"addon {addon} registers a component for {point_name}, a deployment-wide "
                f"point of {point.provider}; addons cannot replace it per tenant (a "
                f"deployment replaces it through jimu.includes)")
        manifest = self.manifests[addon]
        declared = {(o.point, o.addon) for o in manifest.overrides}
        if (point_name, point.provider) not in declared:
            raise AddonGraphError(
                f"addon {addon} registers a component for {point_name}, which addon "
                f"{point.provider} provides, without declaring it in its manifest: "
                f'overrides = [{{point = "{point_name}", addon = "{point.provider}"}}]')
        if point.provider not in closure(self.manifests, [addon]):
            raise AddonGraphError(
                f"addon {addon} overrides {point_name} of addon {point.provider} but does "
                f"not depend on it; add {point.provider} to its depends")

    # -- tenant registries ------------------------------------------------------------
    def check_set(self, names: Iterable[str]) -> None:
        names = set(names)
        unknown = sorted(names - set(self.manifests))
        if unknown:
            raise AddonGraphError(_("There is no addon named ${name}.",
                                    mapping={"name": ", ".join(unknown)}))
        missing = closure(self.manifests, names) - names
        if missing:
            raise AddonGraphError(_("Enable ${names} too: the chosen addons depend on it.",
                                    mapping={"names": ", ".join(sorted(missing))}))
        for point in self.points.values():
            overriders = sorted(point.overridden_by & names)
            for index, first in enumerate(overriders):
                for second in overriders[index + 1:]:
                    if (first not in closure(self.manifests, [second])
                            and second not in closure(self.manifests, [first])):
                        raise AddonGraphError(_(
                            "Addons ${first} and ${second} both replace ${point} and neither "
                            "depends on the other; enable only one of them.",
                            mapping={"first": first, "second": second, "point": point.name}))

    def composed(self, names: frozenset[str]) -> Components:
        """One registry per distinct addon set, built on first use and then shared.

        The most recently used ``COMPOSED_CACHE_SIZE`` sets are kept (about 17 KiB
        each); an evicted set is rebuilt, in a millisecond or two, when next needed.
        """
        with self._lock:
            registry = self._composed.get(names)
            if registry is not None:
                self._composed.move_to_end(names)
                return registry
            ordered = sorted(names, key=lambda name: -self._rank[name])
            bases = tuple(self.components[name] for name in ordered) + (self.base,)
            registry = Components("jimu:tenant:" + "+".join(sorted(names)), bases=bases)
            self._composed[names] = registry
            if len(self._composed) > COMPOSED_CACHE_SIZE:
                self._composed.popitem(last=False)
        return registry

    def table_owner(self, module: str) -> str | None:
        """The addon owning a model module (None: core, tenants or security)."""
        return self.addon_of(module)
