"""``moks farm bake``: graphs baked in frame chunks on Dask, merged into one host file each.

The details (moved from this docstring): docs/farm.md, "Module notes", `hosts/farm/bake.py`.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.markup import escape

from moks_graph import codec
from moks_graph.cache import DiskCache, MemoryCache
from moks_graph.channels import Channels
from moks_graph.errors import NO_PATH, HostError, MoksError, Problem
from moks_graph.evaluate import Evaluator
from moks_graph.graph import Graph
from moks_graph.hosts.bake import evaluate_features, sink_channels, write_with_features
from moks_graph.hosts.farm.cluster import (
    BatchTimes,
    FarmEvent,
    ProgressCallback,
    collect,
    connect,
    outcome,
    progress_sink,
)
from moks_graph.hosts.farm.framesets import FrameSet
from moks_graph.hosts.farm.jobs import (
    Job,
    JobGraph,
    attempts,
    create_job,
    load_job,
    load_snapshot,
    mark_attempt,
    read_chunk,
    write_chunk,
)
from moks_graph.hosts.farm.writer import farm_writer, host_suffix
from moks_graph.listing import Listing
from moks_graph.timebase import TimeArray, sample_frames

#: Memory cache per worker process: chunks rarely share values, so keep it small.
WORKER_CACHE_BYTES = 64 << 20
#: Automatic batching: at least this many batch tasks per worker for each graph ...
TASKS_PER_WORKER = 4
#: ... and at most this many chunks in one batch task.
MAX_AUTO_BATCH = 16


# -- evaluation of one chunk (pure engine work, no Dask) -------------------------
def drop_last_sample(channels: Channels) -> Channels:
    """The same Channels without their last time sample."""
    if len(channels.time) < 2:
        raise ValueError("channels: need at least two samples to drop the last one")
    time = TimeArray(channels.time.frames[:-1], channels.time.fps)
    return Channels(time, {k: v[:-1] for k, v in channels.values.items()}, channels.kinds)


def evaluate_chunk(graph: Graph, start: int, end: int, *, final: bool,
                   subframes: int | None = None, evaluator: Evaluator | None = None) -> Channels:
    """Merged sink Channels of frames ``start <= f < end + 1`` (``final``: up to ``end`` exactly).

    Raises MoksError with every problem when the graph is invalid or a node fails.
    """
    ev = evaluator if evaluator is not None else Evaluator()
    stop = end if final else end + 1
    result = ev.evaluate(graph, frames=(start, stop), subframes=subframes)
    if result.problems:
        raise MoksError(result.problems, graph.source)
    channels = sink_channels(graph, result.values)
    return channels if final else drop_last_sample(channels)


def concat_chunks(parts: Sequence[Channels]) -> Channels:
    """Chunks (in frame order, same channels and kinds) concatenated into one Channels."""
    if not parts:
        raise ValueError("parts: no chunks to merge")
    first = parts[0]
    names, kinds, fps = list(first.values), dict(first.kinds), first.time.fps
    for i, part in enumerate(parts[1:], 1):
        if list(part.values) != names or dict(part.kinds) != kinds or part.time.fps != fps:
            raise ValueError(f"parts: chunk {i} has different channels, kinds or fps than "
                             "chunk 0 (was the graph changed between chunks?)")
    frames = np.concatenate([p.time.frames for p in parts])
    values = {n: np.concatenate([p.values[n] for p in parts]) for n in names}
    return Channels(TimeArray(frames, fps), values, kinds)


# -- worker-side state ----------------------------------------------------------
_JOBS: dict[tuple[str, int], Job] = {}
_GRAPHS: dict[tuple[str, str, str], Graph] = {}
_EVALUATORS: dict[str | None, Evaluator] = {}


def _job(root: str) -> Job:
    stamp = Path(root, "job.json").stat().st_mtime_ns
    job = _JOBS.get((root, stamp))
    if job is None:
        job = _JOBS[(root, stamp)] = load_job(root)
    return job


def _snapshot(job: Job, g: JobGraph) -> Graph:
    key = (str(job.root), g.name, g.snapshot_sha256)
    graph = _GRAPHS.get(key)
    if graph is None:
        graph = _GRAPHS[key] = load_snapshot(job, g.name)
    return graph


def _evaluator(cache_dir: str | None) -> Evaluator:
    ev = _EVALUATORS.get(cache_dir)
    if ev is None:
        disk = DiskCache(cache_dir) if cache_dir else None
        ev = _EVALUATORS[cache_dir] = Evaluator(MemoryCache(WORKER_CACHE_BYTES), disk)
    return ev


@dataclass(frozen=True)
class ChunkResult:
    """What a chunk task reports (the Channels themselves stay in the chunk file)."""

    graph: str
    start: int
    end: int
    status: str  # "done" | "reused" | "failed"
    seconds: float = 0.0
    samples: int = 0
    pid: int = 0
    error: str | None = None


def run_chunk(job_root: str, name: str, start: int, end: int,
              cache_dir: str | None = None) -> ChunkResult:
    """The Dask task for one chunk: reuse its file if the key matches, else evaluate and write."""
    t0 = time.perf_counter()
    where = f"{job_root} graph {name!r}"
    try:  # a bad job folder or a full disk is the chunk's failure, not a worker traceback
        job = _job(job_root)
        g = job.graph(name)
        where = f"{g.source}"
        mark_attempt(job, g, start, end)
        key = job.chunk_key(g, start, end)
        path = job.chunk_path(g, start, end)
        existing = read_chunk(path, key)
        if existing is not None:
            return ChunkResult(name, start, end, "reused", time.perf_counter() - t0,
                               len(existing.time), os.getpid())
        graph = _snapshot(job, g)
        channels = evaluate_chunk(graph, start, end, final=end == g.last, subframes=g.subframes,
                                  evaluator=_evaluator(cache_dir))
        write_chunk(path, key, channels)
    except MoksError as exc:
        message = "; ".join(f"{p.code} {p.message}" for p in exc.problems)
        source = f" ({exc.source})" if exc.source and exc.source not in where else ""
        return ChunkResult(name, start, end, "failed", time.perf_counter() - t0, 0, os.getpid(),
                           f"{where} frames {start}-{end}: {message}{source}")
    except OSError as exc:
        return ChunkResult(name, start, end, "failed", time.perf_counter() - t0, 0, os.getpid(),
                           f"{where} frames {start}-{end}: writing the chunk failed: "
                           f"{type(exc).__name__}: {exc}")
    return ChunkResult(name, start, end, "done", time.perf_counter() - t0, len(channels.time),
                       os.getpid())


def run_batch(job_root: str, name: str, spans: Sequence[tuple[int, int]],
              cache_dir: str | None = None) -> list[ChunkResult]:
    """The Dask task for a batch of chunks of one graph: :func:`run_chunk` on each, in order.

    Every chunk is run (and reported) even after one fails, as separate chunk
    tasks would be; each chunk file is still keyed and written atomically, so a
    retried batch reuses the chunks it had finished.
    """
    return [run_chunk(job_root, name, a, b, cache_dir) for a, b in spans]


def batch_size(n_chunks: int, workers: int, batch: int | None = None) -> int:
    """Chunks per batch task for a graph of ``n_chunks`` chunks on ``workers`` workers.

    ``batch`` given: that size (an int >= 1). None (automatic):
    ``clamp(n_chunks // (TASKS_PER_WORKER * workers), 1, MAX_AUTO_BATCH)``, i.e.
    at least ~4 tasks per worker for the graph (so the workers stay balanced)
    but at most 16 chunks per task. E.g. 24 chunks on 2 workers -> 3 chunks
    per task (8 tasks); 400 chunks on 2 workers -> 16 (25 tasks).
    """
    if batch is not None:
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise ValueError(f"batch: expected an int >= 1 or None, got {batch!r}")
        return batch
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers: expected an int >= 1, got {workers!r}")
    return max(1, min(MAX_AUTO_BATCH, n_chunks // (TASKS_PER_WORKER * workers)))


def batches(spans: Sequence[tuple[int, int]], size: int) -> list[list[int]]:
    """Indices of ``spans`` grouped into consecutive runs of ``size`` (the last may be shorter)."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size: expected an int >= 1, got {size!r}")
    return [list(range(i, min(i + size, len(spans)))) for i in range(0, len(spans), size)]


