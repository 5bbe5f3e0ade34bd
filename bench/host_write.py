"""Host write speed: Blender bulk keys vs ``keyframe_insert``, and USD writing vs the engine.

Prints the Blender key-writing ratio (target >= 50x) with whole-file times, and the USD
write / engine compute ratio (target <= 3x) split into stage authoring and export.

Usage: python bench/host_write.py [--frames 10000] [--slow-frames 2000] [--repeat 3]
       [--scenario interrogation_low_key] [--synthetic] [--skip-blender] [--skip-usd]

Details (moved from this docstring, issue 15): docs/benchmarks.md#benchhost_writepy
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

# isort: off
import moks_graph  # noqa: F401  (first: it pins numpy's kernels, moks_graph/numerics.py)
# isort: on
import numpy as np

import moks_graph as mg
from moks_graph.channels import Channels
from moks_graph.evaluate import Evaluator
from moks_graph.hosts.bake import sink_channels, sink_refs
from moks_graph.timebase import time_array

GRAPHS = Path(__file__).resolve().parents[1] / "graphs"


def scenario(frames: int, fps: float = 24.0) -> Channels:
    """Synthetic: a camera + key (spot), fill (area) and rim (point) lights, all animated."""
    time = time_array(1, frames, fps)
    t = time.seconds
    ones = np.ones_like(t)
    v: dict[str, np.ndarray] = {
        "cam.tx": 5.0 * np.cos(0.2 * t), "cam.ty": 5.0 * np.sin(0.2 * t),
        "cam.tz": 1.6 + 0.05 * np.sin(1.3 * t), "cam.rx": 85.0 + np.sin(0.7 * t),
        "cam.ry": 0.5 * np.sin(2.1 * t), "cam.rz": np.rad2deg(0.2 * t) + 90.0,
        "cam.focal_length": 35.0 + 10.0 * np.sin(0.05 * t),
        "cam.focus_distance": 5.0 + 0.2 * np.sin(0.3 * t), "cam.fstop": 2.8 + 0.0 * t,
        "cam.sensor_width": 36.0 * ones, "cam.sensor_height": 24.0 * ones,
    }
    lights = {"key": ("light.spot", 0.0), "fill": ("light.area", 2.0), "rim": ("light.point", 4.0)}
    for name, (_, phase) in lights.items():
        v |= {
            f"{name}.tx": 3.0 * np.cos(phase + 0.1 * t),
            f"{name}.ty": 3.0 * np.sin(phase + 0.1 * t),
            f"{name}.tz": 3.0 + 0.1 * np.sin(t), f"{name}.rx": 45.0 + np.sin(0.5 * t),
            f"{name}.ry": 0.0 * t, f"{name}.rz": np.rad2deg(phase + 0.1 * t) + 90.0,
            f"{name}.intensity": 500.0 * (1.0 + 0.1 * np.sin(3.0 * t + phase)),
            f"{name}.color_r": ones, f"{name}.color_g": 0.9 + 0.05 * np.sin(t),
            f"{name}.color_b": 0.8 * ones,
            f"{name}.color_temperature": 4500.0 + 500.0 * np.sin(0.01 * t + phase),
            f"{name}.size": 0.5 + 0.1 * np.sin(0.2 * t),
        }
    v |= {"key.spot_angle": 40.0 + 5.0 * np.sin(0.1 * t), "key.spot_blend": 0.2 * ones}
    kinds = {"cam": "camera", **{name: kind for name, (kind, _) in lights.items()}}
    return Channels(time, v, kinds)


def _first_frames(channels: Channels, n: int) -> Channels:
    """The same channels on their first ``n`` samples."""
    time = time_array(int(channels.time.frames[0]), int(channels.time.frames[n - 1]),
                      channels.time.fps)
    return Channels(time, {k: a[:n] for k, a in channels.items()}, channels.kinds)


def _timed_write(channels: Channels, path: Path, write_keys: Callable[..., None]) -> tuple[float,
                                                                                           float]:
    """(key-writing seconds, whole-file seconds) of one write with ``write_keys``."""
    from moks_graph.hosts.blender.keyframes import blender_curves
    from moks_graph.hosts.blender.writer import build_scene, save_blend

    t0 = time.perf_counter()
    curves = blender_curves(channels)
    built = build_scene(channels, curves)
    t1 = time.perf_counter()
    write_keys(built, curves)
    t2 = time.perf_counter()
    save_blend(path)
    t3 = time.perf_counter()
    return t2 - t1, t3 - t0


def starter(name: str, frames: int) -> tuple[mg.Graph, Channels]:
    """A starter graph and the engine's sink Channels over frames ``1..frames``."""
    path = GRAPHS / f"{name}.mgraph"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in GRAPHS.glob("*.mgraph")))
        raise SystemExit(f"--scenario {name!r} is not in {GRAPHS}; choose one of {known}")
    graph = mg.load(path)
    return graph, _evaluate(graph, frames)


