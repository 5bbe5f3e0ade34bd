"""Photometry and light colour: candela, lux, inverse-square compensation, CCT + Duv -> RGB.

Units
    The one internal photometric unit is luminous intensity ``I`` in candela
    (cd). Illuminance on a surface at distance ``d`` [m] whose normal makes
    angle ``theta`` with the direction to the light is (inverse-square and
    Lambert cosine laws)::

        E = I cos(theta) / d**2                 [lux = lm/m**2]

Target-linked inverse-square compensation
    When the light-to-subject distance animates from a reference ``d0`` to
    ``d(t)``, scaling the intensity by ``(d/d0)**2`` keeps ``E`` at the subject
    constant. The scale is reported in stops::

        ev(t) = log2((d/d0)**2) = 2 log2(d/d0),   I(t) = I0 * 2**ev(t)

Colour (CIE colorimetry)
    One module owns colour temperature: :mod:`moks_graph.nodes.imaging.colorimetry`. The
    Planckian locus in CIE 1960 UCS ``(u, v)`` comes from Planck's law integrated against the
    CIE 1931 2-degree colour-matching functions (a shipped table, cubic Hermite between its
    points, within 1e-10 of the integral); the range is ``CCT_RANGE_K`` = 1000-20 000 K, the
    same bound as the SceneScript, geometry lights and the inverse fitter.

    Tint is ``Duv`` (ANSI C78.377, Ohno 2014, LEUKOS 10(1)): the signed
    distance from the locus along its unit normal in (u, v); positive is above
    the locus (greener), negative below (magenta)::

        n = (v'(T), -u'(T)) / |(u'(T), v'(T))|,     (u, v) = locus(T) + Duv * n

    Then ``x = 3u / (2u - 8v + 4)``, ``y = 2v / (2u - 8v + 4)``; XYZ with
    ``Y = 1`` (``X = x/y``, ``Z = (1-x-y)/y``) and linear sRGB / Rec.709
    (IEC 61966-2-1 primaries, D65 white; the matrix is derived from the
    chromaticities). Out-of-gamut negatives are clipped to 0 and the result is
    re-normalised so that luminance ``Y = 0.2126 R + 0.7152 G + 0.0722 B = 1``. The names below
    (``cct_to_rgb``, ``planckian_uv``, ``CCT_RANGE_K``, ...) are that module's.
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
