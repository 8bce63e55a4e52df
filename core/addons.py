"""Addon discovery through the ``jimucrm.addons`` entry-point group.

Built-in addons and third-party packages are found the same way: each entry
point names an addon's package, which has an ``includeme(config)``.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

from pyramid.config import Configurator

ENTRY_POINT_GROUP = "jimucrm.addons"


def discover() -> list[EntryPoint]:
    """Every installed addon's entry point, sorted by name for a stable order."""
    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)


def includeme(config: Configurator) -> None:
    for entry_point in discover():
        config.include(entry_point.value)
