"""Batch matching: many references, in this process or on Dask, one failure never stops the rest.

:func:`match_batch` matches every image with :func:`moks_graph.nodes.inverse.match.match`
and writes each result with :func:`~moks_graph.nodes.inverse.match.write_match` into
``out/<stem>/``. With ``workers == 1`` and no scheduler it runs here, image after image,
under a rich progress bar; otherwise each image is one Dask task on the farm's client
(:func:`moks_graph.hosts.farm.cluster.connect`: a ``LocalCluster`` of ``workers``
single-threaded processes, or the scheduler at ``scheduler``) under the same bar.
Every image is matched independently from its own pixels, so the results do not depend
on the worker count or the order tasks finish in (only ``seconds`` does).

A per-image error (unreadable file, bad pixels, a forward model or inspector that
raises) becomes a ``failed`` row of the :class:`BatchReport`; so does an image whose frame
has no exposure information (its ``match.json`` is still written).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from rich.table import Table

from moks_graph.errors import MoksError

ProgressFn = Callable[[int, int, "BatchItem"], None]
_SAFE: Final = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class BatchItem:
    """One image's outcome: ``status`` is ``matched`` or ``failed``."""

    image: str
    stem: str
    status: str
    folder: str | None = None
    seconds: float = 0.0
    message: str = ""
    result: dict[str, Any] | None = None


@dataclass
class BatchReport:
    """All images' outcomes and the batch's wall-clock time."""

    items: list[BatchItem] = field(default_factory=list)
    wall_s: float = 0.0
    startup_s: float = 0.0
    workers: int = 1

    @property
    def failures(self) -> list[BatchItem]:
        return [i for i in self.items if i.status != "matched"]

    @property
    def ok(self) -> bool:
        return not self.failures

    def table(self) -> Table:
        """A summary table: one row per image, failures in red."""
        table = Table("image", "status", "key az/el [deg]", "ratio", "CCT [K]", "rim", "stock",
                      "iter", "seconds", "output / error", title="moks match",
                      title_justify="left")
        for item in self.items:
            r = item.result or {}
            if item.status == "matched" and r:
                table.add_row(Path(item.image).name, "[green]matched[/]",
                              f"{r['key_azimuth_deg']:.1f} / {r['key_elevation_deg']:.1f}",
                              f"{r['key_fill_ratio']:.2f}", f"{r['key_cct_K']:.0f}",
                              r["rim_mode"], r["film_stock"], str(r["iterations"]),
                              f"{item.seconds:.2f}", item.folder or "")
            else:
                table.add_row(Path(item.image).name, "[red]failed[/]", "", "", "", "", "", "",
                              f"{item.seconds:.2f}", f"[red]{item.message}[/]")
        done = len(self.items) - len(self.failures)
        table.caption = (f"{done}/{len(self.items)} matched, {len(self.failures)} failed; "
                         f"wall {self.wall_s:.2f} s on {self.workers} worker(s)"
                         + (f" (+{self.startup_s:.2f} s cluster start)" if self.startup_s
                            else ""))
        return table


def unique_stems(images: Sequence[str]) -> list[str]:
    """File-system-safe, unique folder names for images (``a``, ``a-2``, ...)."""
    stems: list[str] = []
    for image in images:
        base = _SAFE.sub("_", Path(image).stem) or "image"
        stem, i = base, 2
        while stem in stems:
            stem, i = f"{base}-{i}", i + 1
        stems.append(stem)
    return stems


