"""Graph > Subject from scene…: a host scene object becomes the moving subject, as ``moks track``.

Entry points: :class:`SubjectDialog`, :func:`subject_ops`.

Details (moved from this docstring, issue 15): docs/editor-tools.md#editorsubject_dialogpy
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from moks_graph.editor.model import AddNodeOp, ConnectOp, DisconnectOp, Op, RemoveNodeOp
from moks_graph.editor.qtcompat import QtWidgets
from moks_graph.graph import Graph

#: Scene files the dialog offers (``moks track``'s).
SCENE_FILTER = "scenes (*.usd *.usda *.usdc *.blend *.ma)"


def subject_ops(graph: Graph, track_path: str, object_name: str = "subject",
                node_id: str = "scene_subject") -> tuple[str, list[Op]]:
    """The id of the new ``moks.subject.track`` node and the edits that wire it: the plan of
    :func:`moks_graph.hosts.subject_wiring.subject_wiring` as undoable ops."""
    from moks_graph.hosts.subject_wiring import TRACK_TYPE, subject_wiring

    plan = subject_wiring(graph, track_path, object_name, node_id)
    ops: list[Op] = [AddNodeOp(TRACK_TYPE, plan.node_id, plan.params, plan.pos)]
    for dst in plan.connect:
        if dst in plan.disconnect:
            ops.append(DisconnectOp(dst))
        ops.append(ConnectOp(f"{plan.node_id}.channels", dst))
    ops += [RemoveNodeOp(n) for n in plan.remove]
    return plan.node_id, ops


class SubjectDialog(QtWidgets.QDialog):
    """Scene file, selector and track file in; :attr:`track` and :attr:`track_path` out."""

    def __init__(self, parent: QtWidgets.QWidget | None = None,
                 default_dir: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Subject from scene")
        self.default_dir = default_dir or str(Path.cwd())
        self.track: Any = None
        self.track_path: Path | None = None
        self.scene = QtWidgets.QLineEdit()
        self.scene.setToolTip("a USD stage, a .blend or a Maya ASCII scene with the animated "
                              "object")
        self.selector = QtWidgets.QLineEdit()
        self.selector.setPlaceholderText("name:actor or tag:hero")
        self.out = QtWidgets.QLineEdit()
        self.out.setPlaceholderText(str(Path(self.default_dir) / "subject_track.json"))
        self.out.setToolTip("the track file the moks.subject.track node reads (.json)")
        self.report = QtWidgets.QLabel()
        self.report.setWordWrap(True)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.read_and_accept)
        buttons.rejected.connect(self.reject)
        form = QtWidgets.QFormLayout()
        form.addRow("scene file", self._with_browse())
        form.addRow("selector", self.selector)
        form.addRow("track file", self.out)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.report)
        layout.addWidget(buttons)
        self.resize(560, self.sizeHint().height())

    def _with_browse(self) -> QtWidgets.QHBoxLayout:
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.scene, 1)
        browse = QtWidgets.QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row.addWidget(browse)
        return row

    def _browse(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Scene", self.default_dir,
                                                        SCENE_FILTER)
        if path:
            self.scene.setText(path)

    def out_path(self) -> Path:
        return Path(self.out.text().strip() or self.out.placeholderText())

    def command_line(self) -> list[str]:
        """The ``moks track`` command that writes the same track file."""
        return ["moks", "track", self.scene.text().strip(), "--select",
                self.selector.text().strip(), "--out", str(self.out_path())]

    def read(self) -> bool:
        """Read the object's track from the scene and write the track file; False (with the
        reason in the report, nothing written) when the scene or selector does not resolve."""
        from moks_graph.hosts.scene_targets import scene_track, write_track

        try:
            track = scene_track(self.scene.text().strip(), self.selector.text().strip())
            self.track_path = write_track(track, self.out_path())
        except (OSError, ValueError) as exc:
            self.track, self.track_path = None, None
            self.report.setText(str(exc))
            return False
        self.track = track
        span = track.seconds[-1] - track.seconds[0]
        self.report.setText(f"{track.object} ({track.select}): {len(track.seconds)} samples "
                            f"over {span:.3g} s\n{shlex.join(self.command_line())}")
        return True

    def read_and_accept(self) -> None:
        if self.read():
            self.accept()