def _flatten(results: Sequence[ChunkResult | Sequence[ChunkResult]]) -> tuple[ChunkResult, ...]:
    """Chunk results in order, whether given one by one or as batch lists."""
    out: list[ChunkResult] = []
    for r in results:
        if isinstance(r, ChunkResult):
            out.append(r)
        else:
            out.extend(r)
    return tuple(out)


# -- merging ------------------------------------------------------------------
def _chunk_files(job: Job, g: JobGraph) -> list[tuple[int, int, Path]]:
    """The chunk files that tile ``g``'s range: the job's plan, else any keyed chunks on disk.

    Farm managers may chunk differently from the plan (OpenCue groups frames
    itself); chunks whose stored key matches their range are accepted and
    tiled greedily (longest first) from the first frame. Raises MoksError
    naming the missing frames when the files do not cover the range.
    """
    plan = [(a, b, job.chunk_path(g, a, b)) for a, b in g.chunks]
    if all(p.is_file() for _, _, p in plan):
        return plan
    found: dict[int, list[tuple[int, Path]]] = {}
    folder = job.graph_dir(g.name) / "chunks"
    for f in sorted(folder.glob("*.npz")) if folder.is_dir() else []:
        head, _, rest = f.name.partition(".")
        a_text, _, b_text = head.partition("_")
        try:
            a, b = int(a_text), int(b_text)
        except ValueError:
            continue
        if rest == f"{job.chunk_key(g, a, b)}.npz":
            found.setdefault(a, []).append((b, f))
    tiles, frame = [], g.first
    while frame <= g.last:
        options = sorted(found.get(frame, []), reverse=True)
        if not options:
            nxt = min((a for a in found if a > frame), default=g.last + 1)
            raise MoksError(Problem("MG120", f"graph {g.name!r}: no chunk covers frames "
                                    f"{frame}-{min(nxt - 1, g.last)}; run them first (moks farm "
                                    "chunk) or rerun the bake"), str(job.root))
        b, f = options[0]
        tiles.append((frame, b, f))
        frame = b + 1
    return tiles


