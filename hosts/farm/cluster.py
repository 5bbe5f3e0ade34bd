"""Dask plumbing shared by farm bake and farm match: the client, progress events, the live bar.

Entry points: :func:`connect`, :func:`collect`, :class:`LiveProgress`.

Details (moved from this docstring, issue 15): docs/farm.md#hostsfarmclusterpy
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

#: Cells drawn per row at most; more chunks share a cell (the worst status shows).
MAX_CELLS = 48
_GLYPH = {"pending": "[dim]·[/]", "done": "[green]■[/]", "reused": "[cyan]■[/]",
          "failed": "[red]✗[/]"}
_RANK = {"done": 0, "reused": 0, "pending": 1, "failed": 2}


class BatchTimes:
    """``ok``, ``compute_s`` and ``speedup`` of a batch report.

    A report defines ``failures``, ``wall_s`` and :meth:`task_seconds` (one time per
    unit of work: a chunk, an image).
    """

    failures: Any
    wall_s: float

    def task_seconds(self) -> Iterable[float]:
        raise NotImplementedError

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def compute_s(self) -> float:
        """Sum of the task times (evaluate + write) over every task reported."""
        return sum(self.task_seconds())

    @property
    def speedup(self) -> float:
        """Sum of task times over the batch's wall time (cluster start excluded)."""
        return self.compute_s / self.wall_s if self.wall_s > 0 else 0.0


@dataclass(frozen=True)
class FarmEvent:
    """One progress event.

    ``kind``: ``"item"`` (one chunk or image finished) or ``"group"`` (a graph
    merged and written, or failed). ``group``: graph name (or ``"images"``);
    ``index``: the item's position in its group; ``status``: ``done``,
    ``reused``, ``failed`` (items) or ``written`` / ``failed`` (groups).
    A group event may carry the final ``statuses`` of its items (a chunk that
    finished may still turn out reused or failed once its graph is merged).
    """

    kind: str
    group: str
    index: int
    label: str
    status: str
    seconds: float = 0.0
    message: str = ""
    statuses: tuple[str, ...] = ()


ProgressCallback = Callable[[FarmEvent], None]

#: Dask settings of a local cluster: queue every task on a worker at once (no
#: round trip between two chunks) and no statistical profiler sampling the
#: worker threads every 10 ms (it competes with the chunk for the GIL).
LOCAL_CONFIG: dict[str, Any] = {
    "distributed.scheduler.worker-saturation": math.inf,
    "distributed.worker.profile.enabled": False,
}


@contextmanager
def worker_environment() -> Iterator[None]:
    """Dask config for the workers this process spawns: no ``MALLOC_TRIM_THRESHOLD_``.

    The nanny's default ``MALLOC_TRIM_THRESHOLD_=65536`` switches off glibc's dynamic mmap
    threshold, so every temporary array above 128 KiB is mapped, zero-filled and unmapped
    again; the matcher's many frame-sized temporaries then run 2-3x slower in a worker than
    in this process. The BLAS thread limits stay.
    """
    import dask

    # None unsets a variable of the nanny's pre-spawn environment (distributed >= 2022.6)
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        yield


@contextmanager
def connect(scheduler: Any = None, workers: int = 2, *, timeout: float = 60.0) -> Iterator[Any]:
    """A ``distributed.Client`` for ``scheduler`` (None: a new LocalCluster; str: an address).

    Without the ``farm`` extra: :class:`~moks_graph.extras.MissingExtra` (MG140).
    """
    from moks_graph.extras import require

    require("distributed", "farm", "moks farm on Dask")
    from distributed import Client, LocalCluster

    if isinstance(scheduler, Client):
        yield scheduler
        return
    if scheduler is not None and not isinstance(scheduler, str):
        raise TypeError("scheduler: expected an address like 'tcp://host:8786', a "
                        f"distributed.Client or None, got {type(scheduler).__name__}")
    if isinstance(scheduler, str):
        client = Client(scheduler, timeout=timeout)
        try:
            yield client
        finally:
            client.close()
        return
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers: expected an int >= 1, got {workers!r}")
    import dask

    with dask.config.set(LOCAL_CONFIG), worker_environment(), warnings.catch_warnings():
        # the scheduler's HTTP routes fall back to a free port when 8787 is taken
        warnings.filterwarnings("ignore", message="Port .* is already in use")
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
    try:
        client = Client(cluster, timeout=timeout)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


class LiveProgress:
    """A rich live bar: one row per group, one cell per item (module doc)."""

    def __init__(self, groups: dict[str, list[str]], console: Console | None = None) -> None:
        self.console = console or Console(stderr=True, highlight=False)
        self.status = {g: ["pending"] * len(items) for g, items in groups.items()}
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn("{task.fields[cells]}"),
                                 TimeElapsedColumn(), console=self.console)
        self.tasks = {g: self.progress.add_task(g, total=max(len(items), 1),
                                                cells=self._cells(g))
                      for g, items in groups.items()}
        self.live = Live(self.progress, console=self.console, refresh_per_second=8,
                         transient=False)

    def _cells(self, group: str) -> str:
        states = self.status[group]
        n = len(states)
        if n <= MAX_CELLS:
            return "".join(_GLYPH[s] for s in states)
        cells = []
        for c in range(MAX_CELLS):
            part = states[c * n // MAX_CELLS:(c + 1) * n // MAX_CELLS] or ["pending"]
            cells.append(_GLYPH[max(part, key=lambda s: _RANK[s])])
        return "".join(cells)

    def __enter__(self) -> LiveProgress:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.__exit__(None, None, None)

    def __call__(self, event: FarmEvent) -> None:
        if event.group not in self.tasks:
            return
        task = self.tasks[event.group]
        if event.kind == "item":
            if 0 <= event.index < len(self.status[event.group]):
                self.status[event.group][event.index] = event.status
            self.progress.update(task, advance=1, cells=self._cells(event.group))
        else:
            if len(event.statuses) == len(self.status[event.group]):
                self.status[event.group] = list(event.statuses)
            tail = (f" [green]→ {event.message}[/]" if event.status == "written"
                    else f" [red]failed: {event.message}[/]")
            self.progress.update(task, cells=self._cells(event.group) + tail)


def outcome(fut: Any) -> tuple[bool, Any]:
    """``(True, result)`` for a finished future, else ``(False, "Type: message")``."""
    if fut.status == "finished":
        try:
            return True, fut.result()
        except Exception as exc:  # its data was lost and could not be recomputed
            return False, f"{type(exc).__name__}: {exc}"
    try:
        exc = fut.exception()
    except BaseException as err:  # a cancelled future raises here
        exc = err
    return False, f"{type(exc).__name__}: {exc}"


def collect(futures: list[Any], on_done: Callable[[Any], None],
            timeout: float | None = None) -> set[str]:
    """Call ``on_done(future)`` as each future finishes (no result is fetched unless asked).

    Returns the keys still unfinished when ``timeout`` seconds ran out (else empty).
    """
    from distributed import as_completed

    pending = {f.key for f in futures}
    try:
        for fut in as_completed(futures, timeout=timeout):
            pending.discard(fut.key)
            on_done(fut)
    except TimeoutError:
        return pending
    return set()


@contextmanager
def progress_sink(progress: bool | ProgressCallback | None,
                  groups: dict[str, list[str]]) -> Iterator[ProgressCallback]:
    """A callback for ``progress``: True -> a live bar, a callable as is, False/None -> ignore."""
    if callable(progress):
        yield progress
    elif progress:
        with LiveProgress(groups) as bar:
            yield bar
    else:
        yield lambda event: None
