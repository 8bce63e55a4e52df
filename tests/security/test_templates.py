"""The CSP forbids inline script and style: no template may rely on them.

A browser under ``script-src 'self'; style-src 'self'`` silently ignores inline
``<script>`` bodies, ``<style>`` elements, ``style=""`` attributes, ``on*=`` handlers and
``javascript:`` URLs, so a template using one would break without an error anywhere.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(p for package in ("core", "tenants", "security", "addons")
                   for p in (ROOT / package).rglob("*.pt"))


def test_templates_are_found():
    assert len(TEMPLATES) >= 5


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_inline_script_style_or_handlers(path):
    source = path.read_text(encoding="utf-8")
    soup = BeautifulSoup(source, "html.parser")
    problems = []
    for tag in soup.find_all(True):
        if tag.name == "script" and (not tag.get("src") or tag.get_text().strip()):
            problems.append("inline <script>")
        if tag.name == "style":
            problems.append("<style> element")
        for attribute, value in tag.attrs.items():
            name = attribute.lower().split(":")[-1]  # tal:attributes-style prefixes too
            value = " ".join(value) if isinstance(value, list) else str(value)
            if name == "style":
                problems.append(f"style= on <{tag.name}>")
            if re.fullmatch(r"on[a-z]+", name):
                problems.append(f"{attribute}= on <{tag.name}>")
            if value.strip().lower().startswith("javascript:"):
                problems.append(f"javascript: URL on <{tag.name}>")
    # tal:attributes="style …" / "onclick …" would add them at render time.
    for spec in re.findall(r'tal:attributes="([^"]*)"', source):
        for item in spec.split(";"):
            name = item.strip().split(" ", 1)[0].lower()
            if name == "style" or re.fullmatch(r"on[a-z]+", name):
                problems.append(f"tal:attributes sets {name}")
    assert not problems, f"{path.relative_to(ROOT)}: {problems}"
