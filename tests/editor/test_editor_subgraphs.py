"""Subgraphs through the canvas (issue 18): Ctrl+G collapses the selection into one node
with the exposed ports, wired to the outside; saved nested, reopened collapsed; the live
result is unchanged; Ctrl+Shift+G and undo expand it again."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from moks_graph.editor.qtcompat import QtGui, QtWidgets

STARTER = Path(__file__).resolve().parents[2] / "graphs" / "handheld_chase.mgraph"


def test_collapse_expand_save_and_reopen(editor, qtbot, tmp_path, monkeypatch):
    assert editor.open_file(STARTER)
    canvas, doc = editor.canvas, editor.doc
    before = doc.graph.evaluate(["scene.channels"], frames=(1, 6))["scene.channels"]
    edges = canvas.view_edges()
    canvas.select(["atmosphere", "key", "fill"])
    monkeypatch.setattr(QtWidgets.QInputDialog, "getText", lambda *a, **k: ("lights", True))
    assert canvas.subgraphs.collapse_action.shortcut() == QtGui.QKeySequence("Ctrl+G")
    canvas.subgraphs.collapse_action.trigger()
    (sub_id,) = doc.graph.subgraphs
    proxy = canvas.subgraphs.proxies[sub_id]
    assert proxy.name() == "lights" and proxy.view.isVisible()
    assert canvas.subgraphs.proxy_ports(sub_id) == (
        ["camera", "target", "subject"], ["channels", "fill_channels", "key_channels"])
    for node_id in ("atmosphere", "key", "fill"):
        assert not canvas.node_view(node_id).view.isVisible()
    assert canvas.node_view("camera_rig").view.isVisible()
    # drawn pipes: camera_rig -> camera, target; subject -> subject; atmosphere ->
    # camera_weather, merge_0; key -> merge_1; fill -> merge_2
    assert len(canvas.subgraphs.pipes) == 3 + 4
    assert canvas.view_edges() == edges  # the engine's edges are untouched
    after = doc.graph.evaluate(["scene.channels"], frames=(1, 6))["scene.channels"]
    for name in before:
        np.testing.assert_array_equal(after[name], before[name])
    path = tmp_path / "collapsed.mgraph"
    editor.save_file(path)
    saved = json.loads(path.read_text())
    assert saved["nodes"][sub_id]["type"] == "moks.subgraph"
    assert sorted(saved["nodes"][sub_id]["subgraph"]["nodes"]) == ["atmosphere", "fill", "key"]
    editor.new_file()
    assert canvas.subgraphs.proxies == {}
    assert editor.open_file(path)
    assert list(canvas.subgraphs.proxies) == [sub_id]
    assert not canvas.node_view("key").view.isVisible()
    # expand the selected subgraph node (Ctrl+Shift+G); undo collapses it again
    canvas.subgraphs.proxies[sub_id].view.setSelected(True)
    canvas.subgraphs.expand_action.trigger()
    assert doc.graph.subgraphs == {} and canvas.subgraphs.proxies == {}
    assert canvas.node_view("key").view.isVisible()
    assert sorted(canvas.selected_ids()) == ["atmosphere", "fill", "key"]
    assert all(p.isVisible() for n in canvas.node_ids()
               for port in canvas.node_view(n).inputs().values()
               for p in port.view.connected_pipes)
    doc.undo_stack.undo()
    assert list(canvas.subgraphs.proxies) == [sub_id]
    # moving the subgraph node is saved in its ui
    canvas.subgraphs.proxies[sub_id].view.xy_pos = [777.0, 55.0]
    canvas.viewer.moved_nodes.emit({})
    assert doc.graph.subgraphs[sub_id].ui["pos"] == [777, 55]
    assert list(canvas.subgraphs.proxies[sub_id].view.xy_pos) == [777.0, 55.0]


def test_collapse_undo_and_refusal(editor, qtbot):
    doc, canvas = editor.doc, editor.canvas
    doc.add_node("moks.channels.oscillator", (0, 0),
                 {"object": "cam", "kind": "camera", "attribute": "tx"}, node_id="osc")
    doc.add_node("moks.channels.gain", (250, 0), node_id="gain")
    doc.connect("osc.channels", "gain.channels")
    sub_id = canvas.subgraphs.collapse(["gain"], title="g")
    assert sub_id in doc.graph.subgraphs
    assert canvas.subgraphs.proxy_ports(sub_id) == (["channels"], [])
    messages = []
    canvas.message.connect(messages.append)
    assert canvas.subgraphs.collapse(["gain"], title="again") is None
    assert "already in a subgraph" in messages[-1]
    doc.undo_stack.undo()
    assert doc.graph.subgraphs == {} and canvas.node_view("gain").view.isVisible()
    # a double-click on the subgraph node expands it
    sub_id = canvas.subgraphs.collapse(["gain"], title="g")
    canvas.graph.node_double_clicked.emit(canvas.subgraphs.proxies[sub_id])
    assert doc.graph.subgraphs == {} and canvas.selected_ids() == ["gain"]


def test_deleting_a_member_and_undo_restores_the_subgraph(editor, qtbot):
    doc, canvas = editor.doc, editor.canvas
    doc.add_node("moks.channels.oscillator", (0, 0),
                 {"object": "cam", "kind": "camera", "attribute": "tx"}, node_id="osc")
    doc.add_node("moks.channels.gain", (250, 0), node_id="gain")
    doc.connect("osc.channels", "gain.channels")
    sub_id = canvas.subgraphs.collapse(["osc", "gain"], title="both")
    assert doc.remove_nodes(["gain"])
    assert doc.graph.subgraphs[sub_id].members == ("osc",)
    assert doc.remove_nodes(["osc"])
    assert doc.graph.subgraphs == {} and canvas.subgraphs.proxies == {}
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.graph.subgraphs[sub_id].members == ("gain", "osc")
    assert list(canvas.subgraphs.proxies) == [sub_id]
    assert [str(e) for e in doc.graph.edges] == ["osc.channels -> gain.channels"]
