"""Readable graphs (issue 18): legible text at "frame all", a layout that reads left to right."""

from __future__ import annotations

from pathlib import Path

import pytest

from moks_graph.editor.canvas import MIN_FIT_ZOOM

GRAPHS = Path(__file__).resolve().parents[2] / "graphs"


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


@pytest.mark.parametrize("name", ["interrogation_low_key", "handheld_follow_walk_away"])
def test_frame_all_keeps_titles_and_port_labels_legible(window, qapp, name: str) -> None:
    assert window.open_path(str(GRAPHS / f"{name}.mgraph"))
    canvas = window.editor.canvas
    qapp.processEvents()
    canvas.fit_all()
    scale = canvas.viewer.transform().m11()
    assert scale >= MIN_FIT_ZOOM - 0.01
    dpi = canvas.viewer.logicalDpiY()
    for node in canvas._nodes.values():
        assert pixels(node.view._text_item.font(), scale, dpi) >= 8.0  # titles
        for label in node.view._input_items.values():
            assert pixels(label.font(), scale, dpi) >= 7.0  # port labels


def test_layout_graph_reads_left_to_right_in_one_undo_step(window, qapp) -> None:
    assert window.open_path(str(GRAPHS / "interrogation_low_key.mgraph"))
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
