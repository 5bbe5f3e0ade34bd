"""Graph > Subject from scene…: a host scene object becomes the moving subject, as ``moks track``.

The dialog takes a scene file (``.usd/.usda/.usdc``, ``.blend``, ``.ma``), a selector
(``name:<object>`` or ``tag:<tag>``) and the track file to write, and calls the functions
behind ``moks track`` (:func:`moks_graph.hosts.scene_targets.scene_track` and
:func:`~moks_graph.hosts.scene_targets.write_track`). Then, in one undo step
(:func:`subject_ops`), a ``moks.subject.track`` node reading that file feeds every
``subject`` input of the graph (camera rigs and lights, which then frame it, aim at it and
hold its illuminance) and the scene merge, in place of the subject the graph had (a prose
``moks.subject.path`` left with nothing to feed is removed). A scene or selector that does not
resolve is shown in the dialog and nothing is written or changed. The rigs' ``target``
parameter (the subject's mark) is left as it was.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from moks_graph.editor.model import AddNodeOp, ConnectOp, DisconnectOp, Op, RemoveNodeOp
from moks_graph.editor.qtcompat import QtWidgets
from moks_graph.graph import Graph
from moks_graph.types import CHANNELS

#: The node a scene subject becomes, and the input it feeds.
TRACK_TYPE = "moks.subject.track"
SUBJECT_PORT = "subject"
MERGE_TYPE = "moks.channels.merge_many"
#: Scene files the dialog offers (``moks track``'s).
SCENE_FILTER = "scenes (*.usd *.usda *.usdc *.blend *.ma)"


def _free_id(graph: Graph, base: str) -> str:
    node_id, n = base, 1
    while node_id in graph.nodes:
        n += 1
        node_id = f"{base}_{n}"
    return node_id


def _subject_inputs(graph: Graph) -> list[str]:
    """``"node.subject"`` of every node with a Channels ``subject`` input."""
    out = []
    for node_id in sorted(graph.nodes):
        cls = graph.node_class(node_id)
        port = None if cls is None else cls.inputs.get(SUBJECT_PORT)
        if port is not None and port.type is CHANNELS:
            out.append(f"{node_id}.{SUBJECT_PORT}")
    return out


def _free_merge_input(graph: Graph) -> str | None:
    """A free input of the scene merge (a ``merge_many`` that feeds nothing), or None."""
    for node_id in sorted(graph.nodes):
        if graph.nodes[node_id].type != MERGE_TYPE or graph.edges_from(node_id):
            continue
        taken = {e.dst_port for e in graph.edges_into(node_id)}
        cls = graph.node_class(node_id)
        free = [p for p in (cls.inputs if cls else {}) if p not in taken]
        if free:
            return f"{node_id}.{free[0]}"
    return None


def subject_ops(graph: Graph, track_path: str, object_name: str = "subject",
                node_id: str = "scene_subject") -> tuple[str, list[Op]]:
    """The id of the new ``moks.subject.track`` node and the ops that wire it (module doc)."""
    new = _free_id(graph, node_id)
    old = {e.src for e in graph.edges if e.dst_port == SUBJECT_PORT}
    targets = set(_subject_inputs(graph))
    targets |= {f"{e.dst}.{e.dst_port}" for e in graph.edges if e.src in old}
    if not old:
        merge = _free_merge_input(graph)
        targets |= {merge} if merge else set()
    ops: list[Op] = [AddNodeOp(TRACK_TYPE, new, {"path": track_path,
                                                 "object_name": object_name}, (-300, -320))]
    connected = {f"{e.dst}.{e.dst_port}" for e in graph.edges}
    for dst in sorted(targets):
        if dst in connected:
            ops.append(DisconnectOp(dst))
        ops.append(ConnectOp(f"{new}.channels", dst))
    kept = {e.src for e in graph.edges if e.src in old
            and f"{e.dst}.{e.dst_port}" not in targets}
    ops += [RemoveNodeOp(n) for n in sorted(old - kept)]
    return new, ops


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

