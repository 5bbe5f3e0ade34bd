"""Smooth building blocks for differentiable image metrics: logistic gates and soft quantiles.

Entry points: :func:`sigmoid`, :func:`soft_step`, :func:`soft_quantile`.

Details (moved from this docstring, issue 15): docs/measuring-stills.md#nodesimagingsoftpy
"""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray | float) -> np.ndarray:
    """Logistic function ``1 / (1 + exp(-z))`` (overflow-free)."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))


def soft_step(x: np.ndarray | float, edge: float, width: float) -> np.ndarray:
    """Logistic threshold ``sigmoid((x - edge) / width)`` (``width > 0``)."""
    if not width > 0:
        raise ValueError(f"width: must be positive, got {width}")
    return sigmoid((np.asarray(x, dtype=np.float64) - edge) / width)


def soft_quantile(
    samples: np.ndarray, q: np.ndarray | float, tau: float, iterations: int = 30
) -> np.ndarray:
    """Soft ``q``-quantile(s) of ``samples`` with logistic smoothing width ``tau``.

    ``q`` may be a scalar or an array of levels in ``(0, 1)``; the result has its shape.
    Iterates until every root is within ``1e-6 * tau`` or ``iterations`` is reached.
    """
    x = np.asarray(samples, dtype=np.float64).ravel()
    levels = np.asarray(q, dtype=np.float64)
    if x.size == 0:
        raise ValueError("samples: must not be empty")
    if not np.all(np.isfinite(x)):
        raise ValueError("samples: contains NaN or infinite values")
    if np.any((levels <= 0.0) | (levels >= 1.0)):
        raise ValueError(f"q: levels must lie strictly between 0 and 1, got {levels}")
    if not tau > 0:
        raise ValueError(f"tau: must be positive, got {tau}")
    flat = levels.ravel()
    t = np.quantile(x, flat)
    # The root lies in [min + tau logit(q), max + tau logit(q)]: bracket for bisection.
    logit = np.log(flat / (1.0 - flat))
    lo = x.min() + tau * logit
    hi = x.max() + tau * logit
    t = np.clip(t, lo, hi)
    for _ in range(iterations):
        s = sigmoid((t[:, None] - x[None, :]) / tau)
        f = s.mean(axis=1) - flat
        slope = (s * (1.0 - s)).mean(axis=1) / tau
        lo = np.where(f < 0.0, t, lo)
        hi = np.where(f > 0.0, t, hi)
        newton = t - f / np.maximum(slope, 1e-300)
        ok = (newton > lo) & (newton < hi) & (slope > 0.0)
        step = np.where(ok, newton, 0.5 * (lo + hi))
        done = np.abs(step - t) <= 1e-6 * tau
        t = step
        if done.all():
            break
    return t.reshape(levels.shape)
