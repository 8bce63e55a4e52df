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


def test_wheel_carries_templates_static_files_and_catalogues(tmp_path):
    """`pip install .` users get every non-Python file the app needs."""
    import subprocess
    import sys
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(tmp_path), str(ROOT)], check=True, timeout=300)
    wheel = next(tmp_path.glob("jimu_crm-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for source in ROOT.glob("**/*"):
        if source.suffix not in {".pt", ".css", ".svg", ".po", ".json", ".toml", ".mako"}:
            continue
        relative = source.relative_to(ROOT)
        if relative.parts[0] not in MAPPING or relative.name == "pyproject.toml":
            continue
        packaged = "/".join(["jimucrm", *relative.parts])
        assert packaged in names, f"{relative} is missing from the wheel"
