"""Live evaluation off the UI thread, through one engine Evaluator per document.

Entry points: :class:`LiveEvaluator`.

Details (moved from this docstring, issue 15): docs/editor.md#editorevaluationpy
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from moks_graph.editor.qtcompat import QtCore
from moks_graph.evaluate import EvalResult, Evaluator
from moks_graph.graph import Graph


@dataclass
class Evaluation:
    """A finished evaluation: its generation, result, and timing."""

    generation: int
    result: EvalResult | None
    error: str = ""
    seconds: float = 0.0
    frames: tuple[int, int] = (0, 0)
    meta: dict[str, Any] = field(default_factory=dict)


class _Signals(QtCore.QObject):
    finished = QtCore.Signal(object)
    progress = QtCore.Signal(int, int, int, str)


class _Job(QtCore.QRunnable):
    """One evaluation of a graph snapshot in the pool's thread."""

    def __init__(self, evaluator: Evaluator, graph: Graph, generation: int,
                 frames: tuple[int, int] | None, signals: _Signals) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self.evaluator, self.graph, self.generation = evaluator, graph, generation
        self.frames, self.signals = frames, signals

    def run(self) -> None:
        start = time.perf_counter()
        s = self.graph.settings
        frames = self.frames or (s.frame_start, s.frame_end)
        try:
            result = self.evaluator.evaluate(
                self.graph, frames=frames,
                progress=lambda i, n, node: self.signals.progress.emit(self.generation, i, n, node))
            done = Evaluation(self.generation, result, seconds=time.perf_counter() - start,
                              frames=frames)
        except Exception as exc:  # reported to the UI, never raised in the worker
            done = Evaluation(self.generation, None, f"{type(exc).__name__}: {exc}\n"
                              f"{traceback.format_exc(limit=3)}", time.perf_counter() - start,
                              frames)
        self.signals.finished.emit(done)


class LiveEvaluator(QtCore.QObject):
    """Evaluates the newest snapshot of a graph in a worker; emits ``evaluated``."""

    #: the newest finished :class:`Evaluation` (stale ones are never emitted)
    evaluated = QtCore.Signal(object)
    started = QtCore.Signal(int)
    progress = QtCore.Signal(int, int, str)

    def __init__(self, evaluator: Evaluator | None = None,
                 parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.evaluator = evaluator if evaluator is not None else Evaluator()
        self.pool = QtCore.QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._signals = _Signals()
        self._signals.finished.connect(self._finished, QtCore.Qt.ConnectionType.QueuedConnection)
        self._signals.progress.connect(self._progress, QtCore.Qt.ConnectionType.QueuedConnection)
        self.generation = 0
        self.running: int | None = None
        self._pending: tuple[Graph, int, tuple[int, int] | None] | None = None
        self.latest: Evaluation | None = None
        self.discarded = 0
        self.enabled = True

    def request(self, graph: Graph, frames: tuple[int, int] | None = None) -> int:
        """Schedule an evaluation of ``graph`` as it is now; returns its generation."""
        self.generation += 1
        snapshot = graph.copy()
        if self.running is None:
            self._start(snapshot, self.generation, frames)
        else:
            self._pending = (snapshot, self.generation, frames)
        return self.generation

    def _start(self, graph: Graph, generation: int, frames: tuple[int, int] | None) -> None:
        self.running = generation
        self.started.emit(generation)
        self.pool.start(_Job(self.evaluator, graph, generation, frames, self._signals))

    def _finished(self, done: Evaluation) -> None:
        self.running = None
        if self._pending is not None:
            graph, generation, frames = self._pending
            self._pending = None
            self._start(graph, generation, frames)
        if done.generation != self.generation:
            self.discarded += 1
            return
        self.latest = done
        self.evaluated.emit(done)

    def _progress(self, generation: int, i: int, n: int, node: str) -> None:
        if generation == self.generation:
            self.progress.emit(i, n, node)

    @property
    def busy(self) -> bool:
        return self.running is not None or self._pending is not None

    def wait(self, timeout_ms: int = 60000) -> bool:
        """Block (processing events) until the newest request has been delivered."""
        loop_deadline = time.monotonic() + timeout_ms / 1000.0
        app = QtCore.QCoreApplication.instance()
        while time.monotonic() < loop_deadline:
            if not self.busy and (self.latest is None or
                                  self.latest.generation == self.generation):
                return True
            self.pool.waitForDone(10)
            if app is not None:
                app.processEvents()
        return False
