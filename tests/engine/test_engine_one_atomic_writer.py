"""One atomic writer: only moks_graph/atomic.py renames a temp file (or folder) over an
output."""

from __future__ import annotations

import ast
from pathlib import Path

import moks_graph

ROOT = Path(moks_graph.__file__).resolve().parents[1]


def renames(path: Path) -> list[int]:
    """Lines of ``os.replace(...)`` / ``os.rename(...)`` calls and of ``<path>.rename(...)``
    (``pathlib``) calls in one module."""
    return [n.lineno for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and (n.func.attr == "rename" or (
                n.func.attr == "replace" and isinstance(n.func.value, ast.Name)
                and n.func.value.id == "os"))]


def test_no_module_but_atomic_renames_files():
    found = [f"{p.relative_to(ROOT)}:{line}"
             for folder in ("moks_graph", "nodes", "hosts", "editor")
             for p in sorted((ROOT / folder).rglob("*.py")) if p.name != "atomic.py"
             for line in renames(p)]
    assert found == []


def test_the_scan_sees_a_rename(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\n\ndef save():\n    os.replace('a', 'b')\n"
                   "    staging.rename(folder)\n    'text'.replace('a', 'b')\n")
    assert renames(bad) == [5, 6]


def test_atomic_folder_swaps_a_whole_set_or_nothing(tmp_path):
    from moks_graph.atomic import atomic_folder

    target = tmp_path / "shot"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with atomic_folder(target) as staging:
        (staging / "new.txt").write_text("new")
        assert sorted(p.name for p in target.iterdir()) == ["old.txt"]  # untouched until done
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
    try:
        with atomic_folder(target) as staging:
            (staging / "half.txt").write_text("half")
            raise RuntimeError("writer failed")
    except RuntimeError:
        pass
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shot"]  # no staging or old left
