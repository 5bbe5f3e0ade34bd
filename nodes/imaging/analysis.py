"""Shared helpers for image analysis: block-mean downsampling and log2 luminance.

Metrics are measured on an *analysis image*: the input block-averaged by the integer factor
``k = ceil(max(H, W) / max_side)`` (box filter then decimation; rows/columns that do not fill
a whole block are dropped), limited so the shorter side keeps at least 8 pixels. Block
averaging is exact for area-integrated quantities (mean luminance, fractions of area) and is
the cheapest anti-aliased downsampler.

Log luminance is ``log2(Y + LOG_FLOOR)`` in stops (EV relative to ``Y = 1``), with
``LOG_FLOOR = 2**-14`` so black maps to about -14 EV instead of ``-inf``.
"""

from __future__ import annotations

from typing import Final

import numpy as np

LOG_FLOOR: Final[float] = 2.0**-14
"""Luminance added before ``log2`` (about -14 EV: darker than any 8-bit sRGB code)."""


MIN_SIDE: Final[int] = 8
"""Downsampling never makes the shorter side smaller than this (unless it already is)."""


def block_factor(shape: tuple[int, ...], max_side: int) -> int:
    """Integer block size ``k = max(1, min(ceil(max(H, W) / max_side), min(H, W) // 8))``.

    The second bound keeps very elongated images at least :data:`MIN_SIDE` pixels across.
    """
    if max_side < 1:
        raise ValueError(f"max_side: must be >= 1, got {max_side}")
    wanted = int(np.ceil(max(shape[0], shape[1]) / max_side))
    return max(1, min(wanted, min(shape[0], shape[1]) // MIN_SIDE))


def block_mean(array: np.ndarray, factor: int) -> np.ndarray:
    """Mean over non-overlapping ``factor x factor`` blocks of the first two axes.

    Works for ``H x W`` and ``H x W x C`` arrays; the result has ``H // factor`` rows and
    ``W // factor`` columns (the input's dtype for floats, float64 otherwise).
    """
    if factor <= 1:
        return array
    h = (array.shape[0] // factor) * factor
    w = (array.shape[1] // factor) * factor
    if h == 0 or w == 0:
        raise ValueError(f"array: shape {array.shape} is smaller than one {factor}-pixel block")
    tail = array.shape[2:]
    dtype = np.dtype(array.dtype if np.issubdtype(array.dtype, np.floating) else np.float64)
    # Sum the rows of each block over a contiguous view first (fast), then the columns.
    rows = array[:h, :w].reshape(h // factor, factor, -1).sum(axis=1, dtype=dtype)
    cols = rows.reshape(h // factor, w // factor, factor, *tail).sum(axis=2, dtype=dtype)
    return (cols / (factor * factor)).astype(dtype, copy=False)


MAX_ANALYSIS_SIDE: Final[int] = 4096
"""Longest analysis copy :func:`downsample` makes. Keeping :data:`MIN_SIDE` pixels across,
a sliver cannot always be reduced to ``max_side``, and the analysis cost grows faster than
its length (8 x 4096: 0.5 s; 8 x 16384: 33 s; an 8 x 30,000 still took minutes): longer
than this is refused."""


def downsample(array: np.ndarray, max_side: int) -> tuple[np.ndarray, int]:
    """Block-average so the longer side is at most ``max_side``; returns ``(array, factor)``.

    ``ValueError`` for a sliver whose copy would stay longer than ``max_side`` and
    :data:`MAX_ANALYSIS_SIDE`.
    """
    factor = block_factor(array.shape, max_side)
    longer = max(array.shape[0], array.shape[1]) // factor
    if longer > max(max_side, MAX_ANALYSIS_SIDE):
        raise ValueError(f"image: {array.shape[1]} x {array.shape[0]} pixels is too elongated to "
                         f"analyse (its analysis copy would be {longer} pixels long, over "
                         f"{MAX_ANALYSIS_SIDE})")
    return block_mean(array, factor), factor


def log2_luminance(y: np.ndarray) -> np.ndarray:
    """``log2(max(Y, 0) + LOG_FLOOR)`` in stops (float64)."""
    return np.log2(np.maximum(np.asarray(y, dtype=np.float64), 0.0) + LOG_FLOOR)
