"""Inverse cinematography against Blender renders: ground truth from Cycles, fit with the built-in.

Prints per-render and summary errors (key direction, azimuth, elevation, ratio in stops,
CCT, rim F1, rim-mode and stock accuracy, iterations, seconds per match); target: median
key-direction error <= 10 deg.

Usage::

    python bench/inverse_blender.py [--n 10] [--seed 7] [--out /tmp/moks_inverse_blender]
                                    [--samples 16] [--generate-only] [--json results.json]

Details (moved from this docstring, issue 15): docs/benchmarks.md#benchinverse_blenderpy
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# isort: off
import moks_graph  # noqa: F401  (first: it pins numpy's kernels, moks_graph/numerics.py)
# isort: on
import numpy as np

from moks_graph.nodes.inverse.interfaces import PREVIEW_SIZE, MatchResult
from moks_graph.nodes.scenescript.schema import SceneScript
from moks_graph.rng import generator

RIM_MODES = ("none", "camera_left", "camera_right", "both", "top")
STOCKS = ("vision3_250d", "vision3_500t", "kodachrome", "tri_x")
SHOTS = ("close_up", "medium_close_up", "medium")


# --------------------------------------------------------------------------- ground truth


def truth_scripts(n: int, seed: int) -> list[SceneScript]:
    """``n`` ground-truth SceneScripts drawn with the engine RNG (module doc)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    rng = generator(seed, "bench.inverse_blender", "truth")
    u = rng.random((n, 5))
    scripts = []
    for i in range(n):
        s = SceneScript()
        s = s.with_slot("shot", size=SHOTS[i % len(SHOTS)])
        s = s.with_slot("key", azimuth_deg=round(-120.0 + 240.0 * u[i, 0], 2),
                        elevation_deg=round(55.0 * u[i, 1], 2),
                        cct_K=round(2800.0 + 4200.0 * u[i, 3], 0))
        s = s.with_slot("fill_rim", key_fill_ratio=round(2.0 * 8.0 ** u[i, 2], 3),
                        rim=RIM_MODES[i % len(RIM_MODES)])
        s = s.with_slot("atmosphere", phi=round(0.3 * u[i, 4], 3))
        s = s.with_slot("look", stock=STOCKS[i % len(STOCKS)], grain=0.0)
        scripts.append(s)
    return scripts


def script_digest(script: SceneScript, samples: int) -> str:
    """Cache key of a render: the script, the sample count and the renderer's source."""
    import moks_graph.hosts.blender.forward as bf

    source = hashlib.sha256(Path(bf.__file__).read_bytes()).hexdigest()
    text = f"{script.model_dump_json()}|{samples}|{PREVIEW_SIZE}|{source}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def render_truth(scripts: Sequence[SceneScript], out: Path, samples: int,
                 log: Any = print) -> list[tuple[np.ndarray, float]]:
    """The Blender render of each script (cached under ``out``) and its render time [s]."""
    from moks_graph.hosts.blender.forward import BlenderRenderer

    out.mkdir(parents=True, exist_ok=True)
    renderer = BlenderRenderer(samples=samples)
    images = []
    for i, script in enumerate(scripts):
        path = out / f"truth_{i:02d}_{script_digest(script, samples)}.npy"
        if path.is_file():
            images.append((np.load(path), 0.0))
            continue
        start = time.perf_counter()
        img = renderer.render(script, PREVIEW_SIZE)
        took = time.perf_counter() - start
        np.save(path, img)
        (out / f"truth_{i:02d}.json").write_text(script.model_dump_json(indent=2))
        log(f"  rendered {i + 1}/{len(scripts)} in {took:.1f} s")
        images.append((img, took))
    return images


# --------------------------------------------------------------------------- scoring


