"""Inverse cinematography on the built-in renderer's own images: accuracy, speed, Dask scaling.

Renders seeded ground-truth SceneScripts, matches each, and prints the key-direction,
ratio, CCT, rim and stock errors, iterations, seconds per match and the 2-vs-1-worker
throughput against the targets; ``--measure-priors`` prints the fuse priors' biases instead.

Usage::

    python bench/inverse.py [--n 24] [--seed 3] [--throughput 12] [--json out.json]
                            [--notes /tmp/moks_notes/inverse-core.md]
    python bench/inverse.py --measure-priors [--n 48] [--seed 1]

Details (moved from this docstring, issue 15): docs/benchmarks.md#benchinversepy
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# isort: off
import moks_graph  # noqa: F401  (first: it pins numpy's kernels, moks_graph/numerics.py)
# isort: on
import numpy as np

from moks_graph.nodes.scenescript.schema import SceneScript
from moks_graph.rng import counter_uniform, stream_key

SHOTS = ("close_up", "medium_close_up", "medium")
RIMS = ("none", "none", "camera_left", "camera_right", "both", "top")
STOCKS = ("vision3_250d", "vision3_500t", "kodachrome", "tri_x")
CONVERGED = 0.1


def truth_scripts(n: int, seed: int) -> list[SceneScript]:
    """``n`` seeded random ground-truth scripts (module docstring)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    u = counter_uniform(stream_key(seed, "bench.inverse", "truth"),
                        np.arange(n * 10)).reshape(n, 10)
    scripts = []
    for a in u:
        scripts.append(SceneScript.model_validate({
            "shot": {"size": SHOTS[int(a[0] * len(SHOTS))]},
            "key": {"azimuth_deg": -110.0 + 220.0 * a[1], "elevation_deg": -15.0 + 75.0 * a[2],
                    "cct_K": 2800.0 + 4700.0 * a[3]},
            "fill_rim": {"key_fill_ratio": 2.0 ** (0.585 + 3.415 * a[4]),
                         "rim": RIMS[int(a[5] * len(RIMS))], "rim_ev": -1.0 + 2.0 * a[6]},
            "atmosphere": {"phi": 0.6 * a[7]},
            "look": {"stock": STOCKS[int(a[8] * len(STOCKS))],
                     "exposure_ev": -1.0 + 2.0 * a[9], "grain": 0.5},
        }))
    return scripts


def render_truth(scripts: Sequence[SceneScript], seed: int) -> list[np.ndarray]:
    from moks_graph.nodes.inverse.render import BuiltinRenderer

    renderer = BuiltinRenderer(grain=True, seed=seed)
    return [renderer.render(s) for s in scripts]


