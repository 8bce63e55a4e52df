"""The extension-point catalogue: read from the code, documented, and exercised by tests."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from jimucrm.core import configure
from jimucrm.core.cli import cli
from jimucrm.core.interfaces import IAddonCatalogue

TESTS = Path(__file__).resolve().parents[1]
SETTINGS = {  # configure() connects to nothing, so no server is needed here
    "jimu.database_url": "postgresql://nobody@127.0.0.1:1/none",
    "jimu.redis_url": "redis://127.0.0.1:1/0",
    "jimu.secret_key": "x" * 40,
}


@pytest.fixture(scope="module")
def catalogue():
    return configure(SETTINGS).registry.getUtility(IAddonCatalogue)


def test_catalogue_has_interfaces_events_and_slots(catalogue):
    kinds = {point.kind for point in catalogue.points.values()}
    assert kinds == {"interface", "event", "slot"}
    assert catalogue.points["jimucrm.addons.contacts.interfaces.IContactScorer"].provider == \
        "contacts"
    assert "security" in catalogue.points["jimucrm.core.events.ITenantProvisioned"].subscribed_by
    assert "contacts" in catalogue.points["main_menu"].filled_by


def test_every_point_has_a_docstring(catalogue):
    missing = [name for name, point in catalogue.points.items() if not point.doc.strip()]
    assert missing == []


def test_every_point_has_a_test_that_overrides_or_subscribes_to_it(catalogue):
    marked = set()
    for source in TESTS.rglob("test_*.py"):
        marked.update(re.findall(r'extension_point\(\s*"([^"]+)"\s*\)', source.read_text()))
    assert sorted(set(catalogue.points) - marked) == []
    assert sorted(marked - set(catalogue.points)) == []


def test_command_prints_the_catalogue(catalogue):
    result = CliRunner().invoke(cli, ["--database-url", SETTINGS["jimu.database_url"],
                                      "--redis-url", SETTINGS["jimu.redis_url"],
                                      "extension-points"],
                                env={"JIMU_SECRET_KEY": SETTINGS["jimu.secret_key"],
                                     "COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    for name, point in catalogue.points.items():
        assert name in result.output
        assert point.doc.strip().splitlines()[0][:30] in result.output
