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

#: A slim machine, simulated: every optional module fails to import (as when uninstalled).
PROBE = """
import json, sys, tempfile, os
for name in sys.argv[2].split(","):
    sys.modules[name] = None
import moks_graph as mg
from moks_graph.hosts.bake import bake
g = mg.load(sys.argv[1])
assert g.validate() == [], g.validate()
with tempfile.TemporaryDirectory() as d:
    notes = bake(g, "maya", os.path.join(d, "shot.ma"), frames=(1, 4)).notes
    bake(g, "chan", os.path.join(d, "shot.chan"), frames=(1, 4))
    written = sorted(os.listdir(d))
loaded = sorted({m.split(".")[0] for m, mod in sys.modules.items() if mod is not None})
print(json.dumps({"modules": loaded, "notes": notes, "written": written}))
"""


@pytest.mark.parametrize("starter", [sorted(GRAPHS.glob("*.mgraph"))[0],
                                     GRAPHS / "foggy_tripod_noir.mgraph"],
                         ids=lambda p: p.stem)
def test_a_slim_install_loads_validates_and_bakes(starter):
    """No optional library: the bake still writes its host file; a film look, which needs
    PyOpenColorIO, is left out with a note naming the extra (never a traceback)."""
    done = subprocess.run([sys.executable, "-c", PROBE, str(starter), ",".join(OPTIONAL)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert "moks_graph" in report["modules"]
    assert sorted(set(report["modules"]) & set(OPTIONAL)) == []
    assert "shot.ma" in report["written"] and "shot.chan" in report["written"]
    assert not [f for f in report["written"] if f.endswith((".ocio", ".clf"))]
    if '"moks.look.film_stock"' in starter.read_text():
        assert any("moks-graph[ocio]" in note for note in report["notes"]), report["notes"]


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