def key_vector(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """Camera-frame unit vector of SceneScript angles (x right, y up, z to the camera)."""
    az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
    return np.array([math.sin(az) * math.cos(el), math.sin(el), math.cos(az) * math.cos(el)])


def great_circle_deg(az1: float, el1: float, az2: float, el2: float) -> float:
    c = float(np.clip(key_vector(az1, el1) @ key_vector(az2, el2), -1.0, 1.0))
    return math.degrees(math.acos(c))


def score(truth: SceneScript, got: SceneScript, iterations: int, residual: float,
          seconds: float) -> dict[str, Any]:
    k, g = truth.key, got.key
    return {
        "key_deg": great_circle_deg(k.azimuth_deg, k.elevation_deg, g.azimuth_deg,
                                    g.elevation_deg),
        "azimuth_deg": abs((g.azimuth_deg - k.azimuth_deg + 180.0) % 360.0 - 180.0),
        "elevation_deg": abs(g.elevation_deg - k.elevation_deg),
        "ratio_stops": abs(math.log2(got.fill_rim.key_fill_ratio
                                     / truth.fill_rim.key_fill_ratio)),
        "cct_K": abs(g.cct_K - k.cct_K) if truth.look.stock != "tri_x" else None,
        "rim_true": truth.fill_rim.rim != "none", "rim_fit": got.fill_rim.rim != "none",
        "rim_mode_ok": truth.fill_rim.rim == got.fill_rim.rim,
        "stock_ok": truth.look.stock == got.look.stock,
        "iterations": iterations, "residual": residual, "seconds": seconds,
    }


def f1(truth: Sequence[bool], fit: Sequence[bool]) -> float:
    tp = sum(t and f for t, f in zip(truth, fit, strict=True))
    fp = sum((not t) and f for t, f in zip(truth, fit, strict=True))
    fn = sum(t and (not f) for t, f in zip(truth, fit, strict=True))
    return 2.0 * tp / (2.0 * tp + fp + fn) if tp + fp + fn else 1.0


def _p90(values: Sequence[float]) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), 90))


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    def col(name: str) -> list[float]:
        return [float(r[name]) for r in rows if r[name] is not None]

    out: dict[str, float] = {"n": float(len(rows))}
    for name in ("key_deg", "azimuth_deg", "elevation_deg", "ratio_stops", "cct_K",
                 "seconds", "iterations"):
        values = col(name)
        out[f"{name}_median"] = statistics.median(values) if values else float("nan")
        out[f"{name}_p90"] = _p90(values) if values else float("nan")
    out["ratio_within_quarter_stop"] = float(np.mean([v <= 0.25 for v in col("ratio_stops")]))
    out["cct_within_150K"] = float(np.mean([v <= 150.0 for v in col("cct_K")]))
    out["rim_f1"] = f1([r["rim_true"] for r in rows], [r["rim_fit"] for r in rows])
    out["rim_mode_top1"] = float(np.mean([r["rim_mode_ok"] for r in rows]))
    out["stock_top1"] = float(np.mean([r["stock_ok"] for r in rows]))
    out["iterations_le2"] = float(np.mean([r["iterations"] <= 2 for r in rows]))
    out["converged"] = float(np.mean([r["residual"] <= CONVERGED for r in rows]))
    return out


def throughput(images: Sequence[np.ndarray], workers: int) -> float:
    """Images per second of ``hosts.farm.match.match_one`` on a warmed Dask LocalCluster."""
    import imageio.v3 as iio
    from distributed import wait

    from moks_graph.hosts.farm.cluster import connect, worker_environment
    from moks_graph.hosts.farm.match import match_one
    from moks_graph.hosts.inverse.match import to_srgb8

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, image in enumerate(images):
            path = Path(tmp) / f"ref_{i:03d}.png"
            iio.imwrite(path, to_srgb8(image))
            paths.append(str(path))
        out = str(Path(tmp) / f"out_{workers}")
        with worker_environment(), connect(None, workers) as client:
            warm = client.map(match_one, paths[:workers], [f"warm{i}" for i in range(workers)],
                              [out] * workers, [{}] * workers, pure=False)
            wait(warm)
            t0 = time.perf_counter()
            futures = client.map(match_one, paths, [f"img{i}" for i in range(len(paths))],
                                 [out] * len(paths), [{}] * len(paths), pure=False)
            results = client.gather(futures)
            wall = time.perf_counter() - t0
        failed = [r for r in results if r.status != "matched"]
        if failed:
            raise RuntimeError(f"throughput run had failures: {failed[0].message}")
    return len(paths) / wall


