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
    Planckian locus in CIE 1960 UCS ``(u, v)`` from Krystek's rational
    approximation (M. Krystek, "An algorithm to calculate correlated colour
    temperature", Color Research & Application 10(1), 1985, pp. 38-40;
    valid 1000-15000 K, max error ~1e-5 in u, v against Planck integration
    with the CIE 1931 2-degree observer)::

        u(T) = (0.860117757 + 1.54118254e-4 T + 1.28641212e-7 T^2)
               / (1 + 8.42420235e-4 T + 7.08145163e-7 T^2)
        v(T) = (0.317398726 + 4.22806245e-5 T + 4.20481691e-8 T^2)
               / (1 - 2.89741816e-5 T + 1.61456053e-7 T^2)

    Tint is ``Duv`` (ANSI C78.377, Ohno 2014, LEUKOS 10(1)): the signed
    distance from the locus along its unit normal in (u, v); positive is above
    the locus (greener), negative below (magenta)::

        n = (v'(T), -u'(T)) / |(u'(T), v'(T))|,     (u, v) = locus(T) + Duv * n

    Then ``x = 3u / (2u - 8v + 4)``, ``y = 2v / (2u - 8v + 4)``; XYZ with
    ``Y = 1`` (``X = x/y``, ``Z = (1-x-y)/y``) and linear sRGB / Rec.709
    (IEC 61966-2-1 primaries, D65 white; the matrix is derived from the
    chromaticities). Out-of-gamut negatives are clipped to 0 and the result is
    re-normalised so that luminance ``Y = 0.2126 R + 0.7152 G + 0.0722 B = 1``.
"""

from __future__ import annotations

import numpy as np

from moks_graph.nodes.common import apply_matrix
from moks_graph.nodes.lights.series import ArrayLike

#: CCT range of Krystek's approximation [K].
CCT_RANGE_K: tuple[float, float] = (1000.0, 15000.0)
#: |Duv| range in which a CCT is defined (ANSI C78.377 / CIE 015).
DUV_LIMIT: float = 0.05

#: Rec.709 / sRGB primaries (x, y) and D65 white point (IEC 61966-2-1).
REC709_PRIMARIES_XY: np.ndarray = np.array([[0.64, 0.33], [0.30, 0.60], [0.15, 0.06]])
D65_XY: np.ndarray = np.array([0.3127, 0.3290])

_U_NUM = np.array([0.860117757, 1.54118254e-4, 1.28641212e-7])
_U_DEN = np.array([1.0, 8.42420235e-4, 7.08145163e-7])
_V_NUM = np.array([0.317398726, 4.22806245e-5, 4.20481691e-8])
_V_DEN = np.array([1.0, -2.89741816e-5, 1.61456053e-7])


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


def _rational(t: np.ndarray, num: np.ndarray, den: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``p(t)/q(t)`` for quadratics and its derivative (quotient rule)."""
    p = num[0] + num[1] * t + num[2] * t**2
    q = den[0] + den[1] * t + den[2] * t**2
    dp = num[1] + 2.0 * num[2] * t
    dq = den[1] + 2.0 * den[2] * t
    return p / q, (dp * q - p * dq) / q**2


def _cct_array(cct_K: ArrayLike) -> np.ndarray:
    t = _check(np.asarray(cct_K, dtype=np.float64), "cct_K")
    lo, hi = CCT_RANGE_K
    if not ((t >= lo) & (t <= hi)).all():
        raise ValueError(
            f"cct_K must be within {lo:g}-{hi:g} K (Krystek 1985), got {t.min()}-{t.max()}"
        )
    return t


def planckian_uv(cct_K: ArrayLike) -> np.ndarray:
    """CIE 1960 ``(u, v)`` of a blackbody at ``cct_K`` [K] (Krystek 1985), shape ``(..., 2)``."""
    t = _cct_array(cct_K)
    u, _ = _rational(t, _U_NUM, _U_DEN)
    v, _ = _rational(t, _V_NUM, _V_DEN)
    return np.stack([u, v], axis=-1)


