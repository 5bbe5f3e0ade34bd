"""Colorimetry for linear sRGB images: transfer functions, XYZ, CIE 1960 UCS, CCT and Duv.

Conventions
-----------
* RGB values are *linear* sRGB / Rec.709 primaries with a D65 white (IEC 61966-2-1).
  ``(1, 1, 1)`` is the D65 white of luminance ``Y = 1``.
* ``rgb_to_xyz`` uses the IEC 61966-2-1 matrix (rows give X, Y, Z)::

      X = 0.4124564 R + 0.3575761 G + 0.1804375 B
      Y = 0.2126729 R + 0.7151522 G + 0.0721750 B
      Z = 0.0193339 R + 0.1191920 G + 0.9503041 B

* CIE 1960 UCS (the space in which CCT and Duv are defined, CIE 15:2018)::

      u = 4X / (X + 15Y + 3Z),   v = 6Y / (X + 15Y + 3Z)

* Planckian locus in (u, v): Krystek's rational approximation (M. Krystek, "An algorithm
  to calculate correlated colour temperature", Color Res. Appl. 10(1), 38-40, 1985),
  valid for 1000 K <= T <= 15000 K with |delta uv| < 8e-5::

      u(T) = (0.860117757 + 1.54118254e-4 T + 1.28641212e-7 T^2)
             / (1 + 8.42420235e-4 T + 7.08145163e-7 T^2)
      v(T) = (0.317398726 + 4.22806245e-5 T + 4.20481691e-8 T^2)
             / (1 - 2.89741816e-5 T + 1.61456053e-7 T^2)

* CCT and Duv: Ohno's combined triangular/parabolic method (Y. Ohno, "Practical use and
  calculation of CCT and Duv", LEUKOS 10(1), 47-55, 2014; CIE TN 2013) on a table of the
  locus sampled 0.5 % apart in T. CCT is the temperature of the nearest point of the locus
  in (u, v); Duv is the signed distance to it, positive above the locus (greenish), negative
  below (pinkish/magenta). Known values: D65 -> 6504 K, Duv +0.0032; CIE A -> 2856 K, Duv 0.
"""

from __future__ import annotations

from typing import Final

import numpy as np

SRGB_TO_XYZ: Final[np.ndarray] = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
"""Linear sRGB (D65) to CIE XYZ, IEC 61966-2-1."""

XYZ_TO_SRGB: Final[np.ndarray] = np.linalg.inv(SRGB_TO_XYZ)
"""CIE XYZ to linear sRGB (D65): the inverse of :data:`SRGB_TO_XYZ`."""

LUMINANCE_WEIGHTS: Final[np.ndarray] = SRGB_TO_XYZ[1].copy()
"""Relative luminance Y of linear sRGB: ``0.2126729 R + 0.7151522 G + 0.0721750 B``."""

CCT_MIN_K: Final[float] = 1000.0
"""Lowest CCT reported (lower end of Krystek's validity range), kelvin."""
CCT_MAX_K: Final[float] = 15000.0
"""Highest CCT reported (upper end of Krystek's validity range), kelvin."""

_KRYSTEK_U: Final = (
    (0.860117757, 1.54118254e-4, 1.28641212e-7),
    (1.0, 8.42420235e-4, 7.08145163e-7),
)
_KRYSTEK_V: Final = (
    (0.317398726, 4.22806245e-5, 4.20481691e-8),
    (1.0, -2.89741816e-5, 1.61456053e-7),
)