def merge_chunks(job: Job, name: str) -> Channels:
    """Read ``name``'s chunk files in frame order, check their keys and tiling, concatenate."""
    g = job.graph(name)
    parts = []
    for a, b, path in _chunk_files(job, g):
        part = read_chunk(path, job.chunk_key(g, a, b))
        if part is None:
            raise MoksError(Problem("MG120", f"chunk file for frames {a}-{b} is unreadable or "
                                    "from another submission"), str(path))
        parts.append(part)
    merged = concat_chunks(parts)
    expected = sample_frames(g.first, g.last, g.subframes)
    if not np.array_equal(merged.time.frames, expected):
        raise MoksError(Problem("MG120", f"graph {name!r}: merged chunks hold "
                                f"{len(merged.time)} samples, the range {g.frames} x "
                                f"{g.subframes} needs {len(expected)}"), str(job.root))
    return merged


@dataclass(frozen=True)
class MergeResult:
    """A graph's outcome: the file written, or the error (with graph and frame range)."""

    graph: str
    output: str | None = None
    digest: str | None = None
    samples: int = 0
    channels: int = 0
    seconds: float = 0.0
    error: str | None = None
    chunks: tuple[ChunkResult, ...] = ()
    #: The film look's and SH ambient's files written beside ``output`` (as ``moks bake``).
    side_files: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None


def merge_graph(job_root: str, name: str,
                results: Sequence[ChunkResult | Sequence[ChunkResult]] = (),
                out: str | None = None) -> MergeResult:
    """The merge task: concatenate ``name``'s chunks and write the host file atomically, with
    the graph's film look and SH ambient beside it for the hosts that take them (the side
    files and host pointers of ``moks bake``: :func:`~moks_graph.hosts.bake.write_with_features`).

    ``results``: the chunk results, one by one or as the lists batch tasks return.
    """
    t0 = time.perf_counter()
    job = load_job(job_root)
    g = job.graph(name)
    done = _flatten(results)
    failed = [r for r in done if r.status == "failed"]
    if failed:
        ranges = ", ".join(f"{r.start}-{r.end}" for r in failed)
        return MergeResult(name, error=f"{len(failed)} chunk(s) failed ({ranges}): "
                           f"{failed[0].error}", chunks=done)
    target = Path(out) if out else job.output_path(g)
    try:
        channels = merge_chunks(job, name)
        if not target.parent.is_dir():
            raise HostError(Problem("MG141", f"output folder {str(target.parent)!r} does not "
                                    "exist", NO_PATH), str(target))
        look, ambient = evaluate_features(_snapshot(job, g), job.host, (g.first, g.last),
                                          g.subframes)
        side = write_with_features(farm_writer(job.host), channels, target, look, ambient)
    except MoksError as exc:
        message = "; ".join(f"{p.code} {p.message}" for p in exc.problems)
        return MergeResult(name, error=f"{g.source} frames {g.frames}: merge failed: {message}",
                           chunks=done)
    except (OSError, ValueError, TypeError) as exc:
        return MergeResult(name, error=f"{g.source} frames {g.frames}: writing {target} "
                           f"({job.host}) failed: {type(exc).__name__}: {exc}", chunks=done)
    return MergeResult(name, str(target), codec.digest(channels), len(channels.time),
                       len(channels), time.perf_counter() - t0, chunks=done,
                       side_files=tuple(str(p) for p in side))


