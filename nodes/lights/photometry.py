"""Photometry and light colour: candela, lux, inverse-square compensation, CCT + Duv -> RGB.

The details (moved from this docstring): docs/light-units.md, "Module notes",
`nodes/lights/photometry.py`.
"""

from __future__ import annotations

import numpy as np

from moks_graph.nodes.imaging.colorimetry import (
    CCT_RANGE_K,
    D65_XY,
    DUV_LIMIT,
    LUMA_709,
    REC709_PRIMARIES_XY,
    cct_duv_to_uv,
    cct_to_rgb,
    planckian_normal,
    planckian_uv,
    rgb_to_xyz_matrix,
    uv_to_xy,
    xy_to_xyz,
)
from moks_graph.nodes.imaging.colorimetry import REC709_TO_XYZ as RGB_TO_XYZ
from moks_graph.nodes.imaging.colorimetry import XYZ_TO_REC709 as XYZ_TO_RGB
from moks_graph.nodes.imaging.colorimetry import xy_to_uv1960 as xy_to_uv
from moks_graph.nodes.lights.series import ArrayLike

__all__ = [
    "CCT_RANGE_K",
    "D65_XY",
    "DUV_LIMIT",
    "LUMA_709",
    "REC709_PRIMARIES_XY",
    "RGB_TO_XYZ",
    "XYZ_TO_RGB",
    "cct_duv_to_uv",
    "cct_to_rgb",
    "compensated_intensity",
    "illuminance_lux",
    "intensity_for_illuminance",
    "inverse_square_ev",
    "planckian_normal",
    "planckian_uv",
    "rgb_to_xyz_matrix",
    "uv_to_xy",
    "xy_to_uv",
    "xy_to_xyz",
]


def _check(arr: np.ndarray, name: str) -> np.ndarray:
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains non-finite values")
    return arr


def illuminance_lux(
    intensity_cd: ArrayLike, distance_m: ArrayLike, incidence_deg: ArrayLike = 0.0
) -> np.ndarray:
    """Illuminance ``E = I cos(theta) / d**2`` [lux]; negative cosines (back faces) give 0."""
    intensity = _check(np.asarray(intensity_cd, dtype=np.float64), "intensity_cd")
    d = _check(np.asarray(distance_m, dtype=np.float64), "distance_m")
    if not (d > 0).all():
        raise ValueError("distance_m must be > 0")
    cos = np.cos(np.radians(_check(np.asarray(incidence_deg, dtype=np.float64), "incidence_deg")))
    return intensity * np.maximum(cos, 0.0) / d**2


def intensity_for_illuminance(
    illuminance: ArrayLike, distance_m: ArrayLike, incidence_deg: ArrayLike = 0.0
) -> np.ndarray:
    """Intensity [cd] giving illuminance ``E`` [lux] at ``d`` [m]: ``I = E d**2 / cos(theta)``."""
    e = _check(np.asarray(illuminance, dtype=np.float64), "illuminance")
    d = _check(np.asarray(distance_m, dtype=np.float64), "distance_m")
    if not (d > 0).all():
        raise ValueError("distance_m must be > 0")
    cos = np.cos(np.radians(_check(np.asarray(incidence_deg, dtype=np.float64), "incidence_deg")))
    if not (cos > 1e-6).all():
        raise ValueError("incidence_deg must be below 90 degrees (light must face the subject)")
    return e * d**2 / cos


def inverse_square_ev(distance_m: ArrayLike, reference_distance_m: ArrayLike) -> np.ndarray:
    """Compensation in stops ``log2((d/d0)**2)`` that keeps the subject illuminance constant."""
    d = _check(np.asarray(distance_m, dtype=np.float64), "distance_m")
    d0 = _check(np.asarray(reference_distance_m, dtype=np.float64), "reference_distance_m")
    if not (d > 0).all():
        raise ValueError("distance_m must be > 0")
    if not (d0 > 0).all():
        raise ValueError("reference_distance_m must be > 0")
    return 2.0 * np.log2(d / d0)


def compensated_intensity(
    intensity_cd: ArrayLike,
    distance_m: ArrayLike,
    reference_distance_m: ArrayLike,
    enabled: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """``(I0 * 2**ev, ev)`` with ``ev = log2((d/d0)**2)``, or ``(I0, 0)`` when disabled."""
    intensity = _check(np.asarray(intensity_cd, dtype=np.float64), "intensity_cd")
    ev = inverse_square_ev(distance_m, reference_distance_m)
    if not enabled:
        ev = np.zeros_like(ev)
    return intensity * np.exp2(ev), ev
