"""File > New from prose…: compile a SceneScript prose line into a graph, as ``moks scene`` does.

The dialog calls :func:`moks_graph.hosts.commands.scene.prose_graph`, the function behind
``moks scene PROSE`` (same vocabulary, same compiler, same tidy layout), with the same
options: frame range (``--frames``), fps (``--fps``), seed (``--seed``), the atmosphere's
phase φ (``--phi``) and an SH ambient sky (``--ambient``). An unknown word or prose that
cannot compile is shown in the dialog (with the parser's "did you mean") and nothing is
replaced; the prose's warnings (a rig handing a move to another, conflicting words) are
shown and the graph is kept. :meth:`ProseDialog.command_line` is the equivalent shell
command.
"""

from __future__ import annotations

import shlex
from typing import Any

from moks_graph.editor.qtcompat import QtWidgets
from moks_graph.errors import MoksError
from moks_graph.graph import Graph

EXAMPLE = "low-key handheld close-up, rim from camera left, light fog, Tri-X"


class ProseDialog(QtWidgets.QDialog):
    """Prose and ``moks scene`` options in, a compiled graph out (:attr:`graph`)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New from prose")
        self.graph: Graph | None = None
        self.warnings: list[str] = []
        self.prose = QtWidgets.QLineEdit()
        self.prose.setPlaceholderText(EXAMPLE)
        self.prose.setToolTip("SceneScript prose: the words of `moks scene --vocabulary`")
        self.start, self.end = QtWidgets.QSpinBox(), QtWidgets.QSpinBox()
        for box, value in ((self.start, 1), (self.end, 120)):
            box.setRange(-1_000_000, 1_000_000)
            box.setValue(value)
        self.fps = QtWidgets.QDoubleSpinBox()
        self.fps.setRange(1.0, 240.0)
        self.fps.setDecimals(3)
        self.fps.setValue(24.0)
        self.seed = QtWidgets.QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.phi_enabled = QtWidgets.QCheckBox("set")
        self.phi = QtWidgets.QDoubleSpinBox()
        self.phi.setRange(0.0, 1.0)
        self.phi.setSingleStep(0.05)
        self.phi.setDecimals(3)
        self.phi.setEnabled(False)
        self.phi.setToolTip("--phi: atmospheric phase, 0 calm .. 1 storm (overrides the "
                            "prose's haze/fog/storm words)")
        self.phi_enabled.toggled.connect(self.phi.setEnabled)
        self.ambient = QtWidgets.QComboBox()
        self.ambient.addItem("none", None)
        self._fill_ambient()
        self.ambient.setToolTip("--ambient: a procedural sky projected to SH, baked as each "
                                "host's dome light / world / skydome / SkyLight")
        self.report = QtWidgets.QLabel()
        self.report.setWordWrap(True)
        self.report.setObjectName("proseReport")
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.compile_and_accept)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(self._form())
        layout.addWidget(self.report)
        layout.addWidget(buttons)
        self.resize(560, self.sizeHint().height())

    def _fill_ambient(self) -> None:
        try:
            from moks_graph.hosts.commands.scene import AMBIENT_SKIES
        except Exception:  # hosts not installed: no ambient offered
            return
        for sky in AMBIENT_SKIES:
            self.ambient.addItem(sky, sky)

    def _form(self) -> QtWidgets.QFormLayout:
        form = QtWidgets.QFormLayout()
        form.addRow("prose", self.prose)
        frames = QtWidgets.QHBoxLayout()
        frames.addWidget(self.start)
        frames.addWidget(QtWidgets.QLabel("to"))
        frames.addWidget(self.end)
        form.addRow("frames", frames)
        form.addRow("fps", self.fps)
        form.addRow("seed", self.seed)
        phi = QtWidgets.QHBoxLayout()
        phi.addWidget(self.phi_enabled)
        phi.addWidget(self.phi, 1)
        form.addRow("phi (atmosphere)", phi)
        form.addRow("ambient", self.ambient)
        return form

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of ``prose_graph`` the form describes (prose first)."""
        return {"prose": self.prose.text().strip(), "fps": self.fps.value(),
                "frames": (self.start.value(), self.end.value()), "seed": self.seed.value(),
                "phi": self.phi.value() if self.phi_enabled.isChecked() else None,
                "ambient": self.ambient.currentData()}

    def command_line(self) -> list[str]:
        """The ``moks scene`` command that writes the same graph."""
        args = self.arguments()
        first, last = args["frames"]
        line = ["moks", "scene", args["prose"], "--fps", f"{args['fps']:g}",
                "--frames", f"{first}-{last}", "--seed", str(args["seed"])]
        if args["phi"] is not None:
            line += ["--phi", f"{args['phi']:g}"]
        if args["ambient"]:
            line += ["--ambient", args["ambient"]]
        return line

    def compile(self) -> bool:
        """Compile the prose; on success :attr:`graph` holds it (warnings in the report)."""
        from moks_graph.hosts.commands.scene import prose_graph

        args = self.arguments()
        if not self.prose.text().strip():
            self.graph, self.warnings = None, []
            self.report.setText(f"prose: write a line, e.g. {EXAMPLE!r}")
            return False
        try:
            self.graph, self.warnings = prose_graph(args.pop("prose"), **args)
        except MoksError as exc:
            self.graph, self.warnings = None, []
            self.report.setText("\n".join(p.message for p in exc.problems) or str(exc))
            return False
        text = shlex.join(self.command_line())
        self.report.setText("\n".join([*(f"warning: {w}" for w in self.warnings), text]))
        return True

    def compile_and_accept(self) -> None:
        if self.compile():
            self.accept()
