"""The 15-metric image extractor of inverse cinematography: :func:`extract_metrics` measures a
linear RGB still and returns 18 bounded floats (:data:`METRICS`, :data:`METRIC_GROUPS`).

How each metric is derived: docs/measuring-stills.md, "How the extractor measures".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from scipy import ndimage
from skimage.measure import label

from moks_graph.nodes.imaging.analysis import LOG_FLOOR, downsample, log2_luminance
from moks_graph.nodes.imaging.colorimetry import (
    CCT_MAX_K,
    CCT_MIN_K,
    LUMINANCE_WEIGHTS,
    cct_duv_from_rgb,
)
from moks_graph.nodes.imaging.image_input import as_linear_rgb
from moks_graph.nodes.imaging.soft import sigmoid, soft_quantile
from moks_graph.nodes.imaging.subject import (
    Subject,
    direction_to_angles,
    find_subject,
    fit_key_direction,
)
from moks_graph.nodes.topology.betti import betti_signature
from moks_graph.nodes.topology.lotus import lotus_point

Method = Literal["heuristic", "geometric"]

ANALYSIS_SIZE: Final[int] = 384
"""Longer side (pixels) of the analysis image the metrics are measured on."""
MAX_LINEAR: Final[float] = 2.0**16
"""Linear values are capped here (keeps log luminance within [-14, 16] EV)."""
QUANTILE_TAU: Final[float] = 0.01
"""Logistic width (stops) of the soft luminance percentiles."""
LOTUS_SIGMA: Final[float] = 0.01
"""Smoothing of the Lotus point search (fraction of the longer analysis side)."""


@dataclass(frozen=True)
class MetricSpec:
    """One scalar output of :func:`extract_metrics`: its unit and range ``[lo, hi]``."""

    name: str
    unit: str
    lo: float
    hi: float
    description: str


def _spec(name: str, unit: str, lo: float, hi: float, description: str) -> tuple[str, MetricSpec]:
    return name, MetricSpec(name, unit, lo, hi, description)


METRICS: Final[dict[str, MetricSpec]] = dict(
    [
        _spec("log_luminance_mean", "EV", -14.0, 16.0, "mean log2 luminance (exposure)"),
        _spec("luminance_p05", "EV", -14.0, 16.0, "soft 5th percentile of log2 luminance"),
        _spec("luminance_p95", "EV", -14.0, 16.0, "soft 95th percentile of log2 luminance"),
        _spec("dynamic_range", "stops", 0.0, 30.0, "soft p99 - p01 of log2 luminance"),
        _spec("key_fill_ratio", "ratio", 1.0, 256.0, "subject lit-side / shadow-side luminance"),
        _spec("low_key_index", "fraction", 0.0, 1.0, "share >= 3 stops below the p95 highlights"),
        _spec("rms_contrast", "stops", 0.0, 15.0, "standard deviation of log2 luminance"),
        _spec("shadow_clip_fraction", "fraction", 0.0, 1.0, "share of pixels below 2**-11"),
        _spec("highlight_clip_fraction", "fraction", 0.0, 1.0, "share with a channel at white"),
        _spec("cct", "K", CCT_MIN_K, CCT_MAX_K, "grey-world correlated colour temperature"),
        _spec("duv", "uv", -0.25, 0.25, "grey-world distance from the Planckian locus"),
        _spec("saturation", "fraction", 0.0, 1.0, "mean (max - min) / max over lit pixels"),
        _spec("specular_fraction", "fraction", 0.0, 1.0, "share of specular highlight pixels"),
        _spec("specular_sharpness", "fraction", 0.0, 1.0, "edge steepness of the highlights"),
        _spec("haze", "fraction", 0.0, 1.0, "dark-channel veil, mean of 1 - transmission"),
        _spec("rim_light", "stops", 0.0, 16.0, "silhouette brightness over the inside next to it"),
        _spec("key_azimuth", "deg", -180.0, 180.0, "key light azimuth, 0 = from the camera"),
        _spec("key_elevation", "deg", -90.0, 90.0, "key light elevation, 90 = overhead"),
    ]
)
"""Every key returned by :func:`extract_metrics`, in order."""

METRIC_GROUPS: Final[dict[str, tuple[str, ...]]] = {
    "exposure": ("log_luminance_mean",),
    "shadows": ("luminance_p05",),
    "highlights": ("luminance_p95",),
    "dynamic_range": ("dynamic_range",),
    "key_fill_ratio": ("key_fill_ratio",),
    "low_key": ("low_key_index",),
    "contrast": ("rms_contrast",),
    "shadow_clipping": ("shadow_clip_fraction",),
    "highlight_clipping": ("highlight_clip_fraction",),
    "white_balance": ("cct", "duv"),
    "saturation": ("saturation",),
    "specular": ("specular_fraction", "specular_sharpness"),
    "haze": ("haze",),
    "rim_light": ("rim_light",),
    "key_direction": ("key_azimuth", "key_elevation"),
}
"""The 15 metrics and the scalar keys of each."""


def _soft(x: np.ndarray, edge: float, width: float) -> np.ndarray:
    return sigmoid((x - edge) / width)


def _wmean(values: np.ndarray, weights: np.ndarray, default: float = 0.0) -> float:
    total = float(weights.sum())
    return float((values * weights).sum() / total) if total > 1e-12 else default


def key_fill_ratio(lum: np.ndarray, subject: Subject) -> float:
    """Lit-side / shadow-side luminance of the subject (metric 5 of the module docstring)."""
    height, width = lum.shape
    rows, cols = np.indices(lum.shape, dtype=np.float64)
    if subject.found:
        w = subject.mask.astype(np.float64)
    else:
        w = np.exp(-0.5 * (((rows - (height - 1) / 2) / (0.25 * height)) ** 2
                           + ((cols - (width - 1) / 2) / (0.25 * width)) ** 2))
    cr, cc = _wmean(rows, w), _wmean(cols, w)
    wy = w * lum
    dr, dc = _wmean(rows - cr, wy), _wmean(cols - cc, wy)
    norm = float(np.hypot(dr, dc))
    if norm < 1e-6:
        return 1.0
    side = sigmoid(((rows - cr) * dr + (cols - cc) * dc) / norm / 0.5)
    lit = _wmean(lum, w * side)
    shadow = _wmean(lum, w * (1.0 - side))
    return float(np.clip((lit + LOG_FLOOR) / (shadow + LOG_FLOOR), 1.0, 256.0))


def white_balance(rgb: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """Grey-world CCT (K) and Duv of the weighted mean colour (metrics 10-11)."""
    total = float(weights.sum())
    mean = (rgb * weights[..., None]).reshape(-1, 3).sum(axis=0) / max(total, 1e-12)
    mean = mean + 1e-9  # black image: fall back to the neutral (D65) white
    cct, duv = cct_duv_from_rgb(mean)
    return float(cct), float(duv)


def _tophat(log_lum: np.ndarray) -> np.ndarray:
    size = 2 * round(0.015 * max(log_lum.shape)) + 1
    return log_lum - ndimage.grey_opening(log_lum, size=(size, size), mode="nearest")


def specular_mask(log_lum: np.ndarray, sat: np.ndarray, median: float) -> np.ndarray:
    """Soft specular gate ``m`` (metric 13 of the module docstring)."""
    return (
        _soft(_tophat(log_lum), 1.5, 0.25)
        * _soft(log_lum - median, 2.0, 0.25)
        * _soft(-sat, -0.35, 0.05)
    )


def betti_specular_gate(mask: np.ndarray) -> np.ndarray:
    """Topological gate of the geometric method: 0 on hard-mask components with holes
    (and everywhere when the mask's Betti signature is ``"organic"``), 1 elsewhere."""
    hard = mask > 0.5
    if not hard.any():
        return np.ones(mask.shape)
    if betti_signature(hard).label == "organic":
        return np.zeros(mask.shape)
    filled = ndimage.binary_fill_holes(hard)
    comps, n = label(filled, connectivity=2, return_num=True)
    holes = np.bincount(comps[filled & ~hard], minlength=n + 1) > 0
    holes[0] = False
    return np.where(holes[comps], 0.0, 1.0)


def specular_sharpness(log_lum: np.ndarray, mask: np.ndarray) -> float:
    """Edge steepness of the specular highlights (metric 14 of the module docstring)."""
    comps, n = label(mask > 0.5, connectivity=2, return_num=True)
    if n == 0:
        return 0.0
    ids = np.arange(1, n + 1)
    grown = ndimage.grey_dilation(comps, size=(3, 3))
    slope = np.asarray(ndimage.maximum(np.hypot(*np.gradient(log_lum)), grown, ids))
    contrast = np.asarray(ndimage.maximum(_tophat(log_lum), comps, ids))
    weight = np.asarray(ndimage.sum(mask, comps, ids))
    sharp = np.clip(2.0 * slope / np.maximum(contrast, 1e-6), 0.0, 1.0)
    return _wmean(sharp, weight)


def haze(rgb: np.ndarray) -> float:
    """Dark-channel-prior veil (metric 15 of the module docstring)."""
    patch = 2 * round(0.0125 * max(rgb.shape[:2])) + 1
    dark = ndimage.minimum_filter(rgb.min(axis=2), size=patch, mode="nearest")
    count = max(1, round(0.001 * dark.size))
    top = np.argpartition(dark.ravel(), dark.size - count)[-count:]
    air = np.maximum(rgb.reshape(-1, 3)[top].mean(axis=0), LOG_FLOOR)
    veil = ndimage.minimum_filter((rgb / air).min(axis=2), size=patch, mode="nearest")
    return float(np.clip(veil.mean(), 0.0, 1.0))


def rim_light(log_lum: np.ndarray, subject: Subject) -> float:
    """Stops by which the silhouette outshines the inside next to it (metric 16)."""
    if not subject.found:
        return 0.0
    band_width = max(1.5, 0.01 * max(log_lum.shape))
    depth = subject.distance
    band = subject.mask & (depth <= band_width)
    inner = (subject.mask & (depth > 2 * band_width) & (depth <= 6 * band_width)).astype(float)
    sigma = 3.0 * band_width
    weight = ndimage.gaussian_filter(inner, sigma, mode="constant")
    valid = band & (weight > 1e-3)
    if np.count_nonzero(valid) < 4:
        return 0.0
    inner_mean = ndimage.gaussian_filter(log_lum * inner, sigma, mode="constant")[valid]
    excess = log_lum[valid] - inner_mean / weight[valid]
    tau = 0.02
    return float(max(0.0, soft_quantile(excess, 0.9, tau) - tau * np.log(9.0)))


def key_direction(
    lum: np.ndarray, smooth_log: np.ndarray, subject: Subject, method: Method
) -> tuple[float, float]:
    """Key-light ``(azimuth, elevation)`` in SceneScript degrees (metrics 17-18).

    ``smooth_log`` is the lightly smoothed log luminance the ``subject`` was found on.
    """
    if method == "geometric":
        lotus = lotus_point(lum, max_side=max(lum.shape), sigma=LOTUS_SIGMA)
        row = int(np.clip(round(lotus.y), 0, lum.shape[0] - 1))
        col = int(np.clip(round(lotus.x), 0, lum.shape[1] - 1))
        if not subject.mask[row, col]:
            seeded = find_subject(smooth_log, seed=(row, col))
            subject = seeded if seeded.found else subject
        margin = 2.0 * LOTUS_SIGMA * max(lum.shape) + 1.0
        if lotus.contained and subject.found and subject.distance[row, col] > margin:
            return direction_to_angles(subject.normals[row, col])
    direction = fit_key_direction(lum, subject)
    return (0.0, 0.0) if direction is None else direction_to_angles(direction)


def analysis_planes(image: np.ndarray) -> tuple[np.ndarray, ...]:
    """The analysis image (at most ``ANALYSIS_SIZE`` px) and its planes.

    Returns ``(rgb, luminance, log2 luminance, saturation, max channel)``.
    """
    small, _ = downsample(as_linear_rgb(image), ANALYSIS_SIZE)
    rgb = np.minimum(small.astype(np.float64), MAX_LINEAR)
    lum = rgb @ LUMINANCE_WEIGHTS
    ell = log2_luminance(lum)
    maxc = rgb.max(axis=2)
    sat = (maxc - rgb.min(axis=2)) / (maxc + LOG_FLOOR)
    return rgb, lum, ell, sat, maxc


def specular_mask_of(image: np.ndarray) -> np.ndarray:
    """The soft specular mask of an image on the analysis grid (values in [0, 1])."""
    _, _, ell, sat, _ = analysis_planes(image)
    return specular_mask(ell, sat, float(soft_quantile(ell, [0.5], QUANTILE_TAU)[0]))


def extract_metrics(image: np.ndarray, *, method: Method = "heuristic") -> dict[str, float]:
    """Measure the 18 scalar keys of :data:`METRICS` on a linear RGB image.

    ``method`` is ``"heuristic"`` or ``"geometric"`` (Lotus-point key direction and
    Betti-gated specular mask); both return the same keys. Raises ``TypeError`` or
    ``ValueError`` for invalid images (see ``as_linear_rgb``) or an unknown method.
    """
    if method not in ("heuristic", "geometric"):
        raise ValueError(f"method: expected 'heuristic' or 'geometric', got {method!r}")
    rgb, lum, ell, sat, maxc = analysis_planes(image)
    p01, p05, p50, p95, p99 = soft_quantile(ell, [0.01, 0.05, 0.5, 0.95, 0.99], QUANTILE_TAU)
    highlight = _soft(maxc, 0.98, 0.003)
    lit = _soft(ell, -10.0, 0.25)
    cct, duv = white_balance(rgb, (1.0 - highlight) * lit)

    smooth = ndimage.gaussian_filter(ell, 1.0, mode="nearest")
    subject = find_subject(smooth)
    spec = specular_mask(ell, sat, p50)
    if method == "geometric":
        spec = spec * betti_specular_gate(spec)
    azimuth, elevation = key_direction(lum, smooth, subject, method)

    values = {
        "log_luminance_mean": float(ell.mean()),
        "luminance_p05": float(p05),
        "luminance_p95": float(p95),
        "dynamic_range": float(p99 - p01 - 2.0 * QUANTILE_TAU * np.log(99.0)),
        "key_fill_ratio": key_fill_ratio(lum, subject),
        "low_key_index": float(_soft(p95 - 3.0 - ell, 0.0, 0.1).mean()),
        "rms_contrast": float(ell.std()),
        "shadow_clip_fraction": float(_soft(-ell, 11.0, 0.1).mean()),
        "highlight_clip_fraction": float(highlight.mean()),
        "cct": cct,
        "duv": duv,
        "saturation": _wmean(sat, lit),
        "specular_fraction": float(spec.mean()),
        "specular_sharpness": specular_sharpness(ell, spec),
        "haze": haze(rgb),
        "rim_light": rim_light(ell, subject),
        "key_azimuth": azimuth,
        "key_elevation": elevation,
    }
    return {
        name: float(np.clip(values[name], spec_.lo, spec_.hi)) for name, spec_ in METRICS.items()
    }
