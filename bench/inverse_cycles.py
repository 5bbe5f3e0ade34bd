"""Inverse cinematography on Blender Cycles references the matcher did not stage.

Prints the key-direction, key/fill ratio, CCT, rim and subject-IoU errors of ``moks match``
against the generator's truth.

Usage::

    python bench/inverse_cycles.py                       # 40 stills, seed 1, 320 x 180
    python bench/inverse_cycles.py --n 80 --seed 2 --json out.json
    python bench/inverse_cycles.py --cutout alpha          # each still with its own alpha
    python bench/inverse_cycles.py --cutout box            # a box dragged around each subject
    python bench/inverse_cycles.py --pool a.json b.json    # the stills of earlier runs pooled
    python bench/inverse_cycles.py --seed 37 --fill free   # the fill off the lighting convention

Details (moved from this docstring, issue 15): docs/benchmarks.md#benchinverse_cyclespy
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

# isort: off
import moks_graph  # noqa: F401  (first: it pins numpy's kernels, moks_graph/numerics.py)
# isort: on
import numpy as np

DEFAULT_CACHE = Path("/tmp/moks_cycles_references")


def view_frame(truth: dict) -> np.ndarray:
    """Rows: the subject's view frame (x right, y up, z from the subject to the camera)."""
    m = np.asarray(truth["camera_matrix_world"], dtype=np.float64)
    cam = m[:3, 3]
    cam_up = m[:3, 1]
    z = cam - np.asarray(truth["subject_center_world"], dtype=np.float64)
    z /= np.linalg.norm(z)
    x = np.cross(cam_up, z)
    x /= np.linalg.norm(x)
    return np.stack([x, np.cross(z, x), z])


def true_key(truth: dict) -> np.ndarray:
    return view_frame(truth) @ np.asarray(truth["key"]["dir_world"], dtype=np.float64)


def fitted_key(result: dict) -> np.ndarray:
    a, e = math.radians(result["key_azimuth_deg"]), math.radians(result["key_elevation_deg"])
    return np.array([math.sin(a) * math.cos(e), math.sin(e), math.cos(a) * math.cos(e)])


def rim_present(mode: str) -> bool:
    return mode != "none"


def direction_error_deg(key: np.ndarray, truth: dict) -> float:
    """Angle between a fitted key direction (view frame) and the true one."""
    return math.degrees(math.acos(float(np.clip(true_key(truth) @ key, -1.0, 1.0))))


def ratio_error_stops(ratio: float, truth: dict) -> float:
    """|log2(fitted / true)| of the key/fill ratio, the fit clipped to its 1..64 range."""
    return abs(math.log2(float(np.clip(ratio, 1.0, 64.0)) / truth["key_fill_ratio"]))


def score(result: dict, truth: dict, mask: np.ndarray | None) -> dict[str, float]:
    """Per-still errors (module docstring)."""
    out = {"direction_deg": direction_error_deg(fitted_key(result), truth),
           "ratio_stops": ratio_error_stops(result["key_fill_ratio"], truth),
           "cct_K": abs(result["key_cct_K"] - truth["key"]["cct_K"]),
           "rim_true": float(rim_present(truth["rim"]["mode"])),
           "rim_fit": float(rim_present(result["rim_mode"])),
           "matched": float(result["status"] == "matched"),
           "sigma_deg": float(result.get("uncertainty", {}).get("key_direction_deg", math.inf))}
    if mask is not None and "subject_mask" in result:
        found = np.asarray(result["subject_mask"], dtype=bool)
        if found.shape == mask.shape:
            out["iou"] = float((found & mask).sum() / max((found | mask).sum(), 1))
    return out


def with_alpha(image: Path, mask: Path, out: Path) -> Path:
    """``image`` cut out by ``mask`` as its alpha: a render on a transparent film as Blender
    writes a PNG (straight alpha, nothing where the alpha is 0)."""
    import imageio.v3 as iio

    rgb = iio.imread(image)[..., :3]
    m = iio.imread(mask)
    m = m if m.ndim == 2 else m[..., 0]
    rgb = np.where((m > 0)[..., None], rgb, 0)
    iio.imwrite(out, np.dstack([rgb, m]).astype(np.uint8))
    return out


