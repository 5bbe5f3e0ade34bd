"""The engine's core workloads timed against a baseline revision in the same run (issue 15).

Extracts ``--baseline`` (default: the commit before the first issue-15 work) with ``git
archive`` into a temporary folder, runs the same workloads in it and in this tree (or
``--current``), each side in its own ``python -I`` process importing only its own tree,
interleaved, and prints per workload: baseline s, current s, ratio current / baseline,
noise (second baseline copy / first), whether the outputs agree, and a verdict against
``--tolerance`` per workload. Exit 0 all ok, 1 any slower, 2 some too noisy to judge.

Usage: python bench/against_revision.py [--baseline REV] [--current REV] [--rounds 3]
       [--repeat 3] [--nodes 500] [--samples 10000] [--frames 2400] [--rig-frames 10000]
       [--tolerance 1.10] [--clock cpu|wall]

Details: docs/benchmarks.md#benchagainst_revisionpy
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# The parent of 332dd2a, the first commit of the issue-15 work (nodes/inverse imports no
# host, then the layer-boundary tests in 8d3c320 and the commits tagged "(issue 15)" from
# 5ada109 on). Between it and 5ada109's parent only moks_graph/cli.py and
# nodes/scenescript/schema.py changed among the files these workloads run.
BASELINE = "96bf6ee"
ROOT = Path(__file__).resolve().parents[1]
# package -> folder inside a tree, as setup.py maps them
PACKAGE_DIRS = {"moks_graph": "moks_graph", "moks_graph.nodes": "nodes",
                "moks_graph.editor": "editor", "moks_graph.hosts": "hosts"}
# (name, prose, frames, fps) of the eight starters as the baseline has them
STARTER_PROSE = (
    ("interrogation_low_key", "interrogation low-key handheld medium close-up, top light, "
     "rim from camera left, practical, haze, 500T", 24.0),
    ("golden_hour_drone_reveal", "golden hour drone reveal wide landscape, rim from camera "
     "right, 250D", 24.0),
    ("dolly_push_in_dialogue", "dolly push-in on dialogue, medium close-up, soft rembrandt "
     "key, tungsten, 500T", 24.0),
    ("handheld_chase", "handheld chase full shot, shaky, hard daylight, smoke, grainy 250D",
     25.0),
    ("technocrane_crowd_sweep", "technocrane crowd sweep wide, high angle, daylight, haze, "
     "Kodachrome", 24.0),
    ("wirecam_stadium", "wirecam stadium extreme wide, high angle, night, double rim, haze, "
     "500T", 30.0),
    ("moco_product_turntable", "moco product turntable close-up, high-key, soft, backlit, "
     "clean 250D", 24.0),
    ("foggy_tripod_noir", "foggy tripod noir medium, split light, rim from camera right",
     24.0),
)
# cpu: this process's CPU time (user + system), which a busy shared machine disturbs less
# than wall time; both sides run with one BLAS/OpenMP thread
CLOCKS: dict[str, Callable[[], float]] = {"cpu": time.process_time, "wall": time.perf_counter}
WORKLOADS = ("load_validate", "cold_eval", "cold_builtin", "warm_eval", "starters_load", "rig_math",
             "starters_eval", "usd_write")


# ---------------------------------------------------------------- child: one tree's side

def use_tree(tree: Path) -> None:
    """Import ``moks_graph`` and its mapped subpackages from ``tree`` only."""
    from importlib.machinery import PathFinder
    from importlib.util import spec_from_file_location

    mapping = {name: tree / folder for name, folder in PACKAGE_DIRS.items()}

    class TreeFinder:
        @classmethod
        def find_spec(cls, fullname: str, path: Any = None, target: Any = None) -> Any:
            if fullname in mapping:
                folder = mapping[fullname]
                return spec_from_file_location(fullname, folder / "__init__.py",
                                               submodule_search_locations=[str(folder)])
            parent = fullname.rpartition(".")[0]
            if parent in mapping:
                return PathFinder.find_spec(fullname, [str(mapping[parent])])
            return None

    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
    sys.meta_path.insert(0, TreeFinder)


def foreign_modules(tree: Path) -> list[str]:
    """``moks_graph`` modules loaded from outside ``tree`` (must be none)."""
    bad = []
    for name, mod in list(sys.modules.items()):
        file = getattr(mod, "__file__", None)
        ours = name == "moks_graph" or name.startswith("moks_graph.")
        if ours and file and not Path(file).resolve().is_relative_to(tree):
            bad.append(f"{name} from {file}")
    return bad


def best(fn: Callable[[], Any], repeat: int, clock: Callable[[], float],
         budget: float = 0.5) -> float:
    """The shortest of at least ``repeat`` timed runs, after one untimed run (imports, first
    calls); a short workload runs more often, up to ``budget`` seconds (at most 100 runs)."""
    t0 = clock()
    fn()
    runs = max(repeat, min(100, math.ceil(budget / max(clock() - t0, 1e-6))))
    times = []
    for _ in range(runs):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return min(times)


def digest(*arrays_or_text: Any) -> str:
    import hashlib

    import numpy as np

    h = hashlib.sha256()
    for a in arrays_or_text:
        h.update(np.ascontiguousarray(a).tobytes() if isinstance(a, np.ndarray)
                 else str(a).encode())
    return h.hexdigest()[:12]


def channel_digests(channels: Any, prefix: str = "") -> dict[str, str]:
    """One digest per channel of a Channels or a dict of arrays, keyed ``prefix + name``."""
    return {prefix + name: digest(channels[name]) for name in channels}


@contextmanager
def _scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="moks-against-") as tmp:
        yield Path(tmp)


def rig_entry(entry: Any) -> tuple[Any, Callable[..., Any]]:
    """(params model, vectorised function) of a ``RIGS`` entry: a ``(Params, function)``
    tuple in the baseline, an object with ``Params`` and ``channels`` where that changed."""
    if isinstance(entry, tuple):
        return entry[0], entry[1]
    return entry.Params, entry.channels


def cold_eval(path: Path, registry: Any, last: str, repeat: int,
              clock: Callable[[], float]) -> tuple[float, dict[str, str]]:
    """Seconds of the first evaluation of a freshly loaded graph (the load untimed), and the
    digest of ``last``; at least ``repeat`` runs, more up to half a second."""
    import moks_graph as mg
    from moks_graph.evaluate import Evaluator

    def once() -> tuple[float, Any]:
        fresh = mg.load(path, registry)
        t0 = clock()
        value = Evaluator().evaluate(fresh, [last])[last]
        return clock() - t0, value

    first, value = once()
    runs = max(repeat, min(100, math.ceil(0.5 / max(first, 1e-6))))
    return min(once()[0] for _ in range(runs)), {"value": digest(value["n.v"])}


def prepare(tree: Path, folder: Path, frames: int) -> None:
    """Compile the eight starters with ``tree``'s SceneScript and save them under ``folder``.

    Both sides then load these same files: the prose compiler itself changed after the
    baseline (other issues), so compiling on each side would time different graphs.
    """
    use_tree(tree)
    import moks_graph as mg
    from moks_graph.nodes.scenescript.scenarios import Scenario, starter_graph

    for name, prose, fps in STARTER_PROSE:
        graph = starter_graph(Scenario(name, prose, (1, frames), fps=fps))
        graph.settings.subframes = 4
        mg.save(graph, folder / f"{name}.mgraph")


def child(tree: Path, starters: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Run every workload in this process against ``tree``; seconds and digests."""
    use_tree(tree)
    import numpy as np

    import moks_graph as mg
    from moks_graph.evaluate import Evaluator
    from moks_graph.hosts.bake import sink_channels, sink_refs
    from moks_graph.hosts.usd.writer import write_usd
    from moks_graph.nodes.camera.rigs import RIGS
    from moks_graph.rng import stream_key
    from moks_graph.timebase import time_array

    sys.path.insert(0, str(tree / "bench"))
    import engine_overhead  # the tree's own synthetic chain

    n, samples, repeat, clock = args.nodes, args.samples, args.repeat, CLOCKS[args.clock]
    out: dict[str, Any] = {"file": mg.__file__, "seconds": {}, "digest": {}}
    sec, dig = out["seconds"], out["digest"]
    graph = engine_overhead.build(n, samples)
    last = f"m{n - 1}.channels"
    with _scratch() as tmp:
        path = tmp / "chain.mgraph"
        mg.save(graph, path)

        def load_validate() -> None:
            assert mg.load(path, graph.registry).validate() == []

        sec["load_validate"] = best(load_validate, repeat, clock)
        dig["load_validate"] = {"nodes": digest(sorted(mg.load(path, graph.registry).nodes))}
        sec["cold_eval"], dig["cold_eval"] = cold_eval(path, graph.registry, last, repeat, clock)
        # the bench's nodes are plugins to the engine (not moks_graph.* classes); counted as
        # built-in they skip the plugin guards (time limit, stdout to stderr) of issue 20
        for cls in (engine_overhead.Source, engine_overhead.Mix):
            cls.__module__ = cls.Params.__module__ = "moks_graph.bench"
        sec["cold_builtin"], dig["cold_builtin"] = cold_eval(path, graph.registry, last,
                                                             repeat, clock)

    ev = Evaluator()
    ev.evaluate(graph, [last])
    target, bias = f"m{n - 10}", iter(np.linspace(0.1, 0.9, 1000))

    def warm() -> None:
        graph.set_param(target, "bias", float(next(bias)))
        assert len(ev.evaluate(graph, [last]).computed) == 10

    sec["warm_eval"] = best(warm, repeat, clock)
    graph.set_param(target, "bias", 0.0)
    dig["warm_eval"] = {"value": digest(ev.evaluate(graph, [last])[last]["n.v"])}

    files = [starters / f"{name}.mgraph" for name, _, _ in STARTER_PROSE]

    def load_starters() -> list[Any]:
        loaded = [mg.load(f) for f in files]
        for g in loaded:
            assert g.validate() == [], g.validate()
        return loaded

    sec["starters_load"] = best(load_starters, repeat, clock)
    graphs = load_starters()
    dig["starters_load"] = {f.stem: digest(sorted(g.nodes)) for f, g in zip(files, graphs,
                                                                            strict=True)}

    rigs = []
    for g in graphs:
        rec = g.nodes["camera_rig"]
        model, fn = rig_entry(RIGS[rec.type.rsplit(".", 1)[-1]])
        params = model.model_validate({k: v for k, v in rec.params.items()
                                       if k != "object_name"})
        rigs.append((fn, time_array(1, args.rig_frames, g.settings.fps, 4), params,
                     stream_key(g.settings.seed, "camera_rig", "rig")))
    moved: list[Any] = []

    def rig_math() -> None:
        moved[:] = [fn(t, params, key) for fn, t, params, key in rigs]

    sec["rig_math"] = best(rig_math, repeat, clock)
    dig["rig_math"] = {k: v for i, c in enumerate(moved)
                       for k, v in channel_digests(c, f"{i}:").items()}
    baked: list[Any] = []

    def starters_eval() -> None:
        baked.clear()
        for g in graphs:
            result = Evaluator().evaluate(g, sink_refs(g), frames=(1, args.frames))
            assert not result.problems, result.problems
            baked.append(sink_channels(g, result.values))

    sec["starters_eval"] = best(starters_eval, repeat, clock)
    dig["starters_eval"] = {k: v for (name, _, _), c in zip(STARTER_PROSE, baked, strict=True)
                            for k, v in channel_digests(c, f"{name}:").items()}
    channels = baked[0]
    with _scratch() as tmp:
        write_usd(channels, tmp / "warm.usdc")  # loads the USD plugins once, untimed
        sec["usd_write"] = best(lambda: write_usd(channels, tmp / "shot.usdc"), repeat, clock)
    dig["usd_write"] = channel_digests(channels)
    out["foreign"] = foreign_modules(tree)
    return out


