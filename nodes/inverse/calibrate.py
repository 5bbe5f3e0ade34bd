"""Calibration: Gauss-Newton / Levenberg-Marquardt on the metric signature, by tree pullback.

The details (moved from this docstring): docs/inverse.md, "Module notes",
`nodes/inverse/calibrate.py`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from scipy import ndimage

from moks_graph.nodes.imaging.analysis import LOG_FLOOR, block_mean, downsample
from moks_graph.nodes.imaging.colorimetry import CCT_RANGE_K, LUMINANCE_WEIGHTS, cct_duv_from_rgb
from moks_graph.nodes.imaging.metrics import (
    ANALYSIS_SIZE,
    MAX_LINEAR,
    QUANTILE_TAU,
    haze,
    key_fill_ratio,
    white_balance,
)
from moks_graph.nodes.imaging.soft import sigmoid, soft_quantile
from moks_graph.nodes.imaging.subject import Subject, find_subject
from moks_graph.nodes.inverse.interfaces import PREVIEW_SIZE, ForwardModel
from moks_graph.nodes.inverse.render import (
    AIRLIGHT,
    CLEAR_HAZE,
    FOG_COLOUR,
    FOG_DENSITY_MAX,
    BuiltinRenderer,
    RenderState,
    SceneTangent,
    fill_azimuth,
    haze_colour,
)
from moks_graph.nodes.lights.photometry import LUMA_709, cct_to_rgb
from moks_graph.nodes.scenescript.schema import SceneScript

PARAMETERS: Final[tuple[str, ...]] = ("key_t1", "key_t2", "fill", "mired", "exposure_ev",
                                      "fog", "rim_ev")
"""The calibration parameters (root coordinates), see the module docstring."""

LEAF_SIGMA: Final[dict[str, float]] = {
    "key_direction": 0.03,   # rad (1.7 deg), per tangent coordinate
    "ratio": 0.05,           # log2 of the key/fill metric
    "exposure": 0.05,        # EV, mean log luminance
    "shadows": 0.1,          # EV, soft 5th percentile
    "highlights": 0.1,       # EV, soft 95th percentile
    "mired": 5.0,            # 1e6 / cct of the grey-world white
    "duv": 0.002,
    "haze": 0.01,
    "rim": 0.05,             # stops
    "subject_low": 0.05,     # EV, cue: soft 10th percentile of log luminance on the subject
    "subject_high": 0.05,    # EV, cue: soft 90th percentile on the subject
    "subject_mean": 0.05,    # EV, cue: mean log luminance on the subject
    "subject_dipole": 0.01,  # subject radii, cue: luminance-weighted centroid offset
    "subject_zones": 0.05,   # EV, cue: mean log luminance of 3 x 3 zones minus the subject's
    "subject_peak": 0.01,    # subject radii, cue: centroid of the brightest part
}
"""Leaf metric scales ``sigma_l`` (``M_l = 1 / sigma_l^2``); residuals are reported in them."""

MAX_KEY_STEP_RAD: Final[float] = math.radians(25.0)
"""Longest key-direction step per iteration (a trust region on the sphere)."""

_MIRED_STEP: Final[float] = 0.5
_LN2: Final[float] = math.log(2.0)
_WY: Final[np.ndarray] = np.asarray(LUMINANCE_WEIGHTS, dtype=np.float64)


# --------------------------------------------------------------------------- leaves


@dataclass
class Analysis:
    """The analysis image of one frame, its fixed discrete structure and its leaf values."""

    factor: int
    rgb: np.ndarray
    lum: np.ndarray
    ell: np.ndarray
    subject: Subject
    values: dict[str, np.ndarray] = field(default_factory=dict)
    parts: dict[str, object] = field(default_factory=dict)


def _percentile_weights(y: np.ndarray, q: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices and weights with ``np.percentile(y, q) = sum w y[idx]`` (linear method)."""
    order = np.argsort(y, kind="stable")
    pos = q / 100.0 * (y.size - 1)
    k = math.floor(pos)
    frac = pos - k
    k1 = min(k + 1, y.size - 1)
    return np.array([order[k], order[k1]]), np.array([1.0 - frac, frac])


