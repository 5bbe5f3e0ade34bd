"""Farm bake throughput: 16 scenario bakes on a Dask LocalCluster, 2 workers vs 1.

Prints the 1- and 2-worker wall times and their ratio (target >= 1.7), the scheduling
overhead per chunk against a chunk's compute (target < 5%), and whether every merged result
is bit-identical to a single-process bake.

Usage: python bench/farm.py [--frames 1-2400] [--chunk 100] [--host npz] [--subframes N]
                            [--repeat 3] [--batch N]

Details (moved from this docstring, issue 15): docs/benchmarks.md#benchfarmpy
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

# isort: off
import moks_graph  # noqa: F401  (first: it pins numpy's kernels, moks_graph/numerics.py)
# isort: on
import numpy as np

import moks_graph as mg
from moks_graph import codec
from moks_graph.hosts.bake import bake_graph
from moks_graph.hosts.farm.bake import FarmReport, merge_graph, run_chunk, run_job
from moks_graph.hosts.farm.cluster import connect
from moks_graph.hosts.farm.framesets import parse_frameset
from moks_graph.hosts.farm.jobs import Job, create_job
from moks_graph.hosts.farm.writer import host_suffix
from moks_graph.registry import default_registry

ROOT = Path(__file__).resolve().parents[1]


def scenarios(folder: Path, count: int = 16, salt: int = 0) -> list[Path]:
    """``count`` scenario graphs: the starter graphs with extra seeds, or the demo graph.

    ``salt`` shifts every seed, so repeated runs share no cached node outputs.
    """
    folder.mkdir(parents=True, exist_ok=True)
    sources = sorted((ROOT / "graphs").glob("*.mgraph")) or [
        Path(mg.__file__).parent / "data" / "demo.mgraph"]
    valid = [p for p in sources if not mg.load(p).validate()]
    out = []
    for i in range(count):
        graph = mg.load(valid[i % len(valid)])
        graph.settings.seed = graph.settings.seed + 1000 * (i // len(valid)) + i + 7919 * salt
        path = folder / f"s{i:02d}_{valid[i % len(valid)].stem}.mgraph"
        mg.save(graph, path)
        out.append(path)
    return out


def warm(client: object) -> None:
    """Import the engine and load the node registry on every worker before timing."""
    client.run(lambda: len(default_registry()))  # type: ignore[attr-defined]


def worker_gaps(stream: list[dict[str, Any]]) -> np.ndarray:
    """Idle time between consecutive task computations on each worker (Dask task stream)."""
    by_worker: dict[str, list[tuple[float, float]]] = {}
    for rec in stream:
        for ss in rec["startstops"]:
            if ss["action"] == "compute":
                by_worker.setdefault(rec["worker"], []).append((ss["start"], ss["stop"]))
    gaps = []
    for spans in by_worker.values():
        spans.sort()
        gaps += [b[0] - a[1] for a, b in itertools.pairwise(spans)]
    return np.array(gaps)


def farm_runs(folder: Path, frames: str, chunk: int, host: str, subframes: int | None,
              workers: int, repeat: int, batch: int | None = None,
              salt: int = 0) -> tuple[FarmReport, list[Path], float, np.ndarray]:
    """``repeat`` bakes on one warmed LocalCluster, each of freshly seeded scenarios (no cache
    hits between runs); the fastest report, its graphs, the cluster start time, and the idle
    gaps between tasks on the workers during that run."""
    from distributed import get_task_stream

    t0 = time.perf_counter()
    best: tuple[FarmReport, list[Path], np.ndarray] | None = None
    with connect(None, workers) as client:
        warm(client)
        start = time.perf_counter() - t0
        for i in range(repeat):
            paths = scenarios(folder / f"graphs{i}", salt=100 * workers + 10 * salt + i)
            job = create_job(paths, folder / f"run{i}", frames=frames, chunk=chunk, host=host,
                             subframes=subframes, suffix=host_suffix(host))
            with get_task_stream(client) as stream:
                report = run_job(job, scheduler=client, progress=False, batch=batch)
            if not report.ok:
                raise SystemExit(f"farm bake failed: {[f.error for f in report.failures]}")
            if best is None or report.wall_s < best[0].wall_s:
                best = (report, paths, worker_gaps(stream.data))
    assert best is not None
    return best[0], best[1], start, best[2]


def loop_run(job: Job) -> float:
    """The same chunk and merge functions in a plain in-process loop (no Dask)."""
    t0 = time.perf_counter()
    for g in job.graphs:
        results = [run_chunk(str(job.root), g.name, a, b) for a, b in g.chunks]
        merge_graph(str(job.root), g.name, results)
    return time.perf_counter() - t0


def sizes(report: FarmReport) -> str:
    """The chunks-per-task figure(s) of a report, e.g. ``3`` or ``2-3``."""
    values = sorted(set(report.batches.values()))
    return str(values[0]) if len(values) == 1 else f"{values[0]}-{values[-1]}"


def tasks(report: FarmReport) -> int:
    """Dask tasks of a bake: batch tasks plus one merge per graph."""
    counts = {g.name: len(g.chunks) for g in report.job.graphs}
    return sum(-(-counts[n] // b) for n, b in report.batches.items()) + len(report.batches)


def overhead_per_chunk(report: FarmReport, workers: int = 1) -> float:
    """``(workers x wall - sum of chunk and merge task times) / chunks``, seconds.

    With several workers this also counts their idle time at the end of the bake.
    """
    task_time = report.compute_s + sum(r.seconds for r in report.graphs.values())
    return (workers * report.wall_s - task_time) / len(report.chunks)


def identical(report: FarmReport, subframes: int | None) -> int:
    """How many merged results equal a single-process bake of the same snapshot, bit for bit."""
    count = 0
    for g in report.job.graphs:
        truth = bake_graph(mg.load(g.source), (g.first, g.last), subframes)
        count += report.graphs[g.name].digest == codec.digest(truth)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", default="1-2400")
    parser.add_argument("--chunk", type=int, default=100)
    parser.add_argument("--host", default="npz")
    parser.add_argument("--subframes", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3, help="Runs per setting; the fastest "
                        "counts (the machine may be shared).")
    parser.add_argument("--batch", type=int, default=None, help="Chunks per Dask task "
                        "(default: automatic).")
    args = parser.parse_args()
    frames = parse_frameset(args.frames)
    tmp = Path(tempfile.mkdtemp(prefix="moks-farm-bench-"))
    try:
        one, paths, start1, gaps = farm_runs(tmp / "w1", args.frames, args.chunk, args.host,
                                             args.subframes, 1, args.repeat, args.batch)
        single, _, _, gaps_single = farm_runs(tmp / "w1b1", args.frames, args.chunk, args.host,
                                              args.subframes, 1, args.repeat, 1, salt=5)
        two, _, start2, _ = farm_runs(tmp / "w2", args.frames, args.chunk, args.host,
                                      args.subframes, 2, args.repeat, args.batch)
        default_registry()
        loop_wall = min(loop_run(create_job(scenarios(tmp / f"loop{i}", salt=999 + i),
                                            tmp / f"loop{i}", frames=args.frames,
                                            chunk=args.chunk, host=args.host,
                                            subframes=args.subframes,
                                            suffix=host_suffix(args.host)))
                        for i in range(args.repeat))
        n_chunks = len(one.chunks)
        full = [c for c in one.chunks if c.end - c.start + 1 == args.chunk]
        chunk_compute = sum(c.seconds for c in full) / max(len(full), 1)
        total_frames = len(paths) * len(frames)
        print(f"farm bake: {len(paths)} scenarios x frames {args.frames} ({total_frames} frames), "
              f"chunk {args.chunk}, {n_chunks} chunks, host {args.host}")
        print(f"  1 worker : wall {one.wall_s:7.3f} s  ({total_frames / one.wall_s:9.0f} frames/s)"
              f"  cluster start {start1:.2f} s  chunks per task {sizes(one)}")
        print(f"  2 workers: wall {two.wall_s:7.3f} s  ({total_frames / two.wall_s:9.0f} frames/s)"
              f"  cluster start {start2:.2f} s  chunks per task {sizes(two)}  speed-up vs "
              f"chunk sum x{two.speedup:.2f}")
        print(f"  1 worker, batch=1 (one task per chunk): wall {single.wall_s:7.3f} s")
        print(f"  in-process loop (no Dask): {loop_wall:.3f} s")
        ratio = one.wall_s / two.wall_s
        print(f"throughput 2 vs 1 workers: x{ratio:.2f}  (target >= 1.7)  "
              f"{'ok' if ratio >= 1.7 else 'MISSED'}")
        print(f"mean {args.chunk}-frame chunk compute: {chunk_compute * 1000:.1f} ms")
        for label, rep, gap in (("default batching", one, gaps),
                                ("batch=1 (for comparison)", single, gaps_single)):
            overhead = overhead_per_chunk(rep)
            frac = overhead / chunk_compute
            print(f"scheduling overhead per chunk, {label} ({sizes(rep)} chunks/task, "
                  f"{tasks(rep)} tasks): {overhead * 1000:.2f} ms = {frac:.1%} of a chunk's "
                  f"compute  (target < 5%)  {'ok' if frac < 0.05 else 'MISSED'}")
            idle = gap.sum() / len(rep.chunks)
            print(f"  idle time between tasks on the worker (Dask task stream): "
                  f"{idle * 1000:.2f} ms per chunk = {idle / chunk_compute:.1%}; per gap mean "
                  f"{gap.mean() * 1000:.2f} ms, median {np.median(gap) * 1000:.2f} ms")
        two_over = overhead_per_chunk(two, 2)
        print(f"  2 workers, default batching ({sizes(two)} chunks/task, {tasks(two)} tasks): "
              f"(2 x wall - task times) / chunks = {two_over * 1000:.2f} ms = "
              f"{two_over / chunk_compute:.1%} (includes idle workers at the end)")
        overhead_loop = (one.wall_s - loop_wall) / n_chunks
        print(f"  cross-check, default batching vs the in-process loop: "
              f"{overhead_loop * 1000:.2f} ms per chunk = {overhead_loop / chunk_compute:.1%}")
        print(f"bit identity with a single-process bake: 1 worker "
              f"{identical(one, args.subframes)}/{len(paths)}, 1 worker batch=1 "
              f"{identical(single, args.subframes)}/{len(paths)}, 2 workers "
              f"{identical(two, args.subframes)}/{len(paths)} scenarios")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