# -- the batch ------------------------------------------------------------------
@dataclass
class FarmReport(BatchTimes):
    """Everything a farm bake did: per-graph results, per-chunk records, timings."""

    job: Job
    graphs: dict[str, MergeResult] = field(default_factory=dict)
    chunks: list[ChunkResult] = field(default_factory=list)
    retries: int = 0
    startup_s: float = 0.0
    wall_s: float = 0.0
    batches: dict[str, int] = field(default_factory=dict)  # chunks per batch task, by graph

    @property
    def failures(self) -> list[MergeResult]:
        return [r for r in self.graphs.values() if not r.ok]

    def task_seconds(self) -> Iterable[float]:
        return (c.seconds for c in self.chunks)

    def table(self) -> Listing:
        """The summary table: one row per graph, totals in the caption."""
        table = Listing("graph", "frames", "chunks", "reused", "retries", "failed", "compute s",
                      "result", title=f"farm bake {self.job.id} ({self.job.host})",
                      title_justify="left")
        tries = {g.name: attempts(self.job, g) for g in self.job.graphs if g.ok}
        for g in self.job.graphs:
            mine = [c for c in self.chunks if c.graph == g.name]
            res = self.graphs.get(g.name)
            extra = sum(max(0, n - 1) for n in tries.get(g.name, {}).values())
            result = (f"[green]{escape(str(res.output))}[/]" if res is not None and res.ok
                      else f"[red]{escape(str(res.error if res is not None else g.error))}[/]")
            table.add_row(g.name, g.frames or "-", str(len(g.chunks)),
                          str(sum(c.status == "reused" for c in mine)), str(extra),
                          str(sum(c.status == "failed" for c in mine)),
                          f"{sum(c.seconds for c in mine):.2f}", result)
        ok = len(self.graphs) - len(self.failures)
        table.caption = (f"{ok}/{len(self.job.graphs)} graphs, {len(self.chunks)} chunks, "
                         f"{self.retries} retries, {len(self.failures)} failures; wall "
                         f"{self.wall_s:.2f} s (+{self.startup_s:.2f} s cluster start), chunk "
                         f"compute {self.compute_s:.2f} s, speed-up x{self.speedup:.2f}")
        return table


def run_job(job: Job, *, scheduler: Any = None, workers: int = 2,
            progress: bool | ProgressCallback | None = True, retries: int = 1,
            timeout: float | None = None, cache_dir: str | None = None,
            batch: int | None = None) -> FarmReport:
    """Run a job's chunk and merge tasks on Dask; returns the :class:`FarmReport`.

    ``scheduler``: None (a LocalCluster of ``workers`` processes, 1 thread each),
    an address ``tcp://host:port``, or a ``distributed.Client``. ``retries``:
    Dask retries for unexpected errors (I/O); deterministic failures are not
    retried. ``timeout``: seconds for the whole batch (None: no limit).
    ``cache_dir``: shared disk cache (default ``MOKS_CACHE_DIR``). ``batch``:
    chunks per Dask task (None: automatic from the cluster's worker count, see
    :func:`batch_size`).
    """
    farm_writer(job.host)  # an unknown or uninstalled host fails before any work
    if batch is not None:
        batch_size(1, 1, batch)  # a bad batch fails before any work
    cache = cache_dir if cache_dir is not None else os.environ.get("MOKS_CACHE_DIR") or None
    report = FarmReport(job)
    for g in job.graphs:
        if not g.ok:
            report.graphs[g.name] = MergeResult(g.name, error=f"{g.source}: {g.error}")
    runnable = [g for g in job.graphs if g.ok]
    groups = {g.name: [f"{a}-{b}" for a, b in g.chunks] for g in runnable}
    t0 = time.perf_counter()
    with connect(scheduler, workers) as client:
        t1 = time.perf_counter()
        nonce = uuid.uuid4().hex[:8]
        n_workers = _worker_count(client, workers)
        items: dict[str, tuple[JobGraph, list[int]]] = {}
        merges: dict[str, tuple[JobGraph, list[tuple[list[int], Any]]]] = {}
        futures = []
        for g in runnable:
            size = report.batches[g.name] = batch_size(len(g.chunks), n_workers, batch)
            batch_futures = []
            for idx in batches(g.chunks, size):
                spans = [g.chunks[i] for i in idx]
                a, b = spans[0][0], spans[-1][1]
                fut = client.submit(run_batch, str(job.root), g.name, spans, cache,
                                    key=f"moks-chunks-{g.name}-{a}_{b}-{nonce}",
                                    retries=retries, pure=False)
                items[fut.key] = (g, idx)
                batch_futures.append((idx, fut))
            merge = client.submit(merge_graph, str(job.root), g.name,
                                  [f for _, f in batch_futures],
                                  key=f"moks-merge-{g.name}-{nonce}", retries=retries,
                                  pure=False, priority=10)
            merges[merge.key] = (g, batch_futures)
            futures += [*(f for _, f in batch_futures), merge]
        with progress_sink(progress, groups) as emit:
            late = collect(futures, lambda fut: _record(report, fut, items, merges, emit),
                           timeout)
        if late:
            client.cancel([f for f in futures if f.key in late])
        for key in late & set(merges):
            g = merges[key][0]
            report.graphs[g.name] = MergeResult(g.name, error=f"{g.source} frames {g.frames}: "
                                                f"timed out after {timeout} s")
        report.wall_s = time.perf_counter() - t1
    report.startup_s = t1 - t0
    report.retries = sum(max(0, n - 1) for g in runnable for n in attempts(job, g).values())
    return report


