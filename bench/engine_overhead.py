"""Engine overhead on a synthetic 2,000-node graph of small numpy nodes.

Prints cold evaluation vs ``dask.delayed`` (target >= 5x faster), warm re-evaluation / cold
(<= 5%), load + validate / cold (<= 10%), and the engine's overhead over a bare loop.

Usage: python bench/engine_overhead.py [--nodes 2000] [--samples 10000] [--repeat 7]

Details (moved from this docstring, issue 15): docs/benchmarks.md#benchengine_overheadpy
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# isort: off
import moks_graph  # noqa: F401  (first: it pins numpy's kernels, moks_graph/numerics.py)
# isort: on
import numpy as np

import moks_graph as mg
from moks_graph.evaluate import Evaluator
from moks_graph.frames import WORK_BUDGET, WORK_BUDGET_ENV


def mix(a: np.ndarray, b: np.ndarray, gain: float, bias: float) -> np.ndarray:
    """The small numpy node: a damped blend of two upstream signals."""
    return np.tanh(a * gain + 0.5 * b) + bias


def source(seconds: np.ndarray, frequency: float) -> np.ndarray:
    return np.sin(2.0 * np.pi * frequency * seconds)


class Source(mg.Node):
    """A sine of time."""

    type_id = "bench.source"
    reads = frozenset({"frame"})
    outputs = {"channels": mg.Output(mg.CHANNELS)}

    class Params(mg.NodeParams):
        frequency: float = mg.Param(1.0, ge=0, le=100)

    def compute(self, ctx: mg.NodeContext, params: Any) -> dict[str, Any]:
        t = ctx.time
        return {"channels": mg.Channels(t, {"n.v": source(t.seconds, params.frequency)},
                                        {"n": "null"})}


class Mix(mg.Node):
    """mix(a, b)."""

    type_id = "bench.mix"
    inputs = {"a": mg.Input(mg.CHANNELS), "b": mg.Input(mg.CHANNELS)}
    outputs = {"channels": mg.Output(mg.CHANNELS)}

    class Params(mg.NodeParams):
        gain: float = mg.Param(0.9, ge=-10, le=10)
        bias: float = mg.Param(0.0, ge=-10, le=10)

    def compute(self, ctx: mg.NodeContext, params: Any, a: mg.Channels,
                b: mg.Channels) -> dict[str, Any]:
        out = mix(a["n.v"], b["n.v"], params.gain, params.bias)
        return {"channels": mg.Channels(a.time, {"n.v": out}, a.kinds)}


def build(n: int, samples: int) -> mg.Graph:
    reg = mg.Registry()
    reg.register(Source)
    reg.register(Mix)
    g = mg.Graph(mg.Settings(fps=24, frame_start=0, frame_end=samples - 1), reg)
    g.add_node("bench.source", "s0", {"frequency": 0.5})
    g.add_node("bench.source", "s1", {"frequency": 0.7})
    for i in range(2, n):
        g.add_node("bench.mix", f"m{i}", {"gain": 0.9 + (i % 7) * 0.01})
        prev = f"m{i - 1}" if i > 2 else "s1"
        prev2 = f"m{i - 2}" if i > 3 else ("s0" if i == 2 else "s1")
        g.connect(f"{prev}.channels", f"m{i}.a")
        g.connect(f"{prev2}.channels", f"m{i}.b")
    return g


def dask_delayed_graph(n: int, samples: int, gains: list[float]) -> Any:
    """The same chain as :func:`build`, as ``dask.delayed`` calls; returns the last one."""
    from dask import delayed

    seconds = np.arange(samples, dtype=np.float64) / 24.0
    vals = [delayed(source)(seconds, 0.5), delayed(source)(seconds, 0.7)]
    for i in range(2, n):
        a = vals[-1]
        b = vals[-2] if i > 3 else (vals[0] if i == 2 else vals[1])
        vals.append(delayed(mix)(a, b, gains[i], 0.0))
    return vals[-1]


def run_dask(n: int, samples: int, gains: list[float]) -> tuple[np.ndarray, float, float]:
    """(result, build seconds, compute seconds) of one dask.delayed run."""
    import dask

    t0 = time.perf_counter()
    last = dask_delayed_graph(n, samples, gains)
    t1 = time.perf_counter()
    value = dask.compute(last, scheduler="synchronous")[0]
    return value, t1 - t0, time.perf_counter() - t1


def plain_loop(n: int, samples: int, gains: list[float], keep: bool) -> float:
    """The same calls in a bare Python loop: no graph, keys, checks or cache.

    ``keep=True`` holds every output, as any engine that serves warm
    re-evaluation from memory must; ``keep=False`` holds only the two a node
    reads, as dask's scheduler does. Their difference is what holding 2,000
    outputs costs on this machine (mostly first-touch page faults).
    """
    seconds = np.arange(samples, dtype=np.float64) / 24.0
    t0 = time.perf_counter()
    vals = [source(seconds, 0.5), source(seconds, 0.7)]
    for i in range(2, n):
        b = vals[-2] if i > 3 else (vals[0] if i == 2 else vals[1])
        vals.append(mix(vals[-1], b, gains[i], 0.0))
        if not keep:
            vals[-3] = None
    return time.perf_counter() - t0


def best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, default=2000)
    ap.add_argument("--samples", type=int, default=10_000,
                    help="samples per channel (10,000 = a 104 s shot at 24 fps x 4 sub-frames)")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    n, samples = args.nodes, args.samples
    # n nodes x samples is over the default work budget meant for user graphs (2e7 against
    # 5e6 at the defaults), so the bench raises the budget for its own process only; an
    # explicit MOKS_WORK_BUDGET is kept.
    os.environ.setdefault(WORK_BUDGET_ENV, str(max(WORK_BUDGET, 2 * (n + 1) * samples)))

    graph = build(n, samples)
    last = f"m{n - 1}.channels"
    gains = [0.0, 0.0] + [0.9 + (i % 7) * 0.01 for i in range(2, n)]

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.mgraph"
        mg.save(graph, path)

        def load_validate() -> None:
            g = mg.load(path, graph.registry)
            assert g.validate() == []

        load_t = best(load_validate, args.repeat)

        def fresh_cold() -> float:
            fresh = mg.load(path, graph.registry)  # untimed: nothing derived from it yet
            t0 = time.perf_counter()
            Evaluator().evaluate(fresh, [last])
            return time.perf_counter() - t0

        cold = min(fresh_cold() for _ in range(args.repeat))

    ev = Evaluator()
    ev.evaluate(graph, [last])
    target = f"m{n - 10}"
    bias = iter(np.linspace(0.1, 0.9, 64))

    def warm() -> None:
        graph.set_param(target, "bias", float(next(bias)))  # a new value: a real cache miss
        r = ev.evaluate(graph, [last])
        assert len(r.computed) == 10, r.computed

    warm_t = best(warm, args.repeat)

    runs = [run_dask(n, samples, gains) for _ in range(args.repeat)]  # as many as the engine
    dask_build, dask_compute = min(r[1] for r in runs), min(r[2] for r in runs)
    dask_t = min(r[1] + r[2] for r in runs)
    floor_keep = min(plain_loop(n, samples, gains, True) for _ in range(args.repeat))
    floor_drop = min(plain_loop(n, samples, gains, False) for _ in range(args.repeat))
    graph.set_param(target, "bias", 0.0)
    engine_value = Evaluator().evaluate(graph, [last])[last]["n.v"]
    assert np.array_equal(engine_value, runs[0][0]), "same math, same numbers"

    rows = [
        ("cold evaluation (fresh graph, empty cache)", cold, ""),
        ("warm re-evaluation (1 param, 10 nodes dirty)", warm_t,
         f"{warm_t / cold:.1%} of cold (target <= 5%)"),
        ("dask.delayed, synchronous: build + compute", dask_t,
         f"engine cold is {dask_t / cold:.1f}x faster (target >= 5x)"),
        ("  of which building the delayed graph", dask_build, ""),
        ("  of which dask.compute", dask_compute,
         f"engine cold / dask compute alone: {cold / dask_compute:.2f}"),
        ("bare loop holding every output (any cache's floor)", floor_keep,
         f"dask / floor: {dask_t / floor_keep:.1f}x; load / floor: {load_t / floor_keep:.1%}"),
        ("bare loop holding only what the next node reads", floor_drop,
         f"holding all outputs costs {(floor_keep - floor_drop) / n * 1e6:.0f} us per node"),
        ("load + validate .mgraph", load_t, f"{load_t / cold:.1%} of cold (target <= 10%)"),
        ("load + validate + cold evaluation", load_t + cold,
         f"vs dask build + compute: {dask_t / (load_t + cold):.1f}x faster"),
    ]
    print(f"engine overhead: {n} nodes, {samples} samples per channel "
          f"(each figure the minimum of {args.repeat} runs)")
    for name, t, note in rows:
        print(f"  {name:<52} {t * 1000:9.2f} ms   {note}")
    print(f"  engine overhead over the floor: {(cold - floor_keep) / n * 1e6:.1f} us per node")
    print(f"  per node: cold {cold / n * 1e6:.1f} us, dask {dask_t / n * 1e6:.1f} us "
          f"(compute {dask_compute / n * 1e6:.1f} us), load {load_t / n * 1e6:.1f} us")


if __name__ == "__main__":
    main()
