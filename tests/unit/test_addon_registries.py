"""Per-addon registries, composition per addon set, and the override rules."""

from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version
from zope.interface import Interface
from zope.interface.registry import Components

from jimucrm.core.addons.catalogue import AddonCatalogue
from jimucrm.core.addons.graph import AddonGraphError
from jimucrm.core.addons.manifest import Manifest, Override


class IPricing(Interface):
    """Prices an order."""


POINT = f"{__name__}.IPricing"


def manifest(name, *depends, overrides=()):
    return Manifest(name=name, version=Version("1.0"), summary="", license="MIT", author="",
                    package=f"pkg_{name}", path=Path("manifest.toml"),
                    depends=tuple(Requirement(d) for d in depends),
                    overrides=tuple(Override(POINT, addon) for addon in overrides))


@pytest.fixture
def catalogue():
    manifests = {m.name: m for m in (
        manifest("sales"),
        manifest("discounts", "sales", overrides=["sales"]),
        manifest("vip", "discounts", overrides=["sales"]),
        manifest("rival", "sales", overrides=["sales"]),
        manifest("rogue", "sales"),
        manifest("loner", overrides=["sales"]),
    )}
    catalogue = AddonCatalogue(manifests, Components("app"))
    catalogue.declare_point(POINT, "interface", IPricing.__doc__, "sales")
    return catalogue


def register(catalogue, addon, value):
    catalogue.check_override(addon, POINT)
    catalogue.registry_for(addon).registerUtility(value, IPricing)
    if addon != "sales":
        catalogue.points[POINT].overridden_by.add(addon)


def test_override_wins_only_in_sets_that_enable_it(catalogue):
    register(catalogue, "sales", "list price")
    register(catalogue, "discounts", "discounted")
    assert catalogue.composed(frozenset({"sales"})).getUtility(IPricing) == "list price"
    assert catalogue.composed(frozenset({"sales", "discounts"})).getUtility(IPricing) == \
        "discounted"
    assert catalogue.composed(frozenset()).queryUtility(IPricing) is None


def test_a_dependent_override_beats_the_one_it_builds_on(catalogue):
    register(catalogue, "sales", "list price")
    register(catalogue, "discounts", "discounted")
    register(catalogue, "vip", "vip price")
    chosen = frozenset({"sales", "discounts", "vip"})
    catalogue.check_set(chosen)
    assert catalogue.composed(chosen).getUtility(IPricing) == "vip price"


def test_undeclared_override_fails(catalogue):
    with pytest.raises(AddonGraphError, match="rogue registers a component for .*IPricing.*"
                                              "without declaring"):
        register(catalogue, "rogue", "cheap")


def test_override_without_dependency_fails(catalogue):
    with pytest.raises(AddonGraphError, match="loner overrides .* but does not depend"):
        register(catalogue, "loner", "x")


def test_two_unordered_overrides_cannot_be_enabled_together(catalogue):
    register(catalogue, "discounts", "discounted")
    register(catalogue, "rival", "rival price")
    with pytest.raises(AddonGraphError) as error:
        catalogue.check_set({"sales", "discounts", "rival"})
    assert "discounts" in str(error.value) and "rival" in str(error.value)
    catalogue.check_set({"sales", "discounts"})


def test_sets_must_include_dependencies(catalogue):
    with pytest.raises(AddonGraphError, match="sales"):
        catalogue.check_set({"discounts"})


def test_one_registry_per_distinct_set(catalogue):
    first = catalogue.composed(frozenset({"sales", "discounts"}))
    assert catalogue.composed(frozenset({"discounts", "sales"})) is first
    assert catalogue.composed(frozenset({"sales"})) is not first


def test_subscribers_of_disabled_addons_do_not_run(catalogue):
    class IOrderPaid(Interface):
        """An order was paid."""

    calls = []
    catalogue.registry_for("sales").registerHandler(lambda e: calls.append("sales"),
                                                    (IOrderPaid,))
    catalogue.registry_for("discounts").registerHandler(lambda e: calls.append("discounts"),
                                                        (IOrderPaid,))
    from zope.interface import implementer

    @implementer(IOrderPaid)
    class Paid:
        pass

    catalogue.composed(frozenset({"sales"})).subscribers((Paid(),), None)
    assert calls == ["sales"]


def test_addons_cannot_replace_deployment_wide_points(catalogue):
    catalogue.declare_point("x.IDirectory", "interface", "Finds tenants.", "core")
    with pytest.raises(AddonGraphError, match="deployment-wide"):
        catalogue.check_override("sales", "x.IDirectory")
    catalogue.check_override(None, "x.IDirectory")  # tenants or security may


def test_composed_cache_is_bounded(catalogue, monkeypatch):
    from jimucrm.core.addons import catalogue as module

    monkeypatch.setattr(module, "COMPOSED_CACHE_SIZE", 2)
    first = catalogue.composed(frozenset({"sales"}))
    catalogue.composed(frozenset({"sales", "discounts"}))
    catalogue.composed(frozenset())
    assert catalogue.composed(frozenset({"sales"})) is not first  # evicted, rebuilt
