"""The addon dependency graph: checked whole, then walked in dependency order."""

from __future__ import annotations

from collections.abc import Iterable

from ..i18n import _
from .manifest import Manifest


class AddonGraphError(Exception):
    """Missing dependency, cycle, version mismatch or duplicate name; names the addons.

    ``message`` is a TranslationString when a tenant admin may see the error
    (enabling or disabling); start-up errors are for developers, in English.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        interpolate = getattr(self.message, "interpolate", None)
        return interpolate() if interpolate is not None else str(self.message)


def check_unique(manifests: Iterable[Manifest]) -> dict[str, Manifest]:
    """Index manifests by name; two addons with one name is an error."""
    found: dict[str, Manifest] = {}
    for manifest in manifests:
        if manifest.name in found:
            other = found[manifest.name]
            raise AddonGraphError(
                f"two addons are named {manifest.name}: {other.package} and {manifest.package}")
        found[manifest.name] = manifest
    return found


def topological_order(addons: dict[str, Manifest]) -> list[str]:
    """Every addon after all it depends on; ties broken by name for a stable order."""
    for manifest in addons.values():
        for requirement in manifest.depends:
            needed = addons.get(requirement.name)
            if needed is None:
                raise AddonGraphError(
                    f"addon {manifest.name} depends on {requirement.name}, which is not installed")
            if requirement.specifier and not requirement.specifier.contains(
                    needed.version, prereleases=True):
                raise AddonGraphError(
                    f"addon {manifest.name} needs {requirement}, but {needed.name} is "
                    f"version {needed.version}")
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = path[path.index(name):] + [name]
            raise AddonGraphError("addon dependency cycle: " + " -> ".join(cycle))
        state[name] = "visiting"
        for requirement in sorted(addons[name].depends, key=lambda r: r.name):
            visit(requirement.name, [*path, name])
        state[name] = "done"
        order.append(name)

    for name in sorted(addons):
        visit(name, [])
    return order


def closure(addons: dict[str, Manifest], names: Iterable[str]) -> set[str]:
    """``names`` with everything they depend on, transitively."""
    result: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in result:
            continue
        if name not in addons:
            raise AddonGraphError(_("There is no addon named ${name}.", mapping={"name": name}))
        result.add(name)
        pending.extend(requirement.name for requirement in addons[name].depends)
    return result


def dependents(addons: dict[str, Manifest], name: str, among: Iterable[str]) -> list[str]:
    """The addons of ``among`` that depend on ``name``, directly or not."""
    return sorted(other for other in among
                  if other != name and name in closure(addons, [other]))
