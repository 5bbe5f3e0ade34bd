"""Keys through the canvas (issue 18): K keys the selected node's keyable params at the
current frame; set_key sets a value; the engine evaluates the curve; undo; saved."""

from __future__ import annotations

import numpy as np

import moks_graph as mg
from moks_graph.editor.qtcompat import QtGui


def test_set_key_at_the_current_frame(editor, qtbot, tmp_path):
    doc, canvas = editor.doc, editor.canvas
    doc.set_settings(frame_start=1, frame_end=24)
    doc.add_node("moks.channels.oscillator", (0, 0),
                 {"object": "cam", "kind": "camera", "attribute": "tx", "offset": 1.0},
                 node_id="osc")
    doc.add_node("moks.channels.gain", (250, 0), {"gain": 3.0}, node_id="gain")
    doc.connect("osc.channels", "gain.channels")
    assert isinstance(canvas.keys.frame_source(), float)
    canvas.keys.frame_source = lambda: 1.0
    canvas.select(["gain"])
    assert canvas.keys.action.shortcut() == QtGui.QKeySequence("K")
    canvas.keys.action.trigger()  # the static value becomes the first key
    assert doc.graph.nodes["gain"].keys == {"gain": {"interp": "linear", "keys": [[1, 3.0]]}}
    canvas.keys.frame_source = lambda: 24.0
    assert canvas.keys.set_key("gain", "gain", 26.0)
    curve = doc.graph.nodes["gain"].keys["gain"]
    assert curve["keys"] == [[1, 3.0], [24, 26.0]]
    result = doc.graph.evaluate(["gain.channels", "osc.channels"])
    frames = result["osc.channels"].time.frames
    np.testing.assert_allclose(result["gain.channels"]["cam.tx"],
                               result["osc.channels"]["cam.tx"] * (3.0 + (frames - 1.0)))
    # out of range: refused with the engine's message, nothing changes
    messages = []
    canvas.message.connect(messages.append)
    assert not canvas.keys.set_key("gain", "gain", 1e9, frame=12)
    assert "MG105" in messages[-1]
    assert doc.graph.nodes["gain"].keys["gain"] == curve
    # saved and loaded back; undo removes the keys step by step
    path = tmp_path / "keyed.mgraph"
    editor.save_file(path)
    assert mg.load(path).nodes["gain"].keys == {"gain": curve}
    doc.undo_stack.undo()
    assert doc.graph.nodes["gain"].keys["gain"]["keys"] == [[1, 3.0]]
    doc.undo_stack.undo()
    assert doc.graph.nodes["gain"].keys == {}
    # a node without keyable params
    canvas.select(["osc"])
    doc.add_node("moks.channels.merge", (500, 0), node_id="merge")
    canvas.select(["merge"])
    canvas.keys.action.trigger()
    assert "no selected node" in messages[-1]


def test_the_panel_marks_a_keyed_parameter_and_deletes_its_keys(editor, qtbot):
    """A keyed param: ◆ before its name, its keys in the tooltip, the static value greyed out
    (the curve drives it); right-click on the name deletes the keys (one undo step)."""
    from moks_graph.editor.properties import KEYED_MARK

    doc, canvas, panel = editor.doc, editor.canvas, editor.properties
    doc.set_settings(frame_start=1, frame_end=24)
    doc.add_node("moks.channels.oscillator", (0, 0),
                 {"object": "cam", "kind": "camera", "attribute": "tx"}, node_id="osc")
    doc.add_node("moks.channels.gain", (250, 0), {"gain": 3.0}, node_id="gain")
    doc.connect("osc.channels", "gain.channels")
    canvas.select(["gain"])
    label, field = panel.labels["gain"], panel.editors["gain"]
    assert not label.text().startswith(KEYED_MARK) and field.isEnabled()
    assert canvas.keys.set_key("gain", "gain", 3.0, frame=1)
    assert canvas.keys.set_key("gain", "gain", 5.0, frame=12)
    assert panel.labels["gain"] is label  # the same form, refreshed
    assert label.text().startswith(KEYED_MARK) and not field.isEnabled()
    assert "2 key(s) at frames 1–12 (linear)" in label.toolTip()
    label.customContextMenuRequested.emit(label.rect().center())  # right-click
    assert doc.graph.nodes["gain"].keys == {}
    assert not label.text().startswith(KEYED_MARK) and field.isEnabled()
    assert doc.undo_stack.undoText() == "delete keys gain.gain"
    doc.undo_stack.undo()
    assert doc.graph.nodes["gain"].keys["gain"]["keys"] == [[1, 3.0], [12, 5.0]]
    assert label.text().startswith(KEYED_MARK)
    label.customContextMenuRequested.emit(label.rect().center())
    label.customContextMenuRequested.emit(label.rect().center())  # not keyed: a reset
    assert "gain" not in doc.graph.nodes["gain"].params
