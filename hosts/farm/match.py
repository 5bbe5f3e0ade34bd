"""Batch matching on Dask: ``moks match`` over many stills, and ``moks farm match``.

The details (moved from this docstring): docs/farm.md, "Module notes", `hosts/farm/match.py`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
from rich.markup import escape

from moks_graph import mgraph
from moks_graph.cache import atomic_write_bytes
from moks_graph.errors import MoksError
from moks_graph.graph import Graph
from moks_graph.hosts.farm.cluster import (
    BatchTimes,
    FarmEvent,
    ProgressCallback,
    collect,
    connect,
    outcome,
    progress_sink,
)
from moks_graph.listing import Listing

MatchFn = Callable[..., Any]
_SAFE: Final = re.compile(r"[^A-Za-z0-9_.-]+")


def unique_stems(images: Sequence[str]) -> list[str]:
    """File-system-safe, unique folder names for images (``a``, ``a-2``, ...)."""
    stems: list[str] = []
    for image in images:
        base = _SAFE.sub("_", Path(image).stem).strip(".") or "image"  # never . or ..
        stem, i = base, 2
        while stem in stems:
            stem, i = f"{base}-{i}", i + 1
        stems.append(stem)
    return stems


@dataclass(frozen=True)
class DaskRun:
    """How :func:`run_on_dask` went: cluster start, wall time, the tasks that timed out."""

    startup_s: float
    wall_s: float
    late: list[int]


def run_on_dask(task: Callable[..., Any], columns: Sequence[Sequence[Any]],
                on_done: Callable[[int, bool, Any], None], *, scheduler: Any = None,
                workers: int = 2, retries: int = 0, timeout: float | None = None) -> DaskRun:
    """Map ``task`` over ``columns`` (one list per argument) on Dask, one task per row.

    ``on_done(i, ok, value)`` is called as task ``i`` finishes: ``(True, result)``, or
    ``(False, "Type: message")`` when it raised (after ``retries``) or its worker died.
    Tasks still running after ``timeout`` seconds are cancelled and listed in ``late``.
    """
    t0 = time.perf_counter()
    with connect(scheduler, workers) as client:
        t1 = time.perf_counter()
        futures = client.map(task, *columns, retries=retries, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        late = collect(futures, lambda fut: on_done(index[fut.key], *outcome(fut)), timeout)
        if late:
            client.cancel([f for f in futures if f.key in late])
        wall = time.perf_counter() - t1
    return DaskRun(t1 - t0, wall, sorted(index[k] for k in late))


# --------------------------------------------------------------------------- moks match


ProgressFn = Callable[[int, int, "BatchItem"], None]


@dataclass(frozen=True)
class BatchItem:
    """One image's outcome: ``status`` is ``matched``, ``approximate`` or ``failed``."""

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
        return [i for i in self.items if i.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failures

    def table(self) -> Listing:
        """A summary table: one row per image, failures in red."""
        table = Listing("image", "status", "key az/el [deg]", "ratio", "CCT [K]", "rim", "stock",
                      "iter", "seconds", "output / error", title="moks match",
                      title_justify="left")
        for item in self.items:
            r = item.result or {}
            if item.status != "failed" and r:
                colour = "green" if item.status == "matched" else "yellow"
                table.add_row(Path(item.image).name, f"[{colour}]{item.status}[/]",
                              f"{r['key_azimuth_deg']:.1f} / {r['key_elevation_deg']:.1f}",
                              f"{r['key_fill_ratio']:.2f}", f"{r['key_cct_K']:.0f}",
                              r["rim_mode"], r["film_stock"], str(r["iterations"]),
                              f"{item.seconds:.2f}",
                              escape(item.folder or "") + (f" ({escape(item.message)})"
                                                     if item.status == "approximate" else ""))
            else:
                table.add_row(Path(item.image).name, "[red]failed[/]", "", "", "", "", "", "",
                              f"{item.seconds:.2f}", f"[red]{escape(item.message)}[/]")
        matched = sum(1 for i in self.items if i.status == "matched")
        approx = sum(1 for i in self.items if i.status == "approximate")
        table.caption = (f"{matched}/{len(self.items)} matched, {approx} approximate, "
                         f"{len(self.failures)} failed; "
                         f"wall {self.wall_s:.2f} s on {self.workers} worker(s)"
                         + (f" (+{self.startup_s:.2f} s cluster start)" if self.startup_s
                            else ""))
        return table


def match_one(image: str, stem: str, out: str, options: Mapping[str, Any]) -> BatchItem:
    """Match and write one image; per-image errors become a ``failed`` item (the task)."""
    from moks_graph.hosts.inverse.match import match, write_outcome

    t0 = time.perf_counter()
    try:
        outcome = match(image, **dict(options))
        folder = write_outcome(outcome, out, stem=stem)
    except MoksError as exc:
        text = "; ".join(f"{p.code} {p.message}" for p in exc.problems)
        return BatchItem(image, stem, "failed", seconds=time.perf_counter() - t0, message=text)
    except (ValueError, TypeError, OSError, RuntimeError) as exc:
        return BatchItem(image, stem, "failed", seconds=time.perf_counter() - t0,
                         message=f"{type(exc).__name__}: {exc}")
    result = outcome.result.model_dump(mode="json")
    status = outcome.result.status
    return BatchItem(image, stem, status, str(folder), time.perf_counter() - t0,
                     outcome.result.message if status != "matched" else "", result)


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
            colour = {"matched": "green", "approximate": "yellow"}.get(item.status, "red")
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


def _dask(paths: list[str], stems: list[str], out: str, options: Mapping[str, Any],
          workers: int, scheduler: Any, tick: _Progress, report: BatchReport) -> list[BatchItem]:
    results: dict[int, BatchItem] = {}

    def on_done(i: int, ok: bool, value: Any) -> None:
        # not ok: a worker died or the task raised unexpectedly
        item = value if ok and isinstance(value, BatchItem) else BatchItem(
            paths[i], stems[i], "failed", message=f"worker error: {value}"[:500])
        results[i] = item
        tick(item)

    run = run_on_dask(match_one, [paths, stems, [out] * len(paths),
                                  [dict(options)] * len(paths)], on_done,
                      scheduler=scheduler, workers=workers)
    report.startup_s = run.startup_s
    return [results[i] for i in range(len(paths))]


def match_batch(images: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str], *,
                forward: str = "builtin", inspector: str = "offline", workers: int = 1,
                scheduler: Any = None, progress: bool | ProgressFn | None = True,
                **options: Any) -> BatchReport:
    """Match ``images`` into ``out`` (module docstring); ``options`` go to ``match``
    (``max_iterations``, ``alternatives``, ``library``)."""
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


