"""How far the light fit gets with better geometry, on the Cycles references.

The light fitter alone on each still given the silhouette it finds, the rendered
silhouette, and the rendered silhouette with the renderer's own normals: key direction,
ratio and rim errors, and the normals' angular error, per row.

Usage::

    python bench/inverse_oracle.py --seed 1          # 40 stills, 320 x 180, as inverse_cycles
    python bench/inverse_oracle.py --seed 23 --n 20 --json out.json

Details: docs/benchmarks.md#benchinverse_oraclepy
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

# isort: off
import moks_graph  # noqa: F401  (first: it pins numpy's kernels, moks_graph/numerics.py)
# isort: on
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from inverse_cycles import (
    direction_error_deg,
    ensure_stills,
    f1,
    ratio_error_stops,
    rim_present,
    still_arguments,
    view_frame,
)

if TYPE_CHECKING:
    from moks_graph.nodes.inverse.lightfit import LightFit

ROWS = ("found", "silhouette", "normals")


def view_normals(normals_cam: np.ndarray, truth: dict) -> np.ndarray:
    """Camera-frame normals ``H x W x 3`` turned into the subject's view frame (the bench's
    frame for the key: z from the subject to the camera)."""
    cam_rot = np.asarray(truth["camera_matrix_world"], dtype=np.float64)[:3, :3]
    return normals_cam @ (view_frame(truth) @ cam_rot).T


def on_grid(normals: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Normals area-averaged onto the working grid and renormalised (zero where none)."""
    from skimage.transform import resize

    out = resize(normals, (*shape, 3), order=1, anti_aliasing=True)
    length = np.linalg.norm(out, axis=-1, keepdims=True)
    return np.where(length > 0.5, out / np.maximum(length, 1e-12), 0.0)


def normal_error_deg(estimated: np.ndarray, true: np.ndarray, mask: np.ndarray) -> float:
    """Median angle between two normal fields over ``mask`` less its outer pixel ring."""
    from scipy import ndimage

    inner = ndimage.binary_erosion(mask) & (np.linalg.norm(true, axis=-1) > 0.5)
    if not inner.any():
        return math.nan
    cos = np.clip(np.sum(estimated[inner] * true[inner], axis=-1), -1.0, 1.0)
    return float(np.degrees(np.median(np.arccos(cos))))


def subjects(work: np.ndarray, mask_png: np.ndarray, normals: np.ndarray) -> dict:
    """The three subjects of :data:`ROWS` on the working grid."""
    from moks_graph.nodes.inverse.subject import estimate_subject, matte_subject

    matte = matte_subject(mask_png, work.shape[:2])
    known = np.linalg.norm(normals, axis=-1) > 0.5
    exact = np.where((matte.mask & known)[..., None], normals, matte.normals)
    return {"found": estimate_subject(work), "silhouette": matte,
            "normals": replace(matte, normals=exact, reason="the renderer's normals")}


def score(fit: LightFit, truth: dict) -> dict[str, float]:
    """The fit's errors against the truth (as ``inverse_cycles.score``, without a result)."""
    return {"direction_deg": direction_error_deg(fit.key, truth),
            "ratio_stops": ratio_error_stops(fit.ratio, truth),
            "rim_true": float(rim_present(truth["rim"]["mode"])),
            "rim_fit": float(rim_present(fit.rim))}


def summary(rows: list[dict[str, float]]) -> dict[str, float]:
    out = {"stills": float(len(rows)), "rim_f1": f1(rows)}
    for name in ("direction_deg", "ratio_stops", "normal_deg"):
        vals = [r[name] for r in rows if not math.isnan(r[name])]
        out[f"{name}_median"] = float(np.median(vals))
        out[f"{name}_p90"] = float(np.percentile(vals, 90))
    return out


def main(argv: list[str] | None = None) -> int:
    import imageio.v3 as iio

    from moks_graph.hosts.blender.references import render_normals, variant_overrides
    from moks_graph.hosts.inverse.match import load_reference
    from moks_graph.nodes.inverse.estimate import to_working
    from moks_graph.nodes.inverse.lightfit import fit_lights

    ap = still_arguments(argparse.ArgumentParser(description=__doc__.split("\n")[0]))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    w, h = (int(v) for v in args.size.split("x"))
    folder = ensure_stills(args.cache, args.n, args.seed, (w, h), args.samples, args.fill,
                           args.rim, args.room)
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in ROWS}
    print(f"{'still':>5} {'shape':<13} " + " ".join(f"{name:>16}" for name in ROWS)
          + "   (key direction error deg / normals' error deg)")
    for i in range(args.n):
        truth = json.loads((folder / f"{i:03d}.json").read_text())
        cached = folder / f"{i:03d}.normals.npy"
        normals = np.load(cached) if cached.exists() else render_normals(
            folder, i, seed=args.seed, size=(w, h),
            overrides=variant_overrides(args.seed, i, args.fill, args.rim, args.room))
        work = to_working(load_reference(folder / f"{i:03d}.png"))
        exact = on_grid(view_normals(normals.astype(np.float64), truth), work.shape[:2])
        mask_png = iio.imread(folder / f"{i:03d}.mask.png")
        mask_png = (mask_png if mask_png.ndim == 2 else mask_png[..., 0]) / 255.0
        cells = []
        for name, subject in subjects(work, mask_png, exact).items():
            row = score(fit_lights(work, subject), truth)
            row["normal_deg"] = normal_error_deg(subject.normals, exact, subject.mask)
            rows[name].append(row)
            cells.append(f"{row['direction_deg']:7.1f} / {row['normal_deg']:5.1f}")
        print(f"{i:5d} {truth['shape']:<13} " + " ".join(f"{c:>16}" for c in cells), flush=True)
    stats = {name: summary(part) for name, part in rows.items()}
    print(f"\n{'given':<11} {'dir median':>10} {'p90':>6} {'ratio st':>9} {'rim F1':>7} "
          f"{'normals deg':>12}")
    for name, s in stats.items():
        print(f"{name:<11} {s['direction_deg_median']:10.1f} {s['direction_deg_p90']:6.1f} "
              f"{s['ratio_stops_median']:9.2f} {s['rim_f1']:7.2f} {s['normal_deg_median']:12.1f}")
    if args.json:
        args.json.write_text(json.dumps(stats, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
