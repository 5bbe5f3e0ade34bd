"""Graph > Match still with a matte or the image's alpha (issue 13): the dialog's real
widgets offscreen, the real match loop, and where the subject came from in the result."""

from __future__ import annotations

from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from moks_graph.editor.qtcompat import QtCore, QtWidgets


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    from moks_graph.editor.main_window import MainWindow

    # closing at teardown with the matched nodes unsaved: discard, no modal question
    monkeypatch.setattr(QtWidgets.QMessageBox, "question",
                        lambda *a, **k: QtWidgets.QMessageBox.StandardButton.Discard)

    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(1000, 700)
    win.show()
    return win


def _sphere(h: int = 144, w: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """sRGB codes of a lit sphere right of centre on a grey, and its 0/1 coverage."""
    yy, xx = np.mgrid[0:h, 0:w] + 0.5
    cx, cy, r = 0.62 * w, 0.55 * h, 0.25 * h
    nx, ny = (xx - cx) / r, -(yy - cy) / r
    inside = nx**2 + ny**2 < 1.0
    nz = np.sqrt(np.clip(1.0 - nx**2 - ny**2, 0.0, 1.0))
    key = np.array([0.5, 0.5, 0.7]) / np.linalg.norm([0.5, 0.5, 0.7])
    lin = np.full((h, w), 0.18)
    lin[inside] = 0.5 * np.clip(np.stack([nx, ny, nz], -1) @ key, 0, None)[inside] + 0.05
    code = (255 * np.clip(lin, 0, 1) ** (1 / 2.2) + 0.5).astype(np.uint8)
    return np.dstack([code] * 3), inside


def _files(tmp_path: Path) -> dict[str, Path]:
    rgb, inside = _sphere()
    paths = {"plate": tmp_path / "plate.png", "roto": tmp_path / "plate_roto.png",
             "render": tmp_path / "render.png"}
    iio.imwrite(paths["plate"], rgb)
    iio.imwrite(paths["roto"], (inside * 255).astype(np.uint8))
    iio.imwrite(paths["render"], np.dstack([rgb, (inside * 255).astype(np.uint8)]))
    return paths


def _caption(window) -> str:
    return window.match_view.findChild(QtWidgets.QLabel, "match_caption").text()


def test_the_dialog_has_a_matte_chooser_and_an_alpha_switch(window, tmp_path, monkeypatch):
    from moks_graph.editor.match_dialog import MatchDialog

    files = _files(tmp_path)
    window.match()  # Graph > Match still opens the dialog, no file dialog yet
    dialog = window.findChild(MatchDialog, "match_dialog")
    assert dialog is not None and dialog.isVisible()
    assert dialog.alpha_check.isChecked() and dialog.alpha_check.isEnabled()
    assert not dialog.match_button.isEnabled()  # no reference yet
    assert dialog.matte_button.text() == "Matte…"
    picked = iter([str(files["plate"]), str(files["roto"])])
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName",
                        lambda *a, **k: (next(picked), ""))  # the modal dialogs only
    dialog.image_button.click()
    dialog.matte_button.click()
    assert dialog.image() == str(files["plate"]) and dialog.matte() == str(files["roto"])
    assert dialog.match_button.isEnabled()
    assert not dialog.alpha_check.isEnabled()  # a matte given replaces the alpha
    assert dialog.options() == {"matte": str(files["roto"]), "use_alpha": True,
                                "subject_box": None, "key_hint": None}
    dialog.matte_edit.clear()
    dialog.alpha_check.setChecked(False)
    assert dialog.options() == {"matte": None, "use_alpha": False, "subject_box": None,
                                "key_hint": None}
    dialog.reject()


def test_match_with_a_matte_says_the_subject_came_from_it(window, tmp_path):
    files = _files(tmp_path)
    doc = window.editor.doc
    dialog = window.match_dialog()
    dialog.set_image(str(files["plate"]))
    dialog.set_matte(str(files["roto"]))
    dialog.match_button.click()
    assert doc.graph.nodes, window.statusBar().currentMessage()
    assert "Subject from the matte." in _caption(window)
    assert "subject from the matte" in window.statusBar().currentMessage()
    assert window.editor.doc.graph.validate() == []
    # the SH ambient the match read is inserted with it, and the caption says how bright
    ambient = [n for n, rec in doc.graph.nodes.items() if rec.type == "moks.lighting.sh_preset"]
    assert ambient, sorted(doc.graph.nodes)
    line = next(t for t in _caption(window).splitlines() if t.startswith("Ambient "))
    assert "of the key above" in line and line.endswith("(node ambient).")


def test_the_key_hint_boxes_reach_the_match(window, tmp_path):
    """Key side and height as the TD sees them: the key is fitted there, and a hint the
    shading disagrees with says so in the status bar."""
    files = _files(tmp_path)
    dialog = window.match_dialog()
    dialog.set_image(str(files["plate"]))
    assert [dialog.side_combo.itemData(i) for i in range(3)] == ["", "left", "right"]
    dialog.height_combo.setCurrentIndex(dialog.height_combo.findData("above"))
    assert dialog.options()["key_hint"] == "above"
    dialog.side_combo.setCurrentIndex(dialog.side_combo.findData("right"))
    assert dialog.options()["key_hint"] == "right,above"
    dialog.match_button.click()
    message = window.statusBar().currentMessage()
    assert message.startswith("match inserted"), message
    assert "outside the hint" not in message
    window.editor.doc.undo_stack.undo()
    dialog = window.match_dialog()
    dialog.set_image(str(files["plate"]))
    dialog.side_combo.setCurrentIndex(dialog.side_combo.findData("left"))
    dialog.match_button.click()
    message = window.statusBar().currentMessage()
    assert "the shading alone puts the key outside the hint (left)" in message


