"""Colorimetry: sRGB transfer, XYZ, CIE 1960 UCS, the Planckian locus, CCT and Duv, CCT -> RGB.

The details (moved from this docstring): docs/measuring-stills.md, "Module notes",
`nodes/imaging/colorimetry.py`.
"""

from __future__ import annotations

import json
from pathlib import Path
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

REC709_PRIMARIES_XY: Final[np.ndarray] = np.array([[0.64, 0.33], [0.30, 0.60], [0.15, 0.06]])
"""Rec.709 / sRGB primaries (x, y) (IEC 61966-2-1)."""
D65_XY: Final[np.ndarray] = np.array([0.3127, 0.3290])
"""CIE D65 white point (x, y) as IEC 61966-2-1 states it."""

CCT_RANGE_K: Final[tuple[float, float]] = (1000.0, 20000.0)
"""The one colour-temperature range of the project [K]: lights, SceneScript, inverse, metrics."""
CCT_MIN_K: Final[float] = CCT_RANGE_K[0]
"""Lowest colour temperature (lower end of :data:`CCT_RANGE_K`), kelvin."""
CCT_MAX_K: Final[float] = CCT_RANGE_K[1]
"""Highest colour temperature (upper end of :data:`CCT_RANGE_K`), kelvin."""
DUV_LIMIT: Final[float] = 0.05
"""|Duv| range in which a CCT is defined (ANSI C78.377 / CIE 015)."""

LOCUS_TABLE_FILE: Final[str] = "planckian_locus.json"
"""The shipped Planckian-locus table, beside this module."""


