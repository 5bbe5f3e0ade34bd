"""The Bake dialog exposes every ``moks bake`` option (issue 18): each widget's value reaches
:func:`moks_graph.hosts.bake.evaluate_bake`, and a dialog bake writes the same file as the CLI's
own :func:`~moks_graph.hosts.bake.bake_file` given the same options."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import click
from click.testing import CliRunner

import moks_graph as mg
from moks_graph.editor.bake_dialog import BakeDialog
from moks_graph.hosts.bake import bake_file
from moks_graph.hosts.commands.bake import bake as bake_command

GRAPHS = Path(__file__).resolve().parents[2] / "graphs"
SELECTORS = {"table": {"select": "name:set_table", "at": [9.0, 9.0, 9.0]}}


def _graph_file(tmp_path: Path) -> Path:
    graph = mg.load(GRAPHS / "handheld_chase.mgraph")
    graph.meta["selectors"] = SELECTORS
    path = tmp_path / "chase.mgraph"
    mg.save(graph, path)
    return path


def _dialog(qtbot, graph: mg.Graph, tmp_path: Path) -> BakeDialog:
    dialog = BakeDialog(graph, None, str(tmp_path))
    qtbot.addWidget(dialog)
    return dialog


def test_every_widget_reaches_the_bake_arguments(qtbot, tmp_path):
    dialog = _dialog(qtbot, mg.load(_graph_file(tmp_path)), tmp_path)
    dialog.host.setCurrentIndex(dialog.host.findData("usd"))
    dialog.path.setText(str(tmp_path / "x.usda"))
    dialog.start.setValue(3)
    dialog.end.setValue(9)
    dialog.subframes.setValue(4)
    dialog.scene_map.setText(str(tmp_path / "map.json"))
    dialog.up_axis.setCurrentIndex(dialog.up_axis.findData("Y"))
    dialog.meters_per_unit.setValue(0.5)
    assert dialog.phi_enabled.isEnabled() and not dialog.phi.isEnabled()
    dialog.phi_enabled.setChecked(True)
    dialog.phi.setValue(0.25)
    assert dialog.bake_arguments() == {
        "host": "usd", "out": str(tmp_path / "x.usda"), "frames": (3, 9), "subframes": 4,
        "scene_map": str(tmp_path / "map.json"),
        "options": {"up_axis": "Y", "meters_per_unit": 0.5}, "link_to_target": False,
        "phi": 0.25, "look": True, "ambient": True}
    # defaults: the graph's sub-frames, the host's units, no phi, no scene map
    dialog.subframes.setValue(0)
    dialog.up_axis.setCurrentIndex(0)
    dialog.meters_per_unit.setValue(0.0)
    dialog.phi_enabled.setChecked(False)
    dialog.scene_map.setText("")
    args = dialog.bake_arguments()
    assert (args["subframes"], args["options"], args["phi"], args["scene_map"]) == (
        None, {}, None, None)
    # chan takes metres per unit only; maya takes neither: the widgets are disabled, left out
    dialog.up_axis.setCurrentIndex(dialog.up_axis.findData("Y"))
    dialog.meters_per_unit.setValue(1.0)
    dialog.host.setCurrentIndex(dialog.host.findData("chan"))
    assert not dialog.up_axis.isEnabled() and dialog.meters_per_unit.isEnabled()
    assert dialog.bake_arguments()["options"] == {"meters_per_unit": 1.0}
    dialog.host.setCurrentIndex(dialog.host.findData("maya"))
    assert dialog.bake_arguments()["options"] == {}
    # a graph without an atmosphere node has no phi to set
    bare = mg.Graph()
    assert not _dialog(qtbot, bare, tmp_path).phi_enabled.isEnabled()


def test_dialog_bake_writes_what_the_cli_writes(qtbot, tmp_path):
    graph_file = _graph_file(tmp_path)
    scene_map = tmp_path / "map.json"
    scene_map.write_text(json.dumps({"objects": {"set_table": ["furniture"]}}))
    dialog = _dialog(qtbot, mg.load(graph_file), tmp_path)
    dialog.host.setCurrentIndex(dialog.host.findData("usd"))
    out = tmp_path / "dialog.usda"
    dialog.path.setText(str(out))
    dialog.start.setValue(2)
    dialog.end.setValue(6)
    dialog.subframes.setValue(2)
    dialog.scene_map.setText(str(scene_map))
    dialog.up_axis.setCurrentIndex(dialog.up_axis.findData("Y"))
    dialog.meters_per_unit.setValue(1.0)
    dialog.phi_enabled.setChecked(True)
    dialog.phi.setValue(0.8)
    results = []
    dialog.finished_bake.connect(lambda ok, text: results.append((ok, text)))
    assert dialog.start_bake()
    assert dialog.wait(60000)
    assert results[-1][0], results[-1][1]
    text = out.read_text()
    assert 'upAxis = "Y"' in text and "metersPerUnit = 1" in text
    assert "startTimeCode = 2" in text and "endTimeCode = 6" in text
    assert "2.5:" in text  # a sub-frame sample
    assert "MISSING_TARGET_name_set_table" not in text  # the scene map resolved it
    # the command line the dialog shows bakes the same bytes through `moks bake`
    cli = tmp_path / "cli.usda"
    dialog.path.setText(str(cli))
    line = dialog.command_line()
    assert shlex.split(dialog.command.text()) == line
    assert line[:3] == ["moks", "bake", str(graph_file)]
    for flag in ("--subframes", "--scene-map", "--up-axis", "--meters-per-unit", "--phi"):
        assert flag in line
    run = CliRunner().invoke(bake_command, line[2:])
    assert run.exit_code == 0, run.output
    assert cli.read_text() == text
    calm = tmp_path / "calm.usda"  # phi reached the bake: without it the file differs
    bake_file(str(graph_file), "usd", str(calm), frames=(2, 6), subframes=2,
              scene_map=str(scene_map), options={"up_axis": "Y", "meters_per_unit": 1.0})
    assert calm.read_text() != text
    # without the scene map the selector becomes a proxy null
    dialog.scene_map.setText("")
    assert dialog.start_bake(path=str(tmp_path / "proxy.usda"))
    assert dialog.wait(60000) and results[-1][0], results[-1][1]
    assert "MISSING_TARGET_name_set_table" in (tmp_path / "proxy.usda").read_text()
    assert "warning:" in results[-1][1]
    # a scene map that does not exist: refused before evaluating
    dialog.scene_map.setText(str(tmp_path / "nope.json"))
    assert not dialog.start_bake()
    assert "no such file" in results[-1][1]


def test_no_moks_bake_option_is_missing_from_the_dialog(qtbot, tmp_path):
    """Each option ``moks bake`` declares (read from the click command itself, so a new one
    fails here until the dialog has it) is an argument the dialog fills."""
    dialog = _dialog(qtbot, mg.load(_graph_file(tmp_path)), tmp_path)
    dialog.host.setCurrentIndex(dialog.host.findData("usd"))
    dialog.up_axis.setCurrentIndex(dialog.up_axis.findData("Y"))
    dialog.meters_per_unit.setValue(0.5)
    args = dialog.bake_arguments()
    filled = set(args) | set(args["options"])
    declared = {p.name for p in bake_command.params if isinstance(p, click.Option)}
    assert declared and declared - filled == set(), declared - filled
