"""Bake benchmark: every starter scenario, 10,000 frames at 24 fps with 4 sub-frame samples.

Prints vectorised rig math vs one frame per call (target >= 50x) and whether an 8-chunk bake
is bit-identical to the whole bake.

Usage: python bench/bake.py [--frames 10000] [--subframes 4] [--slow-frames 200]

Details (moved from this docstring, issue 15): docs/benchmarks.md#benchbakepy
"""

from __future__ import annotations

import argparse
import itertools
import time

# isort: off
import moks_graph  # noqa: F401  (first: it pins numpy's kernels, moks_graph/numerics.py)
# isort: on
import numpy as np

from moks_graph.evaluate import Evaluator
from moks_graph.hosts.bake import bake_graph
from moks_graph.nodes.camera.rigs import RIGS
from moks_graph.nodes.scenescript.scenarios import STARTERS, starter_graph
from moks_graph.rng import stream_key
from moks_graph.timebase import time_array


def chunked_equal(graph, start: int, end: int, chunks: int = 8) -> bool:
    whole = bake_graph(graph, frames=(start, end))
    bounds = np.linspace(start, end + 1, chunks + 1).astype(int)
    pieces = []
    for a, b in itertools.pairwise(bounds):
        last = b == end + 1
        part = bake_graph(graph, frames=(a, end if last else b))
        pieces.append({k: v if last else v[:-1] for k, v in part.items()})
    return all(np.array_equal(np.concatenate([p[n] for p in pieces]), whole[n]) for n in whole)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=10_000)
    ap.add_argument("--subframes", type=int, default=4)
    ap.add_argument("--slow-frames", type=int, default=200,
                    help="frames per scenario timed one call each (then extrapolated)")
    args = ap.parse_args()
    start, end = 1, args.frames
    rows, total_fast, total_slow, total_graph = [], 0.0, 0.0, 0.0
    all_identical = True
    for scenario in STARTERS:
        graph = starter_graph(scenario)
        graph.settings.frame_end = end
        graph.settings.subframes = args.subframes
        rec = graph.nodes["camera_rig"]
        rig = rec.type.rsplit(".", 1)[-1]
        params = RIGS[rig].Params.model_validate(
            {k: v for k, v in rec.params.items() if k != "object_name"})
        key = stream_key(graph.settings.seed, "camera_rig", "rig")
        t = time_array(start, end, graph.settings.fps, args.subframes)

        t0 = time.perf_counter()
        RIGS[rig].channels(t, params, key)
        fast = time.perf_counter() - t0

        n_slow = min(args.slow_frames * args.subframes, len(t))
        t0 = time.perf_counter()
        for frame in t.frames[:n_slow]:
            RIGS[rig].one_frame(float(frame), graph.settings.fps, params, key)
        slow = (time.perf_counter() - t0) * len(t) / n_slow

        t0 = time.perf_counter()
        Evaluator().evaluate(graph, ["scene.channels"])
        whole_graph = time.perf_counter() - t0

        identical = chunked_equal(graph, start, end)
        all_identical &= identical
        total_fast, total_slow, total_graph = (total_fast + fast, total_slow + slow,
                                               total_graph + whole_graph)
        rows.append((scenario.name, rig, len(t), fast, slow, whole_graph, identical))

    print(f"bake: {len(STARTERS)} scenarios x {args.frames} frames x {args.subframes} sub-frames "
          f"({len(t)} samples each); per-frame timed on {args.slow_frames} frames, extrapolated")
    print(f"{'scenario':28} {'rig':14} {'vector ms':>10} {'per-frame s':>12} {'ratio':>8} "
          f"{'graph ms':>9} chunked==whole")
    for name, rig, _n, fast, slow, graph_s, same in rows:
        print(f"{name:28} {rig:14} {fast * 1e3:10.1f} {slow:12.2f} {slow / fast:8.0f} "
              f"{graph_s * 1e3:9.1f} {same}")
    print(f"TOTAL rig math: vectorised {total_fast:.3f} s, one frame per call {total_slow:.1f} s "
          f"-> {total_slow / total_fast:.0f}x (target >= 50x)")
    print(f"whole graphs (rig + lights + atmosphere): {total_graph:.3f} s; "
          f"8-chunk bakes bit-identical to whole: {all_identical}")


if __name__ == "__main__":
    main()