def apply_matrix(vectors: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``vectors @ matrix.T`` for (..., n) rows, summed in a fixed order per element.

    BLAS picks kernels by array size, so ``@`` can round a row differently when it
    is alone (a one-frame chunk) than inside a longer array; this never does.
    """
    v = np.asarray(vectors, dtype=np.float64)
    m = np.asarray(matrix, dtype=np.float64)
    out = v[..., 0:1] * m[:, 0]
    for k in range(1, m.shape[1]):
        out = out + v[..., k:k + 1] * m[:, k]
    return out


def _load_locus() -> tuple[np.ndarray, ...]:
    data = json.loads(Path(__file__).with_name(LOCUS_TABLE_FILE).read_text(encoding="utf-8"))
    t = np.asarray(data["T_K"], dtype=np.float64)
    u = np.asarray(data["u"], dtype=np.float64)
    v = np.asarray(data["v"], dtype=np.float64)
    du_dt = np.asarray(data["du_dlnT"], dtype=np.float64) / t
    dv_dt = np.asarray(data["dv_dlnT"], dtype=np.float64) / t
    if not (t.ndim == 1 and t.size >= 4 and np.all(np.diff(t) > 0)
            and t[0] < CCT_RANGE_K[0] and t[-1] > CCT_RANGE_K[1]):
        raise RuntimeError(f"{LOCUS_TABLE_FILE}: temperatures must increase and cover "
                           f"{CCT_RANGE_K[0]:g}-{CCT_RANGE_K[1]:g} K")
    return t, u, v, du_dt, dv_dt


_TABLE_T, _TABLE_U, _TABLE_V, _TABLE_DU, _TABLE_DV = _load_locus()
for _a in (_TABLE_T, _TABLE_U, _TABLE_V, _TABLE_DU, _TABLE_DV):
    _a.flags.writeable = False
del _a

_CASCADE_POINTS: Final[int] = 9
"""Points per cascade refinement (the bracket shrinks fourfold per step)."""
_CASCADE_STEPS: Final[int] = 6
"""Refinements after the table search: the last three points are about 2.5e-6 T apart."""
_CASCADE_FRACTIONS: Final[np.ndarray] = np.arange(_CASCADE_POINTS) / (_CASCADE_POINTS - 1.0)
_PARABOLIC_DUV: Final[float] = 0.002
"""Ohno 2013: the parabolic solution replaces the triangular one where |Duv| >= 0.002."""
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



def uv_to_xy(uv: np.ndarray) -> np.ndarray:
    """CIE 1960 ``(u, v)`` to CIE 1931 ``(x, y)``: ``x = 3u / d``, ``y = 2v / d``,
    ``d = 2u - 8v + 4``."""
    uv = np.asarray(uv, dtype=np.float64)
    den = 2.0 * uv[..., 0] - 8.0 * uv[..., 1] + 4.0
    return np.stack([3.0 * uv[..., 0] / den, 2.0 * uv[..., 1] / den], axis=-1)


def rgb_to_xyz_matrix(
    primaries_xy: np.ndarray = REC709_PRIMARIES_XY, white_xy: np.ndarray = D65_XY
) -> np.ndarray:
    """RGB -> XYZ matrix from primaries and white (SMPTE RP 177 construction)."""
    p = xy_to_xyz(np.asarray(primaries_xy, dtype=np.float64)).T  # columns = primaries, Y = 1
    w = xy_to_xyz(np.asarray(white_xy, dtype=np.float64))
    scale = np.linalg.solve(p, w)
    return p * scale[None, :]


REC709_TO_XYZ: Final[np.ndarray] = rgb_to_xyz_matrix()
"""Linear Rec.709 -> XYZ derived from :data:`REC709_PRIMARIES_XY` and :data:`D65_XY`: the matrix
of a light's colour (:func:`cct_to_rgb`). It differs from the 7-digit :data:`SRGB_TO_XYZ` of
image analysis (white ``X, Z = 0.95047, 1.08883``) by at most 2e-4 (the blue Z)."""
XYZ_TO_REC709: Final[np.ndarray] = np.linalg.inv(REC709_TO_XYZ)
"""XYZ -> linear Rec.709, the inverse of :data:`REC709_TO_XYZ`."""
LUMA_709: Final[np.ndarray] = REC709_TO_XYZ[1].copy()
"""Rec.709 luminance weights of a light's colour (the Y row of :data:`REC709_TO_XYZ`:
0.2126, 0.7152, 0.0722)."""


def check_cct(cct_K: np.ndarray | float, name: str = "cct_K") -> np.ndarray:
    """``cct_K`` as a float64 array; ``ValueError`` naming ``name`` unless every value is
    finite and within :data:`CCT_RANGE_K`."""
    t = np.asarray(cct_K, dtype=np.float64)
    lo, hi = CCT_RANGE_K
    if not np.all(np.isfinite(t)):
        raise ValueError(f"{name} must be finite (kelvin), got {t.min()}..{t.max()}")
    if not np.all((t >= lo) & (t <= hi)):
        raise ValueError(f"{name} must be within {lo:g}-{hi:g} K, got {t.min():g}..{t.max():g}")
    return t


def check_duv(duv: np.ndarray | float, name: str = "duv") -> np.ndarray:
    """``duv`` as a float64 array; ``ValueError`` naming ``name`` unless every value is finite
    and ``|Duv| <= DUV_LIMIT``."""
    d = np.asarray(duv, dtype=np.float64)
    if not np.all(np.isfinite(d)):
        raise ValueError(f"{name} (Duv) must be finite")
    if not np.all(np.abs(d) <= DUV_LIMIT):
        raise ValueError(f"{name} (Duv) must be within ±{DUV_LIMIT}, got {d.min()}..{d.max()}")
    return d


def _locus(t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``u, v, du/dT, dv/dT`` of the tabulated locus at ``t`` (cubic Hermite, unchecked)."""
    i = np.clip(np.searchsorted(_TABLE_T, t, side="right") - 1, 0, _TABLE_T.size - 2)
    t0 = _TABLE_T[i]
    w = _TABLE_T[i + 1] - t0
    x = (t - t0) / w
    x2 = x * x
    h00 = (1.0 + 2.0 * x) * (1.0 - x) ** 2
    h10 = x * (1.0 - x) ** 2
    h01 = x2 * (3.0 - 2.0 * x)
    h11 = x2 * (x - 1.0)
    g00 = 6.0 * x2 - 6.0 * x  # d/dx of the basis
    g10 = 3.0 * x2 - 4.0 * x + 1.0
    g11 = 3.0 * x2 - 2.0 * x
    out = []
    for val, der in ((_TABLE_U, _TABLE_DU), (_TABLE_V, _TABLE_DV)):
        p0, p1, m0, m1 = val[i], val[i + 1], der[i] * w, der[i + 1] * w
        out.append(h00 * p0 + h10 * m0 + h01 * p1 + h11 * m1)
        out.append((g00 * (p0 - p1) + g10 * m0 + g11 * m1) / w)
    u, du, v, dv = out
    return u, v, du, dv


def planckian_uv(cct_K: np.ndarray | float) -> np.ndarray:
    """CIE 1960 ``(u, v)`` of a Planckian radiator at ``cct_K`` (Planck's law, CIE 1931 2°),
    shape ``(..., 2)``; ``cct_K`` within :data:`CCT_RANGE_K`."""
    u, v, _, _ = _locus(check_cct(cct_K))
    return np.stack([u, v], axis=-1)


