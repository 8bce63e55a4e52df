"""Each rule in .semgrep/ catches what it bans and nothing it allows.

The examples live in ``tests/security/semgrep/``; each says where it pretends to live
(``# semgrep-fixture-path: …``, so the rules' ``paths:`` scoping is exercised too) and
marks the line after ``# ruleid: RULE`` as a finding and the line after ``# ok: RULE``
as none. They are copied to those paths in a scratch folder and scanned offline with the
same command as .ci/run. ``.semgrepignore`` keeps them out of the repository scan.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / ".semgrep"
EXAMPLES = Path(__file__).resolve().parent / "semgrep"
ANNOTATION = re.compile(r"#\s*(ruleid|ok):\s*([\w-]+)\s*$")

pytestmark = pytest.mark.skipif(shutil.which("semgrep") is None,
                                reason="semgrep is not installed (pip install -e '.[test]')")


def _rule_ids() -> set[str]:
    ids = set()
    for path in RULES.glob("*.yml"):
        ids.update(re.findall(r"^\s*-\s*id:\s*([\w-]+)", path.read_text(encoding="utf-8"),
                              re.MULTILINE))
    return ids


def _examples(tmp_path: Path) -> tuple[list[str], set, set]:
    """Copy the examples into place; return their paths and the expected/allowed lines."""
    targets, expected, allowed = [], set(), set()
    for example in sorted(EXAMPLES.glob("*.py")):
        lines = example.read_text(encoding="utf-8").splitlines()
        header = re.match(r"#\s*semgrep-fixture-path:\s*(\S+)", lines[0])
        assert header, f"{example.name} does not say where it pretends to live"
        target = header.group(1)
        (tmp_path / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(example, tmp_path / target)
        targets.append(target)
        for number, line in enumerate(lines, start=1):
            found = ANNOTATION.search(line)
            if not found or line.strip() != found.group(0).strip():
                continue
            following = next(n for n in range(number + 1, len(lines) + 1)
                             if not lines[n - 1].strip().startswith("#"))
            (expected if found.group(1) == "ruleid" else allowed).add(
                (target, following, found.group(2)))
    return targets, expected, allowed


def test_every_rule_has_examples_both_ways(tmp_path):
    _, expected, allowed = _examples(tmp_path)
    rules = _rule_ids()
    assert {"jimu-raw-gmssl", "jimu-ecb-mode", "jimu-sql-string-formatting",
            "jimu-random-in-security-code", "jimu-pickle"} <= rules
    for rule in rules:
        assert any(r == rule for *_, r in expected), f"{rule}: no example it must catch"
        assert any(r == rule for *_, r in allowed), f"{rule}: no example it must allow"


def test_rules_catch_exactly_the_marked_lines(tmp_path):
    targets, expected, allowed = _examples(tmp_path)
    result = subprocess.run(
        ["semgrep", "scan", "--config", str(RULES), "--metrics=off",
         "--disable-version-check", "--error", "--json", "--quiet", *targets],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 1, (  # findings fail the CI step
        f"semgrep exited {result.returncode}:\n{result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    assert not report["errors"], report["errors"]
    found = {(r["path"], r["start"]["line"], r["check_id"].rsplit(".", 1)[-1])
             for r in report["results"]}
    missed = sorted(expected - found)
    unexpected = sorted(found - expected)
    assert not missed, f"rules missed: {missed}"
    assert not unexpected, f"rules flagged lines they must allow: {unexpected}"
    assert not (found & allowed)
    assert set(report["paths"]["scanned"]) == set(targets)