def _evaluate(graph: mg.Graph, frames: int) -> Channels:
    """The engine's work: evaluate the sink Channels with a fresh (empty) evaluator."""
    result = Evaluator().evaluate(graph, sink_refs(graph), frames=(1, frames))
    if result.problems:
        raise SystemExit("\n".join(map(str, result.problems)))
    return sink_channels(graph, result.values)


def bench_blender(channels: Channels, slow_frames: int, repeat: int,
                  label: str) -> dict[str, float]:
    """Time both Blender key-writing paths on ``channels``; returns seconds and the ratio."""
    from moks_graph.hosts.blender.writer import write_keys_bulk, write_keys_keyframe_insert

    n_keys = len(channels) * len(channels.time)
    slow_channels = (channels if slow_frames >= len(channels.time)
                     else _first_frames(channels, slow_frames))
    scale = len(channels.time) / len(slow_channels.time)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bulk = [_timed_write(channels, folder / "bulk.blend", write_keys_bulk)
                for _ in range(repeat)]
        slow = [_timed_write(slow_channels, folder / "slow.blend", write_keys_keyframe_insert)]
        size_mb = (folder / "bulk.blend").stat().st_size / 1e6
    bulk_keys = statistics.median(b[0] for b in bulk)
    bulk_file = statistics.median(b[1] for b in bulk)
    slow_keys = statistics.median(s[0] for s in slow) * scale
    slow_file = statistics.median(s[1] for s in slow)
    print(f"Blender {_version()}: {len(channels)} channels x {len(channels.time)} frames "
          f"= {n_keys:,} keys ({label}), file {size_mb:.1f} MB")
    print(f"  bulk foreach_set:       keys {bulk_keys:8.3f} s   whole file {bulk_file:8.3f} s "
          f"({n_keys / bulk_keys / 1e6:.2f} M keys/s; median of {repeat})")
    if scale > 1:
        print(f"  keyframe_insert/frame:  keys {slow_keys:8.3f} s   (measured on the first "
              f"{len(slow_channels.time)} frames: {slow_keys / scale:.3f} s, extrapolated "
              f"linearly x{scale:.2f} to {len(channels.time)} frames)")
        slow_file = slow_file - statistics.median(s[0] for s in slow) + slow_keys
    else:
        print(f"  keyframe_insert/frame:  keys {slow_keys:8.3f} s   whole file {slow_file:8.3f} s")
    ratio = slow_keys / bulk_keys
    print(f"  ratio keyframe_insert / bulk (key writing): {ratio:.1f}x  "
          f"[target >= 50x: {'PASS' if ratio >= 50 else 'FAIL'}]")
    print(f"  ratio whole file (reset + keys + save):     {slow_file / bulk_file:.1f}x")
    return {"bulk_keys_s": bulk_keys, "slow_keys_s": slow_keys, "ratio": ratio,
            "bulk_file_s": bulk_file, "slow_file_s": slow_file}


