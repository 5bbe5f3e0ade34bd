"""The Lotus point: the contained maximum of the primary bright domain of an image.

The details (moved from this docstring): docs/measuring-stills.md, "Module notes",
`nodes/topology/lotus.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from scipy import ndimage
from skimage.measure import label

from moks_graph.nodes.imaging.analysis import LOG_FLOOR, downsample, log2_luminance
from moks_graph.nodes.topology.banchoff import CriticalType, classify_grid

LEVEL_STEP: Final[float] = 0.125
"""Grid (stops) to which domain thresholds are snapped, so each level is labelled once."""
REFINE_SIGMA: Final[float] = 1.0
"""Gaussian sigma (analysis pixels) of the field the final position is refined on."""


@dataclass(frozen=True)
class LotusPoint:
    """Result of :func:`lotus_point`.

    ``x``, ``y``: column and row of the point in input pixel coordinates (pixel centres at
    integers). ``value``: luminance there (linear, from the log field smoothed by
    ``REFINE_SIGMA``).
    ``area_fraction``: domain area over image area. ``contained``: whether a domain passed
    every test (``False`` means the fallback global maximum). ``n_maxima``: maxima found;
    ``n_candidates``: maxima whose domain passed.
    """

    x: float
    y: float
    value: float
    area_fraction: float
    contained: bool
    n_maxima: int
    n_candidates: int


def _parabolic_offset(minus: float, centre: float, plus: float) -> float:
    """Vertex of the parabola through (-1, minus), (0, centre), (1, plus), clipped to 0.5."""
    den = minus - 2.0 * centre + plus
    if den >= 0.0:
        return 0.0
    return float(np.clip(0.5 * (minus - plus) / den, -0.5, 0.5))


def lotus_point(
    luminance: np.ndarray,
    *,
    max_side: int = 384,
    sigma: float = 0.01,
    drop_stops: float = 1.0,
    plateau_stops: float = 0.02,
    plateau_fraction: float = 0.25,
    clip_level: float | None = None,
) -> LotusPoint:
    """Find the Lotus point of a 2-D linear luminance image (see the module docstring).

    ``sigma`` is the smoothing radius as a fraction of the longer analysis side;
    ``drop_stops`` the depth of a domain below its peak; ``plateau_stops`` and
    ``plateau_fraction`` define a blown-out plateau; ``clip_level`` (linear luminance,
    optional) rejects domains whose raw peak reaches it.
    """
    lum = np.asarray(luminance, dtype=np.float64)
    if lum.ndim != 2:
        raise ValueError(f"luminance: expected a 2-D array, got shape {lum.shape}")
    if min(lum.shape) < 8:
        raise ValueError(f"luminance: needs at least 8 x 8 pixels, got {lum.shape}")
    if not np.all(np.isfinite(lum)):
        raise ValueError("luminance: contains NaN or infinite values")
    if sigma < 0 or drop_stops <= 0 or plateau_stops < 0 or not 0 < plateau_fraction <= 1:
        raise ValueError(
            "sigma >= 0, drop_stops > 0, plateau_stops >= 0 and 0 < plateau_fraction <= 1"
        )

    small, factor = downsample(lum, max_side)
    raw = log2_luminance(small)
    sigma_px = sigma * max(small.shape)
    smooth = ndimage.gaussian_filter(raw, sigma_px, mode="nearest") if sigma_px > 0 else raw
    height, width = smooth.shape

    labels, _ = classify_grid(smooth, periodic=False)
    peaks = np.flatnonzero(labels.ravel() == CriticalType.MAX)
    peak_value = smooth.ravel()[peaks]
    lowest = float(smooth.min())
    level_index = np.floor((peak_value - drop_stops - lowest) / LEVEL_STEP).astype(np.int64)
    area = np.zeros(peaks.size)
    rejected = np.ones(peaks.size, dtype=bool)
    clip_stops = None if clip_level is None else np.log2(clip_level + LOG_FLOOR)
    for k in np.unique(level_index[level_index >= 0]):
        sel = np.flatnonzero(level_index == k)
        parts, n_parts = label(smooth >= lowest + k * LEVEL_STEP, connectivity=2, return_num=True)
        ids = parts.ravel()[peaks[sel]]
        sizes = np.bincount(parts.ravel(), minlength=n_parts + 1)
        border = np.zeros(n_parts + 1, dtype=bool)
        border[np.concatenate([parts[0], parts[-1], parts[:, 0], parts[:, -1]])] = True
        part_ids = np.arange(1, n_parts + 1)
        raw_peak = np.full(n_parts + 1, -np.inf)
        raw_peak[1:] = ndimage.maximum(raw, parts, part_ids)
        top_value = np.full(n_parts + 1, -np.inf)
        top_value[1:] = ndimage.maximum(smooth, parts, part_ids)
        near_top = (raw >= raw_peak[parts] - plateau_stops) & (parts > 0)
        top = np.bincount(parts.ravel(), weights=near_top.ravel(), minlength=n_parts + 1)
        bad = border[ids] | (top[ids] >= plateau_fraction * sizes[ids])
        bad |= top_value[ids] > peak_value[sel]  # a higher peak owns this domain
        if clip_stops is not None:
            bad |= raw_peak[ids] >= clip_stops
        area[sel] = sizes[ids]
        rejected[sel] = bad

    good = np.flatnonzero(~rejected)
    if good.size:
        best_index = good[np.lexsort((peak_value[good], area[good]))[-1]]
        best = int(peaks[best_index])
        best_area = float(area[best_index])
    else:
        best = int(np.argmax(smooth))
        best_area = float(height * width)

    # Refine on a lightly smoothed field near the peak, inside its domain.
    fine = ndimage.gaussian_filter(raw, REFINE_SIGMA, mode="nearest")
    row, col = divmod(best, width)
    reach = max(1, int(np.ceil(2.0 * sigma_px)))
    r0, r1 = max(0, row - reach), min(height, row + reach + 1)
    c0, c1 = max(0, col - reach), min(width, col + reach + 1)
    window = np.where(smooth[r0:r1, c0:c1] >= smooth[row, col] - drop_stops,
                      fine[r0:r1, c0:c1], -np.inf)
    wr, wc = divmod(int(np.argmax(window)), c1 - c0)
    row, col = r0 + wr, c0 + wc
    dr = _parabolic_offset(*fine[row - 1 : row + 2, col]) if 0 < row < height - 1 else 0.0
    dc = _parabolic_offset(*fine[row, col - 1 : col + 2]) if 0 < col < width - 1 else 0.0
    return LotusPoint(
        x=(col + dc + 0.5) * factor - 0.5,
        y=(row + dr + 0.5) * factor - 0.5,
        value=float(max(2.0 ** fine[row, col] - LOG_FLOOR, 0.0)),
        area_fraction=best_area / float(height * width),
        contained=bool(good.size),
        n_maxima=int(peaks.size),
        n_candidates=int(good.size),
    )
