"""Readable graphs (issue 18): legible text at "frame all", a layout that reads left to right."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moks_graph import mgraph
from moks_graph.editor.canvas import MIN_FIT_ZOOM
from moks_graph.layout import tidy_graph

GRAPHS = Path(__file__).resolve().parents[2] / "graphs"
STARTERS = sorted(GRAPHS.glob("*.mgraph"))


@pytest.fixture
def window(qtbot, tmp_path):
    from moks_graph.editor.main_window import MainWindow
    from moks_graph.editor.qtcompat import QtCore

    win = MainWindow(settings=QtCore.QSettings(str(tmp_path / "s.ini"),
                                               QtCore.QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1600, 1000)  # the README screenshots' size
    win.show()
    return win


def pixels(font, scale: float, dpi: float) -> float:
    size = font.pixelSize() if font.pixelSize() > 0 else font.pointSizeF() * dpi / 72.0
    return size * scale


def smallest_text(canvas) -> tuple[float, float]:
    """The smallest node title and port label on screen, in pixels, at the canvas's zoom."""
    scale, dpi = canvas.viewer.transform().m11(), canvas.viewer.logicalDpiY()
    views = [n.view for n in canvas._nodes.values()]
    titles = min(pixels(v._text_item.font(), scale, dpi) for v in views)
    labels = min(pixels(label.font(), scale, dpi) for v in views
                 for label in [*v._input_items.values(), *v._output_items.values()])
    return titles, labels


@pytest.mark.parametrize("path", STARTERS, ids=lambda p: p.stem)
def test_default_zoom_keeps_titles_and_port_labels_legible(window, qapp, path: Path) -> None:
    """What a TD sees on opening a starter (frame all, then the window settles): >= 9 px."""
    assert window.open_path(str(path))
    qapp.processEvents()
    canvas = window.editor.canvas
    assert canvas.viewer.transform().m11() >= 0.95 * MIN_FIT_ZOOM
    titles, labels = smallest_text(canvas)
    assert titles >= 9.0 and labels >= 9.0, (titles, labels)


@pytest.mark.parametrize("path", STARTERS, ids=lambda p: p.stem)
def test_starter_opens_whole_at_the_default_zoom(window, qapp, path: Path) -> None:
    """Every starter, six-column ones included, opens with every node inside the view (none
    cut by an edge), at that legible zoom: the layout packs long chains into FIT_WIDTH."""
    assert window.open_path(str(path))
    qapp.processEvents()
    canvas = window.editor.canvas
    seen = canvas.viewer.mapToScene(canvas.viewer.viewport().rect()).boundingRect()
    outside = [n for n in canvas.node_ids()
               if not seen.contains(canvas.node_view(n).view.sceneBoundingRect())]
    assert outside == [], (outside, seen)
    assert min(smallest_text(canvas)) >= 9.0


@pytest.mark.parametrize("path", STARTERS, ids=lambda p: p.stem)
def test_starter_reads_left_to_right_in_the_drawn_editor(window, qapp, path: Path) -> None:
    """The committed starter, its merges compacted and laid out headless (moks scene
    --starters: moks_graph.layout.tidy_graph): the drawn nodes do not overlap, every pipe runs
    left to right, one merge node takes all."""
    assert mgraph.dumps(tidy_graph(mgraph.load(path))) == path.read_text()  # already tidy
    assert window.open_path(str(path))
    qapp.processEvents()
    canvas, graph = window.editor.canvas, window.editor.doc.graph
    rects = {n: canvas.node_view(n).view.sceneBoundingRect() for n in graph.nodes}
    for a in rects:
        for b in rects:
            assert a >= b or not rects[a].intersects(rects[b]), (a, b)
    for edge in graph.edges:
        assert rects[edge.src].right() < rects[edge.dst].left(), edge
    (merge,) = [n for n, r in graph.nodes.items() if "merge" in r.type]
    assert graph.nodes[merge].type == "moks.channels.merge_many"
    assert len(canvas.node_view(merge).view._input_items) == 8
    assert min(smallest_text(canvas)) >= 9.0


def compiled(tmp_path: Path, name: str = "interrogation_low_key") -> str:
    """A starter as the SceneScript compiler makes it (a chain of two-input merges, the
    compiler's own positions), saved: what an old file looks like."""
    from moks_graph.nodes.scenescript.scenarios import STARTERS as SCENARIOS
    from moks_graph.nodes.scenescript.scenarios import starter_graph

    path = tmp_path / f"{name}.mgraph"
    mgraph.save(starter_graph(next(s for s in SCENARIOS if s.name == name)), path)
    return str(path)