# --------------------------------------------------------------------------- moks farm match


def jsonable(value: Any) -> Any:
    """A result as JSON: arrays and numpy scalars as lists/numbers, mappings with str keys."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"result: cannot write a {type(value).__name__} as JSON")


def task_key(image: str, fn: MatchFn, options: Mapping[str, Any]) -> str:
    """SHA-256 over the image bytes, the function's qualified name and the options."""
    h = hashlib.sha256(hashlib.sha256(Path(image).read_bytes()).digest())
    h.update(f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}".encode())
    h.update(json.dumps(jsonable(dict(options)), sort_keys=True).encode())
    matte = options.get("matte")
    if isinstance(matte, str | os.PathLike):  # the matte's pixels, not only its name
        h.update(hashlib.sha256(Path(matte).read_bytes()).digest())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class ImageResult:
    """One image's outcome."""

    image: str
    status: str  # "done" | "reused" | "failed"
    output: str | None = None
    seconds: float = 0.0
    error: str | None = None


def call_one(fn: MatchFn, image: str, stem: str, out: str,
             options: Mapping[str, Any]) -> ImageResult:
    """The Dask task for one image: reuse a keyed result, else run ``fn`` and write atomically."""
    t0 = time.perf_counter()
    target = Path(out) / f"{stem}.match.json"
    try:
        key = task_key(image, fn, options)
        try:
            old = json.loads(target.read_text())
        except (OSError, ValueError):
            old = None
        if isinstance(old, dict) and old.get("key") == key and (
                old.get("graph") is None or (Path(out) / old["graph"]).is_file()):
            return ImageResult(image, "reused", str(target), time.perf_counter() - t0)
        result = fn(image, **options)
        doc: dict[str, Any] = {"image": image, "key": key, "graph": None, "result": None}
        if isinstance(result, Graph):
            doc["graph"] = f"{stem}.mgraph"
            atomic_write_bytes(Path(out) / doc["graph"], mgraph.dumps(result).encode())
        else:
            doc["result"] = jsonable(result)
        text = json.dumps(doc, sort_keys=True, indent=2, allow_nan=False) + "\n"
        atomic_write_bytes(target, text.encode())
    except MoksError as exc:
        message = "; ".join(f"{p.code} {p.message}" for p in exc.problems)
        return ImageResult(image, "failed", None, time.perf_counter() - t0, f"{image}: {message}")
    except (ValueError, TypeError, OSError) as exc:
        return ImageResult(image, "failed", None, time.perf_counter() - t0,
                           f"{image}: {type(exc).__name__}: {exc}")
    return ImageResult(image, "done", str(target), time.perf_counter() - t0)


def _reusable(folder: Path, key: str) -> bool:
    try:
        task = json.loads((folder / "task.json").read_text())
        result = json.loads((folder / "match.json").read_text())
    except (OSError, ValueError):
        return False
    return (isinstance(task, dict) and task.get("key") == key and isinstance(result, dict)
            and result.get("status") in ("matched", "approximate")
            and (folder / "scene.mgraph").is_file())


