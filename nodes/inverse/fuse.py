"""Fusion: from the metric signature of a reference to a SceneScript start, slot by slot.

The details (moved from this docstring): docs/inverse.md, "Module notes",
`nodes/inverse/fuse.py`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Final

import numpy as np

from moks_graph.nodes.environment.sh import irradiance
from moks_graph.nodes.imaging.colorimetry import CCT_RANGE_K
from moks_graph.nodes.imaging.metrics import extract_metrics
from moks_graph.nodes.inverse.calibrate import Analysis, analyse
from moks_graph.nodes.inverse.render import (
    AIRLIGHT,
    AMBIENT_IRRADIANCE,
    BACKDROP,
    BACKDROP_DISTANCE_M,
    FILL_ELEVATION_DEG,
    FILL_SIZE_M,
    FOG_DENSITY_MAX,
    RIM_LIGHTS,
    RIM_SIZE_M,
    SPECULAR,
    SUBJECT_ALBEDO,
    _dome_sh,
    _source,
    scene_geometry,
    smooth_cosine,
)
from moks_graph.nodes.looks.stocks import LOG2_EXPOSURE_RANGE, STOCK_NAMES, transfer
from moks_graph.nodes.scenescript.compile import framing
from moks_graph.nodes.scenescript.schema import SceneScript

RIM_MODES: Final[tuple[str, ...]] = ("none", "camera_left", "camera_right", "both", "top")
RIM_GAIN: Final[float] = 0.02
"""Relative residual drop a single rim must bring over no rim to be chosen."""
BOTH_GAIN: Final[float] = 0.03
"""Relative residual drop two rims must bring over the best single one."""
RIM_MIN_EV: Final[float] = -3.0
RIM_MAX: Final[float] = 4.0
"""Brightest rim the layout fit admits, relative to the key (+2 EV)."""
MONO_SATURATION: Final[float] = 0.01
"""Mean saturation below which a frame reads black-and-white."""
"""Weakest rim (EV relative to the key) the fuser reports."""
TUNGSTEN_K: Final[float] = 4300.0
FIT_STOCK: Final[str] = "vision3_250d"
COARSE_DEG: Final[float] = 10.0
"""Key-direction grid of the layout fit, then a finer one around the best."""
FINE_DEG: Final[float] = 1.25
PROXY_IOU: Final[float] = 0.8
SCREEN_STEP: Final[float] = 0.01
"""Quantum of the fused ``screen_x`` (frame widths)."""
"""Proxy/subject silhouette IoU above which the layout fit uses the proxy's normals."""
_SHOT_SIZES: Final[tuple[str, ...]] = ("extreme_close_up", "close_up", "medium_close_up",
                                       "medium", "full", "wide", "extreme_wide")

#: Prior offsets per forward renderer: ``truth - fused`` biases measured on the renderer's
#: own renders, added by the fusers (the azimuth offset to its magnitude: the bias is mirror
#: symmetric), and the renderer's scene constants the fusers invert. ``"builtin"``: medians
#: over the 48 seeded random scripts of ``bench/inverse.py`` (seed 1; close-up to medium,
#: eye level, grain on) rendered by
#: :class:`~moks_graph.nodes.inverse.render.BuiltinRenderer` and fused with zero offsets,
#: measured with ``python bench/inverse.py --measure-priors --n 48 --seed 1``.
#: ``"blender"``: not measured here (the Blender set belongs to ``bench/inverse_blender.py``);
#: the built-in's offsets stand in, with the same scene constants (the Blender forward model
#: shares the proxies, albedos, backdrop and airlight).
_BUILTIN_PRIORS: Final[dict[str, float]] = {
    "key_azimuth_deg": 1.4288,
    "key_elevation_deg": -0.1272,
    "log2_ratio": 0.0498,
    "mired": 5.5996,
    "exposure_ev": 0.1259,
    "rim_ev": -0.1109,
    "phi": -0.0556,
    "reversal_p05": -8.6,       # 5th percentile [EV] below which a frame reads Kodachrome
    "backdrop_level": BACKDROP,
    "airlight_level": AIRLIGHT,
    "subject_albedo": SUBJECT_ALBEDO,
}
PRIORS: Final[dict[str, dict[str, float]]] = {
    "builtin": dict(_BUILTIN_PRIORS),
    "blender": dict(_BUILTIN_PRIORS),
}


