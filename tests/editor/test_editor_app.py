"""MainWindow (file menu, title marker, problem dock, bake, match) and the moks-editor command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import moks_graph as mg
from moks_graph.editor import app as editor_app
from moks_graph.editor.qtcompat import QtCore, QtGui, QtWidgets


@pytest.fixture
def window(qtbot, tmp_path):
    from moks_graph.editor.main_window import MainWindow

    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    return win


def test_open_error_file_shows_problems_and_placeholders(window, error_file):
    assert window.open_path(str(error_file))
    rows = window.editor.problems.rows()
    codes = {r[0] for r in rows}
    assert {"MG101", "MG105"} <= codes
    assert any(r[2] == "$.nodes.osc.params.frequency_hz" for r in rows)
    assert window.problems_dock.widget() is window.editor.problems_box
    assert window.editor.canvas.node_view("mystery").view.moks_placeholder
    assert window.recent_files() == [str(error_file.resolve())]
    assert window.windowTitle() == "broken.mgraph — MOKS Graph"


def test_title_marker_save_as_and_reload(window, demo_path, tmp_path):
    window.open_path(str(demo_path))
    window.editor.doc.set_param("flicker", "amplitude", 30.0)
    assert window.windowTitle().startswith("demo.mgraph *")
    out = tmp_path / "copy.mgraph"
    assert window.save_as(str(out))
    assert window.windowTitle() == "copy.mgraph — MOKS Graph"
    assert mg.dumps(mg.load(out)) == mg.dumps(window.editor.doc.graph)
    assert window.recent_files()[0] == str(out.resolve())
    window._fill_recent()
    assert [a.text() for a in window.recent_menu.actions()] == ["copy.mgraph", "demo.mgraph"]


def test_prompt_before_losing_changes(window, demo_path, monkeypatch):

    window.open_path(str(demo_path))
    window.editor.doc.set_param("flicker", "amplitude", 30.0)
    answers = []

    def ask(*_args, **_kw):
        answers.append(True)
        return QtWidgets.QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QtWidgets.QMessageBox, "question", ask)
    assert not window.new_file()  # cancelled: the graph is kept
    assert answers and "flicker" in window.editor.doc.graph.nodes
    monkeypatch.setattr(QtWidgets.QMessageBox, "question",
                        lambda *a, **k: QtWidgets.QMessageBox.StandardButton.Discard)
    assert window.new_file()
    assert not window.editor.doc.graph.nodes and not window.editor.doc.modified


def test_match_still_inserts_the_matched_graph_as_one_undo_step(window, demo_path, tmp_path,
                                                                monkeypatch):
    """Graph > Match still: the real inverse-cinematography loop on a rendered still."""
    import numpy as np

    from moks_graph.nodes.inverse.render import BuiltinRenderer
    from moks_graph.nodes.scenescript.vocabulary import parse_prose

    assert window.match_action.isEnabled()
    still = tmp_path / "still.npy"
    np.save(still, BuiltinRenderer().render(parse_prose("split light medium"), (160, 90)))
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName",
                        lambda *a, **k: (str(still), ""))  # the modal dialog only
    window.open_path(str(demo_path))
    doc = window.editor.doc
    before = set(doc.graph.nodes)
    dialog = window.match_dialog()  # Graph > Match still: reference, matte, alpha
    dialog.image_button.click()  # the file dialog patched above
    dialog.match_button.click()
    added = set(doc.graph.nodes) - before
    assert "camera_rig" in added or "match_camera_rig" in added
    # the TD sees reference | fitted preview | residual heat map and the status
    view = window.match_view
    picture = view.findChild(QtWidgets.QLabel, "match_compare")
    caption = view.findChild(QtWidgets.QLabel, "match_caption").text()
    assert picture.pixmap().width() > 2 * picture.pixmap().height()
    assert caption.split(":")[0] in ("matched", "approximate")
    assert caption.split(":")[0] in window.statusBar().currentMessage()
    assert doc.graph.validate() == []
    doc.undo_stack.undo()
    assert set(doc.graph.nodes) == before


def test_bake_to_maya_with_progress_and_errors(window, demo_path, tmp_path):
    window.open_path(str(demo_path))
    dialog = window.bake_dialog()
    results = []
    dialog.finished_bake.connect(lambda ok, text: results.append((ok, text)))
    out = tmp_path / "demo.ma"
    assert dialog.start_bake("maya", str(out))
    assert dialog.wait(30000)
    assert results[-1][0], results[-1][1]
    assert out.is_file() and "camera" in out.read_text()
    assert dialog.progress.value() == dialog.progress.maximum()
    # an unknown host: a clean HostError message, nothing raised
    assert not dialog.start_bake("nope", str(tmp_path / "x.usda"))
    assert not results[-1][0] and "MG140" in results[-1][1]
    # a missing output folder
    assert not dialog.start_bake("maya", str(tmp_path / "no" / "x.ma"))
    assert "MG141" in results[-1][1]
    # cancel: nothing written
    target = tmp_path / "cancelled.ma"
    dialog.cancel()  # no bake running: harmless
    assert dialog.start_bake("maya", str(target))
    dialog.cancel()
    assert dialog.wait(30000)
    ok, text = results[-1]
    assert (ok and target.is_file()) or (not ok and "cancelled" in text and not target.exists())
    dialog.close()


def test_screenshot_errors_exit_2(qapp, tmp_path, capsys, error_file):
    with pytest.raises(SystemExit) as bad_size:
        editor_app.main(["x.mgraph", "--screenshot", str(tmp_path / "a.png"), "--size", "12x9"])
    assert bad_size.value.code == 2
    assert editor_app.main([str(tmp_path / "missing.mgraph"), "--screenshot",
                            str(tmp_path / "a.png")]) == 2
    assert "no such file" in capsys.readouterr().err
    not_a_graph = tmp_path / "junk.mgraph"
    not_a_graph.write_text("{ not json")
    assert editor_app.main([str(not_a_graph), "--screenshot", str(tmp_path / "b.png")]) == 2
    assert "invalid JSON" in capsys.readouterr().err
    assert not (tmp_path / "b.png").exists()
    # a graph with problems is still drawn
    shot = tmp_path / "broken.png"
    assert editor_app.main([str(error_file), "--screenshot", str(shot), "--size", "900x600"]) == 0
    image = QtGui.QImage(str(shot))
    assert (image.width(), image.height()) == (900, 600)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".broken")] == []


def test_screenshot_command_writes_png(tmp_path, demo_path):
    """The real command line, as the README's screenshot script runs it (own process)."""
    out_dir = tmp_path / "shots"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [sys.executable, "-m", "moks_graph.editor.screenshots", str(demo_path), "--out",
         str(out_dir), "--size", "1000x700"],
        capture_output=True, text=True, timeout=180, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    image = QtGui.QImage(str(out_dir / "demo.png"))
    assert (image.width(), image.height()) == (1000, 700)
    # not blank: the dark theme plus drawn nodes and curves give many distinct colours
    colours = {image.pixel(x, y) for x in range(0, 1000, 7) for y in range(0, 700, 7)}
    assert len(colours) > 50