def planckian_normal(cct_K: ArrayLike) -> np.ndarray:
    """Unit normal to the Planckian locus in (u, v) pointing to +Duv (greener), ``(..., 2)``."""
    t = _cct_array(cct_K)
    _, du = _rational(t, _U_NUM, _U_DEN)
    _, dv = _rational(t, _V_NUM, _V_DEN)
    norm = np.hypot(du, dv)
    return np.stack([dv / norm, -du / norm], axis=-1)


def cct_duv_to_uv(cct_K: ArrayLike, duv: ArrayLike = 0.0) -> np.ndarray:
    """``(u, v) = locus(T) + Duv * normal(T)``, shape ``(..., 2)``; ``|Duv| <= 0.05``."""
    d = _check(np.asarray(duv, dtype=np.float64), "tint")
    if not (np.abs(d) <= DUV_LIMIT).all():
        raise ValueError(f"tint (Duv) must be within ±{DUV_LIMIT}, got {d.min()}..{d.max()}")
    uv = planckian_uv(cct_K)
    return uv + d[..., None] * planckian_normal(cct_K)


def uv_to_xy(uv: np.ndarray) -> np.ndarray:
    """CIE 1960 (u, v) -> CIE 1931 (x, y)."""
    u, v = uv[..., 0], uv[..., 1]
    den = 2.0 * u - 8.0 * v + 4.0
    return np.stack([3.0 * u / den, 2.0 * v / den], axis=-1)


def xy_to_uv(xy: np.ndarray) -> np.ndarray:
    """CIE 1931 (x, y) -> CIE 1960 (u, v): ``u = 4x/(-2x+12y+3)``, ``v = 6y/(-2x+12y+3)``."""
    x, y = np.asarray(xy, dtype=np.float64)[..., 0], np.asarray(xy, dtype=np.float64)[..., 1]
    den = -2.0 * x + 12.0 * y + 3.0
    return np.stack([4.0 * x / den, 6.0 * y / den], axis=-1)


def xy_to_xyz(xy: np.ndarray, luminance: float = 1.0) -> np.ndarray:
    """Chromaticity (x, y) and luminance Y -> XYZ: ``X = xY/y``, ``Z = (1-x-y)Y/y``."""
    x, y = xy[..., 0], xy[..., 1]
    return np.stack([x / y, np.ones_like(x), (1.0 - x - y) / y], axis=-1) * luminance


def rgb_to_xyz_matrix(
    primaries_xy: np.ndarray = REC709_PRIMARIES_XY, white_xy: np.ndarray = D65_XY
) -> np.ndarray:
    """RGB -> XYZ matrix from primaries and white (SMPTE RP 177 construction)."""
    p = xy_to_xyz(np.asarray(primaries_xy, dtype=np.float64)).T  # columns = primaries, Y = 1
    w = xy_to_xyz(np.asarray(white_xy, dtype=np.float64))
    scale = np.linalg.solve(p, w)
    return p * scale[None, :]


#: Linear Rec.709 RGB -> CIE XYZ (D65), and its inverse.
RGB_TO_XYZ: np.ndarray = rgb_to_xyz_matrix()
XYZ_TO_RGB: np.ndarray = np.linalg.inv(RGB_TO_XYZ)
#: Rec.709 luminance weights (the Y row of RGB_TO_XYZ: 0.2126, 0.7152, 0.0722).
LUMA_709: np.ndarray = RGB_TO_XYZ[1].copy()


def cct_to_rgb(cct_K: ArrayLike, tint: ArrayLike = 0.0) -> np.ndarray:
    """Linear Rec.709 RGB ``(..., 3)`` of a light at ``cct_K`` [K] and ``tint`` [Duv].

    Normalised to luminance 1; negatives from out-of-gamut chromaticities are
    clipped to 0 before normalising (formulas in the module doc).
    """
    t = np.asarray(cct_K, dtype=np.float64)
    d = np.asarray(tint, dtype=np.float64)
    t, d = np.broadcast_arrays(t, d)
    xyz = xy_to_xyz(uv_to_xy(cct_duv_to_uv(t, d)))
    rgb = np.maximum(apply_matrix(xyz, XYZ_TO_RGB), 0.0)  # fixed order: chunk-exact
    return rgb / apply_matrix(rgb, LUMA_709[None, :])