# ---------------------------------------------------------------- parent: trees and table

def git(*argv: str) -> str:
    done = subprocess.run(["git", "-C", str(ROOT), *argv], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"git {' '.join(argv)}: {done.stderr.strip() or 'failed'}")
    return done.stdout.strip()


def extract(rev: str, into: Path) -> tuple[Path, str]:
    """``rev``'s tracked files under ``into`` (git archive: nothing in the repository changes)."""
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet",
                           f"{rev}^{{commit}}"], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"error: {rev!r} is not a commit of {ROOT}")
    sha = done.stdout.strip()
    label = git("log", "-1", "--format=%h %s", sha)
    into.mkdir(parents=True)
    archive = subprocess.Popen(["git", "-C", str(ROOT), "archive", sha],
                               stdout=subprocess.PIPE)
    untar = subprocess.run(["tar", "-x", "-C", str(into)], stdin=archive.stdout)
    if archive.wait() or untar.returncode:
        raise SystemExit(f"could not extract {rev} into {into}")
    return into, label


def _child_cmd(tree: Path, args: argparse.Namespace, *extra: str) -> list[str]:
    return [sys.executable, "-I", str(Path(__file__).resolve()), "--child", str(tree),
            "--nodes", str(args.nodes), "--samples", str(args.samples),
            "--frames", str(args.frames), "--rig-frames", str(args.rig_frames),
            "--repeat", str(args.repeat), "--clock", args.clock, *extra]


