"""The Bake dialog: evaluate the graph in a worker (progress, cancel), then write one host file.

Entry points: :class:`BakeDialog`, :meth:`BakeDialog.bake_arguments`, :func:`host_status`.

Details (moved from this docstring, issue 15): docs/editor-tools.md#editorbake_dialogpy
"""

from __future__ import annotations

import importlib.util
import shlex
from pathlib import Path
from typing import Any

from moks_graph.editor.qtcompat import QtCore, QtWidgets
from moks_graph.errors import NO_PATH, MoksError, Problem
from moks_graph.graph import Graph


class BakeCancelled(Exception):
    """Raised from the progress callback to stop an evaluation."""


def host_status() -> dict[str, str]:
    """``{host: ""}`` when available, else the reason (missing library or module)."""
    try:
        from moks_graph.hosts.bake import HOSTS
    except Exception as exc:
        return {"usd": f"hosts unavailable: {exc}"}
    out = {}
    for host, spec in HOSTS.items():
        reason = ""
        if spec.library and importlib.util.find_spec(spec.library) is None:
            reason = (f"needs {spec.library!r}: pip install 'moks-graph[{spec.extra}]'")
        else:
            try:
                found = importlib.util.find_spec(spec.module) is not None
            except ModuleNotFoundError:
                found = False
            if not found:
                reason = f"writer {spec.module} is not installed"
        out[host] = reason
    return out


class _Signals(QtCore.QObject):
    progress = QtCore.Signal(int, int, str)
    done = QtCore.Signal(object, str)  # EvaluatedBake | None, error message


class _EvalJob(QtCore.QRunnable):
    """Runs :func:`~moks_graph.hosts.bake.evaluate_bake` on a worker thread."""

    def __init__(self, graph: Graph, arguments: dict[str, Any], signals: _Signals,
                 cancelled: list[bool]) -> None:
        super().__init__()
        self.graph, self.arguments, self.signals = graph, arguments, signals
        self.cancelled = cancelled

    def _progress(self, phase: str, i: int, n: int, node: str) -> None:
        if self.cancelled[0]:
            raise BakeCancelled
        if phase == "evaluate":
            self.signals.progress.emit(i, n, node)

    def run(self) -> None:
        try:
            from moks_graph.hosts.bake import bake_resolver, evaluate_bake, set_phi

            args = dict(self.arguments)
            phi = args.pop("phi", None)
            if phi is not None:
                set_phi(self.graph, phi)
            args["resolver"] = bake_resolver(args.pop("scene_map", None))
            job = evaluate_bake(self.graph, progress=self._progress, **args)
            self.signals.done.emit(job, "")
        except BakeCancelled:
            self.signals.done.emit(None, "cancelled")
        except MoksError as exc:
            self.signals.done.emit(None, exc.describe())
        except Exception as exc:
            self.signals.done.emit(None, f"{type(exc).__name__}: {exc}")


