"""Manifests: validated on load, errors name the file and the key, no code runs."""

import sys

import pytest

from jimucrm.core.addons.manifest import ManifestError, parse_manifest, read_manifest

GOOD = '''
name = "library"
version = "1.2.0"
summary = "Books"
license = "MIT"
author = "张三"
depends = ["contacts>=0.1", "sales"]
provides = []
overrides = [{ point = "a.b.IFoo", addon = "contacts" }]
industries = ["education"]
alembic_branch = "library"
'''


def write(tmp_path, text):
    path = tmp_path / "manifest.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_manifest(tmp_path):
    manifest = parse_manifest(write(tmp_path, GOOD), "jimu_library")
    assert manifest.name == "library"
    assert str(manifest.version) == "1.2.0"
    assert [str(r) for r in manifest.depends] == ["contacts>=0.1", "sales"]
    assert manifest.overrides[0].point == "a.b.IFoo"
    assert manifest.industries == ("education",)


@pytest.mark.parametrize(("change", "key"), [
    (("name = \"library\"", "name = \"Library!\""), "name"),
    (("version = \"1.2.0\"", "version = \"one\""), "version"),
    (("version = \"1.2.0\"", "version = 1"), "version"),
    (("depends = [\"contacts>=0.1\", \"sales\"]", "depends = \"contacts\""), "depends"),
    (("depends = [\"contacts>=0.1\", \"sales\"]", "depends = [\"contacts >=> 1\"]"), "depends"),
    (("overrides = [{ point = \"a.b.IFoo\", addon = \"contacts\" }]",
      "overrides = [{ point = \"a.b.IFoo\" }]"), "overrides"),
    (("summary = \"Books\"\n", ""), "summary"),
    (("industries = [\"education\"]", "industries = [\"education\"]\ncolour = \"red\""), "colour"),
])
def test_errors_name_file_and_key(tmp_path, change, key):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ManifestError) as error:
        parse_manifest(path, "jimu_library")
    assert str(path) in str(error.value)
    assert key in str(error.value)


def test_invalid_toml_and_missing_data_file(tmp_path):
    with pytest.raises(ManifestError, match="not valid TOML"):
        parse_manifest(write(tmp_path, "name = "), "x")
    with pytest.raises(ManifestError, match="data/rows.json"):
        parse_manifest(write(tmp_path, GOOD + 'data = ["data/rows.json"]\n'), "x")


def test_reading_a_manifest_runs_no_code(tmp_path, monkeypatch):
    package = tmp_path / "jimu_booby_trap"
    package.mkdir()
    (package / "__init__.py").write_text("raise RuntimeError('addon code ran')\n")
    (package / "manifest.toml").write_text(GOOD, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    manifest = read_manifest("jimu_booby_trap")
    assert manifest.name == "library"
    assert "jimu_booby_trap" not in sys.modules


def test_builtin_contacts_manifest():
    manifest = read_manifest("jimucrm.addons.contacts")
    assert manifest.name == "contacts"
    assert manifest.alembic_branch == "contacts"
    assert manifest.provides == ("jimucrm.addons.contacts.interfaces.IContactScorer",
                                 "jimucrm.addons.contacts.interfaces.IDuplicateFinder")