def _key_fit(lum: np.ndarray, subject: Subject) -> dict[str, np.ndarray] | None:
    """The Lambertian key fit of :func:`~moks_graph.nodes.imaging.subject.fit_key_direction`,
    keeping what its derivative needs (``None`` where that function returns ``None``)."""
    y = lum[subject.mask]
    if y.size < 8:
        return None
    lo_idx, lo_w = _percentile_weights(y, 2.0)
    hi_idx, hi_w = _percentile_weights(y, 98.0)
    y_lo, y_hi = np.percentile(y, [2.0, 98.0])
    span = float(y_hi - y_lo)
    if span <= 1e-9 * max(float(y_hi), 1e-12):
        return None
    z = (y - y_lo - 0.5 * span) / (0.01 * span)
    w = sigmoid(z)
    n = subject.normals[subject.mask]
    design = np.column_stack([n, np.ones_like(y)])
    sw = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(design * sw[:, None], y * sw, rcond=None)
    g = coef[:3]
    norm = float(np.linalg.norm(g))
    if not np.all(np.isfinite(g)) or norm <= 1e-9 * span:
        return None
    return {"y": y, "z": z, "w": w, "design": design, "coef": coef, "span": np.array(span),
            "lo_idx": lo_idx, "lo_w": lo_w, "hi_idx": hi_idx, "hi_w": hi_w,
            "direction": g / norm, "norm": np.array(norm)}


def _rim_parts(ell: np.ndarray, subject: Subject) -> dict[str, np.ndarray] | None:
    """Band, interior weights and excess of :func:`~moks_graph.nodes.imaging.metrics.rim_light`."""
    if not subject.found:
        return None
    band_width = max(1.5, 0.01 * max(ell.shape))
    depth = subject.distance
    band = subject.mask & (depth <= band_width)
    inner = (subject.mask & (depth > 2 * band_width) & (depth <= 6 * band_width)).astype(float)
    sigma = 3.0 * band_width
    weight = ndimage.gaussian_filter(inner, sigma, mode="constant")
    valid = band & (weight > 1e-3)
    if np.count_nonzero(valid) < 4:
        return None
    inner_mean = ndimage.gaussian_filter(ell * inner, sigma, mode="constant")[valid]
    excess = ell[valid] - inner_mean / weight[valid]
    return {"valid": valid, "inner": inner, "weight": weight, "sigma": np.array(sigma),
            "excess": excess}


_RIM_TAU = 0.02
PEAK_POWER: Final[float] = 8.0
"""Weight ``2**(PEAK_POWER (l - max l))`` of the subject-peak centroid (cue)."""
SUBJECT_TAU: Final[float] = 0.05
"""Logistic width (stops) of the subject percentiles (cues)."""


INTERIOR_PX: Final[int] = 2
"""Silhouette band (analysis pixels) left out of the subject cues."""


def interior(subject: Subject) -> np.ndarray:
    """The subject mask without its outer :data:`INTERIOR_PX` pixels (the cues' pixels;
    the whole mask when that would leave fewer than 16 pixels)."""
    inner = subject.mask & (subject.distance > INTERIOR_PX)
    return inner if np.count_nonzero(inner) >= 16 else subject.mask


def _soft_quantile_jvp(x: np.ndarray, t: float, tau: float, dx: np.ndarray) -> float:
    """``dt`` of the soft quantile root ``t`` of samples ``x`` (implicit function theorem)."""
    s = sigmoid((t - x) / tau)
    ds = s * (1.0 - s)
    total = float(ds.sum())
    return float((ds * dx).sum() / total) if total > 0 else 0.0


