"""The Bake dialog: evaluate the graph in a worker (progress, cancel), then write one host file.

Uses :mod:`moks_graph.hosts.bake` exactly as ``moks bake`` does: the merged
Channels of the sink nodes (:func:`sink_channels`) go to the host's writer
(:func:`host_writer`), which writes atomically. Hosts whose library is not
installed are listed but disabled, with the install hint as tooltip; a
:class:`~moks_graph.errors.HostError` (or any engine error) is shown in the
dialog, never raised. Evaluation can be cancelled between nodes; the write
itself runs on the UI thread after evaluation (host libraries such as ``bpy``
are not thread-safe) and is atomic, so a cancelled or failed bake leaves no
file behind. "Link to the moving subject" is ``moks bake --link-to-target``: the
lights and camera aim that follow a subject track are written as its children /
constraints (:mod:`moks_graph.hosts.linkage`; USD, Blender, Maya).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from moks_graph.editor.qtcompat import QtCore, QtWidgets
from moks_graph.errors import NO_PATH, MoksError, Problem
from moks_graph.evaluate import EvalResult, Evaluator
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
    done = QtCore.Signal(object, str)  # EvalResult | None, error message


class _EvalJob(QtCore.QRunnable):
    def __init__(self, graph: Graph, frames: tuple[int, int], signals: _Signals,
                 cancelled: list[bool]) -> None:
        super().__init__()
        self.graph, self.frames, self.signals, self.cancelled = graph, frames, signals, cancelled

    def _progress(self, i: int, n: int, node: str) -> None:
        if self.cancelled[0]:
            raise BakeCancelled
        self.signals.progress.emit(i, n, node)

    def run(self) -> None:
        try:
            problems = self.graph.validate()
            if problems:
                raise MoksError(problems, self.graph.source)
            result = Evaluator().evaluate(self.graph, frames=self.frames, progress=self._progress)
            if result.problems:
                raise MoksError(result.problems, self.graph.source)
            self.signals.done.emit(result, "")
        except BakeCancelled:
            self.signals.done.emit(None, "cancelled")
        except MoksError as exc:
            self.signals.done.emit(None, exc.describe())
        except Exception as exc:
            self.signals.done.emit(None, f"{type(exc).__name__}: {exc}")


class BakeDialog(QtWidgets.QDialog):
    """Choose a host and an output file; bake with a progress bar and a Cancel button."""

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
        browse = QtWidgets.QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        s = graph.settings
        self.start = QtWidgets.QSpinBox()
        self.end = QtWidgets.QSpinBox()
        for box, value in ((self.start, s.frame_start), (self.end, s.frame_end)):
            box.setRange(-1_000_000, 10_000_000)
            box.setValue(value)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.message = QtWidgets.QLabel("")
        self.message.setWordWrap(True)
        self.bake_button = QtWidgets.QPushButton("Bake")
        self.cancel_button = QtWidgets.QPushButton("Close")
        self.bake_button.clicked.connect(self.start_bake)
        self.cancel_button.clicked.connect(self._cancel_or_close)
        form = QtWidgets.QFormLayout()
        form.addRow("host", self.host)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form.addRow("output file", row)
        frames = QtWidgets.QHBoxLayout()
        frames.addWidget(self.start)
        frames.addWidget(QtWidgets.QLabel("to"))
        frames.addWidget(self.end)
        form.addRow("frames", frames)
        self.link = QtWidgets.QCheckBox("link lights and camera aim to the moving subject")
        self.link.setToolTip("moks bake --link-to-target: children / constraints of the "
                             "subject's null in the host (usd, blender, maya)")
        form.addRow("", self.link)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.bake_button)
        buttons.addWidget(self.cancel_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.resize(520, 220)
        self.host.currentIndexChanged.connect(lambda _i: self._suggest_path())
        self.host.currentIndexChanged.connect(lambda _i: self._update_link())
        self._suggest_path()
        self._update_link()
        self.pool = QtCore.QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.signals = _Signals()
        self.signals.progress.connect(self._progress)
        self.signals.done.connect(self._evaluated)
        self._cancelled = [False]
        self.running = False
        self.result_path: Path | None = None
        self._link = False

    def _suffixes(self) -> tuple[str, ...]:
        try:
            from moks_graph.hosts.bake import HOSTS
            return HOSTS[self.host.currentData()].suffixes
        except Exception:
            return (".usda",)

    def _suggest_path(self) -> None:
        stem = Path(self.graph.source).stem if self.graph.source else "bake"
        self.path.setText(str(Path(self.default_dir) / f"{stem}{self._suffixes()[0]}"))

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

    # -- running -----------------------------------------------------------------------
    def start_bake(self, host: str | None = None, path: str | None = None,
                   link_to_target: bool | None = None) -> bool:
        """Start baking (arguments override the form); False if it could not start."""
        if self.running:
            return False
        host = host or self.host.currentData()
        out = Path(path or self.path.text())
        self._link = self.link.isChecked() if link_to_target is None else link_to_target
        try:
            from moks_graph.hosts.bake import check_link, host_writer

            self._writer = host_writer(host)
            check_link(host, self._link)
            if not out.parent.is_dir():
                raise MoksError(Problem("MG141", f"output folder {str(out.parent)!r} does not "
                                        "exist", NO_PATH), str(out))
        except MoksError as exc:
            self._finish(False, exc.describe())
            return False
        except ValueError as exc:
            self._finish(False, str(exc))
            return False
        except Exception as exc:
            self._finish(False, f"bake unavailable: {type(exc).__name__}: {exc}")
            return False
        self._host, self._out = host, out
        self._cancelled[0] = False
        self.running = True
        self.bake_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        self.progress.setRange(0, max(1, len(self.graph.nodes)))
        self.progress.setValue(0)
        self.message.setText(f"evaluating frames {self.start.value()}-{self.end.value()}…")
        self.pool.start(_EvalJob(self.graph.copy(), (self.start.value(), self.end.value()),
                                 self.signals, self._cancelled))
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

    def _evaluated(self, result: EvalResult | None, error: str) -> None:
        if result is None:
            self._finish(False, "bake cancelled: nothing was written" if error == "cancelled"
                         else error)
            return
        self.message.setText(f"writing {self._out}…")
        QtWidgets.QApplication.processEvents()
        try:
            from moks_graph.hosts.bake import sink_channels
            from moks_graph.hosts.linkage import graph_linkage

            channels = sink_channels(self.graph, result.values)
            options = {}
            if self._link:
                linkage = graph_linkage(self.graph, result.values)
                if not linkage:
                    raise ValueError("nothing follows a moving target in this graph")
                linkage.check(channels)
                options["linkage"] = linkage
            self._writer(channels, self._out, **options)
        except MoksError as exc:
            self._finish(False, exc.describe())
            return
        except (OSError, ValueError, TypeError) as exc:
            self._finish(False, f"cannot write {self._out}: {exc}")
            return
        self.result_path = self._out
        self._finish(True, f"baked {len(channels)} channels x {len(channels.time)} samples to "
                           f"{self._out} ({self._host})")

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