def table(summary: dict[str, float], speed: dict[str, float] | None) -> str:
    s = summary
    rows = [
        ("key direction, great circle [deg]", f"{s['key_deg_median']:.2f}",
         f"{s['key_deg_p90']:.2f}", "median <= 2, p90 <= 8"),
        ("key azimuth error [deg]", f"{s['azimuth_deg_median']:.2f}",
         f"{s['azimuth_deg_p90']:.2f}", ""),
        ("key elevation error [deg]", f"{s['elevation_deg_median']:.2f}",
         f"{s['elevation_deg_p90']:.2f}", ""),
        ("key/fill ratio error [stops]", f"{s['ratio_stops_median']:.3f}",
         f"{s['ratio_stops_p90']:.3f}",
         f"within 0.25: {100 * s['ratio_within_quarter_stop']:.0f} %"),
        ("CCT error, colour stocks [K]", f"{s['cct_K_median']:.0f}", f"{s['cct_K_p90']:.0f}",
         f"within 150 K: {100 * s['cct_within_150K']:.0f} %"),
        ("rim detection F1", f"{s['rim_f1']:.2f}", "",
         f"rim mode top-1 {100 * s['rim_mode_top1']:.0f} %"),
        ("film stock top-1", f"{100 * s['stock_top1']:.0f} %", "", ""),
        ("calibration iterations", f"{s['iterations_median']:.0f}",
         f"{s['iterations_p90']:.0f}",
         f"<= 2: {100 * s['iterations_le2']:.0f} %, converged (<= {CONVERGED} sigma): "
         f"{100 * s['converged']:.0f} %"),
        ("seconds per match", f"{s['seconds_median']:.2f}", f"{s['seconds_p90']:.2f}",
         "median < 5"),
    ]
    if speed:
        rows.append(("Dask throughput [images/s], 1 -> 2 workers",
                     f"{speed['1']:.2f} -> {speed['2']:.2f}", "",
                     f"x{speed['2'] / speed['1']:.2f} (target >= 1.7)"))
    lines = ["| measure | median | p90 | note |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def measure_priors(n: int, seed: int) -> dict[str, float]:
    """Median ``truth - fused`` biases of the fusers with zero offsets (module doc)."""
    from moks_graph.nodes.inverse import fuse as F

    saved = dict(F.PRIORS["builtin"])
    zero = {k: (0.0 if k in ("key_azimuth_deg", "key_elevation_deg", "log2_ratio", "mired",
                             "exposure_ev", "rim_ev", "phi") else v) for k, v in saved.items()}
    F.PRIORS["builtin"] = zero
    try:
        scripts = truth_scripts(n, seed)
        diffs: dict[str, list[float]] = {k: [] for k in ("key_azimuth_deg",
                                                         "key_elevation_deg", "log2_ratio",
                                                         "mired", "exposure_ev", "rim_ev",
                                                         "phi")}
        for truth, image in zip(scripts, render_truth(scripts, seed), strict=True):
            got = F.fuse(F.signature(image))
            diffs["key_azimuth_deg"].append(abs(truth.key.azimuth_deg) - abs(got.key.azimuth_deg))
            diffs["key_elevation_deg"].append(truth.key.elevation_deg - got.key.elevation_deg)
            diffs["log2_ratio"].append(math.log2(truth.fill_rim.key_fill_ratio
                                                 / got.fill_rim.key_fill_ratio))
            if truth.look.stock != "tri_x":
                diffs["mired"].append(1e6 / truth.key.cct_K - 1e6 / got.key.cct_K)
            diffs["exposure_ev"].append(truth.look.exposure_ev - got.look.exposure_ev)
            if truth.fill_rim.rim != "none" and got.fill_rim.rim == truth.fill_rim.rim:
                diffs["rim_ev"].append(truth.fill_rim.rim_ev - got.fill_rim.rim_ev)
            diffs["phi"].append(truth.atmosphere.phi - got.atmosphere.phi)
    finally:
        F.PRIORS["builtin"] = saved
    return {k: round(statistics.median(v), 4) for k, v in diffs.items() if v}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=None)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--throughput", type=int, default=12,
                        help="images for the 1-vs-2 worker run (0 skips it)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--notes", type=Path, default=None,
                        help="also write the README section with the table here")
    parser.add_argument("--measure-priors", action="store_true")
    args = parser.parse_args(argv)
    if args.measure_priors:
        priors = measure_priors(args.n or 48, args.seed if args.seed != 3 else 1)
        print(json.dumps(priors, indent=2))
        return 0
    from moks_graph.hosts.inverse.match import match

    n = args.n or 24
    scripts = truth_scripts(n, args.seed)
    images = render_truth(scripts, args.seed)
    rows = []
    for i, (truth, image) in enumerate(zip(scripts, images, strict=True)):
        t0 = time.perf_counter()
        out = match(image, name=f"truth_{i:03d}")
        seconds = time.perf_counter() - t0
        assert out.script is not None
        rows.append(score(truth, out.script, out.result.iterations, out.result.residual,
                          seconds))
        r = rows[-1]
        print(f"{i:3d} key {r['key_deg']:6.2f} deg  ratio {r['ratio_stops']:5.3f} st  "
              f"rim {truth.fill_rim.rim}->{out.script.fill_rim.rim}  stock "
              f"{truth.look.stock}->{out.script.look.stock}  it {r['iterations']}  "
              f"{seconds:.2f} s", file=sys.stderr)
    summary = summarise(rows)
    speed = None
    if args.throughput > 0:
        subset = images[:args.throughput]
        speed = {"1": throughput(subset, 1), "2": throughput(subset, 2)}
    text = table(summary, speed)
    print(text)
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "throughput": speed,
                                         "rows": rows}, indent=2))
    if args.notes:
        write_notes(args.notes, text, n, args.seed, args.throughput)
    return 0