def analyse(display: np.ndarray, structure: Analysis | None = None) -> Analysis:
    """Leaf values of a display-linear frame, measured exactly as ``extract_metrics`` does.

    ``structure``: take the subject (mask, inflated normals, distances) from this analysis
    of another frame of the same size instead of detecting it (the calibration measures
    every preview on the reference's subject, so a shadow crossing the background level
    cannot change the leaves discontinuously).

    Values (arrays): ``key_direction`` (camera-frame unit vector of the Lambertian fit;
    ``(0, 0, 1)``, frontal, where the fit fails), ``ratio`` (log2 of ``key_fill_ratio``),
    ``exposure``, ``shadows``, ``highlights`` (mean, p05, p95 of log luminance), ``mired`` and
    ``duv`` (grey-world white), ``haze``, ``rim``; and four cues beyond the 15 metrics, on
    the subject mask: ``subject_low``/``subject_high`` (soft 10th/90th percentiles of log
    luminance, width :data:`SUBJECT_TAU`), ``subject_mean`` and ``subject_dipole``
    (``sum Y p / sum Y`` of the pixel offsets ``p = (up, right)`` from the mask's centroid,
    in units of the radius ``sqrt(area / pi)``) and ``subject_zones`` (mean log luminance
    of the 3 x 3 zones of the mask's bounding box minus the subject mean; 0 for an empty
    zone), ``subject_peak`` (centroid offsets weighted by ``2**(PEAK_POWER (l - max l))``:
    where the brightest part - the key's diffuse peak and specular highlight - sits): the
    fill level and where the light falls, which the 15 metrics see only through
    the key/fill split.
    """
    img = np.asarray(display)
    small, factor = downsample(img, ANALYSIS_SIZE)
    rgb = np.minimum(small.astype(np.float64), MAX_LINEAR)
    lum = rgb @ _WY
    ell = np.log2(np.maximum(lum, 0.0) + LOG_FLOOR)
    if structure is not None and structure.subject.mask.shape == ell.shape:
        subject = structure.subject
    else:
        subject = find_subject(ndimage.gaussian_filter(ell, 1.0, mode="nearest"))
    an = Analysis(factor, rgb, lum, ell, subject)
    p05, p95 = soft_quantile(ell, [0.05, 0.95], QUANTILE_TAU)
    maxc = rgb.max(axis=2)
    highlight = sigmoid((maxc - 0.98) / 0.003)
    lit = sigmoid((ell + 10.0) / 0.25)
    cct, duv = white_balance(rgb, (1.0 - highlight) * lit)
    fit = _key_fit(lum, subject)
    rim = _rim_parts(ell, subject)
    rim_value = 0.0
    if rim is not None:
        t = float(soft_quantile(rim["excess"], 0.9, _RIM_TAU))
        rim["t"] = np.array(t)
        rim_value = max(0.0, t - _RIM_TAU * math.log(9.0))
    mask = interior(subject)
    s_ell = ell[mask]
    s_lo, s_hi = soft_quantile(s_ell, [0.1, 0.9], SUBJECT_TAU)
    rows, cols = np.nonzero(mask)
    radius = math.sqrt(max(rows.size, 1) / math.pi)
    s_lum = lum[mask]
    total = float(s_lum.sum())
    centre = np.array([rows.mean(), cols.mean()]) if rows.size else np.zeros(2)
    offsets = np.column_stack([-(rows - centre[0]), cols - centre[1]]) / radius  # (up, right)
    dipole = (offsets.T @ s_lum) / total if total > 0 else np.zeros(2)
    peak = np.zeros(2)
    peak_w = np.zeros(0)
    if rows.size:
        peak_w = np.exp2(PEAK_POWER * (s_ell - float(s_ell.max())))
        peak = (offsets.T @ peak_w) / float(peak_w.sum())
    zone = np.full(rows.shape, -1)
    zones = np.zeros(9)
    if rows.size:
        r0, r1, c0, c1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
        zr = np.minimum(((rows - r0) * 3) // max(r1 - r0, 1), 2)
        zc = np.minimum(((cols - c0) * 3) // max(c1 - c0, 1), 2)
        zone = zr * 3 + zc
        counts = np.bincount(zone, minlength=9).astype(np.float64)
        sums = np.bincount(zone, weights=s_ell, minlength=9)
        zones = np.where(counts > 0, sums / np.maximum(counts, 1.0), 0.0) - float(s_ell.mean())
        zones = np.where(counts > 0, zones, 0.0)
    an.parts = {"fit": fit, "rim": rim, "highlight": highlight, "lit": lit, "maxc": maxc,
                "offsets": offsets, "subject_sum": total, "zone": zone,
                "peak_w": peak_w, "interior": mask}
    an.values = {
        "key_direction": fit["direction"] if fit is not None else np.array([0.0, 0.0, 1.0]),
        "ratio": np.array(math.log2(key_fill_ratio(lum, subject))),
        "exposure": np.array(float(ell.mean())),
        "shadows": np.array(float(p05)),
        "highlights": np.array(float(p95)),
        "mired": np.array(1e6 / cct),
        "duv": np.array(duv),
        "haze": np.array(haze(rgb)),
        "rim": np.array(rim_value),
        "subject_low": np.array(float(s_lo)),
        "subject_high": np.array(float(s_hi)),
        "subject_mean": np.array(float(s_ell.mean()) if s_ell.size else 0.0),
        "subject_dipole": dipole,
        "subject_zones": zones,
        "subject_peak": peak,
    }
    return an


def leaf_jvp(an: Analysis, d_display: np.ndarray) -> dict[str, np.ndarray]:
    """Directional derivatives of every leaf along a display-image tangent (module doc)."""
    d_rgb = block_mean(np.asarray(d_display, dtype=np.float64), an.factor)
    d_rgb = np.where(an.rgb < MAX_LINEAR, d_rgb, 0.0)
    d_lum = d_rgb @ _WY
    d_ell = d_lum / ((np.maximum(an.lum, 0.0) + LOG_FLOOR) * _LN2)
    v = an.values
    out: dict[str, np.ndarray] = {"exposure": np.array(float(d_ell.mean()))}
    out["shadows"] = np.array(_soft_quantile_jvp(an.ell.ravel(), float(v["shadows"]),
                                                 QUANTILE_TAU, d_ell.ravel()))
    out["highlights"] = np.array(_soft_quantile_jvp(an.ell.ravel(), float(v["highlights"]),
                                                    QUANTILE_TAU, d_ell.ravel()))
    mask = an.parts["interior"]
    assert isinstance(mask, np.ndarray)
    s_ell, s_dell = an.ell[mask], d_ell[mask]
    out["subject_low"] = np.array(_soft_quantile_jvp(s_ell, float(v["subject_low"]),
                                                     SUBJECT_TAU, s_dell))
    out["subject_high"] = np.array(_soft_quantile_jvp(s_ell, float(v["subject_high"]),
                                                      SUBJECT_TAU, s_dell))
    out["subject_mean"] = np.array(float(s_dell.mean()) if s_dell.size else 0.0)
    peak_w = an.parts["peak_w"]
    assert isinstance(peak_w, np.ndarray)
    if peak_w.size:
        offsets_ = an.parts["offsets"]
        assert isinstance(offsets_, np.ndarray)
        centred = offsets_ - v["subject_peak"]
        out["subject_peak"] = PEAK_POWER * _LN2 * (centred.T @ (peak_w * s_dell)) / float(
            peak_w.sum())
    else:
        out["subject_peak"] = np.zeros(2)
    zone = an.parts["zone"]
    assert isinstance(zone, np.ndarray)
    if zone.size:
        counts = np.bincount(zone, minlength=9).astype(np.float64)
        sums = np.bincount(zone, weights=s_dell, minlength=9)
        out["subject_zones"] = np.where(counts > 0, sums / np.maximum(counts, 1.0)
                                        - float(s_dell.mean()), 0.0)
    else:
        out["subject_zones"] = np.zeros(9)
    total = float(an.parts["subject_sum"])  # type: ignore[arg-type]
    offsets = an.parts["offsets"]
    assert isinstance(offsets, np.ndarray)
    if total > 0:
        s_dlum = d_lum[mask]
        out["subject_dipole"] = (offsets.T @ s_dlum - v["subject_dipole"] * s_dlum.sum()) / total
    else:
        out["subject_dipole"] = np.zeros(2)
    # key direction: analytic derivative of the weighted least squares
    fit = an.parts["fit"]
    if isinstance(fit, dict):
        y, z, w, design, coef = fit["y"], fit["z"], fit["w"], fit["design"], fit["coef"]
        span = float(fit["span"])
        dy = d_lum[an.subject.mask]
        dlo = float(fit["lo_w"] @ dy[fit["lo_idx"]])
        dhi = float(fit["hi_w"] @ dy[fit["hi_idx"]])
        dspan = dhi - dlo
        dz = (dy - dlo - 0.5 * dspan) / (0.01 * span) - z * dspan / span
        dw = w * (1.0 - w) * dz
        normal_matrix = design.T @ (design * w[:, None])
        rhs = design.T @ (w * dy + dw * (y - design @ coef))
        dcoef = np.linalg.solve(normal_matrix, rhs)
        direction = fit["direction"]
        dg = dcoef[:3]
        out["key_direction"] = (dg - direction * (direction @ dg)) / float(fit["norm"])
    else:
        out["key_direction"] = np.zeros(3)
    # rim: linear excess, then the soft 90 % quantile
    rim = an.parts["rim"]
    if isinstance(rim, dict) and float(v["rim"]) > 0.0:
        valid, inner, weight = rim["valid"], rim["inner"], rim["weight"]
        sigma = float(rim["sigma"])
        d_inner = ndimage.gaussian_filter(d_ell * inner, sigma, mode="constant")[valid]
        d_excess = d_ell[valid] - d_inner / weight[valid]
        out["rim"] = np.array(_soft_quantile_jvp(rim["excess"], float(rim["t"]), _RIM_TAU,
                                                 d_excess))
    else:
        out["rim"] = np.array(0.0)
    # white balance: analytic weighted mean colour, then Ohno's CCT/Duv differenced
    hl, lit = an.parts["highlight"], an.parts["lit"]
    assert isinstance(hl, np.ndarray) and isinstance(lit, np.ndarray)
    weights = (1.0 - hl) * lit
    total = float(weights.sum())
    if total > 1e-12:
        arg = np.argmax(an.rgb, axis=2)
        d_maxc = np.take_along_axis(d_rgb, arg[..., None], axis=2)[..., 0]
        d_w = (-(hl * (1.0 - hl) / 0.003) * d_maxc * lit
               + (1.0 - hl) * (lit * (1.0 - lit) / 0.25) * d_ell)
        mean = (an.rgb * weights[..., None]).reshape(-1, 3).sum(axis=0) / total
        d_mean = ((d_rgb * weights[..., None] + an.rgb * d_w[..., None]).reshape(-1, 3).sum(axis=0)
                  - mean * float(d_w.sum())) / total
        mean = mean + 1e-9
        h = 1e-5 * float(np.abs(mean).max() + 1e-12) / max(float(np.abs(d_mean).max()), 1e-30)
        c_p, u_p = cct_duv_from_rgb(mean + h * d_mean)
        c_m, u_m = cct_duv_from_rgb(mean - h * d_mean)
        out["mired"] = np.array((1e6 / float(c_p) - 1e6 / float(c_m)) / (2.0 * h))
        out["duv"] = np.array((float(u_p) - float(u_m)) / (2.0 * h))
    else:
        out["mired"] = np.array(0.0)
        out["duv"] = np.array(0.0)
    # key/fill ratio and haze: central differences along the tangent (structure held fixed)
    scale = float(np.abs(d_rgb).max())
    if scale > 0:
        h = 1e-4 * max(float(np.median(an.lum[an.subject.mask])) if an.subject.mask.any()
                       else 0.0, 1e-3) / scale
        r_p = key_fill_ratio(an.lum + h * d_lum, an.subject)
        r_m = key_fill_ratio(an.lum - h * d_lum, an.subject)
        out["ratio"] = np.array((math.log2(r_p) - math.log2(r_m)) / (2.0 * h))
        out["haze"] = np.array((haze(an.rgb + h * d_rgb) - haze(an.rgb - h * d_rgb)) / (2.0 * h))
    else:
        out["ratio"] = np.array(0.0)
        out["haze"] = np.array(0.0)
    return out


def _tangent_basis(direction: np.ndarray) -> np.ndarray:
    """Rows ``e1, e2``: an orthonormal basis of the tangent plane at a unit vector."""
    d = np.asarray(direction, dtype=np.float64)
    helper = np.array([0.0, 1.0, 0.0]) if abs(d[1]) < 0.9 else np.array([1.0, 0.0, 0.0])
    e1 = np.cross(helper, d)
    e1 /= np.linalg.norm(e1)
    return np.stack([e1, np.cross(d, e1)])


def leaf_residuals(an: Analysis, ref: Analysis) -> dict[str, np.ndarray]:
    """Residuals ``preview - reference`` per leaf; the key direction as tangent coordinates
    ``E m`` at the reference's direction (``E`` = :func:`_tangent_basis`)."""
    out = {}
    for name, value in an.values.items():
        if name == "key_direction":
            out[name] = _tangent_basis(ref.values[name]) @ value
        else:
            out[name] = np.atleast_1d(value - ref.values[name])
    return out


# --------------------------------------------------------------------------- parameters


def key_world_direction(script: SceneScript, state: RenderState) -> np.ndarray:
    """World unit vector subject -> key of the script (index 0 of the scene's lights)."""
    return state.scene.directions[0].copy()


def direction_angles(direction: np.ndarray, forward: np.ndarray,
                     right: np.ndarray) -> tuple[float, float]:
    """SceneScript ``(azimuth, elevation)`` [deg] of a world direction (inverse of placement).

    ``elevation = asin(d_z)``, ``azimuth = atan2(d . right, -d . forward)``.
    """
    d = np.asarray(direction, dtype=np.float64)
    d = d / np.linalg.norm(d)
    el = math.degrees(math.asin(max(-1.0, min(1.0, float(d[2])))))
    az = math.degrees(math.atan2(float(d @ right), float(-(d @ forward))))
    return az, el


def world_tangent_basis(direction: np.ndarray) -> np.ndarray:
    """Rows ``t1, t2``: orthonormal tangent basis at a world direction (no pole singularity:
    the helper axis is world Z away from the poles and X near them)."""
    d = np.asarray(direction, dtype=np.float64)
    helper = np.array([0.0, 0.0, 1.0]) if abs(d[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    t1 = np.cross(helper, d)
    t1 /= np.linalg.norm(t1)
    return np.stack([t1, np.cross(d, t1)])


def active_parameters(script: SceneScript) -> list[str]:
    """The parameters calibrated for this script (mired needs colour, rim_ev a rim light)."""
    names = list(PARAMETERS)
    if script.look.stock == "tri_x":
        names.remove("mired")
    if script.fill_rim.rim == "none":
        names.remove("rim_ev")
    return names


def scene_tangents(state: RenderState, names: Sequence[str]) -> dict[str, SceneTangent]:
    """``J_s``: the scene tangent of each parameter (module docstring)."""
    script, scene, geo = state.script, state.scene, state.geometry
    basis = world_tangent_basis(scene.directions[0])
    out: dict[str, SceneTangent] = {}
    fwd, right = geo.forward, geo.right
    key = scene.directions[0]
    x, y = float(key @ right), float(-(key @ fwd))
    rho2 = x * x + y * y
    az_f = math.radians(fill_azimuth(script.key.azimuth_deg))
    el_f = math.radians(10.0)
    d_fill_daz = (fwd * math.sin(az_f) + right * math.cos(az_f)) * math.cos(el_f)
    follows = abs(script.key.azimuth_deg) > 1.0 and rho2 > 0.05**2
    roles = scene.roles
    fill_i = roles.index("fill")
    for j, name in enumerate(("key_t1", "key_t2")):
        if name not in names:
            continue
        t = basis[j]
        dirs = np.zeros_like(scene.directions)
        dirs[0] = t
        if follows:
            d_az = (y * float(t @ right) - x * float(-(t @ fwd))) / rho2
            dirs[fill_i] = d_fill_daz * (-0.6 * d_az)
        base = SceneTangent.zero(scene)
        out[name] = SceneTangent(dirs, base.levels, base.light_rgb, 0.0, base.airlight_rgb, 0.0)
    zero = SceneTangent.zero(scene)
    if "fill" in names:
        levels = np.zeros_like(scene.levels)
        levels[fill_i] = 1.0
        out["fill"] = SceneTangent(zero.directions, levels, zero.light_rgb, 0.0,
                                         zero.airlight_rgb, 0.0)
    phi = script.atmosphere.phi
    if "mired" in names:
        mired = 1e6 / script.key.cct_K
        # a one-sided difference at the ends of the CCT range (never outside it)
        lo_m, hi_m = 1e6 / CCT_RANGE_K[1], 1e6 / CCT_RANGE_K[0]
        m_lo = max(mired - _MIRED_STEP, lo_m)
        m_hi = min(mired + _MIRED_STEP, hi_m)
        d_rgb = (cct_to_rgb(1e6 / m_hi) - cct_to_rgb(1e6 / m_lo)) / max(m_hi - m_lo, 1e-9)
        out["mired"] = SceneTangent(zero.directions, zero.levels, d_rgb, 0.0,
                                    AIRLIGHT * d_rgb * haze_colour(phi), 0.0)
    if "exposure_ev" in names:
        out["exposure_ev"] = SceneTangent(zero.directions, zero.levels, zero.light_rgb, 0.0,
                                          zero.airlight_rgb, 1.0)
    if "fog" in names:
        hz = CLEAR_HAZE + (3 * phi**2 - 2 * phi**3) * (FOG_COLOUR - CLEAR_HAZE)
        lum = float(hz @ LUMA_709)
        d_hz = 3.0 * (1.0 - phi) * (FOG_COLOUR - CLEAR_HAZE)  # d smoothstep / d(phi^2)
        d_norm = (d_hz - hz / lum * float(d_hz @ LUMA_709)) / lum
        out["fog"] = SceneTangent(zero.directions, zero.levels, zero.light_rgb, FOG_DENSITY_MAX,
                                  AIRLIGHT * scene.light_rgb * d_norm, 0.0)
    if "rim_ev" in names:
        levels = np.where(np.array([r == "rim" for r in roles]), _LN2 * scene.levels, 0.0)
        out["rim_ev"] = SceneTangent(zero.directions, levels, zero.light_rgb, 0.0,
                                     zero.airlight_rgb, 0.0)
    return out


def retract(state: RenderState, names: Sequence[str], delta: np.ndarray) -> SceneScript:
    """The script after a step ``delta`` (in the order of ``names``), clipped to the schema."""
    script = state.script
    step = dict(zip(names, (float(v) for v in delta), strict=True))
    key = state.scene.directions[0]
    basis = world_tangent_basis(key)
    tangent = step.get("key_t1", 0.0) * basis[0] + step.get("key_t2", 0.0) * basis[1]
    theta = float(np.linalg.norm(tangent))
    new_dir = (math.cos(theta) * key + math.sin(theta) * tangent / theta if theta > 1e-12
               else key)
    az, el = direction_angles(new_dir, state.geometry.forward, state.geometry.right)
    fr, look = script.fill_rim, script.look
    fill = 1.0 / fr.key_fill_ratio + step.get("fill", 0.0)
    ratio = float(np.clip(1.0 / max(fill, 1.0 / 64.0), 1.0, 64.0))
    mired = 1e6 / script.key.cct_K + step.get("mired", 0.0)
    cct = float(np.clip(1e6 / max(mired, 1e6 / CCT_RANGE_K[1]), *CCT_RANGE_K))
    q = float(np.clip(script.atmosphere.phi**2 + step.get("fog", 0.0), 0.0, 1.0))
    data = script.model_dump()
    data["key"].update(azimuth_deg=float(np.clip(az, -180.0, 180.0)),
                       elevation_deg=float(np.clip(el, -90.0, 90.0)), cct_K=cct)
    data["fill_rim"].update(key_fill_ratio=ratio,
                            rim_ev=float(np.clip(fr.rim_ev + step.get("rim_ev", 0.0), -6, 6)))
    data["atmosphere"].update(phi=math.sqrt(q))
    data["look"].update(exposure_ev=float(np.clip(look.exposure_ev
                                                  + step.get("exposure_ev", 0.0), -6, 6)))
    return SceneScript.model_validate(data)


# --------------------------------------------------------------------------- the tree


@dataclass(frozen=True)
class Leaf:
    """A metric leaf of the tree: residual ``r``, Jacobian ``J`` (to the root), metric ``M``."""

    name: str
    residual: np.ndarray
    jacobian: np.ndarray
    metric: np.ndarray


def pullback(leaves: Sequence[Leaf]) -> tuple[np.ndarray, np.ndarray]:
    """``M_root = sum J^T M J`` and ``f_root = -sum J^T M r`` over the leaves."""
    if not leaves:
        raise ValueError("leaves: need at least one leaf")
    n = leaves[0].jacobian.shape[1]
    m_root = np.zeros((n, n))
    f_root = np.zeros(n)
    for leaf in leaves:
        jm = leaf.jacobian.T @ leaf.metric
        m_root += jm @ leaf.jacobian
        f_root -= jm @ leaf.residual
    return m_root, f_root


def cost(residuals: Mapping[str, np.ndarray]) -> float:
    """``sum_l r_l^T M_l r_l``."""
    return float(sum(float(np.sum((r / LEAF_SIGMA[k]) ** 2)) for k, r in residuals.items()))


def residual_rms(residuals: Mapping[str, np.ndarray]) -> float:
    """Root-mean-square residual in leaf sigmas (the ``residual`` of ``match.json``)."""
    count = sum(int(np.size(r)) for r in residuals.values())
    return math.sqrt(cost(residuals) / max(count, 1))


def prior_residual(state: RenderState, anchor: np.ndarray) -> np.ndarray:
    """The key direction's offset from the ``anchor`` direction (world unit vector) in the
    current tangent coordinates ``(t1, t2)``: ``theta * (t . u)`` with ``u`` the unit tangent
    towards the current direction along the great circle (the log map at the anchor,
    expressed in the current basis; its Jacobian in ``(key_t1, key_t2)`` is the identity
    to first order)."""
    key = state.scene.directions[0]
    cos = float(np.clip(key @ anchor, -1.0, 1.0))
    away = key * cos - anchor  # tangent at `key`, pointing away from the anchor
    norm = float(np.linalg.norm(away))
    if norm < 1e-12:
        return np.zeros(2)
    return world_tangent_basis(key) @ (away / norm) * math.acos(cos)


def build_leaves(state: RenderState, an: Analysis, ref: Analysis,
                 names: Sequence[str], anchor: np.ndarray | None = None,
                 prior_sigma: float = math.inf) -> list[Leaf]:
    """Leaves with Jacobians ``J_l J_i J_s`` (columns pushed forward per parameter), plus
    the key-direction prior leaf when ``anchor`` is given (a leaf at the root)."""
    tangents = scene_tangents(state, names)
    columns = [leaf_jvp(an, state.display_jvp(tangents[name])) for name in names]
    residuals = leaf_residuals(an, ref)
    basis = _tangent_basis(ref.values["key_direction"])
    leaves = []
    for leaf_name, r in residuals.items():
        if leaf_name == "key_direction":
            jac = np.stack([basis @ col[leaf_name] for col in columns], axis=1)
        else:
            jac = np.stack([np.atleast_1d(col[leaf_name]) for col in columns], axis=1)
        metric = np.eye(r.size) / LEAF_SIGMA[leaf_name] ** 2
        leaves.append(Leaf(leaf_name, r, jac, metric))
    if anchor is not None and math.isfinite(prior_sigma) and "key_t1" in names:
        jac = np.zeros((2, len(names)))
        jac[0, names.index("key_t1")] = jac[1, names.index("key_t2")] = 1.0
        leaves.append(Leaf("prior_key", prior_residual(state, anchor), jac,
                           np.eye(2) / prior_sigma**2))
    return leaves


@dataclass
class CalibrationResult:
    """The calibrated script, its preview, iterations taken and the residual history."""

    script: SceneScript
    preview: np.ndarray
    iterations: int
    residual: float
    history: list[float]
    converged: bool
    analysis: Analysis


def calibrate(reference: np.ndarray | Analysis, script: SceneScript, *,
              forward: ForwardModel | None = None, max_iterations: int = 2,
              damping: float = 1e-3, tolerance: float = 0.02, max_tries: int = 4,
              size: tuple[int, int] = PREVIEW_SIZE, prior_sigma: float = math.inf,
              on_iteration: Callable[[int, float], None] | None = None) -> CalibrationResult:
    """Levenberg-Marquardt from ``script`` towards the reference's leaf values.

    ``reference``: a display-linear image (or its :func:`analyse`). ``forward``: the model
    rendering previews (default :class:`~moks_graph.nodes.inverse.render.BuiltinRenderer`);
    Jacobians come from the built-in renderer's analytic chain at the same script (for
    another forward model they are a surrogate: residuals are that model's, the Jacobian
    the built-in's). Stops after ``max_iterations`` accepted steps, when the RMS residual
    drops below ``tolerance`` (leaf sigmas), or when no damped step lowers the cost.
    ``prior_sigma`` [rad]: weight of the root leaf tying the key direction to its start.
    """
    if max_iterations < 0:
        raise ValueError(f"max_iterations: must be >= 0, got {max_iterations}")
    model = forward if forward is not None else BuiltinRenderer()
    tangent_model = model if isinstance(model, BuiltinRenderer) else BuiltinRenderer()
    ref = reference if isinstance(reference, Analysis) else analyse(reference)

    def evaluate(s: SceneScript) -> tuple[RenderState, np.ndarray, Analysis]:
        state = tangent_model.render_state(s, size)
        image = state.display if model is tangent_model else model.render(s, size)
        return state, image, analyse(image, ref)

    state, image, an = evaluate(script)
    anchor = state.scene.directions[0].copy()

    def total(st: RenderState, a: Analysis) -> float:
        prior = (float(np.sum((prior_residual(st, anchor) / prior_sigma) ** 2))
                 if math.isfinite(prior_sigma) else 0.0)
        return cost(leaf_residuals(a, ref)) + prior

    current = total(state, an)
    history = [residual_rms(leaf_residuals(an, ref))]
    lam = damping
    iterations = 0
    while iterations < max_iterations and history[-1] > tolerance:
        names = active_parameters(state.script)
        leaves = build_leaves(state, an, ref, names, anchor, prior_sigma)
        m_root, f_root = pullback(leaves)
        diag = np.diag(m_root).copy()
        diag = np.where(diag > 0, diag, 1.0)
        accepted = False
        for _ in range(max_tries):
            delta = np.linalg.solve(m_root + lam * np.diag(diag) + 1e-12 * np.eye(len(names)),
                                    f_root)
            key_idx = [i for i, n in enumerate(names) if n.startswith("key_")]
            key_len = float(np.linalg.norm(delta[key_idx])) if key_idx else 0.0
            if key_len > MAX_KEY_STEP_RAD:
                delta = delta * (MAX_KEY_STEP_RAD / key_len)
            trial_script = retract(state, names, delta)
            trial = evaluate(trial_script)
            trial_cost = total(trial[0], trial[2])
            if trial_cost < current:
                state, image, an = trial
                current = trial_cost
                lam = max(lam / 3.0, 1e-7)
                accepted = True
                break
            lam *= 4.0
        if not accepted:
            break
        iterations += 1
        history.append(residual_rms(leaf_residuals(an, ref)))
        if on_iteration is not None:
            on_iteration(iterations, history[-1])
    return CalibrationResult(state.script, image, iterations, history[-1], history,
                             history[-1] <= tolerance, an)