def srgb_decode(encoded: np.ndarray) -> np.ndarray:
    """sRGB-encoded values in [0, 1] to linear (IEC 61966-2-1 EOTF).

    ``c <= 0.04045: c / 12.92``, otherwise ``((c + 0.055) / 1.055) ** 2.4``.
    """
    c = np.asarray(encoded, dtype=np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((np.maximum(c, 0.04045) + 0.055) / 1.055) ** 2.4)


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    """Linear values to sRGB encoding (inverse of :func:`srgb_decode`); negatives map to 0.

    ``l <= 0.0031308: 12.92 l``, otherwise ``1.055 l ** (1/2.4) - 0.055``.
    """
    lin = np.maximum(np.asarray(linear, dtype=np.float64), 0.0)
    return np.where(
        lin <= 0.0031308, 12.92 * lin, 1.055 * np.maximum(lin, 0.0031308) ** (1.0 / 2.4) - 0.055
    )


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Relative luminance ``Y`` of linear sRGB ``(..., 3)`` values (same scale as the input)."""
    return np.asarray(rgb, dtype=np.float64) @ LUMINANCE_WEIGHTS


def rgb_to_xyz(rgb: np.ndarray) -> np.ndarray:
    """Linear sRGB ``(..., 3)`` to CIE XYZ ``(..., 3)`` with :data:`SRGB_TO_XYZ`."""
    return np.asarray(rgb, dtype=np.float64) @ SRGB_TO_XYZ.T


def xyz_to_rgb(xyz: np.ndarray) -> np.ndarray:
    """CIE XYZ ``(..., 3)`` to linear sRGB ``(..., 3)`` with :data:`XYZ_TO_SRGB`."""
    return np.asarray(xyz, dtype=np.float64) @ XYZ_TO_SRGB.T


def xyz_to_uv1960(xyz: np.ndarray) -> np.ndarray:
    """CIE XYZ ``(..., 3)`` to CIE 1960 ``(u, v)`` ``(..., 2)``.

    ``u = 4X / (X + 15Y + 3Z)``, ``v = 6Y / (X + 15Y + 3Z)``. Raises ``ValueError`` where
    the denominator is not positive (black or non-physical colours have no chromaticity).
    """
    xyz = np.asarray(xyz, dtype=np.float64)
    den = xyz[..., 0] + 15.0 * xyz[..., 1] + 3.0 * xyz[..., 2]
    if np.any(~(den > 0.0)):
        raise ValueError("xyz: X + 15Y + 3Z must be positive to define a chromaticity")
    return np.stack([4.0 * xyz[..., 0] / den, 6.0 * xyz[..., 1] / den], axis=-1)


def xy_to_uv1960(xy: np.ndarray) -> np.ndarray:
    """CIE 1931 ``(x, y)`` to CIE 1960 ``(u, v)``: ``u = 4x / d``, ``v = 6y / d``,
    ``d = -2x + 12y + 3``."""
    xy = np.asarray(xy, dtype=np.float64)
    den = -2.0 * xy[..., 0] + 12.0 * xy[..., 1] + 3.0
    return np.stack([4.0 * xy[..., 0] / den, 6.0 * xy[..., 1] / den], axis=-1)


def xy_to_xyz(xy: np.ndarray, luminance_y: float = 1.0) -> np.ndarray:
    """CIE ``(x, y)`` and luminance ``Y`` to XYZ: ``X = x Y / y``, ``Z = (1 - x - y) Y / y``."""
    xy = np.asarray(xy, dtype=np.float64)
    scale = luminance_y / xy[..., 1]
    return np.stack([xy[..., 0] * scale, np.full_like(scale, luminance_y),
                     (1.0 - xy[..., 0] - xy[..., 1]) * scale], axis=-1)


def _rational(t: np.ndarray, coeffs: tuple[tuple[float, ...], tuple[float, ...]]) -> np.ndarray:
    (n0, n1, n2), (d0, d1, d2) = coeffs
    return (n0 + n1 * t + n2 * t * t) / (d0 + d1 * t + d2 * t * t)


def planckian_uv(temperature_k: np.ndarray | float) -> np.ndarray:
    """CIE 1960 ``(u, v)`` of a Planckian radiator at ``temperature_k`` (Krystek 1985).

    Returns an array of shape ``(..., 2)``. Valid for 1000 K to 15000 K.
    """
    t = np.asarray(temperature_k, dtype=np.float64)
    if np.any(~np.isfinite(t)) or np.any(t <= 0.0):
        raise ValueError("temperature_k: must be finite and positive (kelvin)")
    return np.stack([_rational(t, _KRYSTEK_U), _rational(t, _KRYSTEK_V)], axis=-1)


_TABLE_T: Final[np.ndarray] = np.geomspace(CCT_MIN_K / 1.01, CCT_MAX_K * 1.01, 600)
_TABLE_UV: Final[np.ndarray] = planckian_uv(_TABLE_T)


def cct_duv_from_uv(uv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CCT (kelvin) and Duv from CIE 1960 ``(u, v)`` by Ohno's combined method.

    For each point, with table distances ``d_i`` to the locus samples ``(u_i, v_i, T_i)`` and
    ``m`` the nearest sample:

    * triangular solution: ``l = |P_{m+1} - P_{m-1}|``,
      ``x = (d_{m-1}^2 - d_{m+1}^2 + l^2) / (2 l)``,
      ``T = T_{m-1} + (T_{m+1} - T_{m-1}) x / l``,
      ``Duv = sgn(v - v_T) sqrt(d_{m-1}^2 - x^2)``;
    * where ``|Duv| >= 0.002`` the parabolic solution replaces it: fit
      ``d(T) = a T^2 + b T + c`` through the three samples, ``T = -b / (2a)``,
      ``Duv = sgn(v - v_T) (a T^2 + b T + c)``.

    The sign is positive above the locus (larger v). Points whose nearest table sample is
    an end of the table get that end's temperature and their distance to it. CCT is clipped to
    [:data:`CCT_MIN_K`, :data:`CCT_MAX_K`]. Returns ``(cct, duv)`` arrays of ``uv.shape[:-1]``.
    """
    uv = np.asarray(uv, dtype=np.float64)
    if uv.shape[-1:] != (2,):
        raise ValueError(f"uv: last axis must have length 2, got shape {uv.shape}")
    if not np.all(np.isfinite(uv)):
        raise ValueError("uv: must be finite")
    pts = uv.reshape(-1, 2)
    dist = np.hypot(pts[:, None, 0] - _TABLE_UV[:, 0], pts[:, None, 1] - _TABLE_UV[:, 1])
    nearest = np.argmin(dist, axis=1)
    m = np.clip(nearest, 1, _TABLE_T.size - 2)
    rows = np.arange(pts.shape[0])
    d0, d1, d2 = dist[rows, m - 1], dist[rows, m], dist[rows, m + 1]
    t0, t1, t2 = _TABLE_T[m - 1], _TABLE_T[m], _TABLE_T[m + 1]
    p0, p2 = _TABLE_UV[m - 1], _TABLE_UV[m + 1]

    # Triangular solution.
    chord = np.hypot(p2[:, 0] - p0[:, 0], p2[:, 1] - p0[:, 1])
    x = (d0**2 - d2**2 + chord**2) / (2.0 * chord)
    t_tri = t0 + (t2 - t0) * x / chord
    duv_tri = np.sqrt(np.maximum(d0**2 - x**2, 0.0))

    # Parabolic solution.
    den = (t2 - t1) * (t0 - t2) * (t1 - t0)
    a = (t0 * (d2 - d1) + t1 * (d0 - d2) + t2 * (d1 - d0)) / den
    b = -(t0**2 * (d2 - d1) + t1**2 * (d0 - d2) + t2**2 * (d1 - d0)) / den
    c = -(d0 * (t2 - t1) * t1 * t2 + d1 * (t0 - t2) * t0 * t2 + d2 * (t1 - t0) * t0 * t1) / den
    safe_a = np.where(np.abs(a) > 0.0, a, 1.0)
    t_par = np.where(np.abs(a) > 0.0, -b / (2.0 * safe_a), t1)
    duv_par = np.abs(a * t_par**2 + b * t_par + c)

    use_par = duv_tri >= 0.002
    cct = np.where(use_par, t_par, t_tri)
    duv_abs = np.where(use_par, duv_par, duv_tri)
    # Beyond either end of the table: the end point is the nearest point of the locus.
    at_end = (nearest == 0) | (nearest == _TABLE_T.size - 1)
    cct = np.where(at_end, _TABLE_T[nearest], cct)
    duv_abs = np.where(at_end, dist[rows, nearest], duv_abs)
    v_locus = planckian_uv(np.clip(cct, _TABLE_T[0], _TABLE_T[-1]))[..., 1]
    sign = np.where(pts[:, 1] >= v_locus, 1.0, -1.0)
    cct = np.clip(cct, CCT_MIN_K, CCT_MAX_K)
    shape = uv.shape[:-1]
    return cct.reshape(shape), (sign * duv_abs).reshape(shape)


def cct_duv_from_rgb(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CCT (K) and Duv of linear sRGB colours ``(..., 3)`` (via XYZ and CIE 1960 uv)."""
    return cct_duv_from_uv(xyz_to_uv1960(rgb_to_xyz(rgb)))


def rgb_from_cct_duv(cct_k: float, duv: float = 0.0) -> np.ndarray:
    """Linear sRGB colour of luminance 1 at a given CCT and Duv (inverse of the above).

    The point is ``P(T) + Duv * n`` where ``n`` is the unit normal of the locus at ``T``
    pointing to larger ``v``; then ``(u, v) -> (x, y) -> XYZ (Y = 1) -> RGB``. Useful to make
    test images of known white balance.
    """
    t = float(cct_k)
    p = planckian_uv(t)
    dp = planckian_uv(t * 1.0005) - planckian_uv(t / 1.0005)
    normal = np.array([-dp[1], dp[0]])
    normal = normal / np.hypot(*normal)
    if normal[1] < 0:
        normal = -normal
    u, v = p + float(duv) * normal
    den = 2.0 * u - 8.0 * v + 4.0
    xy = np.array([3.0 * u / den, 2.0 * v / den])
    return xyz_to_rgb(xy_to_xyz(xy, 1.0))
