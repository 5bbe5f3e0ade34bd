"""DESIGN.md boundaries between the layers: engine <- nodes <- hosts <- editor.

Two rules, checked on the source (every import in the module, at its top or inside a
function, plus ``importlib.import_module("...")`` / ``__import__("...")`` with a literal
name):

* ``nodes/inverse/`` is pure math and thin node wrappers: it imports no host, no editor,
  no terminal or CLI library (click, rich), no cluster (dask, distributed), no DCC (pxr,
  bpy), no database (sqlite3) and no network client (anthropic, openai, google, urllib,
  http, requests, httpx). The match application that does those things lives in
  ``hosts/inverse/``, ``hosts/farm/`` and ``hosts/blender/``. Only ``nodes/inverse/`` is
  checked for now: other ``nodes/`` folders still hold their CLIs (``scenescript``,
  ``imaging``, ``lighting``, ``looks``), which a later change moves under ``hosts/``;
  then this rule extends to the whole of ``nodes/``.
* ``hosts/`` never imports the editor.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import moks_graph.hosts
import moks_graph.nodes

NODES = Path(moks_graph.nodes.__file__).parent
HOSTS = Path(moks_graph.hosts.__file__).parent

NODES_FORBIDDEN = ("moks_graph.hosts", "moks_graph.editor", "click", "rich", "dask",
                   "distributed", "pxr", "bpy", "sqlite3", "anthropic", "openai", "google",
                   "urllib", "http", "requests", "httpx")
HOSTS_FORBIDDEN = ("moks_graph.editor",)
_IMPORTERS = {"import_module", "__import__"}


def _package(path: Path, root: Path, package: str) -> str:
    """The package a module of ``root`` (installed as ``package``) belongs to."""
    return ".".join((package, *path.relative_to(root).parent.parts))


def imported_names(path: Path, root: Path, package: str) -> list[tuple[int, str]]:
    """``(line, module)`` for every import in ``path`` (relative imports made absolute)."""
    here = _package(path, root, package)
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{a.name}") for a in node.names]
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if name in _IMPORTERS and isinstance(first, ast.Constant) \
                    and isinstance(first.value, str):
                found.append((node.lineno, first.value))
    return found


def offenders(folder: Path, root: Path, package: str,
              forbidden: tuple[str, ...]) -> list[str]:
    out = []
    for path in sorted(folder.rglob("*.py")):
        for line, name in imported_names(path, root, package):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                out.append(f"{path.relative_to(root.parent)}:{line}: {name}")
    return out


def test_nodes_inverse_imports_no_host_editor_cli_cluster_dcc_or_network_library():
    assert offenders(NODES / "inverse", NODES, "moks_graph.nodes", NODES_FORBIDDEN) == []


def test_hosts_never_import_the_editor():
    assert offenders(HOSTS, HOSTS, "moks_graph.hosts", HOSTS_FORBIDDEN) == []


@pytest.mark.parametrize("source, expected", [
    ("import rich.table\n", "rich.table"),
    ("def f():\n    from moks_graph.hosts.inverse import match\n", "moks_graph.hosts.inverse"),
    ("def f():\n    import importlib\n    importlib.import_module('sqlite3')\n", "sqlite3"),
    ("from ... import hosts\n", "moks_graph.hosts"),
    ("from ...hosts.farm import match\n", "moks_graph.hosts.farm"),
])
def test_the_walk_sees_every_kind_of_import(tmp_path, source, expected):
    """The checker itself: top-level, in-function, by name and relative imports are seen."""
    pkg = tmp_path / "nodes" / "inverse"
    pkg.mkdir(parents=True)
    (pkg / "bad.py").write_text(source)
    root, package = tmp_path / "nodes", "moks_graph.nodes"
    assert expected in [n for _, n in imported_names(pkg / "bad.py", root, package)]
    assert offenders(pkg, root, package, NODES_FORBIDDEN)
