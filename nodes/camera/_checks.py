"""Argument checks shared by the camera modules: clear errors that name the argument."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from moks_graph.rotations import finite_array
from moks_graph.timebase import TimeArray

__all__ = ["finite", "finite_array", "key_of", "non_negative", "positive", "seconds_of"]


def seconds_of(time: TimeArray | ArrayLike, name: str = "time") -> np.ndarray:
    """Seconds of a :class:`TimeArray`, or a seconds array itself, as a finite 1-D float64 array."""
    arr = time.seconds if isinstance(time, TimeArray) else time
    out = np.ascontiguousarray(finite_array(name, arr))
    if out.ndim == 0:
        out = out.reshape(1)
    if out.ndim != 1:
        raise ValueError(f"{name} must be 1-D seconds, got shape {out.shape}")
    return out


def positive(name: str, value: float) -> float:
    """``value`` as float; ``ValueError`` naming ``name`` unless finite and > 0."""
    v = float(value)
    if not (math.isfinite(v) and v > 0.0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def non_negative(name: str, value: float) -> float:
    """``value`` as float; ``ValueError`` naming ``name`` unless finite and >= 0."""
    v = float(value)
    if not (math.isfinite(v) and v >= 0.0):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


def finite(name: str, value: float) -> float:
    """``value`` as float; ``ValueError`` naming ``name`` unless finite."""
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return v


def key_of(key: int) -> int:
    """A noise key as a Python int in [0, 2**64); ``TypeError`` for non-integers."""
    if isinstance(key, bool) or not isinstance(key, int | np.integer):
        raise TypeError(f"key must be an integer, got {type(key).__name__}")
    return int(key) & ((1 << 64) - 1)
