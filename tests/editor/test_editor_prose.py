"""File > New from prose… (issue 17): the editor compiles a SceneScript prose line with the
function behind ``moks scene`` and the same options (frames, fps, seed, φ, ambient); the graph
it shows is byte for byte the file ``moks scene`` writes for the command line the dialog
shows. Unknown words are refused with "did you mean" and nothing is replaced; warnings are
shown."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from moks_graph import mgraph
from moks_graph.editor.qtcompat import QtCore, QtWidgets

PROSE = "handheld close-up, 85mm, warm, light fog, tri-x"


@pytest.fixture
def window(qtbot, tmp_path):
    from moks_graph.editor.main_window import MainWindow

    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    return win


def _dialog(window, qtbot, prose: str):
    dialog = window.prose_dialog()
    qtbot.addWidget(dialog)
    dialog.prose.setText(prose)
    return dialog


def test_file_menu_offers_new_from_prose(window):
    file_menu = window.menuBar().actions()[0].menu()
    assert window.prose_action in file_menu.actions()
    assert window.prose_action.text() == "New from &prose…"


def test_new_from_prose_is_the_graph_moks_scene_writes(window, qtbot, tmp_path):
    dialog = _dialog(window, qtbot, PROSE)
    dialog.start.setValue(1)
    dialog.end.setValue(48)
    dialog.fps.setValue(25.0)
    dialog.seed.setValue(7)
    dialog.phi_enabled.setChecked(True)
    dialog.phi.setValue(0.7)
    dialog.ambient.setCurrentIndex(dialog.ambient.findData("overcast"))
    dialog.compile_and_accept()
    assert dialog.result() == QtWidgets.QDialog.DialogCode.Accepted
    assert window.show_compiled(dialog)
    graph = window.editor.doc.graph
    assert window.editor.doc.path is None and not window.editor.doc.undo_stack.count()
    assert "compiled from prose" in window.statusBar().currentMessage()
    line = dialog.command_line()
    assert line[:3] == ["moks", "scene", PROSE] and "--phi" in line and "overcast" in line
    done = subprocess.run([sys.executable, "-m", "moks_graph.cli", *line[1:], "--out",
                           "cli.mgraph"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, check=False, env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 0, done.stderr
    assert mgraph.dumps(graph) == (tmp_path / "cli.mgraph").read_text(encoding="utf-8")
    # what the options mean, in the graph the editor shows
    assert graph.nodes["atmosphere"].params["phi"] == 0.7
    assert graph.nodes["ambient_sky"].params["sky"] == "overcast"
    assert graph.settings.fps == 25.0 and graph.settings.seed == 7
    assert (graph.settings.frame_start, graph.settings.frame_end) == (1, 48)
    assert graph.nodes["look"].params["stock"] == "tri_x"
    bake = window.bake_dialog()  # the look and the ambient it carries are offered to a bake
    qtbot.addWidget(bake)
    assert bake.look.isEnabled() and bake.ambient.isEnabled() and bake.phi_enabled.isEnabled()


def test_unknown_word_is_refused_and_nothing_replaced(window, qtbot, demo_path):
    assert window.open_path(str(demo_path))
    before = mgraph.dumps(window.editor.doc.graph)
    dialog = _dialog(window, qtbot, "handheld close-up, wram")
    dialog.compile_and_accept()
    assert dialog.result() != QtWidgets.QDialog.DialogCode.Accepted
    assert "did you mean warm" in dialog.report.text() and dialog.graph is None
    assert not window.show_compiled(dialog)
    assert mgraph.dumps(window.editor.doc.graph) == before
    dialog.prose.setText("  ")
    assert not dialog.compile() and "write a line" in dialog.report.text()


def test_prose_warnings_are_shown(window, qtbot):
    dialog = _dialog(window, qtbot, "tripod push-in")
    assert dialog.compile()
    assert dialog.warnings and "made on a dolly instead" in dialog.warnings[0]
    assert "warning: a tripod_locked cannot make the push-in move" in dialog.report.text()
    assert window.show_compiled(dialog)
    assert "rig dolly" in window.statusBar().currentMessage()
    assert "warning:" in window.statusBar().currentMessage()