def test_layout_graph_reads_left_to_right_in_one_undo_step(window, qapp, tmp_path) -> None:
    assert window.open_path(compiled(tmp_path))
    doc = window.editor.doc
    before = {n: tuple(r.ui["pos"]) for n, r in doc.graph.nodes.items()}
    assert window.layout_action.text() == "&Layout graph"
    window.layout_action.trigger()
    pos = {n: r.ui["pos"] for n, r in doc.graph.nodes.items()}
    assert pos != before
    for edge in doc.graph.edges:
        assert pos[edge.src][0] < pos[edge.dst][0], edge  # every wire runs left to right
    doc.undo_stack.undo()
    assert {n: tuple(r.ui["pos"]) for n, r in doc.graph.nodes.items()} == before


def test_compact_merges_from_the_view_menu_in_one_undo_step(window, qapp, tmp_path) -> None:
    assert window.open_path(compiled(tmp_path))
    doc = window.editor.doc
    merges = sorted(n for n, r in doc.graph.nodes.items() if r.type == "moks.channels.merge")
    assert len(merges) >= 3
    before = doc.graph.evaluate(["scene.channels"], frames=(1, 8))["scene.channels"]
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert window.compact_action in menu.actions()
    window.compact_action.trigger()
    assert [n for n, r in doc.graph.nodes.items() if "merge" in r.type] == ["scene"]
    assert doc.graph.nodes["scene"].type == "moks.channels.merge_many"
    assert doc.problems() == []
    drawn = window.editor.canvas.node_view("scene").view
    assert len([p for p in drawn._input_items if p.connected_pipes]) == len(merges) + 1
    after = doc.graph.evaluate(["scene.channels"], frames=(1, 8))["scene.channels"]
    assert sorted(after) == sorted(before)
    for name in before:
        np.testing.assert_array_equal(after[name], before[name])
    assert not doc.compact_merges() and doc.undo_stack.count() == 1  # nothing left to compact
    doc.undo_stack.undo()
    assert sorted(n for n, r in doc.graph.nodes.items() if "merge" in r.type) == merges
    assert window.editor.canvas.view_edges() == set(doc.graph.edges)


def test_a_collapsed_selection_takes_its_first_members_place(window, qapp) -> None:
    """Ctrl+G on a laid-out starter: the subgraph node sits where its most upstream member
    was (that place is freed), over no other node, its pipes still running left to right."""
    assert window.open_path(str(GRAPHS / "handheld_chase.mgraph"))
    canvas, graph = window.editor.canvas, window.editor.doc.graph
    where = list(graph.nodes["atmosphere"].ui["pos"])
    sub_id = canvas.subgraphs.collapse(["atmosphere", "key", "fill"], title="lights")
    qapp.processEvents()
    assert graph.subgraphs[sub_id].ui["pos"] == where
    proxy = canvas.subgraphs.proxies[sub_id].view.sceneBoundingRect()
    shown = [n for n in canvas.node_ids() if canvas.node_view(n).view.isVisible()]
    assert shown and not [n for n in shown
                          if canvas.node_view(n).view.sceneBoundingRect().intersects(proxy)]
    for pipe in canvas.subgraphs.pipes:
        start, end = pipe.path().pointAtPercent(0.0), pipe.path().pointAtPercent(1.0)
        assert start.x() < end.x()
    window.editor.doc.undo_stack.undo()  # expanded again (and nothing to save on close)
    assert graph.subgraphs == {} and not window.editor.doc.modified


def test_a_wide_collapsed_node_is_placed_clear_of_the_others(window, qapp) -> None:
    """Ctrl+G on the camera rig and its weather (wirecam_stadium): the subgraph node's
    exposed ports make it wider than a column, which at the rig's place covers the
    atmosphere; it is moved up or down (x kept) clear of every drawn node, in the same undo
    step, and redo puts it there again."""
    assert window.open_path(str(GRAPHS / "wirecam_stadium.mgraph"))
    canvas, doc = window.editor.canvas, window.editor.doc
    where = doc.graph.nodes["camera_rig"].ui["pos"]
    sub_id = canvas.subgraphs.collapse(["camera_rig", "camera_weather"], title="camera")
    qapp.processEvents()
    proxy = canvas.subgraphs.proxies[sub_id].view.sceneBoundingRect()
    assert proxy.width() > canvas.node_view("atmosphere").view.sceneBoundingRect().width()
    pos = doc.graph.subgraphs[sub_id].ui["pos"]
    assert pos[0] == where[0] and pos != where  # moved off the atmosphere, same column
    shown = [n for n in canvas.node_ids() if canvas.node_view(n).view.isVisible()]
    assert "atmosphere" in shown
    assert [n for n in shown
            if canvas.node_view(n).view.sceneBoundingRect().intersects(proxy)] == []
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert doc.graph.subgraphs == {}
    doc.undo_stack.redo()
    assert doc.graph.subgraphs[sub_id].ui["pos"] == pos
    doc.undo_stack.undo()
    assert not doc.modified
