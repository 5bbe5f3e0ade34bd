"""``moks farm match``: the batch form of ``moks match``, one Dask task per reference image.

The per-image function is ``moks_graph.nodes.inverse.match_image`` (inverse
cinematography) when it is installed; any function with the same contract can
be passed instead::

    match_fn(image: str, **options) -> Mapping[str, Any] | Graph

A mapping is written as ``<out>/<image stem>.match.json``; a Graph as
``<out>/<image stem>.mgraph`` with the JSON beside it. The JSON holds the
image, the task key and the result (arrays as lists). Tasks are idempotent:
a JSON whose key matches (SHA-256 of the image bytes, the function's qualified
name and the options) is reused. A function error on one image (MoksError,
ValueError, TypeError, OSError) is reported with the image and does not stop
the others; other exceptions are retried by Dask first.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.table import Table

from moks_graph import mgraph
from moks_graph.cache import atomic_write_bytes
from moks_graph.errors import MoksError, Problem
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

MatchFn = Callable[..., Any]
INVERSE_MODULE = "moks_graph.nodes.inverse"
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def default_match_fn() -> MatchFn:
    """``moks_graph.nodes.inverse.match_image``, or a clear MoksError when it is not installed."""
    try:
        module = importlib.import_module(INVERSE_MODULE)
    except ImportError:
        module = None
    fn = getattr(module, "match_image", None)
    if not callable(fn):
        raise MoksError(Problem("MG130", "farm match needs inverse cinematography "
                                f"({INVERSE_MODULE}.match_image), which is not available in "
                                "this installation"))
    return fn


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
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class ImageResult:
    """One image's outcome."""

    image: str
    status: str  # "done" | "reused" | "failed"
    output: str | None = None
    seconds: float = 0.0
    error: str | None = None


def match_one(fn: MatchFn, image: str, stem: str, out: str,
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

    def table(self) -> Table:
        table = Table("image", "status", "seconds", "result", title="farm match",
                      title_justify="left")
        for r in self.images:
            shown = f"[green]{r.output}[/]" if r.status != "failed" else f"[red]{r.error}[/]"
            table.add_row(r.image, r.status, f"{r.seconds:.2f}", shown)
        table.caption = (f"{len(self.images) - len(self.failures)}/{len(self.images)} images, "
                         f"{sum(r.status == 'reused' for r in self.images)} reused, "
                         f"{len(self.failures)} failures; wall {self.wall_s:.2f} s "
                         f"(+{self.startup_s:.2f} s cluster start), compute "
                         f"{self.compute_s:.2f} s, speed-up x{self.speedup:.2f}")
        return table


def _stems(images: Sequence[str]) -> list[str]:
    stems: list[str] = []
    for image in images:
        base = _SAFE.sub("_", Path(image).stem) or "image"
        stem, i = base, 2
        while stem in stems:
            stem, i = f"{base}-{i}", i + 1
        stems.append(stem)
    return stems


def farm_match(images: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str], *,
               match_fn: MatchFn | None = None, options: Mapping[str, Any] | None = None,
               scheduler: Any = None, workers: int = 2,
               progress: bool | ProgressCallback | None = True, retries: int = 1,
               timeout: float | None = None) -> MatchReport:
    """Match every image on Dask with ``match_fn`` (default: inverse cinematography).

    ``options`` are passed to ``match_fn`` as keywords. ``scheduler``,
    ``workers``, ``progress``, ``retries``, ``timeout``: as for
    :func:`moks_graph.hosts.farm.bake.run_job`. Results go to ``out``.
    """
    fn = match_fn if match_fn is not None else default_match_fn()
    if not callable(fn):
        raise TypeError(f"match_fn: expected a callable, got {type(fn).__name__}")
    if not images:
        raise ValueError("images: give at least one image")
    opts = dict(options or {})
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [str(Path(i)) for i in images]
    stems = _stems(paths)
    report = MatchReport()
    results: dict[int, ImageResult] = {}
    runnable = []
    for i, path in enumerate(paths):
        if Path(path).is_file():
            runnable.append(i)
        else:
            results[i] = ImageResult(path, "failed", error=f"{path}: no such image file")
    t0 = time.perf_counter()
    with connect(scheduler, workers) as client:
        t1 = time.perf_counter()
        futures = client.map(match_one, [fn] * len(runnable), [paths[i] for i in runnable],
                             [stems[i] for i in runnable], [str(folder)] * len(runnable),
                             [opts] * len(runnable), retries=retries, pure=False)
        index = {f.key: i for f, i in zip(futures, runnable, strict=True)}
        with progress_sink(progress, {"images": paths}) as emit:

            def on_done(fut: Any) -> None:
                i = index[fut.key]
                ok, res = outcome(fut)
                rec = res if ok and isinstance(res, ImageResult) else ImageResult(
                    paths[i], "failed", error=f"{paths[i]}: {res}")
                results[i] = rec
                emit(FarmEvent("item", "images", i, paths[i], rec.status, rec.seconds,
                               rec.error or ""))

            late = collect(futures, on_done, timeout)
        if late:
            client.cancel([f for f in futures if f.key in late])
        for key in late:
            i = index[key]
            results[i] = ImageResult(paths[i], "failed", error=f"{paths[i]}: timed out after "
                                     f"{timeout} s")
        report.wall_s = time.perf_counter() - t1
    report.startup_s = t1 - t0
    report.images = [results[i] for i in range(len(paths))]
    return report