def match_one(image: str, stem: str, out: str, options: Mapping[str, Any]) -> BatchItem:
    """Match and write one image; per-image errors become a ``failed`` item (the task)."""
    from moks_graph.nodes.inverse.match import match, write_match

    t0 = time.perf_counter()
    try:
        outcome = match(image, **dict(options))
        folder = write_match(outcome.result, outcome.script, outcome.reference,
                             outcome.preview, out, stem=stem)
    except MoksError as exc:
        text = "; ".join(f"{p.code} {p.message}" for p in exc.problems)
        return BatchItem(image, stem, "failed", seconds=time.perf_counter() - t0, message=text)
    except (ValueError, TypeError, OSError, RuntimeError) as exc:
        return BatchItem(image, stem, "failed", seconds=time.perf_counter() - t0,
                         message=f"{type(exc).__name__}: {exc}")
    result = outcome.result.model_dump(mode="json")
    status = "matched" if outcome.result.status == "matched" else "failed"
    return BatchItem(image, stem, status, str(folder), time.perf_counter() - t0,
                     outcome.result.message if status == "failed" else "", result)


class _Progress:
    """Progress reporting: a rich bar (``True``), a callable ``(done, total, item)`` or off."""

    def __init__(self, progress: bool | ProgressFn | None, total: int) -> None:
        self.callback = progress if callable(progress) else None
        self.total = total
        self.done = 0
        self.bar: Any = None
        if progress is True:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                MofNCompleteColumn(), TextColumn("{task.fields[last]}"),
                                TimeElapsedColumn(), console=Console(stderr=True,
                                                                     highlight=False))
            self.task = self.bar.add_task("matching", total=total, last="")

    def __enter__(self) -> _Progress:
        if self.bar is not None:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)

    def __call__(self, item: BatchItem) -> None:
        self.done += 1
        if self.bar is not None:
            colour = "green" if item.status == "matched" else "red"
            self.bar.update(self.task, advance=1, last=f"[{colour}]{item.stem}[/]")
        if self.callback is not None:
            self.callback(self.done, self.total, item)


def _local(paths: list[str], stems: list[str], out: str, options: Mapping[str, Any],
           tick: _Progress) -> list[BatchItem]:
    items: list[BatchItem] = []
    for path, stem in zip(paths, stems, strict=True):
        items.append(match_one(path, stem, out, options))
        tick(items[-1])
    return items


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


def _dask(paths: list[str], stems: list[str], out: str, options: Mapping[str, Any],
          workers: int, scheduler: Any, tick: _Progress, report: BatchReport) -> list[BatchItem]:
    from distributed import as_completed

    from moks_graph.hosts.farm.cluster import connect

    results: dict[int, BatchItem] = {}
    t0 = time.perf_counter()
    with worker_environment(), connect(scheduler, workers) as client:
        report.startup_s = time.perf_counter() - t0
        futures = client.map(match_one, paths, stems, [out] * len(paths),
                             [dict(options)] * len(paths), pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in as_completed(futures):
            i = index[fut.key]
            try:
                item = fut.result()
            except Exception as exc:  # a worker died or the task raised unexpectedly
                item = BatchItem(paths[i], stems[i], "failed",
                                 message=f"worker error: {type(exc).__name__}: {exc}"[:500])
            results[i] = item
            tick(item)
    return [results[i] for i in range(len(paths))]


def match_batch(images: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str], *,
                forward: str = "builtin", inspector: str = "offline", workers: int = 1,
                scheduler: Any = None, progress: bool | ProgressFn | None = True,
                **options: Any) -> BatchReport:
    """Match ``images`` into ``out`` (module docstring); ``options`` go to ``match``
    (``max_iterations``, ``alternatives``)."""
    if not images:
        raise ValueError("images: give at least one image")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers: expected an int >= 1, got {workers!r}")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [str(Path(i)) for i in images]
    stems = unique_stems(paths)
    opts = {"forward": forward, "inspector": inspector, **options}
    report = BatchReport(workers=workers)
    t0 = time.perf_counter()
    with _Progress(progress, len(paths)) as tick:
        if workers == 1 and scheduler is None:
            report.items = _local(paths, stems, str(folder), opts, tick)
        else:
            report.items = _dask(paths, stems, str(folder), opts, workers, scheduler, tick,
                                 report)
    report.wall_s = time.perf_counter() - t0 - report.startup_s
    return report
