"""docs/security.md's guarantees table is the security matrix of issue 20: one row per
guarantee, each naming the test that proves it. This checks that every named test exists (a
renamed or deleted test fails here) and that every area of the issue has rows; the tests
themselves run in their own modules."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security.md"
ROW = re.compile(r"^\| (?P<area>[a-z ]+) \| (?P<text>.+) \| `(?P<file>tests/[\w/]+\.py)::"
                 r"(?P<test>test_\w+)` \|$")
#: The issue's "What to build" items, as the table's area column names them.
AREAS = {"paths", "host code", "images", "remote", "plugins", "command line"}


def _rows() -> list[dict[str, str]]:
    section = DOC.read_text(encoding="utf-8").split("## Guarantees", 1)[1].split("\n## ", 1)[0]
    lines = [ln for ln in section.splitlines() if ln.startswith("| ") and "---" not in ln]
    rows = [m.groupdict() for ln in lines[1:] if (m := ROW.match(ln))]
    assert len(rows) == len(lines) - 1, "a row of the guarantees table does not name a test"
    return rows


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def test_every_area_has_guarantees():
    counts: dict[str, int] = {}
    for row in _rows():
        counts[row["area"]] = counts.get(row["area"], 0) + 1
    assert set(counts) == AREAS, counts
    assert all(n >= 2 for n in counts.values()), counts


@pytest.mark.parametrize("row", _rows(), ids=lambda r: r["test"])
def test_each_guarantee_names_a_test_that_exists(row):
    path = ROOT / row["file"]
    assert path.is_file(), row["file"]
    assert row["test"] in _test_names(path), f"{row['file']} has no {row['test']}"
