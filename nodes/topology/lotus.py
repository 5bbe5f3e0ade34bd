"""The Lotus point: the contained maximum of the primary bright domain of an image.

Plain ``argmax`` of luminance lands on whatever is brightest: a blown-out window at the
frame edge, a specular speck. The Lotus point is the peak of the largest bright domain
that is *contained* (does not touch the frame) and *not blown out* (not a clipped plateau),
which on a lit subject is its key highlight.

Algorithm (all on the analysis image, block-averaged to at most ``max_side`` pixels):

1. ``l = log2(Y + 2**-14)`` (stops), smoothed with a Gaussian of ``sigma`` times the
   longer side (``l_s``), which merges noise maxima and shrinks specks.
2. Maxima of ``l_s`` by Banchoff's classification on the Freudenthal grid
   (:func:`moks_graph.nodes.topology.banchoff.classify_grid`, ties by index).
3. Domain of a maximum ``m`` with peak value ``v_m``: the 8-connected component of the
   superlevel set ``{l_s >= v_m - drop_stops}`` that contains ``m`` (the part of its
   ascending region within ``drop_stops`` of the peak, merged with whatever it joins above
   that level; thresholds are snapped down to a 1/8-stop grid so every level is labelled
   once). A peak that is not prominent (a ripple on a flat background) gets the whole
   flat region as its domain.
4. A domain is rejected when it touches the image border, when it is a plateau (at least
   ``plateau_fraction`` of its pixels lie within ``plateau_stops`` of its raw maximum: a
   clipped, blown-out region), or when its raw peak luminance reaches ``clip_level``.
5. A maximum whose domain holds a higher one is rejected: it is merged into that peak
   less than ``drop_stops`` below its top (the elder rule of persistent homology), so it
   is not prominent.
6. The Lotus point is the peak of the largest surviving domain (ties: higher peak). If
   nothing survives, the global maximum of ``l_s`` is used with ``contained=False``.
7. The position is refined to the maximum of ``l`` smoothed by only ``REFINE_SIGMA`` (1)
   pixel, within twice the smoothing radius of the peak and inside its domain (heavy smoothing
   pulls a peak next to a dark edge inwards), then to sub-pixel precision by a 3-point
   parabola along each axis.
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
