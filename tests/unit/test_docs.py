"""The documentation keeps up with the code: every setting, every page linked."""

from __future__ import annotations

import re
from pathlib import Path

from jimucrm.core.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _section(markdown: str, title: str) -> str:
    """The text under ``## title``, up to the next heading of that level."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    assert match, f"no '## {title}' section"
    return match.group(1)


def test_every_declared_setting_is_in_the_operations_settings_table():
    table = _section((DOCS / "operations.md").read_text(encoding="utf-8"), "Settings")
    documented = set(re.findall(r"`(jimu\.[a-z0-9_]+)`", table))
    missing = sorted({setting.name for setting in SETTINGS} - documented)
    assert not missing, f"docs/operations.md, Settings, lacks {missing}"
    unknown = sorted(documented - {setting.name for setting in SETTINGS})
    assert not unknown, f"docs/operations.md, Settings, names undeclared {unknown}"


def test_the_readme_links_every_page_of_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\((docs/[^)#]+\.md)\)", readme))
    pages = {f"docs/{page.name}" for page in DOCS.glob("*.md")}
    assert pages - linked == set(), f"README.md does not link {sorted(pages - linked)}"
    assert linked - pages == set(), f"README.md links missing pages {sorted(linked - pages)}"
