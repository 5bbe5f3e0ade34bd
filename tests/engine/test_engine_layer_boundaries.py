"""DESIGN.md boundaries between the layers: engine <- nodes <- hosts <- editor.

Three rules, checked on the source of every module (every import, at its top or inside a
function, plus ``importlib.import_module("...")`` / ``__import__("...")`` with a literal
name):

* ``nodes/`` is pure math and thin node wrappers: it imports no host, no editor, no
  terminal or CLI library (click, rich), no cluster (dask, distributed), no DCC (pxr,
  bpy), no database (sqlite3) and no network client or vendor SDK (anthropic, openai,
  google, urllib, http, socket, requests, httpx). Commands live in ``hosts/commands/``.
* ``hosts/`` never imports the editor.
* ``moks_graph/`` (the engine) imports none of nodes, hosts or editor; they reach it through
  entry points (``moks_graph.nodes``, ``moks_graph.cli``) declared in pyproject.toml.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import moks_graph
import moks_graph.hosts
import moks_graph.nodes

ENGINE = Path(moks_graph.__file__).parent
NODES = Path(moks_graph.nodes.__file__).parent
HOSTS = Path(moks_graph.hosts.__file__).parent

NODES_FORBIDDEN = ("moks_graph.hosts", "moks_graph.editor", "click", "rich", "dask",
                   "distributed", "pxr", "bpy", "sqlite3", "anthropic", "openai", "google",
                   "urllib", "http", "socket", "requests", "httpx")
HOSTS_FORBIDDEN = ("moks_graph.editor",)
ENGINE_FORBIDDEN = ("moks_graph.nodes", "moks_graph.hosts", "moks_graph.editor")
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


def offenders_in(path: Path, root: Path, package: str,
                 forbidden: tuple[str, ...]) -> list[str]:
    """``file:line: module`` for each forbidden import in one module."""
    return [f"{path.relative_to(root.parent)}:{line}: {name}"
            for line, name in imported_names(path, root, package)
            if any(name == f or name.startswith(f + ".") for f in forbidden)]


def offenders(folder: Path, root: Path, package: str,
              forbidden: tuple[str, ...]) -> list[str]:
    return [o for path in sorted(folder.rglob("*.py"))
            for o in offenders_in(path, root, package, forbidden)]


@pytest.mark.parametrize("folder", sorted(p.name for p in NODES.iterdir()
                                           if (p / "__init__.py").is_file()))
def test_nodes_import_no_host_editor_cli_cluster_dcc_or_network_library(folder):
    assert offenders(NODES / folder, NODES, "moks_graph.nodes", NODES_FORBIDDEN) == []


def test_nodes_top_level_modules_import_no_forbidden_library():
    bad = [o for p in NODES.glob("*.py")
           for o in offenders_in(p, NODES, "moks_graph.nodes", NODES_FORBIDDEN)]
    assert bad == []


def test_hosts_never_import_the_editor():
    assert offenders(HOSTS, HOSTS, "moks_graph.hosts", HOSTS_FORBIDDEN) == []


def test_the_engine_imports_no_node_host_or_editor_module():
    bad = [o for p in sorted(ENGINE.rglob("*.py"))
           for o in offenders_in(p, ENGINE, "moks_graph", ENGINE_FORBIDDEN)]
    assert bad == []


def test_the_engine_names_no_node_or_host_module_by_string():
    """No ``"moks_graph.hosts.x"`` / ``"...:attr"`` literal routes around the import rule
    (the group name ``"moks_graph.nodes"`` itself is allowed)."""
    named = tuple(f + sep for f in ENGINE_FORBIDDEN for sep in ".:")
    bad = [f"{p.name}:{n.lineno}" for p in sorted(ENGINE.rglob("*.py"))
           for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
           if isinstance(n, ast.Constant) and isinstance(n.value, str)
           and n.value.startswith(named)]
    assert bad == []


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
