"""The slim base install (issue 14): the engine, a starter's load, validation and a bake to a
non-USD host import none of the optional libraries, and a missing extra is named.

The import check runs in a fresh interpreter, so nothing another test imported counts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from moks_graph.cli import main
from moks_graph.extras import EXTRAS, MissingExtra, require

GRAPHS = Path(__file__).resolve().parents[2] / "graphs"

#: Top-level modules of the extras (and of what they pull in) and of the dev tools.
OPTIONAL = ("ripser", "sklearn", "matplotlib", "persim", "pxr", "bpy", "PySide6",
            "NodeGraphQt", "pyqtgraph", "dask", "distributed", "openjd", "cv2", "anthropic",
            "openai", "google", "PyOpenColorIO", "colour", "hypothesis", "pytest")

PROBE = """
import json, sys, tempfile, os
import moks_graph as mg
from moks_graph.hosts.bake import bake
g = mg.load(sys.argv[1])
assert g.validate() == [], g.validate()
with tempfile.TemporaryDirectory() as d:
    bake(g, "maya", os.path.join(d, "shot.ma"), frames=(1, 4))
    bake(g, "chan", os.path.join(d, "shot.chan"), frames=(1, 4))
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def test_load_validate_bake_imports_no_optional_library():
    starter = sorted(GRAPHS.glob("*.mgraph"))[0]
    done = subprocess.run([sys.executable, "-c", PROBE, str(starter)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    imported = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "moks_graph" in imported
    assert sorted(imported & set(OPTIONAL)) == []


@pytest.mark.parametrize(("module", "extra"), [("ripser", "topology"), ("PySide6", "editor")])
def test_require_names_the_extra(monkeypatch, module, extra):
    monkeypatch.setitem(sys.modules, module, None)  # import of it fails, as when uninstalled
    with pytest.raises(MissingExtra, match=rf"pip install 'moks-graph\[{extra}\]'") as info:
        require(module, extra, "this feature")
    assert isinstance(info.value, ImportError) and info.value.code == "MG140"
    assert extra in EXTRAS


def test_persistent_betti_without_ripser_names_the_topology_extra(monkeypatch):
    import numpy as np

    from moks_graph.nodes.topology.betti import persistent_betti

    monkeypatch.setitem(sys.modules, "ripser", None)
    with pytest.raises(MissingExtra, match=r"moks-graph\[topology\]"):
        persistent_betti(np.ones((16, 16)))


def test_cli_commands_name_their_missing_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "PyOpenColorIO", None)
    r = CliRunner().invoke(main, ["look", "export", str(tmp_path / "looks.ocio")])
    assert r.exit_code == 2 and "moks-graph[ocio]" in r.output and "MG140" in r.output
    assert not (tmp_path / "looks.ocio").exists()
    monkeypatch.setitem(sys.modules, "distributed", None)
    monkeypatch.setitem(sys.modules, "dask", None)
    r = CliRunner().invoke(main, ["farm", "bake", str(sorted(GRAPHS.glob("*.mgraph"))[0]),
                                  "--out", str(tmp_path / "farm")])
    assert r.exit_code == 2 and "moks-graph[farm]" in r.output, r.output


def test_editor_without_qt_says_which_extra(monkeypatch, capsys):
    from moks_graph.editor.app import main as editor_main

    monkeypatch.setitem(sys.modules, "PySide6", None)
    assert editor_main([]) == 2
    assert "pip install 'moks-graph[editor]'" in capsys.readouterr().err