def priors_for(forward: str) -> dict[str, float]:
    """Prior offsets of a forward renderer (the built-in's for an unknown name)."""
    return PRIORS.get(forward, PRIORS["builtin"])


# --------------------------------------------------------------------------- cues


@lru_cache(maxsize=4)
def _unfilm_table(stock: str) -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(*LOG2_EXPOSURE_RANGE, 4097)
    out = transfer(np.repeat(x[:, None], 3, axis=1), stock)
    lum = out @ np.array([0.2126, 0.7152, 0.0722]) if out.shape[-1] == 3 else out[:, 0]
    return lum, 2.0**x


def unfilm(display_luminance: np.ndarray, stock: str = FIT_STOCK) -> np.ndarray:
    """Scene-linear luminance from display luminance through the inverse of a stock's
    neutral transfer (monotone table, 4097 samples over the latitude)."""
    lum, lin = _unfilm_table(stock)
    return np.interp(np.asarray(display_luminance, dtype=np.float64), lum, lin)


def _camera_dirs(az_deg: np.ndarray, el_deg: np.ndarray) -> np.ndarray:
    az, el = np.radians(az_deg), np.radians(el_deg)
    return np.stack([np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)], axis=-1)


def _fit_layouts(normals: np.ndarray, y: np.ndarray, ambient: np.ndarray, az: np.ndarray,
                 el: np.ndarray, rims: np.ndarray) -> dict[str, np.ndarray]:
    """Least-squares light layouts for key candidates ``(az, el)`` and rim columns ``(P, M)``.

    Columns: key (with the tied ambient), fill, rim, veil (a constant: fog airlight). Every
    subset of {fill, rim, veil} with the key is solved; admissible solutions have
    ``c_k > 0``, ``0 < c_f <= c_k``, ``0 < c_r <= RIM_MAX c_k`` and ``c_v > 0``, and the
    admissible one with the least residual sum of squares wins. Returns ``coef``
    ``(K, M, 4)`` and ``ss`` ``(K, M)`` (``inf`` where none is admissible) and ``yy``.
    """
    s_key, _ = _source(0.3 + 1.7 * 0.5, 3.0)
    s_fill, _ = _source(FILL_SIZE_M, 3.0)
    dirs = _camera_dirs(az, el)
    diffuse = smooth_cosine(normals @ dirs.T, s_key)[0]
    half = dirs + np.array([0.0, 0.0, 1.0])
    half /= np.maximum(np.linalg.norm(half, axis=1, keepdims=True), 1e-9)
    shininess = _source(0.3 + 1.7 * 0.5, 3.0)[1]
    gloss = SPECULAR * (shininess + 8.0) / 8.0 / SUBJECT_ALBEDO
    key = diffuse * (1.0 + gloss * np.maximum(normals @ half.T, 0.0) ** shininess) \
        + ambient[:, None]
    fill_az = np.where(np.abs(az) > 1.0, -0.6 * az, -30.0)
    uniq, inverse = np.unique(np.round(fill_az, 9), return_inverse=True)
    fill_u = smooth_cosine(normals @ _camera_dirs(uniq, np.full(uniq.shape,
                                                                FILL_ELEVATION_DEG)).T,
                           s_fill)[0]
    fill = fill_u[:, inverse]
    ones = np.ones(y.shape[0])
    n_k, n_m = key.shape[1], rims.shape[1]
    gram = np.zeros((n_k, n_m, 4, 4))
    rhs = np.zeros((n_k, n_m, 4))
    gram[..., 0, 0] = np.einsum("pk,pk->k", key, key)[:, None]
    gram[..., 0, 1] = gram[..., 1, 0] = np.einsum("pk,pk->k", key, fill)[:, None]
    gram[..., 1, 1] = np.einsum("pk,pk->k", fill, fill)[:, None]
    gram[..., 0, 2] = gram[..., 2, 0] = key.T @ rims
    gram[..., 1, 2] = gram[..., 2, 1] = fill.T @ rims
    gram[..., 2, 2] = np.einsum("pm,pm->m", rims, rims)[None, :]
    gram[..., 0, 3] = gram[..., 3, 0] = (ones @ key)[:, None]
    gram[..., 1, 3] = gram[..., 3, 1] = (ones @ fill)[:, None]
    gram[..., 2, 3] = gram[..., 3, 2] = (ones @ rims)[None, :]
    gram[..., 3, 3] = float(y.shape[0])
    rhs[..., 0] = (y @ key)[:, None]
    rhs[..., 1] = (y @ fill)[:, None]
    rhs[..., 2] = (y @ rims)[None, :]
    rhs[..., 3] = float(y.sum())
    yy = float(y @ y)
    has_rim = np.einsum("pm,pm->m", rims, rims) > 0
    best_ss = np.full((n_k, n_m), np.inf)
    best = np.zeros((n_k, n_m, 4))
    for extra in ([], [1], [2], [3], [1, 2], [1, 3], [2, 3], [1, 2, 3]):
        idx = [0, *extra]
        sub = gram[..., idx, :][..., :, idx] + 1e-12 * np.eye(len(idx))
        coef = np.linalg.solve(sub, rhs[..., idx][..., None])[..., 0]
        ss = yy - np.einsum("kmi,kmi->km", coef, rhs[..., idx])
        full = np.zeros((n_k, n_m, 4))
        full[..., idx] = coef
        c_k, c_f, c_r = full[..., 0], full[..., 1], full[..., 2]
        ok = np.all(coef > 0, axis=-1) & (c_f <= c_k) & (c_r <= RIM_MAX * c_k)
        if 2 in extra:
            ok &= has_rim[None, :]
        better = ok & (ss < best_ss)
        best_ss = np.where(better, ss, best_ss)
        best = np.where(better[..., None], full, best)
    return {"coef": best, "ss": np.maximum(best_ss, 0.0), "yy": np.array(yy)}