def bench_usd(graph: mg.Graph, frames: int, repeat: int, suffix: str,
              label: str) -> dict[str, float]:
    """Engine compute time vs ``write_usd`` time for the same channels; returns the ratio."""
    from pxr import Usd

    from moks_graph.hosts.usd.writer import build_stage, write_usd

    warm = _evaluate(graph, 10)  # one-time costs (imports, node instances) are not timed
    compute, channels = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        channels = _evaluate(graph, frames)
        compute.append(time.perf_counter() - t0)
    assert channels is not None
    n_samples = len(channels) * len(channels.time)
    write, author, export = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / f"bench{suffix}"
        write_usd(warm, target)  # loads the USD plugins once, untimed
        for _ in range(repeat):
            t0 = time.perf_counter()
            write_usd(channels, target)
            write.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            stage = build_stage(channels)
            t1 = time.perf_counter()
            stage.GetRootLayer().Export(str(Path(tmp) / f"split{suffix}"))
            export.append(time.perf_counter() - t1)
            author.append(t1 - t0)
        size_mb = target.stat().st_size / 1e6
    engine_s, write_s = statistics.median(compute), statistics.median(write)
    ratio = write_s / engine_s
    stage = build_stage(channels)
    authored = sum(a.GetNumTimeSamples() for p in stage.Traverse() for a in p.GetAttributes())
    print(f"USD {'.'.join(map(str, Usd.GetVersion()))}: {len(channels)} channels x "
          f"{len(channels.time)} frames = {n_samples:,} samples ({label}), "
          f"{suffix} file {size_mb:.1f} MB")
    print(f"  time samples on the stage: {authored:,} (a constant channel is one held sample; "
          "transforms are one sample per frame for 6 channels)")
    print(f"  engine compute (fresh evaluator): {engine_s:8.3f} s   (median of {repeat})")
    print(f"  write_usd:                        {write_s:8.3f} s   (authoring "
          f"{statistics.median(author):.3f} s + export {statistics.median(export):.3f} s)")
    print(f"  ratio write_usd / engine compute: {ratio:.1f}x  "
          f"[target <= 3x: {'PASS' if ratio <= 3 else 'FAIL'}]")
    return {"engine_s": engine_s, "write_s": write_s, "ratio": ratio}


def _version() -> str:
    import bpy

    return str(bpy.app.version_string)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--slow-frames", type=int, default=2_000,
                        help="frames for the keyframe_insert path (extrapolated linearly to "
                             "--frames when fewer; the full 10,000 take minutes)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scenario", default="interrogation_low_key",
                        help="starter graph in graphs/ (default: the one with most channels)")
    parser.add_argument("--synthetic", action="store_true",
                        help="Blender part on the synthetic camera + 3 lights instead")
    parser.add_argument("--usd-suffix", choices=(".usdc", ".usda", ".usd"), default=".usdc")
    parser.add_argument("--skip-blender", action="store_true")
    parser.add_argument("--skip-usd", action="store_true")
    args = parser.parse_args(argv)
    if args.frames < 2 or args.slow_frames < 2 or args.repeat < 1:
        parser.error("--frames and --slow-frames must be >= 2, --repeat >= 1")
    graph, channels = starter(args.scenario, args.frames)
    label = f"starter {args.scenario}"
    ratios: dict[str, float] = {}
    if not args.skip_blender:
        blender_channels, blender_label = ((scenario(args.frames), "synthetic camera + 3 lights")
                                           if args.synthetic else (channels, label))
        ratios["Blender keyframe_insert / bulk (target >= 50x)"] = bench_blender(
            blender_channels, min(args.slow_frames, args.frames), args.repeat,
            blender_label)["ratio"]
    if not args.skip_usd:
        ratios["USD write / engine compute (target <= 3x)"] = bench_usd(
            graph, args.frames, args.repeat, args.usd_suffix, label)["ratio"]
    print("summary:")
    for name, ratio in ratios.items():
        print(f"  {name}: {ratio:.1f}x")


if __name__ == "__main__":
    main()
