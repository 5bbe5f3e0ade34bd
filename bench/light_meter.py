"""Cycles as a light meter: does every light deliver the illuminance it promises? (issue 19)

Prints measured / expected ratios (1.0000 is perfect) for every starter light, area-light
sweeps, spheres and spots and the exposure hold, and per section the median and max of
``|measured / expected - 1|`` (target 1%).

Usage: python bench/light_meter.py [--samples 256] [--pixels 8] [--quick]

Details (moved from this docstring, issue 15): docs/benchmarks.md#benchlight_meterpy
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from pathlib import Path

# isort: off
import moks_graph  # noqa: F401  (first: it pins numpy's kernels, moks_graph/numerics.py)
# isort: on
import numpy as np

from moks_graph import mgraph
from moks_graph.channels import Channels
from moks_graph.evaluate import Evaluator
from moks_graph.hosts.bake import bake_graph
from moks_graph.hosts.blender.lightmeter import meter_lights
from moks_graph.nodes.lights.emitters import illuminance_per_cd, light_illuminance_per_cd
from moks_graph.nodes.lights.rig import (
    FillLightParams,
    KeyLightParams,
    light_channels,
    subject_illuminance,
    three_point_channels,
)
from moks_graph.nodes.scenescript.compile import requested_illuminance
from moks_graph.nodes.scenescript.schema import SceneScript
from moks_graph.timebase import time_array

GRAPHS = Path(__file__).resolve().parents[1] / "graphs"
TARGET = np.array([0.0, 0.0, 1.0])
CAMERA = np.array([0.0, -5.0, 1.2])
SPOT_BLEND = 0.1


def _figures(errors: list[float]) -> str:
    if not errors:
        return "n 0"
    return (f"n {len(errors)}, median {statistics.median(errors):.4%}, "
            f"max {max(errors):.4%}")


def _one_light(kind: str, distance: float, size: float, spot_angle: float = 60.0,
               intensity: float = 1000.0) -> Channels:
    full = f"light.{kind}"
    extra: dict[str, float] = {"size_m": size} if kind == "area" else {}
    if kind == "spot":
        extra = {"spot_angle_deg": spot_angle, "spot_blend": SPOT_BLEND}
    ch = light_channels(kind, 1, CAMERA, TARGET, 35.0, 20.0, distance, intensity, 5600.0, 0.0,
                        **extra)
    if kind in ("point", "spot"):
        ch["size"] = np.array([size])
    return Channels(time_array(1, 1, 24.0), {f"L.{k}": v for k, v in ch.items()}, {"L": full})


def _meter_one(channels: Channels, samples: int, pixels: int, seed: int,
               shape: tuple[str, float] | None = None, size: float = 1.0) -> float:
    def configure(_name: str, data: object) -> None:
        if shape is not None:
            data.shape = shape[0]  # type: ignore[attr-defined]
            if shape[0] == "RECTANGLE":
                data.size_y = size * shape[1]  # type: ignore[attr-defined]

    reading = meter_lights(channels, TARGET, [1], samples=samples, pixels=pixels, seed=seed,
                           configure_light=configure)[0]
    return reading.lux


def starters(samples: int, pixels: int) -> tuple[list[float], list[float]]:
    print("(a) starters: measured / requested, measured / model; key/fill ratio error in stops")
    errors: list[float] = []
    stops_err: list[float] = []
    for path in sorted(GRAPHS.glob("*.mgraph")):
        graph = mgraph.load(path)
        channels = bake_graph(graph)
        target = Evaluator().evaluate(graph, ["camera_rig.target"])["camera_rig.target"]
        script = SceneScript.model_validate(graph.meta["scene_script"])
        requested = requested_illuminance(script)
        frames = channels.time.frames
        picks = sorted({int(frames[0]), int(frames[len(frames) // 2]), int(frames[-1])})
        t0 = time.perf_counter()
        readings = meter_lights(channels, target, picks, samples=samples, pixels=pixels)
        took = time.perf_counter() - t0
        by_frame: dict[int, dict[str, float]] = {}
        print(f"  {path.stem}  ({len(readings)} renders, {took:.1f} s)")
        for r in readings:
            i = int(np.argmin(np.abs(frames - r.frame)))
            ch = channels.of(r.light)
            model = float(subject_illuminance(ch, target, r.kind)[i])
            flicker = 2.0 ** float(ch["flicker"][i]) if "flicker" in ch else 1.0
            want = requested[r.light] * flicker
            by_frame.setdefault(r.frame, {})[r.light] = r.lux
            errors.append(abs(r.lux / want - 1))
            size = float(ch["size"][i]) if "size" in ch else float("nan")
            print(f"    frame {r.frame:4d} {r.light:<10} {r.kind:<11} d {r.distance_m:5.2f} m "
                  f"size {size:4.2f} m  requested {want:9.3f} lx  measured {r.lux:9.3f} lx  "
                  f"/requested {r.lux / want:.4f}  /model {r.lux / model:.4f}")
        for frame, lux in sorted(by_frame.items()):
            ratio = lux["key"] / lux["fill"]
            stops = math.log2(ratio / script.fill_rim.key_fill_ratio)
            stops_err.append(abs(stops))
            print(f"    frame {frame:4d} key/fill {ratio:.4f} (requested "
                  f"{script.fill_rim.key_fill_ratio:g}): {stops:+.4f} stop")
    print(f"  per-light error vs requested: {_figures(errors)}")
    print(f"  key/fill |error| [stop]: n {len(stops_err)}, median "
          f"{statistics.median(stops_err):.4f}, max {max(stops_err):.4f}")
    return errors, stops_err


def sweep(samples: int, pixels: int, quick: bool) -> list[float]:
    sizes = (0.25, 1.0, 4.0) if not quick else (1.0,)
    multiples = ((0.5, 0.6, 0.75, 1.0, 1.5, 2.0, 3.0, 5.75, 10.0) if not quick
                 else (0.5, 1.0, 5.75))
    shapes = [("square", None, "square"), ("disc", ("DISK", 1.0), "disc"),
              ("rect 1:0.5", ("RECTANGLE", 0.5), "rectangle"),
              ("rect 1:2", ("RECTANGLE", 2.0), "rectangle")]
    all_errors: list[float] = []
    seed = 0
    print("(b, c) area lights: measured / exact law  [measured / point law I/d²]")
    for label, shape, law in shapes:
        errors: list[float] = []
        for size in sizes:
            seed += 1
            cells = []
            for m in multiples:
                d = m * size
                lux = _meter_one(_one_light("area", d, size), samples, pixels, seed, shape, size)
                height = size * shape[1] if shape and shape[0] == "RECTANGLE" else None
                exact = 1000.0 * float(illuminance_per_cd(law, d, size, height))
                errors.append(abs(lux / exact - 1))
                cells.append(f"d={m:g}s {lux / exact:.4f} [{lux * d * d / 1000.0:.3f}]")
            print(f"  {label:<10} s={size:<4g} " + "  ".join(cells))
        print(f"  {label:<10} {_figures(errors)}")
        all_errors += errors
    print(f"  area shapes: {_figures(all_errors)}")
    print("(d) spheres (radius r at d = 1.5 m): measured / I/d²   (* outside the spot's "
          "full-strength cone)")
    fracs = (0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5) if not quick else (0.05, 0.5)
    for kind, angle in (("point", 0.0), ("spot", 40.0), ("spot", 60.0)):
        seed += 1
        errors, cells = [], []
        for frac in fracs:
            d = 1.5
            lux = _meter_one(_one_light(kind, d, 2 * frac * d, angle), samples, pixels, seed)
            exact = 1000.0 * float(light_illuminance_per_cd(f"light.{kind}", d))
            # Blender's spot mask acts on each ray from the sphere: full strength while
            # cos(angle to the axis) >= cos(half) + blend (1 - cos(half)) (Cycles' smoothstep).
            half = math.radians(angle / 2.0)
            inside = kind == "point" or math.cos(math.asin(frac)) >= (
                math.cos(half) + SPOT_BLEND * (1.0 - math.cos(half)))
            if inside:
                errors.append(abs(lux / exact - 1))
            cells.append(f"r/d={frac:g} {lux / exact:.4f}{'' if inside else '*'}")
        label = kind if kind == "point" else f"spot {angle:g}°"
        print(f"  {label:<9} " + "  ".join(cells) + f"   ({_figures(errors)})")
        all_errors += errors
    print(f"  sweep, every shape and sphere: {_figures(all_errors)}")
    return all_errors


def exposure_hold(samples: int, pixels: int) -> tuple[list[float], list[float]]:
    n = 48
    dist = np.linspace(0.6, 4.0, n)
    size = np.linspace(1.8, 0.6, n)
    key = KeyLightParams(distance_m=2.0, size_m=1.0, intensity_cd=1000.0)
    fill = FillLightParams(distance_m=1.5, size_m=1.5, key_fill_ratio=2.0)
    rig = three_point_channels(n, CAMERA, TARGET, key, fill, key_distance_m=dist,
                               fill_distance_m=dist[::-1])
    # The key again, with an animated size too: the hold follows both (same target lux).
    ch = light_channels("area", n, CAMERA, TARGET, key.azimuth_deg, key.elevation_deg, dist,
                        1000.0, 5600.0, 0.0, size_m=size, reference_distance_m=2.0,
                        reference_size_m=1.0)
    values = {f"key.{k}": v for k, v in ch.items()}
    values.update({f"fill.{k}": v for k, v in rig["fill"][1].items()})
    channels = Channels(time_array(1, n, 24.0), values,
                        {"key": "light.area", "fill": "light.area"})
    target_lux = 1000.0 * float(light_illuminance_per_cd("light.area", 2.0, 1.0))
    print(f"(e) exposure hold: key target {target_lux:.3f} lx as d 0.6-4 m and size 1.8-0.6 m "
          "animate; fill 2:1 as its d goes 4-0.6 m")
    frames = [1, 12, 24, 36, 48]
    readings = meter_lights(channels, TARGET, frames, samples=samples, pixels=pixels)
    lux = {(r.frame, r.light): r.lux for r in readings}
    errors, stops_err = [], []
    for f in frames:
        k, fl = lux[(f, "key")], lux[(f, "fill")]
        errors.append(abs(k / target_lux - 1))
        stops_err.append(abs(math.log2(k / fl / 2.0)))
        print(f"  frame {f:3d} d_key {dist[f - 1]:.2f} m size {size[f - 1]:.2f} m  "
              f"key/target {k / target_lux:.4f}  key/fill {k / fl:.4f} "
              f"({math.log2(k / fl / 2.0):+.4f} stop)")
    print(f"  key error: {_figures(errors)}; key/fill |error| max {max(stops_err):.4f} stop")
    return errors, stops_err


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=256, help="Cycles samples per pixel")
    ap.add_argument("--pixels", type=int, default=8, help="render width = height")
    ap.add_argument("--quick", action="store_true", help="a smaller sweep")
    args = ap.parse_args()
    t0 = time.perf_counter()
    a, a_stops = starters(args.samples, args.pixels)
    b = sweep(args.samples, args.pixels, args.quick)
    e, e_stops = exposure_hold(args.samples, args.pixels)
    stops = max(a_stops + e_stops)
    print("summary (target: every light within 1%, key/fill within 0.02 stop)")
    print(f"  starters' lights : {_figures(a)}")
    print(f"  sweep            : {_figures(b)}")
    print(f"  exposure hold    : {_figures(e)}")
    print(f"  key/fill         : max {stops:.4f} stop")
    ok = max(a + b + e) <= 0.01 and stops <= 0.02
    print(f"  {'PASS' if ok else 'FAIL'}; {time.perf_counter() - t0:.0f} s "
          f"({args.samples} samples, {args.pixels}x{args.pixels} px)")


if __name__ == "__main__":
    main()