class BakeDialog(QtWidgets.QDialog):
    """Choose a host, an output file and the bake options; bake with progress and Cancel."""

    #: (ok, message) when a bake ends
    finished_bake = QtCore.Signal(bool, str)

    def __init__(self, graph: Graph, parent: QtWidgets.QWidget | None = None,
                 default_dir: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Bake to host")
        self.graph = graph
        self.default_dir = default_dir or str(Path.cwd())
        self.status_by_host = host_status()
        self.host = QtWidgets.QComboBox()
        for host, reason in self.status_by_host.items():
            self.host.addItem(host, host)
            item = self.host.model().item(self.host.count() - 1)  # type: ignore[attr-defined]
            if reason:
                item.setEnabled(False)
                item.setToolTip(reason)
        first = next((i for i, r in enumerate(self.status_by_host.values()) if not r), 0)
        self.host.setCurrentIndex(first)
        self.path = QtWidgets.QLineEdit()
        s = graph.settings
        self.start = QtWidgets.QSpinBox()
        self.end = QtWidgets.QSpinBox()
        for box, value in ((self.start, s.frame_start), (self.end, s.frame_end)):
            box.setRange(-1_000_000, 10_000_000)
            box.setValue(value)
        self._build_options(s.subframes)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.command = QtWidgets.QLineEdit()
        self.command.setReadOnly(True)
        self.command.setToolTip("the same bake from a shell or a farm job")
        self.message = QtWidgets.QLabel("")
        self.message.setWordWrap(True)
        self.bake_button = QtWidgets.QPushButton("Bake")
        self.cancel_button = QtWidgets.QPushButton("Close")
        self.bake_button.clicked.connect(lambda _checked=False: self.start_bake())
        self.cancel_button.clicked.connect(self._cancel_or_close)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(self._form())
        layout.addWidget(QtWidgets.QLabel("command line"))
        layout.addWidget(self.command)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.bake_button)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)
        self.resize(560, 360)
        self.host.currentIndexChanged.connect(lambda _i: self._suggest_path())
        self.host.currentIndexChanged.connect(lambda _i: self._update_host_options())
        self._suggest_path()
        self._update_host_options()
        for signal in (self.host.currentIndexChanged, self.path.textChanged,
                       self.start.valueChanged, self.end.valueChanged,
                       self.subframes.valueChanged, self.scene_map.textChanged,
                       self.up_axis.currentIndexChanged, self.meters_per_unit.valueChanged,
                       self.phi_enabled.toggled, self.phi.valueChanged, self.link.toggled,
                       self.look.toggled, self.ambient.toggled):
            signal.connect(lambda *_: self._update_command())
        self._update_command()
        self.pool = QtCore.QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.signals = _Signals()
        self.signals.progress.connect(self._progress)
        self.signals.done.connect(self._evaluated)
        self._cancelled = [False]
        self.running = False
        self.result_path: Path | None = None

    # -- the form ------------------------------------------------------------------------
    def _build_options(self, graph_subframes: int) -> None:
        """One widget per ``moks bake`` option beyond host, output and frames."""
        self.subframes = QtWidgets.QSpinBox()
        self.subframes.setRange(0, 64)
        self.subframes.setSpecialValueText(f"graph's ({graph_subframes})")
        self.subframes.setToolTip("--subframes: samples per frame (motion blur)")
        self.scene_map = QtWidgets.QLineEdit()
        self.scene_map.setPlaceholderText("none: selectors resolve against the baked objects")
        self.scene_map.setToolTip("--scene-map: JSON {\"objects\": {name: [tags]}} resolving "
                                  "the graph's selectors (tag:hero, name:key)")
        self.up_axis = QtWidgets.QComboBox()
        for text, value in (("host default (Z)", None), ("Z", "Z"), ("Y", "Y")):
            self.up_axis.addItem(text, value)
        self.up_axis.setToolTip("--up-axis: USD stage up axis")
        self.meters_per_unit = QtWidgets.QDoubleSpinBox()
        self.meters_per_unit.setDecimals(6)
        self.meters_per_unit.setRange(0.0, 1000.0)
        self.meters_per_unit.setSingleStep(0.01)
        self.meters_per_unit.setSpecialValueText("host default (0.01, cm)")
        self.meters_per_unit.setToolTip("--meters-per-unit: scene unit in metres (USD, chan)")
        self.phi_enabled = QtWidgets.QCheckBox("set")
        self.phi = QtWidgets.QDoubleSpinBox()
        self.phi.setRange(0.0, 1.0)
        self.phi.setSingleStep(0.05)
        self.phi.setDecimals(3)
        self.phi.setToolTip("--phi: atmospheric phase for every atmosphere node, 0 calm .. 1 storm")
        try:
            from moks_graph.hosts.bake import ATMOSPHERE_TYPE
            has_atmosphere = any(n.type == ATMOSPHERE_TYPE for n in self.graph.nodes.values())
        except Exception:
            has_atmosphere = False
        self.phi_enabled.setEnabled(has_atmosphere)
        self.phi.setEnabled(False)
        self.phi_enabled.toggled.connect(self.phi.setEnabled)
        self.link = QtWidgets.QCheckBox("link lights and camera aim to the moving subject")
        self.link.setToolTip("moks bake --link-to-target: children / constraints of the "
                             "subject's null in the host (usd, blender, maya, unreal)")
        self.look = QtWidgets.QCheckBox("write the film look (OCIO config + CLF beside the file)")
        self.look.setToolTip("moks bake --look/--no-look: the stock's OCIO look, and the host's "
                             "colour management pointed at it (usd, blender, maya, unreal)")
        self.ambient = QtWidgets.QCheckBox("write the SH ambient (dome light / world / skydome)")
        self.ambient.setToolTip("moks bake --ambient/--no-ambient: an environment image beside "
                                "the file and the host's own ambient light (usd, blender, maya, "
                                "unreal)")
        #: Each feature box and whether the graph has its node (nothing to write without it).
        self._feature_nodes = {self.look: self._has(("moks.look.film_stock",)),
                               self.ambient: self._has(("moks.lighting.sh_preset",
                                                        "moks.lighting.project_sh"))}
        for box, has in self._feature_nodes.items():
            box.setChecked(True)
            box.setEnabled(has)

    def _has(self, types: tuple[str, ...]) -> bool:
        """Whether the graph has a node of one of ``types``."""
        return any(n.type in types for n in self.graph.nodes.values())

    def _form(self) -> QtWidgets.QFormLayout:
        form = QtWidgets.QFormLayout()
        form.addRow("host", self.host)
        form.addRow("output file", self._with_browse(self.path, self._browse))
        frames = QtWidgets.QHBoxLayout()
        frames.addWidget(self.start)
        frames.addWidget(QtWidgets.QLabel("to"))
        frames.addWidget(self.end)
        form.addRow("frames", frames)
        form.addRow("sub-frames", self.subframes)
        form.addRow("scene map", self._with_browse(self.scene_map, self._browse_scene_map))
        form.addRow("up axis", self.up_axis)
        form.addRow("metres per unit", self.meters_per_unit)
        phi = QtWidgets.QHBoxLayout()
        phi.addWidget(self.phi_enabled)
        phi.addWidget(self.phi, 1)
        form.addRow("phi (atmosphere)", phi)
        form.addRow("", self.link)
        form.addRow("", self.look)
        form.addRow("", self.ambient)
        return form

    def _with_browse(self, edit: QtWidgets.QLineEdit, slot: Any) -> QtWidgets.QHBoxLayout:
        row = QtWidgets.QHBoxLayout()
        row.addWidget(edit, 1)
        browse = QtWidgets.QPushButton("Browse…")
        browse.clicked.connect(slot)
        row.addWidget(browse)
        return row

    def _suffixes(self) -> tuple[str, ...]:
        try:
            from moks_graph.hosts.bake import HOSTS
            return HOSTS[self.host.currentData()].suffixes
        except Exception:
            return (".usda",)

    def _suggest_path(self) -> None:
        stem = Path(self.graph.source).stem if self.graph.source else "bake"
        self.path.setText(str(Path(self.default_dir) / f"{stem}{self._suffixes()[0]}"))

    def _update_host_options(self) -> None:
        """Offer the writer options and the link box only where the chosen host takes them."""
        try:
            from moks_graph.hosts.bake import HOST_OPTIONS
            takes = HOST_OPTIONS.get(self.host.currentData(), frozenset())
        except Exception:
            takes = frozenset()
        self.up_axis.setEnabled("up_axis" in takes)
        self.meters_per_unit.setEnabled("meters_per_unit" in takes)
        self._update_link()
        self._update_features()

    def _update_features(self) -> None:
        """The look and ambient boxes are offered for hosts that write them, on graphs with
        the node (:data:`~moks_graph.hosts.bake.FEATURE_HOSTS`)."""
        try:
            from moks_graph.hosts.bake import FEATURE_HOSTS as hosts
        except Exception:  # hosts missing: nothing offered
            hosts = frozenset()
        for box, has in self._feature_nodes.items():
            box.setEnabled(has and self.host.currentData() in hosts)

    def _update_link(self) -> None:
        """The link box is offered for hosts that write links, on graphs with a subject."""
        try:
            from moks_graph.hosts.bake import LINK_HOSTS
            from moks_graph.hosts.linkage import SUBJECT_PORT
        except Exception:
            self.link.setEnabled(False)
            return
        moving = any(e.dst_port == SUBJECT_PORT for e in self.graph.edges)
        self.link.setEnabled(moving and self.host.currentData() in LINK_HOSTS)
        if not self.link.isEnabled():
            self.link.setChecked(False)

    def _browse(self) -> None:
        pattern = " ".join(f"*{s}" for s in self._suffixes())
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Bake to", self.path.text(),
                                                        f"{self.host.currentText()} ({pattern})")
        if path:
            self.path.setText(path)

    def _browse_scene_map(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Scene map", self.default_dir,
                                                        "scene map (*.json)")
        if path:
            self.scene_map.setText(path)

    def command_line(self) -> list[str]:
        """The ``moks bake`` arguments that bake what the form describes (shown in the
        dialog, to copy into a shell or a farm job)."""
        args = self.bake_arguments()
        first, last = args["frames"]
        line = ["moks", "bake", self.graph.source or "GRAPH.mgraph", "--host", args["host"],
                "--out", args["out"], "--frames", f"{first}-{last}"]
        if args["subframes"] is not None:
            line += ["--subframes", str(args["subframes"])]
        if args["scene_map"] is not None:
            line += ["--scene-map", args["scene_map"]]
        for name, value in sorted(args["options"].items()):
            line += [f"--{name.replace('_', '-')}", f"{value:g}" if isinstance(value, float)
                     else str(value)]
        if args["phi"] is not None:
            line += ["--phi", f"{args['phi']:g}"]
        if args["link_to_target"]:
            line.append("--link-to-target")
        line += [flag for flag, on in (("--no-look", args["look"]),
                                       ("--no-ambient", args["ambient"])) if not on]
        return line

    def _update_command(self) -> None:
        self.command.setText(shlex.join(self.command_line()))

    def bake_arguments(self) -> dict[str, Any]:
        """The form as keyword arguments of :func:`~moks_graph.hosts.bake.evaluate_bake`
        (``phi`` and ``scene_map`` as ``moks bake`` takes them); options the host does not
        take are left out, as the CLI refuses them."""
        options: dict[str, Any] = {}
        if self.up_axis.isEnabled() and self.up_axis.currentData() is not None:
            options["up_axis"] = self.up_axis.currentData()
        if self.meters_per_unit.isEnabled() and self.meters_per_unit.value() > 0:
            options["meters_per_unit"] = self.meters_per_unit.value()
        return {
            "host": self.host.currentData(),
            "out": self.path.text(),
            "frames": (self.start.value(), self.end.value()),
            "subframes": self.subframes.value() or None,
            "scene_map": self.scene_map.text().strip() or None,
            "options": options,
            "link_to_target": self.link.isChecked(),
            "phi": self.phi.value() if self.phi_enabled.isChecked() else None,
            "look": self.look.isChecked(),
            "ambient": self.ambient.isChecked(),
        }

    # -- running -----------------------------------------------------------------------
    def start_bake(self, host: str | None = None, path: str | None = None,
                   link_to_target: bool | None = None) -> bool:
        """Start baking (arguments override the form); False if it could not start."""
        if self.running:
            return False
        args = self.bake_arguments()
        if host is not None and host != args["host"]:
            args["host"], args["options"] = host, {}
        if path is not None:
            args["out"] = path
        if link_to_target is not None:
            args["link_to_target"] = link_to_target
        out = Path(args["out"])
        try:
            from moks_graph.hosts.bake import check_link, check_options, host_writer

            host_writer(args["host"])
            check_options(args["host"], args["options"])
            check_link(args["host"], args["link_to_target"])
            if not out.parent.is_dir():
                raise MoksError(Problem("MG141", f"output folder {str(out.parent)!r} does not "
                                        "exist", NO_PATH), str(out))
            if args["scene_map"] is not None and not Path(args["scene_map"]).is_file():
                raise ValueError(f"scene map {args['scene_map']!r}: no such file")
        except MoksError as exc:
            self._finish(False, exc.describe())
            return False
        except ValueError as exc:
            self._finish(False, str(exc))
            return False
        except Exception as exc:
            self._finish(False, f"bake unavailable: {type(exc).__name__}: {exc}")
            return False
        self._host, self._out = args["host"], out
        self._cancelled[0] = False
        self.running = True
        self.bake_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        self.progress.setRange(0, max(1, len(self.graph.nodes)))
        self.progress.setValue(0)
        first, last = args["frames"]
        self.message.setText(f"evaluating frames {first}-{last}…")
        self.pool.start(_EvalJob(self.graph.copy(), args, self.signals, self._cancelled))
        return True

    def cancel(self) -> None:
        self._cancelled[0] = True

    def _cancel_or_close(self) -> None:
        if self.running:
            self.cancel()
        else:
            self.reject()

    def _progress(self, i: int, n: int, node: str) -> None:
        self.progress.setRange(0, max(1, n))
        self.progress.setValue(i)
        if node:
            self.message.setText(f"evaluating {node} ({i + 1}/{n})")

    def _evaluated(self, job: Any, error: str) -> None:
        if job is None:
            self._finish(False, "bake cancelled: nothing was written" if error == "cancelled"
                         else error)
            return
        self.message.setText(f"writing {self._out}…")
        QtWidgets.QApplication.processEvents()
        try:
            from moks_graph.hosts.bake import write_bake

            result = write_bake(job, out=self._out)
        except MoksError as exc:
            self._finish(False, exc.describe())
            return
        except (OSError, ValueError, TypeError) as exc:
            self._finish(False, f"cannot write {self._out}: {exc}")
            return
        self.result_path = result.path
        channels = result.channels
        warnings = "".join(f"\nwarning: {w}" for w in result.targets.warnings)
        self._finish(True, f"baked {len(channels)} channels x {len(channels.time)} samples to "
                           f"{result.path} ({self._host}){warnings}")

    def _finish(self, ok: bool, text: str) -> None:
        self.running = False
        self.bake_button.setEnabled(True)
        self.cancel_button.setText("Close")
        if ok:
            self.progress.setValue(self.progress.maximum())
        self.message.setText(text)
        self.message.setStyleSheet("" if ok else "color: #ff6b6b;")
        self.finished_bake.emit(ok, text)

    def wait(self, timeout_ms: int = 60000) -> bool:
        """Process events until the bake ends (tests, scripts)."""
        timer = QtCore.QElapsedTimer()
        timer.start()
        while self.running and timer.elapsed() < timeout_ms:
            self.pool.waitForDone(10)
            QtWidgets.QApplication.processEvents()
        return not self.running

    def closeEvent(self, event: Any) -> None:
        self.cancel()
        self.pool.waitForDone(5000)
        super().closeEvent(event)