def drawn_box(mask: Path, pad: float) -> tuple[float, float, float, float]:
    """A box around the rendered silhouette as a user would drag it: its bounding box
    grown by ``pad`` of its size on each side, clipped to the image (pixels, x, y, w, h)."""
    import imageio.v3 as iio

    cover = iio.imread(mask)
    rows, cols = np.nonzero((cover if cover.ndim == 2 else cover[..., 0]) > 127)
    h, w = cover.shape[:2]
    dy, dx = pad * (np.ptp(rows) + 1), pad * (np.ptp(cols) + 1)
    x0, y0 = max(cols.min() - dx, 0.0), max(rows.min() - dy, 0.0)
    x1, y1 = min(cols.max() + 1 + dx, float(w)), min(rows.max() + 1 + dy, float(h))
    return float(x0), float(y0), float(x1 - x0), float(y1 - y0)


def f1(rows: list[dict[str, float]]) -> float:
    tp = sum(r["rim_true"] and r["rim_fit"] for r in rows)
    fp = sum((not r["rim_true"]) and r["rim_fit"] for r in rows)
    fn = sum(r["rim_true"] and not r["rim_fit"] for r in rows)
    return 2 * tp / max(2 * tp + fp + fn, 1)


def summary(rows: list[dict[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {"stills": len(rows)}
    for name in ("direction_deg", "ratio_stops", "cct_K", "iou", "seconds"):
        vals = [r[name] for r in rows if name in r]
        if vals:
            out[f"{name}_median"] = float(np.median(vals))
            out[f"{name}_p90"] = float(np.percentile(vals, 90))
    out["rim_f1"] = f1(rows)
    # how honest the stated uncertainty is: a calibrated 1-sigma covers 39 % of 2-D errors,
    # 2-sigma 86 %
    out["within_1_sigma"] = float(np.mean([r["direction_deg"] <= r["sigma_deg"] for r in rows]))
    out["within_2_sigma"] = float(np.mean([r["direction_deg"] <= 2 * r["sigma_deg"]
                                           for r in rows]))
    out["approximate"] = float(sum(1 for r in rows if not r["matched"]))
    return out


def interval(values: list[float], q: float, draws: int = 2000) -> tuple[float, float]:
    """A 95 % bootstrap interval of the ``q``-th percentile of ``values`` (seeded): how far
    a figure over this many stills can move by the luck of the draw."""
    vals = np.asarray(values, dtype=np.float64)
    picks = np.random.default_rng(0).integers(0, len(vals), (draws, len(vals)))
    stat = np.percentile(vals[picks], q, axis=1)
    return float(np.percentile(stat, 2.5)), float(np.percentile(stat, 97.5))


def by_shape(rows: list[dict]) -> dict[str, dict[str, float]]:
    """Per subject shape: stills, key direction median and p90, ratio median, rim F1 and
    silhouette IoU mean (which shapes the figures above come from)."""
    out: dict[str, dict[str, float]] = {}
    for shape in sorted({r["shape"] for r in rows if "shape" in r}):
        part = [r for r in rows if r.get("shape") == shape]
        directions = [r["direction_deg"] for r in part]
        out[shape] = {"stills": float(len(part)),
                      "direction_deg_median": float(np.median(directions)),
                      "direction_deg_p90": float(np.percentile(directions, 90)),
                      "ratio_stops_median": float(np.median([r["ratio_stops"] for r in part])),
                      "rim_f1": f1(part),
                      "iou_mean": float(np.mean([r["iou"] for r in part if "iou" in r] or
                                                [math.nan]))}
    return out


def report(rows: list[dict], failures: int) -> dict[str, float]:
    """Print the summary table of ``rows`` and return its figures."""
    stats = summary(rows)
    stats["crashes"] = float(failures)
    matched = [r for r in rows if r["matched"]]
    approx = [r for r in rows if not r["matched"]]
    print("\nparameter            median      p90    target")
    for name, unit, target in (("direction_deg", "deg", "<= 10 / p90 <= 25"),
                               ("ratio_stops", "stops", "median <= 0.5"),
                               ("cct_K", "K", "median <= 400"), ("iou", "", ""),
                               ("seconds", "s", "<= 5")):
        if f"{name}_median" in stats:
            print(f"{name:<18} {stats[name + '_median']:8.2f} {stats[name + '_p90']:8.2f}"
                  f"    {target} {unit}")
    if len(rows) >= 5:
        directions = [r["direction_deg"] for r in rows]
        (m0, m1), (p0, p1) = interval(directions, 50), interval(directions, 90)
        print(f"key direction, 95 % bootstrap interval over {len(rows)} stills: median "
              f"{m0:.1f}-{m1:.1f}, p90 {p0:.1f}-{p1:.1f} deg")
    print(f"rim F1 {stats['rim_f1']:.2f} (target >= 0.8); crashes or failed {failures}; "
          f"approximate {len(approx)} of {len(rows)}")
    print(f"key direction within its 1-sigma: {100 * stats['within_1_sigma']:.0f} % "
          f"(calibrated: 39 %), within 2-sigma: {100 * stats['within_2_sigma']:.0f} % (86 %)")
    shapes = by_shape(rows)
    if shapes:
        print("\nshape            stills  direction median    p90  ratio  rim F1  IoU mean")
        for shape, row in shapes.items():
            print(f"{shape:<16} {row['stills']:6.0f} {row['direction_deg_median']:17.1f} "
                  f"{row['direction_deg_p90']:6.1f} {row['ratio_stops_median']:6.2f} "
                  f"{row['rim_f1']:7.2f} {row['iou_mean']:9.2f}")
    for label, part in (("matched", matched), ("approximate", approx)):
        if part:
            direction = np.median([r["direction_deg"] for r in part])
            ratio = np.median([r["ratio_stops"] for r in part])
            print(f"  {label:<11}: direction median {direction:.1f}°, ratio median "
                  f"{ratio:.2f} stops ({len(part)} stills)")
    return stats


def pooled(files: list[Path]) -> int:
    """The summary over the stills of several ``--json`` files (seeds pooled)."""
    runs = [json.loads(f.read_text()) for f in files]
    for f, run in zip(files, runs, strict=True):
        if "rows" not in run:
            print(f"{f}: no per-still rows (written before they were kept): run it again")
            return 2
    print("pooled: " + ", ".join(f"{f.name} (seed {run.get('seed')}, {run.get('cutout')}, "
                                 f"fill {run.get('fill', 'convention')}, "
                                 f"rim {run.get('rim', 'convention')}, "
                                 f"room {run.get('room', 'plain')})"
                                 for f, run in zip(files, runs, strict=True)))
    failures = sum(int(run.get("crashes", 0)) for run in runs)
    report([row for run in runs for row in run["rows"]], failures)
    return 1 if failures else 0


def still_arguments(ap: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options that pick the stills: ``--n --seed --size --samples --cache --fill
    --rim --room``."""
    from moks_graph.hosts.blender.references import PLACEMENTS, ROOMS

    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--size", default="320x180")
    ap.add_argument("--samples", type=int, default=24)
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--fill", choices=PLACEMENTS, default="convention",
                    help="each still's fill near the lighting convention the matcher's "
                         "scene uses, or at any azimuth within +-135 deg (the same scenes "
                         "otherwise; the floor and wall follow the lights)")
    ap.add_argument("--rim", choices=PLACEMENTS, default="convention",
                    help="each still's rims near the matcher's rim lobes, or spread wider "
                         "(side azimuth 100-178 deg, elevation 0-60 deg; top 30-85 deg up; "
                         "the same scenes otherwise)")
    ap.add_argument("--room", choices=ROOMS, default="plain",
                    help="each still's floor and wall one grey, or procedurally textured "
                         "around it (the same scenes otherwise)")
    return ap


def ensure_stills(cache: Path, n: int, seed: int, size: tuple[int, int], samples: int,
                  fill: str = "convention", rim: str = "convention", room: str = "plain"
                  ) -> Path:
    """The folder of stills ``0 .. n - 1`` of ``seed``, rendering those not cached yet
    (``seed<N>_<W>x<H>_s<S>``, then ``_free-fill``, ``_free-rim`` and ``_textured-room``
    where they differ from the defaults)."""
    from moks_graph.hosts.blender.references import generate

    tail = "".join(f"_{value}-{part}" for part, value, default in (
        ("fill", fill, "convention"), ("rim", rim, "convention"), ("room", room, "plain"))
        if value != default)
    folder = cache / f"seed{seed}_{size[0]}x{size[1]}_s{samples}{tail}"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        if not (folder / f"{i:03d}.json").exists():
            generate(folder, 1, seed=seed, size=size, samples=samples, start=i, fill=fill,
                     rim=rim, room=room)
    return folder


def main(argv: list[str] | None = None) -> int:
    from moks_graph.hosts.inverse.match import match
    from moks_graph.nodes.inverse.key_hint import truth_hint
    from moks_graph.nodes.inverse.silhouette import working_size

    ap = still_arguments(argparse.ArgumentParser(description=__doc__.split("\n")[0]))
    ap.add_argument("--rounds", type=int, default=None,
                    help="critique rounds (default: match's own default)")
    ap.add_argument("--cutout", choices=("none", "matte", "alpha", "box"), default="none",
                    help="give the matcher the rendered silhouette: as --matte (the mask "
                         "file), as the reference's own alpha (an RGBA copy), or only a "
                         "box around it (--subject-box, as a user would drag it)")
    ap.add_argument("--box-pad", type=float, default=0.1,
                    help="with --cutout box: the box's margin around the silhouette, a "
                         "fraction of its size on each side")
    ap.add_argument("--hint", action="store_true",
                    help="give the matcher the key's side and height as a TD glancing at "
                         "the still would (--key-hint, from the truth: the side when the "
                         "key is 20 deg or more off the camera axis, the height when 10 "
                         "deg or more off the horizon)")
    ap.add_argument("--json", type=Path,
                    help="write the figures and every still's errors to this file")
    ap.add_argument("--pool", type=Path, nargs="+", metavar="JSON",
                    help="print the summary over the stills of earlier --json files "
                         "(several seeds at once) instead of running")
    args = ap.parse_args(argv)
    if args.pool:
        return pooled(args.pool)
    w, h = (int(v) for v in args.size.split("x"))
    folder = ensure_stills(args.cache, args.n, args.seed, (w, h), args.samples, args.fill,
                           args.rim, args.room)
    import imageio.v3 as iio

    rgba = folder / "rgba"
    if args.cutout == "alpha":
        rgba.mkdir(exist_ok=True)
    rows, failures = [], 0
    print(f"{'still':>5} {'shape':<12} {'dir°':>6} {'ratio st':>8} {'ΔCCT K':>7} "
          f"{'rim t/f':>8} {'IoU':>5} {'status':<11} {'s':>5}")
    for i in range(args.n):
        truth = json.loads((folder / f"{i:03d}.json").read_text())
        t0 = time.perf_counter()
        try:
            options: dict = {} if args.rounds is None else {"rounds": args.rounds}
            source = folder / f"{i:03d}.png"
            if args.cutout == "matte":
                options["matte"] = folder / f"{i:03d}.mask.png"
            elif args.cutout == "alpha":
                source = with_alpha(source, folder / f"{i:03d}.mask.png", rgba / source.name)
            elif args.cutout == "box":
                options["subject_box"] = drawn_box(folder / f"{i:03d}.mask.png", args.box_pad)
            if args.hint:
                options["key_hint"] = truth_hint(truth["key"]["azimuth_deg"],
                                                 truth["key"]["elevation_deg"])
            outcome = match(source, name=f"{i:03d}.png", **options)
        except Exception as exc:  # a crash is a result of the benchmark
            failures += 1
            print(f"{i:5d} CRASH {type(exc).__name__}: {exc}")
            continue
        seconds = time.perf_counter() - t0
        if outcome.result.status == "failed":  # no lights to score: counted as a crash
            failures += 1
            print(f"{i:5d} FAILED {outcome.result.message}")
            continue
        result = outcome.result.model_dump(mode="json")
        mask_img = iio.imread(folder / f"{i:03d}.mask.png")
        mask_img = mask_img if mask_img.ndim == 2 else mask_img[..., 0]
        est = outcome.estimate
        mask = None
        if est is not None:
            from skimage.transform import resize

            ww, hh = working_size(mask_img.shape)
            mask = resize(mask_img > 127, (hh, ww), order=0).astype(bool)
            result["subject_mask"] = est.subject.mask
        row = score(result, truth, mask)
        row.update(seconds=seconds, seed=args.seed, still=i, shape=truth["shape"],
                   status=result["status"], rim_mode_true=truth["rim"]["mode"],
                   rim_mode_fit=result["rim_mode"],
                   key_fit_deg=[result["key_azimuth_deg"], result["key_elevation_deg"]],
                   key_true_deg=[truth["key"]["azimuth_deg"], truth["key"]["elevation_deg"]],
                   ratio_fit=result["key_fill_ratio"], ratio_true=truth["key_fill_ratio"])
        rows.append(row)
        print(f"{i:5d} {truth['shape']:<12} {row['direction_deg']:6.1f} "
              f"{row['ratio_stops']:8.2f} {row['cct_K']:7.0f} "
              f"{truth['rim']['mode'][:6]:>4}/{result['rim_mode'][:6]:<4} "
              f"{row.get('iou', float('nan')):5.2f} {result['status']:<11} {seconds:5.2f}")
    stats = report(rows, failures)
    if args.json:
        record = dict(stats, seed=args.seed, cutout=args.cutout, hint=args.hint, fill=args.fill,
                      rim=args.rim, room=args.room, rows=rows)
        args.json.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
