"""Backdrops (issue 18): titled boxes saved in ``meta.editor.backdrops``, restored on open,
ignored by headless loads and bakes, edited through the canvas with undo."""

from __future__ import annotations

import json

import moks_graph as mg
from moks_graph.editor.backdrops import read_backdrops
from moks_graph.editor.qtcompat import QtWidgets


def _chain(editor):
    doc = editor.doc
    doc.add_node("moks.channels.oscillator", (0, 0),
                 {"object": "cam", "kind": "camera", "attribute": "tx"}, node_id="osc")
    doc.add_node("moks.channels.gain", (250, 0), node_id="gain")
    doc.connect("osc.channels", "gain.channels")


def test_backdrop_saved_restored_and_undone(editor, qtbot, tmp_path, monkeypatch):
    _chain(editor)
    canvas, doc = editor.canvas, editor.doc
    canvas.select(["osc", "gain"])
    monkeypatch.setattr(QtWidgets.QInputDialog, "getText",
                        lambda *a, **k: ("camera move", True))
    canvas.backdrops.action.trigger()
    assert canvas.backdrops.titles() == ["camera move"]
    (item,) = doc.graph.meta["editor"]["backdrops"]
    x, y = item["pos"]
    w, h = item["size"]
    for node_id in ("osc", "gain"):  # it surrounds the selection
        nx, ny = doc.graph.nodes[node_id].ui["pos"]
        assert x < nx < x + w and y < ny < y + h
    view = canvas.backdrops.views[0]
    assert view.view.xy_pos == [float(x), float(y)] and view.view.width == w
    path = tmp_path / "with_backdrop.mgraph"
    editor.save_file(path)
    saved = json.loads(path.read_text())
    assert saved["meta"]["editor"]["backdrops"][0]["title"] == "camera move"
    # headless: the engine loads, evaluates and saves it back unchanged
    graph = mg.load(path)
    assert graph.validate() == []
    assert graph.evaluate(["gain.channels"]).ok
    assert mg.mgraph.dumps(graph) == path.read_text()
    # reopened in the editor: drawn again
    editor.new_file()
    assert canvas.backdrops.titles() == []
    editor.open_file(path)
    assert canvas.backdrops.titles() == ["camera move"]
    # a resize in the view is written back as one undo step; undo restores it
    depth = doc.undo_stack.count()
    canvas.backdrops.views[0].on_backdrop_updated(
        "sizer_mouse_release", {"width": w + 100, "height": h, "pos": [x, y]})
    assert doc.graph.meta["editor"]["backdrops"][0]["size"] == [w + 100, h]
    assert doc.undo_stack.count() == depth + 1
    doc.undo_stack.undo()
    assert doc.graph.meta["editor"]["backdrops"][0]["size"] == [w, h]
    assert canvas.backdrops.views[0].view.width == w
    # a drag in the view (NodeGraphQt's moved_nodes) is written back too
    canvas.backdrops.views[0].view.xy_pos = [x + 10, y + 20]
    canvas.viewer.moved_nodes.emit({})
    assert doc.graph.meta["editor"]["backdrops"][0]["pos"] == [x + 10, y + 20]
    # retitle and delete through the canvas
    canvas.backdrops.views[0].view.setSelected(True)
    monkeypatch.setattr(QtWidgets.QInputDialog, "getText", lambda *a, **k: ("dolly", True))
    canvas.backdrops.title_action.trigger()
    assert canvas.backdrops.titles() == ["dolly"]
    canvas.backdrops.views[0].view.setSelected(True)
    canvas.delete_action.trigger()
    assert canvas.backdrops.titles() == [] and "editor" not in doc.graph.meta
    assert set(doc.graph.nodes) == {"osc", "gain"}
    doc.undo_stack.undo()
    assert canvas.backdrops.titles() == ["dolly"]


def test_malformed_backdrops_are_skipped_with_a_message(editor, tmp_path):
    meta = {"editor": {"backdrops": [
        {"title": "ok", "text": "", "pos": [0, 0], "size": [100, 80]},
        {"title": 3, "pos": [0, 0], "size": [1, 1]},
        {"title": "x", "pos": "here", "size": [1, 1]},
        {"title": "x", "pos": [0, 0], "size": [1, 1], "script": "rm -rf"},
        "nope"]}}
    good, bad = read_backdrops(meta, "f.mgraph")
    assert [b["title"] for b in good] == ["ok"]
    assert len(bad) == 4 and all(m.startswith("f.mgraph: meta.editor.backdrops[") for m in bad)
    assert "unknown field(s) ['script']" in bad[2]
    assert read_backdrops({"editor": {"backdrops": 5}})[1]
    path = tmp_path / "odd.mgraph"
    graph = mg.Graph(meta=meta)
    mg.save(graph, path)
    messages = []
    editor.canvas.message.connect(messages.append)
    editor.open_file(path)
    assert editor.canvas.backdrops.titles() == ["ok"]
    assert any("backdrops[1]" in m for m in messages)