def run_child(tree: Path, args: argparse.Namespace, *extra: str) -> dict[str, Any]:
    """One process of the same interpreter running ``tree``'s code; its JSON answer."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "MOKS_"))}
    # the synthetic chain is over the default work budget (MG131) where the revision has one
    env["MOKS_WORK_BUDGET"] = str(8 * (args.nodes + 1) * args.samples)
    env |= dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1")
    done = subprocess.run(_child_cmd(tree, args, *extra), capture_output=True, text=True,
                          cwd=tree, env=env)
    if done.returncode:
        raise SystemExit(f"the run in {tree} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result.get("foreign"):
        raise SystemExit(f"the run in {tree} imported code from elsewhere: {result['foreign']}")
    return result


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(f"stopped by signal {signum}")


def compare(args: argparse.Namespace) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="moks-against-revision-"))
    signal.signal(signal.SIGTERM, _terminate)
    try:
        base_tree, base_label = extract(args.baseline, tmp / "baseline")
        if args.current:
            cur_tree, cur_label = extract(args.current, tmp / "current")
        else:
            cur_tree = ROOT
            dirty = " + uncommitted changes" if git("status", "--porcelain",
                                                    "--untracked-files=no") else ""
            cur_label = f"working tree at {git('log', '-1', '--format=%h %s')[:60]}{dirty}"
        starters = tmp / "starters"
        starters.mkdir()
        run_child(base_tree, args, "--prepare", str(starters))
        sides = {"baseline": base_tree, "current": cur_tree, "baseline again": base_tree}
        runs: dict[str, list[dict[str, Any]]] = {k: [] for k in sides}
        order = list(sides)
        t_start = time.perf_counter()
        for r in range(args.rounds):
            for side in order[r % 3:] + order[:r % 3]:
                runs[side].append(run_child(sides[side], args, "--starters", str(starters)))
            print(f"  round {r + 1}/{args.rounds} done ({time.perf_counter() - t_start:.0f} s)",
                  file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return report(args, runs, base_label, cur_label)


def same_work(base: dict[str, str], cur: dict[str, str]) -> str:
    """'yes' when every digest matches, else how many differ."""
    differ = sorted(k for k in base.keys() | cur.keys() if base.get(k) != cur.get(k))
    if not differ:
        return "yes"
    return f"{len(differ)} of {len(base)} outputs differ (e.g. {differ[0]})"


def report(args: argparse.Namespace, runs: dict[str, list[dict[str, Any]]],
           base_label: str, cur_label: str) -> int:
    def low(side: str, w: str) -> float:
        return min(r["seconds"][w] for r in runs[side])

    print(f"baseline: {base_label[:100]}\n    from {runs['baseline'][0]['file']}")
    print(f"current:  {cur_label[:100]}\n    from {runs['current'][0]['file']}")
    print(f"chain: {args.nodes} nodes x {args.samples} samples; 8 starters over {args.frames} "
          f"frames (rig math {args.rig_frames}) x 4 sub-frames; each figure the minimum of "
          f"{args.rounds} processes x >= {args.repeat} runs ({args.clock} time), processes "
          f"interleaved")
    print(f"{'workload':15} {'baseline s':>11} {'current s':>10} {'ratio':>7} "
          f"{'noise':>7}  {'verdict':9} same output")
    verdicts: dict[str, list[str]] = {"SLOWER": [], "unclear": [], "ok": []}
    for w in WORKLOADS:
        first, cur, again = low("baseline", w), low("current", w), low("baseline again", w)
        # the baseline is the lower of its two copies: a slow copy cannot flatter the ratio
        base, noise = min(first, again), abs(again / first - 1)
        ratio = cur / base
        verdict = row_verdict(ratio, noise, args.tolerance)
        verdicts[verdict].append(w)
        print(f"{w:15} {base:11.4f} {cur:10.4f} {ratio:7.3f} {again / first:7.3f}  {verdict:9} "
              f"{same_work(runs['baseline'][0]['digest'][w], runs['current'][0]['digest'][w])}")
    print(f"baseline = the lower of its two interleaved copies; ratio = current / baseline; "
          f"noise = second copy / first copy; ok: ratio <= "
          f"{args.tolerance:.2f} with noise within {args.tolerance - 1:.0%}; SLOWER: ratio over "
          f"{args.tolerance:.2f} by more than the noise; unclear: the rest")
    if verdicts["SLOWER"]:
        print(f"VERDICT: SLOWER: {', '.join(verdicts['SLOWER'])}"
              + (f" (unclear: {', '.join(verdicts['unclear'])})" if verdicts["unclear"] else ""))
        return 1
    if verdicts["unclear"]:
        print(f"VERDICT: no slower beyond the noise; too noisy to judge: "
              f"{', '.join(verdicts['unclear'])}")
        return 2
    print(f"VERDICT: no slower (every ratio <= {args.tolerance:.2f})")
    return 0


def row_verdict(ratio: float, noise: float, tolerance: float) -> str:
    """ok (within tolerance, and the noise too), SLOWER (over the tolerance by more than the
    noise), else unclear."""
    if ratio <= tolerance and noise <= tolerance - 1:
        return "ok"
    if ratio > tolerance + noise:
        return "SLOWER"
    return "unclear"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baseline", default=BASELINE,
                    help=f"revision to compare against (default {BASELINE})")
    ap.add_argument("--current", default=None,
                    help="revision to measure (default: this working tree as it is)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="processes per side, interleaved")
    ap.add_argument("--repeat", type=int, default=3, help="runs per workload per process")
    ap.add_argument("--nodes", type=int, default=500)
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--frames", type=int, default=2400, help="frames of the starter bakes")
    ap.add_argument("--rig-frames", type=int, default=10_000,
                    help="frames of the rig math (as bench/bake.py)")
    ap.add_argument("--tolerance", type=float, default=1.10)
    ap.add_argument("--clock", choices=sorted(CLOCKS), default="cpu",
                    help="cpu: process CPU time (default, steadier on a shared machine); "
                         "wall: elapsed time")
    ap.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--prepare", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--starters", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child is not None and args.prepare is not None:
        prepare(args.child.resolve(), args.prepare, args.frames)
        print(json.dumps({}))
        return 0
    if args.child is not None:
        print(json.dumps(child(args.child.resolve(), args.starters, args)))
        return 0
    return compare(args)


if __name__ == "__main__":
    sys.exit(main())