def subject_normals(an: Analysis, script: SceneScript) -> tuple[np.ndarray, np.ndarray, float]:
    """Mask and camera-frame normals the layout fit uses, and the proxy/subject IoU.

    The forward renderer's proxy normals (:func:`~moks_graph.nodes.inverse.render.
    scene_geometry` of ``script`` at the analysis size, eroded by one pixel) when the proxy
    silhouette and the reference subject agree (IoU >= :data:`PROXY_IOU`); otherwise the
    inflated normals of the reference's own silhouette.
    """
    h, w = an.subject.mask.shape
    geo = scene_geometry(script, (w, h))
    proxy = geo.subject
    union = np.count_nonzero(proxy | an.subject.mask)
    iou = np.count_nonzero(proxy & an.subject.mask) / union if union else 0.0
    if iou >= PROXY_IOU:
        from scipy import ndimage

        mask = ndimage.binary_erosion(proxy & an.subject.mask)
        normals = np.zeros((h * w, 3))
        normals[geo.surface] = geo.normal
        normals = (normals @ geo.camera_axes.T).reshape(h, w, 3)
        return mask, normals, iou
    return an.subject.mask, an.subject.normals, iou


def layout_cues(an: Analysis, mask: np.ndarray, normals: np.ndarray,
                stocks: tuple[str, ...] = (FIT_STOCK,),
                max_pixels: int = 1500) -> dict[str, float]:
    """The ``cue_fit_*`` light-layout fits of the module docstring.

    ``mask``/``normals``: the subject pixels and their camera-frame unit normals (x right,
    y up, z towards the camera), e.g. from :func:`subject_normals`. The luminance is
    un-filmed with each of ``stocks``; the stock whose best fit has the least residual
    gives the cues (``cue_fit_stock`` is its index in ``STOCK_NAMES``).
    """
    if np.count_nonzero(mask) < 32:
        return {}
    n_all = normals[mask]
    stride = max(1, n_all.shape[0] // max_pixels)
    n = n_all[::stride]
    lum = an.lum[mask][::stride]
    world = np.stack([n[:, 0], -n[:, 2], n[:, 1]], axis=1)
    ambient = AMBIENT_IRRADIANCE * irradiance(_dome_sh(), world)[:, 1]
    s_rim, _ = _source(RIM_SIZE_M, 3.0)
    rims = np.zeros((n.shape[0], len(RIM_MODES)))
    for m, mode in enumerate(RIM_MODES):
        for az, el in RIM_LIGHTS[mode]:
            d = _camera_dirs(np.array([az]), np.array([el]))[0]
            rims[:, m] += smooth_cosine(n @ d, s_rim)[0]
    az_grid, el_grid = np.meshgrid(np.arange(-180.0, 180.0, COARSE_DEG),
                                   np.arange(-45.0, 86.0, COARSE_DEG), indexing="ij")
    best: tuple[float, str, np.ndarray, dict[str, np.ndarray]] | None = None
    for stock in stocks:
        y = unfilm(lum, stock)
        coarse = _fit_layouts(n, y, ambient, az_grid.ravel(), el_grid.ravel(), rims)
        score = float(coarse["ss"].min())
        if best is None or score < best[0]:
            best = (score, stock, y, coarse)
    assert best is not None
    _, stock, y, coarse = best
    out: dict[str, float] = {"cue_fit_stock": float(STOCK_NAMES.index(stock))}
    yy = float(coarse["yy"])
    steps = np.arange(-0.5 * COARSE_DEG, 0.5 * COARSE_DEG + 1e-9, FINE_DEG)
    for m, mode in enumerate(RIM_MODES):
        k = int(np.argmin(coarse["ss"][:, m]))
        a0, e0 = float(az_grid.ravel()[k]), float(el_grid.ravel()[k])
        fa, fe = np.meshgrid(a0 + steps, np.clip(e0 + steps, -89.0, 89.0), indexing="ij")
        fine = _fit_layouts(n, y, ambient, fa.ravel(), fe.ravel(), rims[:, [m]])
        j = int(np.argmin(fine["ss"][:, 0]))
        c_k, c_f, c_r, c_v = fine["coef"][j, 0]
        prefix = f"cue_fit_{mode}_"
        out[prefix + "azimuth"] = (float(fa.ravel()[j]) + 180.0) % 360.0 - 180.0
        out[prefix + "elevation"] = float(fe.ravel()[j])
        out[prefix + "log2_ratio"] = float(np.log2(c_k / c_f)) if c_f > 0 and c_k > 0 else 6.0
        out[prefix + "rim_ev"] = float(np.log2(c_r / c_k)) if c_r > 0 and c_k > 0 else -12.0
        out[prefix + "gain"] = float(np.log2(c_k)) if c_k > 0 else -14.0
        out[prefix + "veil"] = float(c_v / c_k) if c_k > 0 else 0.0
        ss = float(fine["ss"][j, 0])
        out[prefix + "residual"] = math.sqrt(ss / yy) if yy > 0 and np.isfinite(ss) else 1.0
    return out


def prior_stock(metrics: Mapping[str, float], forward: str = "builtin") -> str:
    """The stock a frame reads as before any fit: Tri-X when it is black and white,
    Kodachrome when its 5th percentile is below the renderer's reversal threshold, else
    Vision3 250D (the negatives' curves are alike)."""
    if metrics["saturation"] < MONO_SATURATION:
        return "tri_x"
    if metrics["luminance_p05"] < priors_for(forward)["reversal_p05"]:
        return "kodachrome"
    return "vision3_250d"


def signature(image: np.ndarray, analysis: Analysis | None = None,
              base: SceneScript | None = None) -> dict[str, float]:
    """The 18 metrics of ``extract_metrics`` plus the ``cue_*`` keys of the module docstring."""
    metrics = extract_metrics(image)
    an = analysis if analysis is not None else analyse(image)
    out: dict[str, float] = dict(metrics)
    mask = an.subject.mask
    h, w = mask.shape
    rows, cols = np.nonzero(mask)
    out["cue_subject_found"] = 1.0 if an.subject.found else 0.0
    if rows.size:
        out["cue_subject_top"] = float(rows.min()) / h
        out["cue_subject_bottom"] = float(rows.max() + 1) / h
        out["cue_subject_left"] = float(cols.min()) / w
        out["cue_subject_right"] = float(cols.max() + 1) / w
        out["cue_subject_area"] = float(rows.size) / mask.size
        out["cue_subject_centre_x"] = (float(cols.mean()) + 0.5) / w
    for name in ("subject_low", "subject_high", "subject_mean"):
        out[f"cue_{name}"] = float(an.values[name])
    dip = an.values["subject_dipole"]
    out["cue_subject_dipole_up"], out["cue_subject_dipole_right"] = float(dip[0]), float(dip[1])
    band = max(1, round(0.02 * max(h, w)))
    border = np.concatenate([an.lum[:band].ravel(), an.lum[-band:].ravel(),
                             an.lum[:, :band].ravel(), an.lum[:, -band:].ravel()])
    out["cue_background_display"] = float(np.log2(np.median(border) + 2.0**-20))
    if an.subject.found:
        script = base if base is not None else SceneScript()
        shot = fuse_shot(out, script)
        fit_mask, normals, iou = subject_normals(an, script.with_slot("shot", **shot))
        out["cue_proxy_iou"] = float(iou)
        stocks = (prior_stock(metrics),)
        out.update(layout_cues(an, fit_mask, normals, stocks))
    return out


# --------------------------------------------------------------------------- fusers


def fuse_shot(sig: Mapping[str, float], base: SceneScript) -> dict[str, Any]:
    """Shot size (and ``screen_x``) whose eye-level proxy silhouette box is nearest."""
    shot = base.shot.model_dump()
    if sig.get("cue_subject_found", 0.0) < 0.5 or "cue_subject_top" not in sig:
        return shot
    aspect = 16.0 / 9.0
    ref = np.array([sig["cue_subject_top"], sig["cue_subject_bottom"],
                    (sig["cue_subject_right"] - sig["cue_subject_left"]) * aspect])
    best, best_err, best_dx = shot["size"], np.inf, 0.0
    for size in _SHOT_SIZES:
        script = base.with_slot("shot", size=size, angle="eye_level", screen_x=0.0,
                                screen_y=0.0)
        geo = scene_geometry(script, (128, 72))
        rows, cols = np.nonzero(geo.subject)
        if rows.size == 0:
            continue
        box = np.array([rows.min() / 72.0, (rows.max() + 1) / 72.0,
                        (cols.max() + 1 - cols.min()) / 128.0 * aspect])
        err = float(np.abs(box - ref).sum())
        if err < best_err:
            best, best_err = size, err
            best_dx = sig.get("cue_subject_centre_x", 0.5) - (cols.mean() + 0.5) / 128.0
    # sub-pixel offsets are noise of the silhouette: quantise to SCREEN_STEP
    best_dx = SCREEN_STEP * round(best_dx / SCREEN_STEP)
    shot.update(size=best, angle="eye_level", screen_x=float(np.clip(best_dx, -0.5, 0.5)))
    return shot


def choose_rim(sig: Mapping[str, float]) -> str:
    """Rim mode from the light-layout fits (module docstring)."""
    if "cue_fit_none_residual" not in sig:
        return "none" if sig.get("rim_light", 0.0) < 0.3 else "both"
    res = {m: sig[f"cue_fit_{m}_residual"] for m in RIM_MODES}
    ok = {m: sig[f"cue_fit_{m}_rim_ev"] >= RIM_MIN_EV for m in RIM_MODES}
    best = "none"
    singles = [m for m in ("camera_left", "camera_right", "top") if ok[m]]
    if singles:
        single = min(singles, key=lambda m: res[m])
        if res[single] < (1.0 - RIM_GAIN) * res["none"]:
            best = single
    if ok["both"] and best in ("camera_left", "camera_right", "none") and \
            res["both"] < (1.0 - (BOTH_GAIN if best != "none" else RIM_GAIN)) * res[best]:
        best = "both"
    return best


def fuse(sig: Mapping[str, float], forward: str = "builtin",
         base: SceneScript | None = None) -> SceneScript:
    """A SceneScript start from a signature (:func:`signature`), slot by slot."""
    if not isinstance(sig, Mapping):
        raise TypeError(f"sig: expected a mapping of metric names to numbers, got "
                        f"{type(sig).__name__}")
    for name in ("key_azimuth", "key_elevation", "cct", "saturation", "luminance_p05"):
        if name not in sig:
            raise ValueError(f"sig: missing metric {name!r}")
    prior = priors_for(forward)
    script = base if base is not None else SceneScript()
    data = script.model_dump()
    data["shot"] = fuse_shot(sig, script)
    rim = choose_rim(sig)
    fit = f"cue_fit_{rim}_"
    has_fit = f"{fit}azimuth" in sig
    az = sig[f"{fit}azimuth"] if has_fit else sig["key_azimuth"]
    el = sig[f"{fit}elevation"] if has_fit else sig["key_elevation"]
    az = (az + prior["key_azimuth_deg"] * math.copysign(1.0, az) + 180.0) % 360.0 - 180.0
    el = float(np.clip(el + prior["key_elevation_deg"], -89.0, 89.0))
    saturation = sig["saturation"]
    mono = saturation < MONO_SATURATION
    cct = script.key.cct_K if mono else float(np.clip(
        1e6 / (1e6 / sig["cct"] + prior["mired"]), *CCT_RANGE_K))
    data["key"].update(azimuth_deg=float(az), elevation_deg=el, cct_K=cct)
    log2_ratio = (sig[f"{fit}log2_ratio"] if has_fit
                  else 2.0 * math.log2(max(sig.get("key_fill_ratio", 4.0), 1.0)))
    ratio = float(np.clip(2.0 ** (log2_ratio + prior["log2_ratio"]), 1.0, 64.0))
    rim_ev = (float(np.clip(sig[f"{fit}rim_ev"] + prior["rim_ev"], -6.0, 6.0))
              if has_fit and rim != "none" else 0.0)
    data["fill_rim"].update(key_fill_ratio=ratio, rim=rim, rim_ev=rim_ev)
    gain = sig.get(f"{fit}gain", sig.get("cue_subject_high", -1.0))
    # stock first: the fuser un-films the backdrop with it
    if mono:
        stock = "tri_x"
    elif sig["luminance_p05"] < prior["reversal_p05"]:
        stock = "kodachrome"
    else:
        stock = "vision3_500t" if cct < TUNGSTEN_K else "vision3_250d"
    # atmosphere: the backdrop level b (over the key-lit albedo) through the renderer's fog:
    # b = T B + (1 - T) A  =>  T = (A - b) / (A - B),  T = exp(-sigma_max phi^2 (d + 5 m))
    if has_fit and "cue_background_display" in sig:
        level = float(unfilm(2.0 ** sig["cue_background_display"], stock)) / 2.0**gain \
            * prior["subject_albedo"]
        b, a = prior["backdrop_level"], prior["airlight_level"]
        trans = float(np.clip((a - level) / (a - b), 1e-3, 1.0))
        distance = float(framing(SceneScript.model_validate(data))["distance"]) \
            + BACKDROP_DISTANCE_M
        phi = math.sqrt(max(-math.log(trans), 0.0) / (FOG_DENSITY_MAX * distance))
        data["atmosphere"].update(phi=float(np.clip(phi + prior["phi"], 0.0, 1.0)))
    ev = float(np.clip(gain - math.log2(prior["subject_albedo"]) + prior["exposure_ev"],
                       -6.0, 6.0))
    data["look"].update(stock=stock, exposure_ev=ev)
    return SceneScript.model_validate(data)
