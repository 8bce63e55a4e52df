"""Every silenced security finding says why: ``# nosec`` and ``# nosemgrep`` carry a reason.

A reason is text after a dash (``- …``) in a comment on the line, or, for a
``# nosemgrep`` written on the line before the finding, in that same comment.
``# nosec`` must also name the bandit test it silences (``# nosec B305``), and
``# nosemgrep`` the rule (``# nosemgrep: jimu-pickle``): a bare one would hide every
future finding on the line too.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "tenants", "security", "addons", "scripts")
REASON = re.compile(r"#[^#]*\s[-–—]\s+\w")


def _lines():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*")):
            if path.suffix != ".py" and path.parent.name != "scripts":
                continue
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                yield f"{path.relative_to(ROOT)}:{number}", line


def test_every_nosec_names_its_test_and_gives_a_reason():
    bad = [f"{where}: {line.strip()}" for where, line in _lines()
           if "# nosec" in line and (not re.search(r"# nosec B\d{3}", line)
                                      or not REASON.search(line))]
    assert not bad, "# nosec without a test id (B123) or a reason (- why):\n" + "\n".join(bad)


def test_every_nosemgrep_names_its_rule_and_gives_a_reason():
    bad = []
    for where, line in _lines():
        if "nosemgrep" not in line:
            continue
        comment = line[line.index("nosemgrep"):]
        if not re.match(r"nosemgrep:\s*[\w.-]+", comment) or not REASON.search(line):
            bad.append(f"{where}: {line.strip()}")
    assert not bad, "# nosemgrep without a rule id or a reason:\n" + "\n".join(bad)
