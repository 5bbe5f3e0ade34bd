"""Shape checks for per-sample inputs (scalars, time series and point series).

Light and atmosphere functions take values that may be constant or animated:
a scalar, a ``(N,)`` series over the time array, a ``(3,)`` point or a
``(N, 3)`` point series. These helpers broadcast them to ``N`` samples and
reject bad input with a ``ValueError`` / ``TypeError`` naming the argument,
never letting a NaN through silently.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from moks_graph.timebase import TimeArray

ArrayLike = float | int | np.ndarray | list[float] | tuple[float, ...]


def sample_count(time_like: Any, name: str = "time_like") -> int:
    """Number of samples of a :class:`TimeArray`, a 1-D array of times, or an int count."""
    if isinstance(time_like, TimeArray):
        return len(time_like)
    if isinstance(time_like, bool):
        raise TypeError(f"{name} must be a TimeArray, a 1-D array of times or a count")
    if isinstance(time_like, int | np.integer):
        if time_like < 1:
            raise ValueError(f"{name} must be at least 1 sample, got {time_like}")
        return int(time_like)
    arr = np.asarray(time_like)
    if arr.ndim != 1 or arr.shape[0] < 1:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {arr.shape}")
    return int(arr.shape[0])


def _as_float(value: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric, got {type(value).__name__}") from exc
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains non-finite values")
    return arr


def as_series(
    value: ArrayLike,
    n: int,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    positive: bool = False,
) -> np.ndarray:
    """A scalar or ``(n,)`` array as a float64 ``(n,)`` array, range-checked.

    ``low``/``high`` are inclusive bounds; ``positive`` requires values > 0.
    """
    arr = _as_float(value, name)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    elif arr.shape != (n,):
        raise ValueError(f"{name} must be a scalar or shape ({n},), got shape {arr.shape}")
    if positive and not (arr > 0).all():
        raise ValueError(f"{name} must be > 0, got min {arr.min()}")
    if low is not None and not (arr >= low).all():
        raise ValueError(f"{name} must be >= {low}, got min {arr.min()}")
    if high is not None and not (arr <= high).all():
        raise ValueError(f"{name} must be <= {high}, got max {arr.max()}")
    return arr.copy()


def as_points(value: ArrayLike, n: int, name: str) -> np.ndarray:
    """A ``(3,)`` point or ``(n, 3)`` point series as a float64 ``(n, 3)`` array."""
    arr = _as_float(value, name)
    if arr.shape == (3,):
        return np.broadcast_to(arr, (n, 3)).copy()
    if arr.shape != (n, 3):
        raise ValueError(f"{name} must have shape (3,) or ({n}, 3), got shape {arr.shape}")
    return arr.copy()


def infer_count(points: tuple[ArrayLike, ...], series: tuple[ArrayLike, ...]) -> int:
    """Sample count implied by the animated arguments: rows of any ``(N, 3)`` point
    series, else the length of any ``(N,)`` series, else 1 (all constant)."""
    for value in points:
        arr = np.asarray(value)
        if arr.ndim == 2:
            return int(arr.shape[0])
    for value in series:
        arr = np.asarray(value)
        if arr.ndim == 1:
            return int(arr.shape[0])
    return 1
