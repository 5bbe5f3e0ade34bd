"""The canvas and EditorWidget: UI gestures go through the document; the view follows it."""

from __future__ import annotations

import moks_graph as mg
from moks_graph.editor.qtcompat import QtCore, QtWidgets
from moks_graph.types import PORT_TYPES


def port_views(editor, node_id):
    node = editor.canvas.node_view(node_id)
    return ({n: p.view for n, p in node.inputs().items()},
            {n: p.view for n, p in node.outputs().items()})


def drag(editor, src, dst):
    """What NodeGraphQt's viewer reports when a pipe is dragged from src to dst."""
    s_node, s_port = src.split(".")
    d_node, d_port = dst.split(".")
    out_view = port_views(editor, s_node)[1][s_port]
    in_view = port_views(editor, d_node)[0][d_port]
    editor.canvas.viewer.connection_changed.emit([], [(out_view, in_view)])


def add_from_palette(editor, qtbot, type_id):
    """Double-click-equivalent (itemActivated) on the palette's entry for type_id."""
    tree = editor.palette.tree
    for i in range(tree.topLevelItemCount()):
        group = tree.topLevelItem(i)
        for j in range(group.childCount()):
            item = group.child(j)
            if item.data(0, QtCore.Qt.ItemDataRole.UserRole) == type_id:
                before = set(editor.doc.graph.nodes)
                tree.itemActivated.emit(item, 0)
                (new,) = set(editor.doc.graph.nodes) - before
                return new
    raise AssertionError(f"{type_id} not in the palette")


def test_build_connect_refuse_undo_through_the_ui(editor, qtbot):
    osc = add_from_palette(editor, qtbot, "moks.channels.oscillator")
    gain = add_from_palette(editor, qtbot, "moks.channels.gain")
    number = add_from_palette(editor, qtbot, "moks.value.float")
    assert editor.canvas.node_ids() == {osc, gain, number}
    # a good connection
    drag(editor, f"{osc}.channels", f"{gain}.channels")
    assert [tuple(e) for e in editor.doc.graph.edges] == [(osc, "channels", gain, "channels")]
    assert editor.canvas.view_edges() == set(editor.doc.graph.edges)
    # Float -> Channels: refused with a message; the view keeps only what the engine has
    with qtbot.waitSignal(editor.canvas.message) as blocker:
        drag(editor, f"{number}.value", f"{gain}.channels")
    assert "MG103" in blocker.args[0]
    assert editor.canvas.view_edges() == set(editor.doc.graph.edges)
    assert len(editor.doc.graph.edges) == 1
    # a cycle: gain -> a merge -> ... gain: build merge then try gain.channels -> merge and back
    merge = add_from_palette(editor, qtbot, "moks.channels.merge")
    drag(editor, f"{gain}.channels", f"{merge}.a")
    with qtbot.waitSignal(editor.canvas.message) as blocker:
        drag(editor, f"{merge}.channels", f"{gain}.channels")
    assert "MG104" in blocker.args[0]
    assert editor.canvas.view_edges() == set(editor.doc.graph.edges)
    # undo / redo from the widget's actions update the view
    editor.undo_action.trigger()  # undo gain -> merge
    assert editor.canvas.view_edges() == {mg.Edge(osc, "channels", gain, "channels")}
    editor.redo_action.trigger()
    assert editor.canvas.view_edges() == set(editor.doc.graph.edges)
    editor.undo_action.trigger()
    editor.undo_action.trigger()  # undo adding merge
    assert merge not in editor.canvas.node_ids()
    editor.redo_action.trigger()
    assert merge in editor.canvas.node_ids()


def test_ports_coloured_by_type_and_placeholders_marked(editor, error_file):
    assert editor.open_file(error_file)
    ins, _outs = port_views(editor, "gain")
    assert tuple(ins["channels"].color[:3]) == PORT_TYPES["Channels"].color
    assert tuple(ins["offset"].color[:3]) == PORT_TYPES["Float"].color
    assert editor.canvas.node_view("mystery").view.moks_placeholder
    assert not editor.canvas.node_view("gain").view.moks_placeholder
    # the placeholder got the port its edge uses; the edge is drawn
    assert set(port_views(editor, "mystery")[0]) == {"input"}
    assert editor.canvas.view_edges() == set(editor.doc.graph.edges)
    assert editor.canvas.node_view("osc").view.moks_problems == 1  # frequency out of range
    rows = editor.problems.rows()
    assert any(r[0] == "MG101" and r[2] == "$.nodes.mystery.type" for r in rows)


