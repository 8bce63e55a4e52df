"""Packaging: every Python package in the tree is listed for `pip install .`."""

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAPPING = {"core": "jimucrm.core", "tenants": "jimucrm.tenants",
           "security": "jimucrm.security", "addons": "jimucrm.addons"}


def test_every_package_is_listed_in_setup_cfg():
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    listed = set(parser["options"]["packages"].split())
    found = set()
    for folder, dotted in MAPPING.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder)
            found.add(".".join([dotted, *relative.parts]))
    assert found == listed


def test_every_addon_has_a_manifest_beside_its_init():
    for init in (ROOT / "addons").glob("*/__init__.py"):
        assert (init.parent / "manifest.toml").exists(), init.parent.name
