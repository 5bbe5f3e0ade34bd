"""DESIGN.md boundaries: the engine imports numpy/networkx/pydantic only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import moks_graph

ENGINE = Path(moks_graph.__file__).parent
# typing_extensions: pydantic needs it; jiter: pydantic's JSON parser (mgraph's fast path)
ALLOWED_THIRD_PARTY = {"numpy", "networkx", "pydantic", "typing_extensions", "jiter"}
APP_LAYER = {"cli.py", "listing.py"}  # the command line (and its listings) may use click/rich
UPPER_LAYERS = ("moks_graph.nodes", "moks_graph.hosts", "moks_graph.editor")


def test_engine_modules_import_only_numpy_networkx_pydantic():
    stdlib = set(sys.stdlib_module_names)
    offenders = []
    for path in sorted(ENGINE.glob("*.py")):
        if path.name in APP_LAYER:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                layer = name.startswith(UPPER_LAYERS)
                foreign = top not in stdlib | ALLOWED_THIRD_PARTY | {"moks_graph"}
                if layer or foreign:
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_importing_the_engine_loads_no_host_or_gui_library():
    code = ("import sys, moks_graph, moks_graph.mgraph, moks_graph.evaluate;"
            "bad = [m for m in ('PySide6', 'bpy', 'pxr', 'moks_graph.nodes', 'moks_graph.hosts',"
            " 'moks_graph.editor', 'click') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