def test_delete_move_and_view_sync(editor, qtbot):
    a = editor.canvas.add_node_at("moks.channels.oscillator", QtCore.QPointF(0, 0))
    b = editor.canvas.add_node_at("moks.channels.gain", QtCore.QPointF(300, 0))
    assert editor.canvas.request_connect(f"{a}.channels", f"{b}.channels")
    editor.canvas.select([a])
    assert editor.canvas.selected_ids() == [a]
    editor.canvas.delete_action.trigger()
    assert a not in editor.doc.graph.nodes and not editor.doc.graph.edges
    assert editor.canvas.view_edges() == set()
    editor.undo_action.trigger()
    assert editor.canvas.view_edges() == set(editor.doc.graph.edges) != set()
    # a move reported by the viewer is recorded rounded; undo moves the node view back
    view = editor.canvas.node_view(b).view
    prev = list(view.xy_pos)
    view.xy_pos = [421.7, 33.2]
    editor.canvas.viewer.moved_nodes.emit({view: prev})
    assert editor.doc.graph.nodes[b].ui["pos"] == [422, 33]
    # the pipe followed the moved node: its path ends at the input port's centre
    port = port_views(editor, b)[0]["channels"]
    (pipe,) = port.connected_pipes
    end = port.scenePos() + port.boundingRect().center()
    path = pipe.path()
    tips = [path.pointAtPercent(0.0), path.pointAtPercent(1.0)]
    assert min(abs(t.x() - end.x()) + abs(t.y() - end.y()) for t in tips) < 1.0
    editor.undo_action.trigger()
    assert [round(v) for v in view.xy_pos] == [round(v) for v in prev]


def test_tab_search_and_palette_filter(editor, qtbot):
    editor.palette.search.setText("dolly")
    found = editor.palette.visible_type_ids()
    # the dolly rig, and nodes whose description names it (the weather node's)
    assert "moks.rig.dolly" in found and 1 <= len(found) <= 3
    editor.palette.search.setText("merge channels")
    assert editor.palette.visible_type_ids() == ["moks.channels.merge", "moks.channels.merge_many"]
    popup = editor.canvas.search_popup
    editor.canvas.show_search()
    assert popup.isVisible()
    qtbot.keyClicks(popup.edit, "oscil")
    assert popup.choices() == ["moks.channels.oscillator"]
    qtbot.keyClick(popup.edit, QtCore.Qt.Key.Key_Return)
    assert not popup.isVisible()
    assert [r.type for r in editor.doc.graph.nodes.values()] == ["moks.channels.oscillator"]


def test_tab_key_on_canvas_opens_search(editor, qtbot):
    editor.canvas.viewer.setFocus()
    qtbot.keyClick(editor.canvas.viewer, QtCore.Qt.Key.Key_Tab)
    assert editor.canvas.search_popup.isVisible()
    editor.canvas.search_popup.hide()


def test_palette_drop_adds_node(editor):
    from moks_graph.editor.palette import NODE_MIME

    data = QtCore.QMimeData()
    data.setData(NODE_MIME, QtCore.QByteArray(b"moks.value.vec3"))
    editor.canvas.viewer.data_dropped.emit(data, QtCore.QPoint(50, 60))
    (rec,) = editor.doc.graph.nodes.values()
    assert rec.type == "moks.value.vec3" and rec.ui["pos"] == [50, 60]


def test_editor_widget_needs_no_main_window(editor, demo_path):
    assert QtWidgets.QApplication.activeWindow() is None or True
    assert editor.window() is editor  # a top-level plain QWidget
    assert editor.open_file(demo_path)
    assert editor.title() == "demo.mgraph"
    editor.doc.set_param("sway", "amplitude", 0.5)
    assert editor.title() == "demo.mgraph *"
    assert editor.canvas.node_ids() == set(editor.doc.graph.nodes)
    assert editor.canvas.view_edges() == set(editor.doc.graph.edges)
    # an unreadable file keeps the current graph and lists the reason
    assert not editor.open_file(demo_path.parent / "missing.mgraph")
    assert editor.problems.rows()[0][0] == "MG112"
    assert editor.doc.path == str(demo_path)