def _normal(du: np.ndarray, dv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    norm = np.sqrt(du * du + dv * dv)
    return dv / norm, -du / norm


def planckian_normal(cct_K: np.ndarray | float) -> np.ndarray:
    """Unit normal to the Planckian locus in (u, v) pointing to +Duv (greener), ``(..., 2)``:
    ``(v'(T), -u'(T)) / |(u'(T), v'(T))|``."""
    _, _, du, dv = _locus(check_cct(cct_K))
    return np.stack(_normal(du, dv), axis=-1)


def _uv_of(t: np.ndarray, d: np.ndarray) -> np.ndarray:
    t, d = np.broadcast_arrays(t, d)
    u, v, du, dv = _locus(t)
    nu, nv = _normal(du, dv)
    return np.stack([u + d * nu, v + d * nv], axis=-1)


def cct_duv_to_uv(cct_K: np.ndarray | float, duv: np.ndarray | float = 0.0) -> np.ndarray:
    """``(u, v) = P(T) + Duv n(T)`` (the inverse of :func:`cct_duv_from_uv`), shape ``(..., 2)``.

    ``cct_K`` within :data:`CCT_RANGE_K`, ``|duv| <= DUV_LIMIT``; ``ValueError`` otherwise.
    """
    return _uv_of(check_cct(cct_K), check_duv(duv))


def _ohno_final(
    pu: np.ndarray, pv: np.ndarray, t: tuple[np.ndarray, ...], d: tuple[np.ndarray, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Ohno's triangular solution, replaced by the parabolic one where ``|Duv| >= 0.002``,
    on the three locus points at ``t = (T_{m-1}, T_m, T_{m+1})`` with distances ``d``."""
    t0, t1, t2 = t
    d0, d1, d2 = d
    u0, v0, _, _ = _locus(t0)
    u2, v2, _, _ = _locus(t2)
    chord = np.sqrt((u2 - u0) ** 2 + (v2 - v0) ** 2)
    x = (d0**2 - d2**2 + chord**2) / (2.0 * chord)
    t_tri = t0 + (t2 - t0) * x / chord
    duv_tri = np.sqrt(np.maximum(d0**2 - x**2, 0.0))

    # Ohno's a, b, c in T relative to T_m (the same vertex; no cancellation between T^2 terms).
    s0, s2 = t0 - t1, t2 - t1
    den = s2 * (s0 - s2) * (-s0)
    a = (s0 * (d2 - d1) + s2 * (d1 - d0)) / den
    b = -(s0**2 * (d2 - d1) + s2**2 * (d1 - d0)) / den
    c = d1
    curved = a > 0.0
    s_par = np.where(curved, -b / (2.0 * np.where(curved, a, 1.0)), 0.0)
    s_par = np.clip(s_par, s0, s2)
    t_par = t1 + s_par
    duv_par = np.abs(a * s_par**2 + b * s_par + c)

    use_par = duv_tri >= _PARABOLIC_DUV
    cct = np.where(use_par, t_par, t_tri)
    duv_abs = np.where(use_par, duv_par, duv_tri)
    _, v_locus, _, _ = _locus(cct)
    return cct, np.where(pv >= v_locus, duv_abs, -duv_abs)


def cct_duv_from_uv(uv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CCT (kelvin) and Duv from CIE 1960 ``(u, v)`` by Ohno 2013 (cascade, then the combined
    triangular/parabolic solution).

    1. ``m``: the nearest of the table's temperatures; the bracket ``[T_{m-1}, T_{m+1}]``.
    2. Five times: 9 locus points evenly across the bracket, the nearest ``j`` of them, the new
       bracket ``[T_{j-1}, T_{j+1}]`` (a quarter as wide).
    3. On the last three points ``(T_i, d_i)``, ``i = m-1, m, m+1``:

       * triangular: ``l = |P_{m+1} - P_{m-1}|``, ``x = (d_{m-1}^2 - d_{m+1}^2 + l^2) / (2 l)``,
         ``T = T_{m-1} + (T_{m+1} - T_{m-1}) x / l``, ``|Duv| = sqrt(d_{m-1}^2 - x^2)``;
       * where that ``|Duv| >= 0.002``, parabolic: ``d(T) = a T^2 + b T + c`` through the
         three points, ``T = -b / (2a)``, ``|Duv| = a T^2 + b T + c``.

    Duv is positive above the locus (larger v). A point whose nearest table temperature is an
    end of the table (beyond 819 K or 26 986 K) gets that end's temperature and its distance
    to it. CCT is then clipped to :data:`CCT_RANGE_K` (the clamp, never an error). Returns
    ``(cct, duv)`` arrays of ``uv.shape[:-1]``.
    """
    uv = np.asarray(uv, dtype=np.float64)
    if uv.shape[-1:] != (2,):
        raise ValueError(f"uv: last axis must have length 2, got shape {uv.shape}")
    if not np.all(np.isfinite(uv)):
        raise ValueError("uv: must be finite")
    pts = uv.reshape(-1, 2)
    pu, pv = pts[:, 0], pts[:, 1]
    rows = np.arange(pts.shape[0])
    dist = np.sqrt((pu[:, None] - _TABLE_U) ** 2 + (pv[:, None] - _TABLE_V) ** 2)
    nearest = np.argmin(dist, axis=1)
    m = np.clip(nearest, 1, _TABLE_T.size - 2)
    t = (_TABLE_T[m - 1], _TABLE_T[m], _TABLE_T[m + 1])
    d = (dist[rows, m - 1], dist[rows, m], dist[rows, m + 1])
    for _ in range(_CASCADE_STEPS):
        lo, hi = t[0], t[2]
        grid = lo[:, None] + (hi - lo)[:, None] * _CASCADE_FRACTIONS
        gu, gv, _, _ = _locus(grid)
        gd = np.sqrt((pu[:, None] - gu) ** 2 + (pv[:, None] - gv) ** 2)
        j = np.clip(np.argmin(gd, axis=1), 1, _CASCADE_POINTS - 2)
        t = (grid[rows, j - 1], grid[rows, j], grid[rows, j + 1])
        d = (gd[rows, j - 1], gd[rows, j], gd[rows, j + 1])
    cct, duv = _ohno_final(pu, pv, t, d)
    # Beyond either end of the table: the end point is the nearest point of the locus.
    at_end = (nearest == 0) | (nearest == _TABLE_T.size - 1)
    end_sign = np.where(pv >= _TABLE_V[nearest], 1.0, -1.0)
    cct = np.where(at_end, _TABLE_T[nearest], cct)
    duv = np.where(at_end, end_sign * dist[rows, nearest], duv)
    cct = np.clip(cct, *CCT_RANGE_K)
    shape = uv.shape[:-1]
    return cct.reshape(shape), duv.reshape(shape)


def cct_duv_from_xy(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CCT (K) and Duv of CIE 1931 ``(x, y)`` chromaticities ``(..., 2)``."""
    return cct_duv_from_uv(xy_to_uv1960(xy))


def cct_duv_from_rgb(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CCT (K) and Duv of linear sRGB colours ``(..., 3)`` (via XYZ and CIE 1960 uv)."""
    return cct_duv_from_uv(xyz_to_uv1960(rgb_to_xyz(rgb)))


def rgb_from_cct_duv(cct_K: np.ndarray | float, duv: np.ndarray | float = 0.0) -> np.ndarray:
    """Linear sRGB colour ``(..., 3)`` of luminance 1 at a CCT and Duv, unclipped (components
    may be negative out of gamut): the exact inverse of :func:`cct_duv_from_rgb`.

    ``(u, v) = P(T) + Duv n(T) -> (x, y) -> XYZ (Y = 1) -> RGB``. Useful to make test images of
    known white balance; a light's colour is :func:`cct_to_rgb`.
    """
    xyz = xy_to_xyz(uv_to_xy(cct_duv_to_uv(cct_K, duv)), 1.0)
    return apply_matrix(xyz, XYZ_TO_SRGB)


def cct_to_rgb(cct_K: np.ndarray | float, tint: np.ndarray | float = 0.0) -> np.ndarray:
    """Linear Rec.709 RGB ``(..., 3)`` of a light at ``cct_K`` [K] and ``tint`` [Duv].

    ``(u, v) = P(T) + tint n(T) -> (x, y) -> XYZ (Y = 1) -> RGB`` with :data:`XYZ_TO_REC709`,
    then negatives (out-of-gamut chromaticities) clipped to 0 and the result re-normalised to
    luminance ``Y = LUMA_709 . rgb = 1``. Element-wise in a fixed
    order (:func:`apply_matrix`), so any chunking of a time array gives
    the same bits. ``ValueError`` naming ``cct_K`` or ``tint`` when out of range.
    """
    t = check_cct(cct_K, "cct_K")
    d = check_duv(tint, "tint")
    xyz = xy_to_xyz(uv_to_xy(_uv_of(t, d)), 1.0)
    rgb = np.maximum(apply_matrix(xyz, XYZ_TO_REC709), 0.0)
    return rgb / apply_matrix(rgb, LUMA_709[None, :])
