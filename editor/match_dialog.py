"""The Match still dialog: the reference, an optional matte or box, and whether to use its alpha.

``Graph › Match still…`` runs the same loop as ``moks match`` (issue 13): the reference
still, and the subject from a roto matte (``--matte``: white or alpha = subject, the
reference's aspect), from a box dragged around it on the reference's thumbnail
(``--subject-box``: the subject is found inside it), or from the reference's own alpha
(``--alpha``, on by default: a render on a transparent film cuts its subject out), else
found in the image; and optionally where the key is, as the TD sees it (``--key-hint``:
its side and height, the key fitted there only).
:meth:`MatchDialog.options` gives the keyword arguments of
``moks_graph.hosts.inverse.match_still`` / ``match``; :func:`subject_text` says where
the subject came from (``match.json`` ``subject.from``) for the result view and status bar.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moks_graph.editor.qtcompat import QtCore, QtGui, QtWidgets

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.exr *.hdr *.tif *.tiff *.npy)"
MATTE_FILTER = "Mattes (*.png *.exr *.tif *.tiff *.jpg *.jpeg *.npy)"

SUBJECT_FROM = {
    "matte": "from the matte",
    "box": "inside the drawn box",
    "alpha": "from the image's alpha",
    "face": "from a detected face",
    "image": "found in the image",
    "none": "not found (a centred guess)",
}


def subject_text(subject: Mapping[str, Any] | None) -> str:
    """``subject from the matte`` (and a note, e.g. an alpha that cut out nothing)."""
    subject = subject or {}
    where = subject.get("from")
    if where is None:
        return ""
    text = f"subject {SUBJECT_FROM.get(str(where), str(where))}"
    note = subject.get("note")
    return f"{text} ({note})" if note else text


def ambient_text(ambient: Mapping[str, Any] | None, kept: bool = False) -> str:
    """``ambient 0.22 of the key above, 0.18 below, 0.20 in front`` (the SH ambient the
    match read, as the inserted graph's ``ambient`` node), or ``""`` when it read none."""
    sides = (ambient or {}).get("relative_to_key")
    if not isinstance(sides, Mapping) or not sides:
        return ""
    text = (f"ambient {sides.get('above', 0.0):.2f} of the key above, "
            f"{sides.get('below', 0.0):.2f} below, {sides.get('front', 0.0):.2f} in front")
    return text + (" (the graph's own ambient is kept)" if kept else " (node ambient)")


THUMB_SIDE = 360
"""The reference's thumbnail, its longer side [px], on which a box is dragged."""
MIN_DRAG_PX = 3
"""A drag narrower or shorter than this on the thumbnail [px] is a click, not a box."""


def parse_box(text: str) -> list[float] | None:
    """``x, y, w, h`` (pixels) as four numbers, ``None`` when the text is not that."""
    try:
        box = [float(v) for v in text.replace(" ", "").split(",")]
    except ValueError:
        return None
    return box if len(box) == 4 and box[2] > 0 and box[3] > 0 else None


class BoxPicker(QtWidgets.QLabel):
    """The reference's thumbnail: drag a box around the subject; :attr:`picked` sends it
    in the image's pixels (``x, y, w, h`` from its top-left)."""

    picked = QtCore.Signal(list)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("match_box_picker")
        self.setAlignment(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop)
        self.setCursor(QtCore.Qt.CursorShape.CrossCursor)
        self.scale = 0.0  # thumbnail pixels per image pixel; 0: no thumbnail
        self.image_size = (0, 0)
        self.band = QtWidgets.QRubberBand(QtWidgets.QRubberBand.Shape.Rectangle, self)
        self.origin = QtCore.QPoint()

    def load(self, path: str) -> bool:
        """Show ``path``'s thumbnail (formats Qt reads); ``False`` where it cannot."""
        image = QtGui.QImage(path) if path else QtGui.QImage()
        self.band.hide()
        if image.isNull():
            self.scale, self.image_size = 0.0, (0, 0)
            self.clear()
            self.setText("(no thumbnail: type the box)" if path else "")
            return False
        self.image_size = (image.width(), image.height())
        self.scale = min(1.0, THUMB_SIDE / max(image.width(), image.height()))
        self.setPixmap(QtGui.QPixmap.fromImage(image).scaled(
            round(image.width() * self.scale), round(image.height() * self.scale),
            QtCore.Qt.AspectRatioMode.KeepAspectRatio,
            QtCore.Qt.TransformationMode.SmoothTransformation))
        return True

    def show_box(self, box: list[float] | None) -> None:
        """Outline ``box`` (image pixels) on the thumbnail, or nothing."""
        if box is None or not self.scale:
            self.band.hide()
            return
        self.band.setGeometry(QtCore.QRect(*(round(v * self.scale) for v in box)))
        self.band.show()

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:
        if self.scale:
            self.origin = event.position().toPoint()
            self.band.setGeometry(QtCore.QRect(self.origin, QtCore.QSize()))
            self.band.show()

    def _dragged(self, event: QtGui.QMouseEvent) -> QtCore.QRect:
        """The pixels between the press and ``event``, both corners included, whichever
        way the drag went."""
        a, b = self.origin, event.position().toPoint()
        return QtCore.QRect(QtCore.QPoint(min(a.x(), b.x()), min(a.y(), b.y())),
                            QtCore.QPoint(max(a.x(), b.x()), max(a.y(), b.y())))

    def mouseMoveEvent(self, event: QtGui.QMouseEvent) -> None:
        if self.scale:
            self.band.setGeometry(self._dragged(event))

    def mouseReleaseEvent(self, event: QtGui.QMouseEvent) -> None:
        if not self.scale:
            return
        rect = self._dragged(event)
        w, h = self.image_size
        x0, y0 = max(rect.left() / self.scale, 0.0), max(rect.top() / self.scale, 0.0)
        x1 = min((rect.right() + 1) / self.scale, float(w))
        y1 = min((rect.bottom() + 1) / self.scale, float(h))
        if rect.width() >= MIN_DRAG_PX and rect.height() >= MIN_DRAG_PX:  # a click is no box
            self.picked.emit([round(x0), round(y0), round(x1 - x0), round(y1 - y0)])


class MatchDialog(QtWidgets.QDialog):
    """Reference still, optional matte and the alpha switch; ``Match`` accepts."""

    def __init__(self, parent: QtWidgets.QWidget | None = None, folder: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("match_dialog")
        self.setWindowTitle("Match still")
        self.folder = folder
        form = QtWidgets.QFormLayout()
        self.image_edit = QtWidgets.QLineEdit()
        self.image_edit.setObjectName("match_image")
        self.image_edit.setPlaceholderText("the reference still")
        self.image_button = QtWidgets.QPushButton("Reference…")
        self.image_button.clicked.connect(self._browse_image)
        form.addRow("Reference", self._row(self.image_edit, self.image_button))
        self.matte_edit = QtWidgets.QLineEdit()
        self.matte_edit.setObjectName("match_matte")
        self.matte_edit.setPlaceholderText("optional: white or alpha = subject, same aspect")
        self.matte_edit.setClearButtonEnabled(True)
        self.matte_button = QtWidgets.QPushButton("Matte…")
        self.matte_button.setToolTip("a roto matte of the subject (moks match --matte)")
        self.matte_button.clicked.connect(self._browse_matte)
        form.addRow("Matte", self._row(self.matte_edit, self.matte_button))
        self.box_edit = QtWidgets.QLineEdit()
        self.box_edit.setObjectName("match_box")
        self.box_edit.setPlaceholderText("optional: x, y, width, height in the image's "
                                         "pixels, or drag on the thumbnail")
        self.box_edit.setClearButtonEnabled(True)
        self.box_edit.setToolTip("a box around the subject: it is found inside it "
                                 "(moks match --subject-box)")
        form.addRow("Subject box", self.box_edit)
        self.picker = BoxPicker()
        self.picker.picked.connect(
            lambda box: self.box_edit.setText(", ".join(str(int(v)) for v in box)))
        form.addRow("", self.picker)
        self.alpha_check = QtWidgets.QCheckBox("Use the image's alpha")
        self.alpha_check.setObjectName("match_alpha")
        self.alpha_check.setChecked(True)
        self.alpha_check.setToolTip("a reference whose alpha cuts the subject out (a render "
                                    "on a transparent film) is its own matte "
                                    "(moks match --alpha/--no-alpha)")
        form.addRow("", self.alpha_check)
        self.side_combo = self._hint_combo("match_key_side", ("left", "right"))
        self.height_combo = self._hint_combo("match_key_height", ("above", "below"))
        form.addRow("Key hint", self._pair(self.side_combo, self.height_combo))
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.match_button = buttons.addButton(
            "Match", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        self.match_button.setObjectName("match_run")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        # the thumbnail first, so that a box already typed is drawn on the new one
        self.image_edit.textChanged.connect(lambda text: self.picker.load(text.strip()))
        self.image_edit.textChanged.connect(self._update)
        self.matte_edit.textChanged.connect(self._update)
        self.box_edit.textChanged.connect(self._update)
        self._update()

    @staticmethod
    def _row(edit: QtWidgets.QLineEdit, button: QtWidgets.QPushButton) -> QtWidgets.QWidget:
        row = QtWidgets.QWidget()
        box = QtWidgets.QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(edit, 1)
        box.addWidget(button)
        return row

    @staticmethod
    def _hint_combo(name: str, choices: tuple[str, str]) -> QtWidgets.QComboBox:
        combo = QtWidgets.QComboBox()
        combo.setObjectName(name)
        combo.addItem("from the still", "")
        for choice in choices:
            combo.addItem(f"key {choice}", choice)
        combo.setToolTip("where the key is, as you see it: the key is fitted there only, and "
                         "match.json says where the shading alone puts it "
                         "(moks match --key-hint)")
        return combo

    @staticmethod
    def _pair(*widgets: QtWidgets.QWidget) -> QtWidgets.QWidget:
        row = QtWidgets.QWidget()
        box = QtWidgets.QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        for widget in widgets:
            box.addWidget(widget, 1)
        return row

    def _update(self) -> None:
        # a matte sets the box aside; a matte or a box replaces the alpha
        box_text = "" if self.matte() else self.box_edit.text().strip()
        box = parse_box(box_text)
        self.match_button.setEnabled(bool(self.image().strip())
                                     and (not box_text or box is not None))
        self.alpha_check.setEnabled(not self.matte() and not box_text)
        self.box_edit.setEnabled(not self.matte())
        self.picker.show_box(box)

    def _browse_image(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Reference still", self.image() or self.folder, IMAGE_FILTER)
        if path:
            self.set_image(path)

    def _browse_matte(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Matte of the subject", self.matte() or self.image() or self.folder,
            MATTE_FILTER)
        if path:
            self.set_matte(path)

    def image(self) -> str:
        return self.image_edit.text().strip()

    def matte(self) -> str:
        return self.matte_edit.text().strip()

    def set_image(self, path: str) -> None:
        self.image_edit.setText(path)

    def set_matte(self, path: str) -> None:
        self.matte_edit.setText(path)

    def subject_box(self) -> list[float] | None:
        """The box around the subject (image pixels), ``None`` when none is given."""
        return None if self.matte() else parse_box(self.box_edit.text().strip())

    def key_hint(self) -> str | None:
        """``"left,above"``, ``"right"``… from the two hint boxes; ``None`` for neither."""
        words = [c.currentData() for c in (self.side_combo, self.height_combo)]
        return ",".join(w for w in words if w) or None

    def options(self) -> dict[str, Any]:
        """Keyword arguments of ``match_still``/``match``: ``matte``, ``use_alpha``,
        ``subject_box`` and ``key_hint``."""
        return {"matte": self.matte() or None, "use_alpha": self.alpha_check.isChecked(),
                "subject_box": self.subject_box(), "key_hint": self.key_hint()}

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(560, super().sizeHint().height())
