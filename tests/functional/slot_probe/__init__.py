"""A test include that puts a probe panel into every generated list and detail slot.

Included before the addons (``jimu.includes``), so the slots do not exist yet when its
``includeme`` runs: the panels are added by an action that runs after the addons'.
"""

from __future__ import annotations

from pathlib import Path

from pyramid.config import Configurator

from jimucrm.core.panels import Panel

PROBE = str(Path(__file__).with_name("probe.pt"))


def includeme(config: Configurator) -> None:
    registry = config.registry

    def add_probes() -> None:
        for spec in registry.jimu_model_views.values():
            for slot in (spec.list_slot, spec.detail_slot):
                registry.jimu_panels.append(
                    Panel(slot, PROBE, 100, f"{spec.permission}.view", None))

    config.action(None, add_probes, order=10_000)