def key_direction(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """Unit subject -> key vector, camera on -Y (SceneScript convention)."""
    a, e = math.radians(azimuth_deg), math.radians(elevation_deg)
    return np.array([math.sin(a) * math.cos(e), -math.cos(a) * math.cos(e), math.sin(e)])


def great_circle_deg(az1: float, el1: float, az2: float, el2: float) -> float:
    """Angle between two key directions [deg]."""
    c = float(np.clip(key_direction(az1, el1) @ key_direction(az2, el2), -1.0, 1.0))
    return math.degrees(math.acos(c))


def score(truth: SceneScript, result: MatchResult) -> dict[str, Any]:
    """Per-image errors of a match against its ground truth (module doc)."""
    key = truth.key
    return {
        "status": result.status,
        "key_deg": great_circle_deg(key.azimuth_deg, key.elevation_deg,
                                    result.key_azimuth_deg, result.key_elevation_deg),
        "azimuth_deg": abs((result.key_azimuth_deg - key.azimuth_deg + 180.0) % 360.0 - 180.0),
        "elevation_deg": abs(result.key_elevation_deg - key.elevation_deg),
        "ratio_stops": abs(math.log2(max(result.key_fill_ratio, 1e-9)
                                     / truth.fill_rim.key_fill_ratio)),
        "cct_K": abs(result.key_cct_K - key.cct_K),
        "rim_true": truth.fill_rim.rim != "none",
        "rim_fit": bool(result.rim),
        "rim_mode_ok": result.rim_mode == truth.fill_rim.rim,
        "stock_ok": result.film_stock == truth.look.stock,
        "iterations": result.iterations,
        "seconds": result.seconds,
    }


def f1(truth: Sequence[bool], fit: Sequence[bool]) -> float:
    """F1 of a binary detection (1.0 when there is nothing to detect and nothing detected)."""
    tp = sum(t and f for t, f in zip(truth, fit, strict=True))
    fp = sum(f and not t for t, f in zip(truth, fit, strict=True))
    fn = sum(t and not f for t, f in zip(truth, fit, strict=True))
    return 1.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Medians, 90th percentiles, F1 and accuracies over the scored rows."""
    ok = [r for r in rows if r["status"] == "matched"]
    if not ok:
        return {"matched": 0.0, "n": float(len(rows))}

    def med(k: str) -> float:
        return float(statistics.median(r[k] for r in ok))

    return {
        "n": float(len(rows)), "matched": float(len(ok)),
        "key_deg_median": med("key_deg"),
        "key_deg_p90": float(np.percentile([r["key_deg"] for r in ok], 90)),
        "azimuth_deg_median": med("azimuth_deg"), "elevation_deg_median": med("elevation_deg"),
        "ratio_stops_median": med("ratio_stops"), "cct_K_median": med("cct_K"),
        "rim_f1": f1([r["rim_true"] for r in ok], [r["rim_fit"] for r in ok]),
        "rim_mode_top1": sum(r["rim_mode_ok"] for r in ok) / len(ok),
        "stock_top1": sum(r["stock_ok"] for r in ok) / len(ok),
        "iterations_median": med("iterations"), "seconds_median": med("seconds"),
    }


def table(summary: dict[str, float]) -> str:
    """The README results table (markdown)."""
    if not summary.get("matched"):
        return "no image was matched"
    lines = ["| metric | Blender-rendered set |", "| --- | --- |",
             f"| images (matched / total) | {summary['matched']:.0f} / {summary['n']:.0f} |",
             f"| failed matches | {summary.get('failed', 0.0):.0f} |",
             f"| key direction, median (target <= 10 deg) | {summary['key_deg_median']:.1f} deg |",
             f"| key direction, 90th percentile | {summary['key_deg_p90']:.1f} deg |",
             f"| azimuth error, median | {summary['azimuth_deg_median']:.1f} deg |",
             f"| elevation error, median | {summary['elevation_deg_median']:.1f} deg |",
             f"| key/fill ratio error, median | {summary['ratio_stops_median']:.2f} stop |",
             f"| CCT error, median | {summary['cct_K_median']:.0f} K |",
             f"| rim detection F1 | {summary['rim_f1']:.2f} |",
             f"| rim mode top-1 | {summary['rim_mode_top1']:.2f} |",
             f"| film stock top-1 | {summary['stock_top1']:.2f} |",
             f"| iterations, median | {summary['iterations_median']:.0f} |",
             f"| seconds per match, median | {summary['seconds_median']:.2f} s |"]
    return "\n".join(lines)


# --------------------------------------------------------------------------- matching


def match_one(image: np.ndarray, name: str) -> MatchResult:
    """Match one image with the built-in forward model and the offline inspector."""
    from moks_graph.hosts.inverse.match import match_image

    return match_image(image, "builtin", "offline", name=name)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10, help="ground-truth images (8-12)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--samples", type=int, default=16, help="Cycles samples per pixel")
    parser.add_argument("--out", type=Path, default=Path("/tmp/moks_inverse_blender"))
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="write per-image rows here")
    args = parser.parse_args(argv)

    scripts = truth_scripts(args.n, args.seed)
    print(f"rendering {len(scripts)} ground-truth images with Blender Cycles "
          f"({args.samples} spp) into {args.out}")
    rendered = render_truth(scripts, args.out, args.samples)
    times = [t for _, t in rendered if t > 0]
    if times:
        print(f"Blender render: median {statistics.median(times):.1f} s per image")
    if args.generate_only:
        return 0
    try:
        import moks_graph.hosts.inverse.match  # noqa: F401
    except ImportError as exc:
        print(f"match step pending: {exc}", file=sys.stderr)
        return 2
    rows, failed = [], 0
    for i, (script, (image, _)) in enumerate(zip(scripts, rendered, strict=True)):
        result = match_one(image, f"truth_{i:02d}")
        if result.status == "failed":
            failed += 1
            print(f"  {i:2d} FAILED {result.message}", file=sys.stderr)
            continue
        row = score(script, result)
        rows.append(row)
        k = script.key
        print(f"  {i:2d} truth az {k.azimuth_deg:7.1f} el {k.elevation_deg:5.1f} "
              f"ratio {script.fill_rim.key_fill_ratio:5.2f} rim {script.fill_rim.rim:12s} | "
              f"fit az {result.key_azimuth_deg:7.1f} el {result.key_elevation_deg:5.1f} "
              f"ratio {result.key_fill_ratio:5.2f} rim {result.rim_mode:12s} | "
              f"err {row['key_deg']:5.1f} deg, {row['seconds']:.2f} s")
    summary = summarise(rows)
    summary["failed"], summary["n"] = float(failed), float(len(scripts))
    print()
    print(table(summary))
    if failed:
        print(f"{failed} of {len(scripts)} images failed to match", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
