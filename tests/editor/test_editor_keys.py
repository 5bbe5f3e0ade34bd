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
