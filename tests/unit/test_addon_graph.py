"""The dependency graph: every failure names the addons involved."""

from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from jimucrm.core.addons.graph import (
    AddonGraphError,
    check_unique,
    closure,
    dependents,
    topological_order,
)
from jimucrm.core.addons.manifest import Manifest


def manifest(name, *depends, version="1.0", package=None):
    return Manifest(name=name, version=Version(version), summary="", license="MIT", author="",
                    package=package or f"pkg_{name}", path=Path("manifest.toml"),
                    depends=tuple(Requirement(d) for d in depends))


def graph(*manifests):
    return {m.name: m for m in manifests}


def test_order_puts_dependencies_first():
    addons = graph(manifest("sales", "contacts"), manifest("contacts"),
                   manifest("crm", "contacts", "sales"), manifest("audit"))
    order = topological_order(addons)
    assert order.index("contacts") < order.index("sales") < order.index("crm")
    assert sorted(order) == ["audit", "contacts", "crm", "sales"]


def test_missing_dependency_names_both():
    with pytest.raises(AddonGraphError, match="sales depends on contacts"):
        topological_order(graph(manifest("sales", "contacts")))


def test_version_mismatch_names_both():
    addons = graph(manifest("sales", "contacts>=2"), manifest("contacts", version="1.5"))
    with pytest.raises(AddonGraphError, match=r"sales needs contacts>=2.*version 1\.5"):
        topological_order(addons)


def test_cycle_is_named():
    addons = graph(manifest("a", "b"), manifest("b", "c"), manifest("c", "a"))
    with pytest.raises(AddonGraphError, match="cycle: a -> b -> c -> a"):
        topological_order(addons)


def test_duplicate_name_names_both_packages():
    with pytest.raises(AddonGraphError, match="pkg_one and pkg_two"):
        check_unique([manifest("crm", package="pkg_one"), manifest("crm", package="pkg_two")])


def test_closure_and_dependents():
    addons = graph(manifest("contacts"), manifest("sales", "contacts"),
                   manifest("crm", "sales"), manifest("audit"))
    assert closure(addons, ["crm"]) == {"crm", "sales", "contacts"}
    assert dependents(addons, "contacts", ["sales", "crm", "audit"]) == ["crm", "sales"]
    with pytest.raises(AddonGraphError):
        closure(addons, ["nope"])
