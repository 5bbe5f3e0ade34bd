"""The Match still dialog: the reference, an optional matte, and whether to use its alpha.

``Graph › Match still…`` runs the same loop as ``moks match`` (issue 13): the reference
still, and the subject from a roto matte (``--matte``: white or alpha = subject, the
reference's aspect) or from the reference's own alpha (``--alpha``, on by default: a
render on a transparent film cuts its subject out), else found in the image.
:meth:`MatchDialog.options` gives the keyword arguments of
``moks_graph.hosts.inverse.match_still`` / ``match``; :func:`subject_text` says where
the subject came from (``match.json`` ``subject.from``) for the result view and status bar.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moks_graph.editor.qtcompat import QtCore, QtWidgets

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.exr *.hdr *.tif *.tiff *.npy)"
MATTE_FILTER = "Mattes (*.png *.exr *.tif *.tiff *.jpg *.jpeg *.npy)"

SUBJECT_FROM = {
    "matte": "from the matte",
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
        self.alpha_check = QtWidgets.QCheckBox("Use the image's alpha")
        self.alpha_check.setObjectName("match_alpha")
        self.alpha_check.setChecked(True)
        self.alpha_check.setToolTip("a reference whose alpha cuts the subject out (a render "
                                    "on a transparent film) is its own matte "
                                    "(moks match --alpha/--no-alpha)")
        form.addRow("", self.alpha_check)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.match_button = buttons.addButton(
            "Match", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        self.match_button.setObjectName("match_run")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.image_edit.textChanged.connect(self._update)
        self.matte_edit.textChanged.connect(self._update)
        self._update()

    @staticmethod
    def _row(edit: QtWidgets.QLineEdit, button: QtWidgets.QPushButton) -> QtWidgets.QWidget:
        row = QtWidgets.QWidget()
        box = QtWidgets.QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(edit, 1)
        box.addWidget(button)
        return row

    def _update(self) -> None:
        self.match_button.setEnabled(bool(self.image().strip()))
        # a matte given replaces the alpha: the switch applies only without one
        self.alpha_check.setEnabled(not self.matte())

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

    def options(self) -> dict[str, Any]:
        """Keyword arguments of ``match_still``/``match``: ``matte`` and ``use_alpha``."""
        return {"matte": self.matte() or None, "use_alpha": self.alpha_check.isChecked()}

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(560, super().sizeHint().height())
