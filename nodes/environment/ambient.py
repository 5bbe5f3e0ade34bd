"""An L=2 SH ambient as a small non-negative lat-long radiance map (the hosts' environment).

Entry points: :func:`sh_environment`, :func:`exposure_split`.

Details (moved from this docstring, issue 15):
docs/measuring-stills.md#nodesenvironmentambientpy
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from moks_graph.nodes.environment.hdri import equirect_directions, equirect_row_solid_angles
from moks_graph.nodes.environment.sh import _check_coeffs, sh_basis

#: Default map height (width is twice that): 64 x 128 pixels.
DEFAULT_HEIGHT = 64
#: Newton iterations and the relative projection error at which the fit stops.
MAX_ITERATIONS = 100
FIT_TOLERANCE = 1e-10


def _fit_channel(basis: np.ndarray, weights: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Coefficients ``a`` with ``sum_p w_p Y_p max(0, a.Y_p) = target`` (module doc)."""
    a = target.copy()
    scale = max(float(np.abs(target).max()), 1e-30)

    def value(x: np.ndarray) -> float:
        return float(0.5 * weights @ np.maximum(basis @ x, 0.0) ** 2 - x @ target)

    for _ in range(MAX_ITERATIONS):
        lit = basis @ a > 0.0
        grad = basis.T @ (weights * np.maximum(basis @ a, 0.0)) - target
        if np.abs(grad).max() <= FIT_TOLERANCE * scale:
            break
        hess = (basis[lit] * weights[lit, None]).T @ basis[lit] + 1e-12 * np.eye(len(a))
        step = np.linalg.solve(hess, grad)
        t, f0 = 1.0, value(a)
        while value(a - t * step) > f0 - 1e-4 * t * float(grad @ step) and t > 1e-8:
            t *= 0.5
        a = a - t * step
    return a


def sh_environment(coeffs: Any, height: int = DEFAULT_HEIGHT) -> np.ndarray:
    """A ``(height, 2 height, 3)`` float64 non-negative radiance map whose L=2 SH projection
    is ``coeffs`` ``(9, 3)`` (module doc). ``ValueError`` for a preset no non-negative sky
    has (its irradiance is negative somewhere: no ambient light can be that)."""
    c = _check_coeffs(coeffs)
    if not isinstance(height, int) or not 4 <= height <= 1024:
        raise ValueError(f"height must be an int in 4..1024, got {height!r}")
    basis = sh_basis(equirect_directions(height)).reshape(-1, 9)
    weights = np.repeat(equirect_row_solid_angles(height), 2 * height)
    out = np.empty((basis.shape[0], 3))
    for ch in range(3):
        a = _fit_channel(basis, weights, c[:, ch])
        out[:, ch] = np.maximum(basis @ a, 0.0)
        got = basis.T @ (weights * out[:, ch])
        if not np.allclose(got, c[:, ch], rtol=1e-6, atol=1e-9 * max(abs(c[0, ch]), 1e-30)):
            raise ValueError(f"coefficients: channel {'rgb'[ch]} is not the projection of any "
                             "non-negative sky (its irradiance goes negative)")
    return out.reshape(height, 2 * height, 3)


def exposure_split(image: np.ndarray) -> tuple[np.ndarray, float]:
    """``(texture, exposure)``: the map divided by the power of two ``2**exposure`` at or
    above its peak (exact in floating point), so a host stores texture values <= 1 and
    ``texture * 2**exposure`` is the radiance again (UsdLux ``intensity * 2**exposure``)."""
    peak = float(np.max(image))
    exposure = float(math.ceil(math.log2(peak))) if peak > 0.0 else 0.0
    return np.asarray(image, dtype=np.float64) / 2.0**exposure, exposure