def test_match_uses_the_images_alpha_unless_switched_off(window, tmp_path):
    files = _files(tmp_path)
    dialog = window.match_dialog()
    dialog.set_image(str(files["render"]))
    dialog.match_button.click()
    assert "Subject from the image's alpha." in _caption(window)
    assert "subject from the image's alpha" in window.statusBar().currentMessage()
    window.editor.doc.undo_stack.undo()
    dialog = window.match_dialog()
    dialog.set_image(str(files["render"]))
    dialog.alpha_check.setChecked(False)
    dialog.match_button.click()
    subject = next(t for t in _caption(window).splitlines() if t.startswith("Subject "))
    assert "alpha" not in subject
    assert "subject " in window.statusBar().currentMessage()


def test_a_bad_matte_is_one_status_message_naming_it(window, tmp_path):
    files = _files(tmp_path)
    square = tmp_path / "square_roto.png"
    iio.imwrite(square, np.full((64, 64), 255, np.uint8))
    dialog = window.match_dialog()
    dialog.set_image(str(files["plate"]))
    dialog.set_matte(str(square))
    dialog.match_button.click()
    message = window.statusBar().currentMessage()
    assert message.startswith("match failed") and "square_roto.png" in message
    assert "aspect" in message
    assert not window.editor.doc.graph.nodes


def test_a_box_dragged_on_the_thumbnail_gives_the_subject(window, tmp_path, qtbot):
    """The sphere's box dragged on the reference's thumbnail, in the image's pixels."""
    files = _files(tmp_path)
    dialog = window.match_dialog()
    dialog.show()
    dialog.set_image(str(files["plate"]))
    picker = dialog.picker
    assert picker.pixmap() is not None and picker.scale == 1.0  # 256 px: shown as it is
    left = QtCore.Qt.MouseButton.LeftButton
    qtbot.mousePress(picker, left, pos=QtCore.QPoint(115, 40))
    qtbot.mouseMove(picker, QtCore.QPoint(200, 120))
    qtbot.mouseRelease(picker, left, pos=QtCore.QPoint(200, 120))
    assert dialog.box_edit.text() == "115, 40, 86, 81"
    assert dialog.options()["subject_box"] == [115.0, 40.0, 86.0, 81.0]
    assert not dialog.alpha_check.isEnabled()  # the box replaces the alpha
    assert picker.band.isVisible()
    dialog.box_edit.setText("115, 40")
    assert not dialog.match_button.isEnabled()  # not a box: nothing to run
    dialog.box_edit.setText("115, 40, 86, 81")
    dialog.match_button.click()
    assert "Subject inside the drawn box." in _caption(window)
    assert "subject inside the drawn box" in window.statusBar().currentMessage()


def test_a_matte_given_sets_the_box_aside(window, tmp_path):
    files = _files(tmp_path)
    dialog = window.match_dialog()
    dialog.set_image(str(files["plate"]))
    dialog.box_edit.setText("115, 40, 86, 81")
    dialog.set_matte(str(files["roto"]))
    assert not dialog.box_edit.isEnabled()
    assert dialog.options()["subject_box"] is None
    assert dialog.match_button.isEnabled()
    dialog.set_image(str(tmp_path / "missing.exr"))
    assert dialog.picker.scale == 0.0 and "type the box" in dialog.picker.text()
    dialog.matte_edit.clear()
    dialog.set_image(str(files["plate"]))  # the box typed earlier, drawn on the new thumbnail
    assert dialog.picker.band.geometry() == QtCore.QRect(115, 40, 86, 81)
    dialog.reject()


def test_a_box_on_a_scaled_thumbnail_is_in_the_images_pixels(qtbot, tmp_path):
    from moks_graph.editor.match_dialog import THUMB_SIDE, MatchDialog

    big = tmp_path / "big.png"
    iio.imwrite(big, np.full((405, 2 * THUMB_SIDE, 3), 90, np.uint8))
    dialog = MatchDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.set_image(str(big))
    assert dialog.picker.scale == 0.5
    left = QtCore.Qt.MouseButton.LeftButton
    qtbot.mousePress(dialog.picker, left, pos=QtCore.QPoint(300, 150))
    qtbot.mouseMove(dialog.picker, QtCore.QPoint(50, 40))
    qtbot.mouseRelease(dialog.picker, left, pos=QtCore.QPoint(50, 40))  # dragged up-left
    assert dialog.subject_box() == [100.0, 80.0, 502.0, 222.0]
    dialog.box_edit.clear()
    qtbot.mouseClick(dialog.picker, left, pos=QtCore.QPoint(60, 60))  # a click is no box
    assert dialog.subject_box() is None


def test_the_ambient_caption_says_when_the_graphs_own_is_kept():
    from moks_graph.editor.match_dialog import ambient_text

    sides = {"relative_to_key": {"above": 0.25, "below": 0.125, "front": 0.2, "back": 0.2}}
    assert ambient_text(sides) == ("ambient 0.25 of the key above, 0.12 below, 0.20 in front"
                                   " (node ambient)")
    assert ambient_text(sides, kept=True).endswith("(the graph's own ambient is kept)")
    assert ambient_text({}) == "" and ambient_text(None) == ""