def test_featured_node_and_size_parser(demo_path):
    assert editor_app.featured_node(mg.load(demo_path)) == "breath"
    assert editor_app.parse_size("1600x1000") == (1600, 1000)
    for bad in ("1600", "ax9", "100x100"):
        with pytest.raises(Exception, match="size"):
            editor_app.parse_size(bad)
    assert Path(editor_app.__file__).name == "app.py"


def test_a_failed_match_shows_the_reference_and_why(window, demo_path, tmp_path):
    """A still with no exposure information fails: the graph is untouched, the status bar
    says so, and the match view shows the reference alone with the reason, no lights."""
    import numpy as np

    still = tmp_path / "black.npy"
    np.save(still, np.zeros((90, 160, 3), np.float32))
    window.open_path(str(demo_path))
    before = set(window.editor.doc.graph.nodes)
    window.run_match(str(still))
    assert set(window.editor.doc.graph.nodes) == before
    assert window.statusBar().currentMessage().startswith("match failed")
    view = window.match_view
    picture = view.findChild(QtWidgets.QLabel, "match_compare").pixmap()
    caption = view.findChild(QtWidgets.QLabel, "match_caption").text()
    # the reference alone (no preview, no heat map beside it)
    assert picture.width() * 9 == picture.height() * 16 and picture.width() <= 640
    assert caption.startswith("failed: ") and "no exposure" in caption
    assert "key" not in caption and "K," not in caption