def _worker_count(client: Any, fallback: int) -> int:
    """Workers the scheduler knows now (``fallback`` when it reports none yet)."""
    try:
        n = len(client.scheduler_info().get("workers", {}))
    except Exception:  # an old or unusual client: the requested count will do
        n = 0
    return n if n > 0 else max(1, fallback)


def _record(report: FarmReport, fut: Any, items: dict[str, tuple[JobGraph, list[int]]],
            merges: dict[str, tuple[JobGraph, list[tuple[list[int], Any]]]],
            emit: ProgressCallback) -> None:
    """File one finished future into the report and emit its progress events.

    A finished batch emits one ``item`` event per chunk. Chunk results are not
    fetched (that would cost a round trip each): the merge task receives them
    and returns them in its MergeResult.
    """
    if fut.key in items:
        g, idx = items[fut.key]
        status = "done" if fut.status == "finished" else "failed"
        message = "" if status == "done" else outcome(fut)[1]
        for i in idx:
            a, b = g.chunks[i]
            emit(FarmEvent("item", g.name, i, f"{a}-{b}", status, message=message))
        return
    g, batch_futures = merges[fut.key]
    ok, res = outcome(fut)
    if not ok:  # an exception escaped a batch or the merge: fetch what the batches did
        res = MergeResult(g.name, error=f"{g.source} frames {g.frames}: {res}",
                          chunks=tuple(r for idx, f in batch_futures
                                       for r in _batch_records(g, idx, f)))
    report.graphs[g.name] = res
    report.chunks.extend(res.chunks)
    statuses = tuple(c.status for c in res.chunks)
    emit(FarmEvent("group", g.name, -1, g.frames, "written" if res.ok else "failed",
                   res.seconds, res.output if res.ok else str(res.error), statuses))


def _batch_records(g: JobGraph, idx: list[int], fut: Any) -> list[ChunkResult]:
    """A batch's chunk results, or one failed record per chunk when the batch raised."""
    ok, res = outcome(fut)
    if ok and isinstance(res, list) and all(isinstance(r, ChunkResult) for r in res):
        return res
    return [ChunkResult(g.name, a, b, "failed", error=f"{g.source} frames {a}-{b}: {res}")
            for a, b in (g.chunks[i] for i in idx)]


def farm_bake(graphs: Sequence[str | os.PathLike[str]],
              frames: str | FrameSet | tuple[int, int] | None = None, chunk: int = 100,
              host: str = "npz", out: str | os.PathLike[str] = ".", *, scheduler: Any = None,
              workers: int = 2, progress: bool | ProgressCallback | None = True,
              subframes: int | None = None, retries: int = 1, timeout: float | None = None,
              cache_dir: str | None = None, batch: int | None = None) -> FarmReport:
    """Bake ``graphs`` in ``chunk``-frame pieces on Dask; one ``host`` file per graph in ``out``.

    ``frames``: frame set for every graph (default: each graph's range);
    outputs are ``<out>/<graph stem><host suffix>``, the job directory
    ``<out>/<job-id>/``. ``batch``: chunks per Dask task (None: automatic).
    See :func:`run_job` for the other options. Returns the
    report; check ``report.ok`` / ``report.failures``.
    """
    farm_writer(host)
    if batch is not None:
        batch_size(1, 1, batch)
    job = create_job(graphs, out, frames=frames, chunk=chunk, host=host, subframes=subframes,
                     suffix=host_suffix(host))
    return run_job(job, scheduler=scheduler, workers=workers, progress=progress,
                   retries=retries, timeout=timeout, cache_dir=cache_dir, batch=batch)