def farm_match_one(image: str, stem: str, out: str,
                   options: Mapping[str, Any]) -> ImageResult:
    """The default Dask task: reuse a keyed match folder, else :func:`match_one` (match and
    :func:`~moks_graph.hosts.inverse.match.write_match`) and record the key."""
    t0 = time.perf_counter()
    folder = Path(out) / stem
    try:
        key = task_key(image, match_one, options)
        if _reusable(folder, key):
            return ImageResult(image, "reused", str(folder), time.perf_counter() - t0)
        item = match_one(image, stem, out, options)
        if item.status == "failed":
            return ImageResult(image, "failed", item.folder, time.perf_counter() - t0,
                               f"{image}: {item.message}")
        text = json.dumps({"image": image, "key": key}, sort_keys=True, indent=2) + "\n"
        atomic_write_bytes(folder / "task.json", text.encode())
    except (ValueError, TypeError, OSError) as exc:
        return ImageResult(image, "failed", None, time.perf_counter() - t0,
                           f"{image}: {type(exc).__name__}: {exc}")
    return ImageResult(image, "done", str(folder), time.perf_counter() - t0)


@dataclass
class MatchReport(BatchTimes):
    """Every image's result and the batch timings."""

    images: list[ImageResult] = field(default_factory=list)
    startup_s: float = 0.0
    wall_s: float = 0.0

    @property
    def failures(self) -> list[ImageResult]:
        return [r for r in self.images if r.status == "failed"]

    def task_seconds(self) -> Iterable[float]:
        return (r.seconds for r in self.images)

    def table(self) -> Listing:
        table = Listing("image", "status", "seconds", "result", title="farm match",
                      title_justify="left")
        for r in self.images:
            shown = (f"[green]{escape(str(r.output))}[/]" if r.status != "failed"
                     else f"[red]{escape(str(r.error))}[/]")
            table.add_row(escape(r.image), r.status, f"{r.seconds:.2f}", shown)
        table.caption = (f"{len(self.images) - len(self.failures)}/{len(self.images)} images, "
                         f"{sum(r.status == 'reused' for r in self.images)} reused, "
                         f"{len(self.failures)} failures; wall {self.wall_s:.2f} s "
                         f"(+{self.startup_s:.2f} s cluster start), compute "
                         f"{self.compute_s:.2f} s, speed-up x{self.speedup:.2f}")
        return table


def farm_match(images: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str], *,
               match_fn: MatchFn | None = None, options: Mapping[str, Any] | None = None,
               scheduler: Any = None, workers: int = 2,
               progress: bool | ProgressCallback | None = True, retries: int = 1,
               timeout: float | None = None) -> MatchReport:
    """Match every image on Dask into ``out`` (module docstring).

    ``match_fn``: None for inverse cinematography written as ``moks match`` folders, or a
    per-image function. ``options`` are passed to the matcher or ``match_fn`` as keywords.
    ``scheduler``, ``workers``, ``progress``, ``retries``, ``timeout``: as for
    :func:`moks_graph.hosts.farm.bake.run_job`.
    """
    if match_fn is not None and not callable(match_fn):
        raise TypeError(f"match_fn: expected a callable, got {type(match_fn).__name__}")
    if not images:
        raise ValueError("images: give at least one image")
    opts = dict(options or {})
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [str(Path(i)) for i in images]
    stems = unique_stems(paths)
    report = MatchReport()
    results: dict[int, ImageResult] = {}
    runnable = []
    for i, path in enumerate(paths):
        if Path(path).is_file():
            runnable.append(i)
        else:
            results[i] = ImageResult(path, "failed", error=f"{path}: no such image file")
    with progress_sink(progress, {"images": paths}) as emit:

        def on_done(j: int, ok: bool, res: Any) -> None:
            i = runnable[j]
            rec = res if ok and isinstance(res, ImageResult) else ImageResult(
                paths[i], "failed", error=f"{paths[i]}: {res}")
            results[i] = rec
            emit(FarmEvent("item", "images", i, paths[i], rec.status, rec.seconds,
                           rec.error or ""))

        n = len(runnable)
        columns = [[paths[i] for i in runnable], [stems[i] for i in runnable],
                   [str(folder)] * n, [opts] * n]
        task: Callable[..., Any] = farm_match_one
        if match_fn is not None:
            task, columns = call_one, [[match_fn] * n, *columns]
        run = run_on_dask(task, columns, on_done, scheduler=scheduler, workers=workers,
                          retries=retries, timeout=timeout)
    for j in run.late:
        i = runnable[j]
        results[i] = ImageResult(paths[i], "failed", error=f"{paths[i]}: timed out after "
                                 f"{timeout} s")
    report.startup_s, report.wall_s = run.startup_s, run.wall_s
    report.images = [results[i] for i in range(len(paths))]
    return report