def write_notes(path: Path, text: str, n: int, seed: int, count: int) -> None:
    """The README section of the built-in inverse loop, with the results table."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(NOTES.format(table=text, n=n, seed=seed, count=count))


NOTES = """## Inverse cinematography: match a reference still

`moks match` takes reference stills and returns, per image, the matched lighting as a
SceneScript, the bake graph of that script, a preview render and a side-by-side comparison:

```
moks match refs/*.png --out matched/                 # built-in forward model, offline critic
moks match still.jpg --out matched/ --forward blender --inspector anthropic
moks match refs/*.png --out matched/ --workers 2     # a local Dask cluster (or --scheduler)
```

Each `matched/<stem>/` holds `match.json` (`key_azimuth_deg`, `key_elevation_deg`,
`key_fill_ratio`, `key_cct_K`, `rim`, `rim_mode`, `haze` (the atmosphere phase phi),
`film_stock`, `iterations`, `residual`, `seconds`, `status`, the critique summary and the
whole script), `scene.mgraph`, `preview.png` and `compare.png` (reference | preview). A
black or white frame is reported as `status: failed`, "cannot match: no exposure
information"; an unreadable file fails its row in the summary table and the others go on.

From Python:

```python
from moks_graph.hosts.inverse.match import match, write_match

out = match("still.png")                      # or an H x W x 3 float32 linear array
print(out.result.key_azimuth_deg, out.result.rim_mode, out.result.film_stock)
write_match(out.result, out.script, out.reference, out.preview, "matched/")
```

The loop (`moks_graph.hosts.inverse.match`, on the math of `moks_graph.nodes.inverse`):
**analyse** the 15-metric signature plus cues
(`fuse.signature`), **fuse** a SceneScript slot by slot (`fuse.fuse`: shot from the
silhouette, key/fill/rim from a least-squares fit of the light layout on the subject's
normals, stock, exposure and fog from the tone scale), **render** a 512-wide preview with
the deterministic numpy renderer (`render.BuiltinRenderer`), **calibrate** with at most two
Gauss-Newton / Levenberg-Marquardt steps on the metric leaves (`calibrate.calibrate`: the
Jacobian pulled back analytically through parameters -> scene -> image -> metrics,
M = sum J^T M J; the key direction on the sphere's tangent plane), **critique**
(`critique.OfflineInspector`, or a VLM) and try the discrete alternatives it proposes (rim
mode, film stock). The same steps are nodes: `moks.inverse.analyse`, `moks.inverse.fuse`,
`moks.inverse.render_preview`, `moks.inverse.calibrate`.

Benchmark on the built-in renderer's own images ({n} seeded random scripts, seed {seed},
rendered with film grain; throughput over the first {count}):
`python bench/inverse.py --n {n} --seed {seed} --throughput {count}`

{table}

These are the fitting renderer's own images, so a perfect fit exists; the misses are
real ambiguities of the scene model: with the key within ~20 deg of the camera axis the
fill (placed at -0.6 x the key azimuth) sits next to the key and the two read as one light,
so the key/fill ratio is poorly determined there. Against Blender renders (a different
light transport: cast shadows, inter-reflection) see `bench/inverse_blender.py`.
"""


if __name__ == "__main__":
    raise SystemExit(main())
