"""Addons published as wheels by third parties, and the scaffold's addon.

Each is built into a wheel and installed into a fresh virtual environment that
sees this Jimu; a driver running there enables them for one tenant and checks
that they do their job there and nowhere else.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jimucrm.core.cli.scaffold import scaffold_values, write_scaffold

pytestmark = pytest.mark.slow

PACKAGES = Path(__file__).resolve().parents[2] / "addon_packages"


def _run(*args, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                            timeout=600, **kwargs)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A fresh environment with Jimu (from this interpreter) and the three addon wheels."""
    root = tmp_path_factory.mktemp("third-party")
    scaffolded = root / "src"
    write_scaffold(scaffolded / "jimu-notes", scaffold_values("notes", "Test author"))
    wheels = root / "wheels"
    for project in (PACKAGES / "jimu-hello", PACKAGES / "jimu-vip-scoring",
                    scaffolded / "jimu-notes"):
        _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
             "-q", "-w", wheels, project)
    env_dir = root / "venv"
    _run(sys.executable, "-m", "venv", "--system-site-packages", env_dir)
    python = env_dir / "bin" / "python"
    _run(python, "-m", "pip", "install", "--no-deps", "-q", *sorted(wheels.glob("*.whl")))
    return {"python": python, "scaffolded": scaffolded / "jimu-notes"}


@pytest.fixture(scope="module")
def driver_result(venv, servers, suite_master_key):
    # The suite's master key: the app starts only when it unwraps the tenants' data keys.
    env = dict(os.environ, DRIVER_DATABASE_URL=servers.database_url,
               DRIVER_REDIS_URL=servers.redis_url, JIMU_MASTER_KEY=f"test-a:{suite_master_key}")
    result = _run(venv["python"], Path(__file__).with_name("driver.py"), env=env)
    return json.loads(result.stdout)


def test_wheels_are_discovered_with_their_distribution(driver_result):
    assert driver_result["discovered"]["hello"] == "jimu-hello"
    assert driver_result["discovered"]["vip_scoring"] == "jimu-vip-scoring"
    assert driver_result["discovered"]["notes"] == "jimu-notes"


@pytest.mark.extension_point("jimucrm.addons.contacts.events.IContactCreated")
@pytest.mark.extension_point("main_menu")
@pytest.mark.extension_point("home")
def test_page_menu_panel_and_subscriber_only_where_enabled(driver_result):
    a, b = driver_result["tp-a"], driver_result["tp-b"]
    assert a["hello_status"] == 200 and a["greeting_shown"]
    assert a["menu_has_hello"] and a["home_panel"]
    assert b["hello_status"] == 404
    assert not b["menu_has_hello"] and not b["home_panel"]


@pytest.mark.extension_point("jimucrm.addons.contacts.interfaces.IContactScorer")
def test_override_applies_only_where_enabled(driver_result):
    assert driver_result["tp-a"]["score"] == 100  # vip_scoring: a group company
    assert driver_result["tp-b"]["score"] == 20  # contacts' default: company filled in


def test_dependencies_protect_enabled_addons(driver_result):
    refusal = driver_result["disable_contacts"]
    assert refusal != "allowed"
    assert "hello" in refusal and "vip_scoring" in refusal


def test_disable_hides_and_enable_brings_data_back(driver_result):
    assert driver_result["hello_after_disable"] == 404
    assert driver_result["greetings_after_reenable"] >= 1
    assert driver_result["welcome_rows"] == 1  # its data file loaded once, not per enable


def test_scaffolded_addon_works_and_its_own_tests_pass(venv, driver_result):
    assert driver_result["tp-a"]["notes_status"] == 200
    assert driver_result["tp-a"]["note_saved"] is True
    assert driver_result["tp-b"]["notes_status"] == 404
    _run(venv["python"], "-m", "pytest", "-q", "-p", "no:cacheprovider",
         venv["scaffolded"] / "tests", cwd=venv["scaffolded"])


def test_cli_lists_third_party_addons(venv, servers):
    env = dict(os.environ, JIMU_SECRET_KEY="s" * 40)
    listed = _run(venv["python"], "-m", "jimucrm.core.cli", "--database-url",
                  servers.database_url, "--redis-url", servers.redis_url, "addon", "list",
                  env=env)
    assert "jimu-hello" in listed.stdout and "jimu-vip-scoring" in listed.stdout
