"""Lights fitted to a subject's own shading, per pixel (camera frame: x right, y up, z out).

The details (moved from this docstring): docs/inverse.md, "Module notes",
`nodes/inverse/lightfit.py`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import combinations
from typing import Final

import numpy as np
from scipy import ndimage

from moks_graph.nodes.imaging.subject import direction_to_angles as angles
from moks_graph.nodes.inverse.ambient_fit import ambient_sh
from moks_graph.nodes.inverse.key_hint import KeyHint
from moks_graph.nodes.inverse.render import fill_azimuth, smooth_cosine
from moks_graph.nodes.inverse.subject import SubjectEstimate

LUMA: Final[np.ndarray] = np.array([0.2126, 0.7152, 0.0722])
FILL_ELEVATION_DEG: Final[float] = 10.0
S_FILL: Final[float] = 0.25
S_RIM: Final[float] = 0.15
S_BOUNDS: Final[tuple[float, float]] = (0.02, 0.7)
RIM_DIRECTIONS: Final[dict[str, tuple[tuple[float, float], ...]]] = {
    "camera_left": ((-150.0, 25.0),),
    "camera_right": ((150.0, 25.0),),
    "both": ((-150.0, 25.0), (150.0, 25.0)),
    "top": ((180.0, 60.0),),
}
RIM_GAIN: Final[float] = 0.02
"""A rim mode is kept when it lowers the (robust) cost by this fraction or more."""
RIM_MIN_COEF: Final[float] = 0.05
"""... and when each of its lights is at least this fraction of the key's coefficient."""
RIM_EXCESS: Final[float] = 0.35
"""Edge brightness above the fit (of the subject's mean level) that reads as a rim."""
FILL_SEEN_RATIO: Final[float] = 64.0
"""A fill dimmer than the key over this is no fill: the key/fill ratio's upper bound
(``estimate.RATIO_RANGE`` takes it from here)."""
TUKEY_C: Final[float] = 4.685
CORRELATION_RADII: Final[float] = 1.6
"""Length over which the residual is taken as correlated, in subject radii: the inflated
normals err over the whole subject, so it is about one independent sample. Set on the
tuning seed so that the 1-sigma key-direction figure covers the measured error at the
Gaussian rate (it was 5x overconfident at a third of a radius)."""
RIM_EDGE_PX: Final[int] = 2
RIM_INNER_PX: Final[tuple[int, int]] = (3, 7)
"""A rim shows in the outermost ``RIM_EDGE_PX`` of the silhouette more than 3-7 px inside."""
RIM_SIDES: Final[dict[str, tuple[str, ...]]] = {
    "camera_left": ("camera_left",), "camera_right": ("camera_right",),
    "both": ("camera_left", "camera_right"), "top": ("top",)}
"""The silhouette's sides a rim mode lights."""
RIM_SIDE_COS: Final[float] = 0.7
RIM_BAND_PIXELS: Final[int] = 4
"""A side is the edge whose normal faces it within 45 deg; under 4 pixels it goes unchecked."""
GRID_DIRECTIONS: Final[int] = 1500
KEY_MAX_AZIMUTH_DEG: Final[float] = 135.0
KEY_MIN_ELEVATION_DEG: Final[float] = -30.0
GRID_PIXELS: Final[int] = 4000
CONVENTION_FILL: Final[tuple[float, float]] = (0.0, FILL_ELEVATION_DEG)
"""The fill where ``compile_scene`` puts it: ``(azimuth offset from fill_azimuth(key),
elevation)`` [deg]."""
FILL_AZIMUTH_OFFSETS_DEG: Final[tuple[float, ...]] = (-30.0, -20.0, -10.0, 0.0, 10.0, 20.0, 30.0)
FILL_ELEVATIONS_DEG: Final[tuple[float, ...]] = (0.0, 10.0, 20.0, 30.0)
"""Where the fill is looked for once the key is fitted (:func:`fit_fill`): within 30 deg of
the convention's azimuth, 0-30 deg high."""


def direction(az_deg: float, el_deg: float) -> np.ndarray:
    """Camera-frame unit direction of SceneScript angles (0 = from the camera, +90 = right)."""
    a, e = math.radians(az_deg), math.radians(el_deg)
    return np.array([math.sin(a) * math.cos(e), math.sin(e), math.cos(a) * math.cos(e)])


def fibonacci_sphere(n: int) -> np.ndarray:
    """``n`` near-uniform unit vectors (deterministic)."""
    i = np.arange(n) + 0.5
    y = 1.0 - 2.0 * i / n
    r = np.sqrt(1.0 - y * y)
    phi = math.pi * (3.0 - math.sqrt(5.0)) * i
    return np.stack([r * np.sin(phi), y, r * np.cos(phi)], axis=-1)


def key_grid(hint: KeyHint | None = None) -> np.ndarray:
    """Key directions searched: the sphere less the back, where rims and backlights sit
    (and, with a user's ``hint``, less the halves it rules out).

    A light from behind lights only the silhouette's edge, which a rim mode models; a key
    searched there would take the rim for the key (``|azimuth| <= KEY_MAX_AZIMUTH_DEG``).
    Keys from far below are a rare effect, and inflated normals cannot tell a cylinder lit
    from above from one lit from below: the search starts at ``KEY_MIN_ELEVATION_DEG``.
    """
    dirs = fibonacci_sphere(GRID_DIRECTIONS)
    az = np.degrees(np.arctan2(dirs[:, 0], dirs[:, 2]))
    el = np.degrees(np.arcsin(np.clip(dirs[:, 1], -1.0, 1.0)))
    keep = (np.abs(az) <= KEY_MAX_AZIMUTH_DEG) & (el >= KEY_MIN_ELEVATION_DEG)
    if hint is not None:
        keep &= hint.allows(az, el)
    return dirs[keep]


def fill_direction(key: np.ndarray, fill_at: tuple[float, float] = CONVENTION_FILL
                   ) -> np.ndarray:
    """The fill of a key at ``key``: ``fill_at`` = (azimuth offset from the convention's
    ``fill_azimuth``, elevation) [deg]."""
    az, _ = angles(key)
    return direction(fill_azimuth(az) + fill_at[0], fill_at[1])


def smooth_cosine_ds(c: np.ndarray, s: float) -> np.ndarray:
    """``dF/ds`` of :func:`smooth_cosine` (zero outside the band ``|c| < s``)."""
    band = np.abs(c) < s
    return np.where(band, (c + s) * (s - c) / (4.0 * s * s), 0.0)


def tukey(r: np.ndarray, scale: float) -> np.ndarray:
    u = r / max(TUKEY_C * scale, 1e-12)
    return np.where(np.abs(u) < 1.0, (1.0 - u * u) ** 2, 0.0)


def robust_scale(r: np.ndarray, w: np.ndarray) -> float:
    inl = r[w > 0.05] if np.count_nonzero(w > 0.05) > 8 else r
    return float(1.4826 * np.median(np.abs(inl - np.median(inl)))) + 1e-12


# --------------------------------------------------------------------------- NNLS


def nnls_batch(gram: np.ndarray, rhs: np.ndarray, yy: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact non-negative least squares for a batch of small problems.

    ``gram``: ``(D, k, k)`` = ``B^T W B``; ``rhs``: ``(D, k)`` = ``B^T W y``; ``yy`` =
    ``y^T W y``. Every active set is solved and the best feasible one kept (the NNLS optimum
    is the least-squares solution on its support). Returns coefficients ``(D, k)`` and costs.
    """
    d, k = rhs.shape
    best = np.full(d, float(yy))
    coef = np.zeros((d, k))
    ridge = 1e-12 * np.trace(gram, axis1=1, axis2=2)[:, None, None] + 1e-300
    for size in range(1, k + 1):
        for subset in combinations(range(k), size):
            idx = np.array(subset)
            g = gram[:, idx[:, None], idx[None, :]] + ridge * np.eye(size)
            b = rhs[:, idx]
            x = np.linalg.solve(g, b[..., None])[..., 0]
            cost = yy - np.einsum("di,di->d", x, b)
            ok = np.all(x >= 0.0, axis=1) & (cost < best)
            best = np.where(ok, cost, best)
            full = np.zeros((d, k))
            full[:, idx] = x
            coef = np.where(ok[:, None], full, coef)
    return coef, best


def shadow_term(coef: np.ndarray) -> int | None:
    """Index of the term that lights the shadow side: the fill, else the ambient, else none.

    A fill below ``1 / FILL_SEEN_RATIO`` of the key is past the ratio's bound and counts
    as none. The fill and ambient columns are nearly collinear for a soft fill from the side, so the
    NNLS may put all of the shadow side's light in the ambient; reading the ratio against
    it then beats reporting the 64:1 bound (Cycles set: 1.07 -> 0.91 stops median).
    """
    if coef[1] * FILL_SEEN_RATIO >= coef[0] > 0:
        return 1
    return 2 if coef[2] > 0 else None


def key_over_fill(coef: np.ndarray) -> np.ndarray:
    """Coefficients of ``[key, key + fill, ...]`` back to ``[key, fill, ...]``."""
    out = np.array(coef, dtype=np.float64)
    out[..., 0] += out[..., 1]
    return out


def nnls_one(basis: np.ndarray, y: np.ndarray, w: np.ndarray,
             key_brighter: bool = True) -> tuple[np.ndarray, float]:
    """NNLS on the model's columns, with the key at least as bright as the fill.

    ``key_brighter``: solved on ``[key, key + fill, ...]`` (all ``>= 0``), whose
    coefficients map back to ``a_key >= a_fill >= 0``: the key is by definition the
    brighter of the two (per colour channel it need not be: pass ``False``).
    """
    b = basis.copy()
    if key_brighter:
        b[:, 1] += b[:, 0]
    bw = b * w[:, None]
    coef, cost = nnls_batch((b.T @ bw)[None], (bw.T @ y)[None], float(y @ (w * y)))
    return (key_over_fill(coef[0]) if key_brighter else coef[0]), float(cost[0])


# --------------------------------------------------------------------------- model


def basis(normals: np.ndarray, key: np.ndarray, s: float, rim: str,
          fill_at: tuple[float, float] = CONVENTION_FILL) -> np.ndarray:
    """Columns ``[key, fill, ambient, rim...]`` at ``normals`` ``(N, 3)`` (``fill_at``: see
    :func:`fill_direction`)."""
    cols = [smooth_cosine(normals @ key, s)[0],
            smooth_cosine(normals @ fill_direction(key, fill_at), S_FILL)[0],
            np.ones(len(normals))]
    for az, el in RIM_DIRECTIONS.get(rim, ()):
        cols.append(smooth_cosine(normals @ direction(az, el), S_RIM)[0])
    return np.stack(cols, axis=1)


def _tangent_basis(d: np.ndarray) -> np.ndarray:
    helper = np.array([0.0, 1.0, 0.0]) if abs(d[1]) < 0.9 else np.array([1.0, 0.0, 0.0])
    t1 = np.cross(helper, d)
    t1 /= np.linalg.norm(t1)
    return np.stack([t1, np.cross(d, t1)])


def jacobian(normals: np.ndarray, key: np.ndarray, s: float, coef: np.ndarray,
             fill_at: tuple[float, float] = CONVENTION_FILL) -> np.ndarray:
    """``d Y / d (t1, t2, s)`` of the model at fixed coefficients (analytic)."""
    tangents = _tangent_basis(key)
    c = normals @ key
    _, dk = smooth_cosine(c, s)
    fill = fill_direction(key, fill_at)
    _, df = smooth_cosine(normals @ fill, S_FILL)
    az = math.atan2(key[0], key[2])
    daz_dl = np.array([key[2], 0.0, -key[0]]) / max(key[0] ** 2 + key[2] ** 2, 1e-9)
    azf = math.radians(fill_azimuth(math.degrees(az)) + fill_at[0])
    slope = -0.6 if abs(math.degrees(az)) > 1.0 else 0.0
    ce = math.cos(math.radians(fill_at[1]))
    dfill_daz = slope * np.array([math.cos(azf) * ce, 0.0, -math.sin(azf) * ce])
    cols = []
    for t in tangents:
        dfill = dfill_daz * float(daz_dl @ t)
        cols.append(coef[0] * dk * (normals @ t) + coef[1] * df * (normals @ dfill))
    cols.append(coef[0] * smooth_cosine_ds(c, s))
    return np.stack(cols, axis=1)


# --------------------------------------------------------------------------- result


@dataclass
class LightFit:
    """The fitted lights (camera frame) and how well they explain the subject."""

    key: np.ndarray
    softness_s: float
    rim: str
    coef: np.ndarray
    colour: np.ndarray  # (k, 3) per-term RGB coefficients
    key_rgb: np.ndarray
    key_colour_source: str
    residual: float
    inlier_fraction: float
    sigma: dict[str, float] = field(default_factory=dict)
    weights: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)
    ambient_sh: np.ndarray | None = None  # (9, 3) world SH radiance per unit key illuminance
    fill_at: tuple[float, float] = CONVENTION_FILL  # see :func:`fill_direction`

    @property
    def fill(self) -> np.ndarray:
        """The fill's camera-frame direction as fitted."""
        return fill_direction(self.key, self.fill_at)

    @property
    def azimuth_deg(self) -> float:
        return angles(self.key)[0]

    @property
    def elevation_deg(self) -> float:
        return angles(self.key)[1]

    @property
    def ratio(self) -> float:
        """Key/fill illuminance ratio (``inf`` when nothing lights the shadow side).

        With no directional fill seen, the ambient is the shadow side's only light and the
        ratio is read against it (:func:`shadow_term`).
        """
        term = shadow_term(self.coef)
        return float(self.coef[0] / self.coef[term]) if term is not None else math.inf

    @property
    def rim_ev(self) -> float:
        if self.rim == "none" or self.coef[0] <= 0:
            return 0.0
        return float(np.log2(max(self.coef[3:].max(), 1e-9) / self.coef[0]))


def shading_pixels(rgb: np.ndarray, subject: SubjectEstimate) -> np.ndarray:
    """Subject pixels usable for shading: inside the silhouette, not clipped."""
    top = float(rgb.max())
    clipped = (rgb >= 0.97 * top).any(axis=-1) if top <= 1.0 + 1e-6 else np.zeros(
        rgb.shape[:2], dtype=bool)
    return subject.mask & ~clipped


def _grid_fits(n: np.ndarray, y: np.ndarray, w: np.ndarray, dirs: np.ndarray, s: float,
               rims: tuple[str, ...] = ("none",)) -> dict[str, tuple[int, np.ndarray, float]]:
    """Per rim mode, the grid direction of least cost: ``(index, coefficients, cost)``.

    The key and fill columns of every grid direction are built once; each mode adds its
    fixed rim columns to the same batched NNLS (on ``[key, key + fill, ambient, rim...]``).
    """
    key = smooth_cosine(n @ dirs.T, s)[0]  # (N, D)
    fills = np.stack([fill_direction(d) for d in dirs])
    moving = (key, key + smooth_cosine(n @ fills.T, S_FILL)[0])
    wy = w * y
    g_moving = np.stack([np.stack([np.einsum("n,nd,nd->d", w, a, b) for b in moving])
                         for a in moving])  # (2, 2, D)
    r_moving = np.stack([wy @ a for a in moving])  # (2, D)
    out = {}
    for rim in rims:
        fixed = basis(n, dirs[0], s, rim)[:, 2:]
        k = 2 + fixed.shape[1]
        gram = np.empty((len(dirs), k, k))
        rhs = np.empty((len(dirs), k))
        gram[:, :2, :2] = g_moving.transpose(2, 0, 1)
        rhs[:, :2] = r_moving.T
        cross = np.stack([c.T @ (fixed * w[:, None]) for c in moving])  # (2, D, F)
        gram[:, :2, 2:] = cross.transpose(1, 0, 2)
        gram[:, 2:, :2] = cross.transpose(1, 2, 0)
        gram[:, 2:, 2:] = fixed.T @ (fixed * w[:, None])
        rhs[:, 2:] = wy @ fixed
        coef, cost = nnls_batch(gram, rhs, float(y @ wy))
        coef = key_over_fill(coef)
        # a key that lights nothing is no key
        cost = np.where(coef[:, 0] > 0, cost, np.inf)
        best = int(np.argmin(cost))
        out[rim] = (best, coef, float(cost[best]))
    return out


def _bounded(key: np.ndarray, hint: KeyHint | None = None) -> np.ndarray:
    """``key`` on the searched sphere (:func:`key_grid`): brought into a user's ``hint``
    (:meth:`KeyHint.clamp`), then its azimuth within ``KEY_MAX_AZIMUTH_DEG`` and its
    elevation raised to ``KEY_MIN_ELEVATION_DEG`` where outside them."""
    az, el = angles(key)
    a, e = hint.clamp(az, el) if hint is not None else (az, el)
    inside = (float(np.clip(a, -KEY_MAX_AZIMUTH_DEG, KEY_MAX_AZIMUTH_DEG)),
              max(e, KEY_MIN_ELEVATION_DEG))
    return key if inside == (az, el) else direction(*inside)


def _refine(n: np.ndarray, y: np.ndarray, w: np.ndarray, key: np.ndarray, s: float,
            rim: str, steps: int = 12, hint: KeyHint | None = None
            ) -> tuple[np.ndarray, float, np.ndarray, float]:
    """Levenberg-Marquardt on (key direction, s), coefficients re-solved each step."""
    coef, cost = nnls_one(basis(n, key, s, rim), y, w)
    lam = 1e-3
    for _ in range(steps):
        jac = jacobian(n, key, s, coef)
        r = y - basis(n, key, s, rim) @ coef
        jw = jac * w[:, None]
        a = jac.T @ jw
        g = jw.T @ r
        improved = False
        for _ in range(6):
            delta = np.linalg.solve(a + lam * np.diag(np.diag(a) + 1e-12), g)
            step = float(np.hypot(delta[0], delta[1]))
            if step > 0.35:
                delta[:2] *= 0.35 / step
            t = _tangent_basis(key)
            move = delta[0] * t[0] + delta[1] * t[1]
            ang = float(np.linalg.norm(move))
            new_key = key if ang < 1e-12 else (math.cos(ang) * key + math.sin(ang) * move / ang)
            new_key = _bounded(new_key / np.linalg.norm(new_key), hint)
            new_s = float(np.clip(s + delta[2], *S_BOUNDS))
            new_coef, new_cost = nnls_one(basis(n, new_key, new_s, rim), y, w)
            if new_cost < cost and new_coef[0] > 0:
                key, s, coef, cost = new_key, new_s, new_coef, new_cost
                lam = max(lam / 3.0, 1e-7)
                improved = True
                break
            lam *= 4.0
        if not improved or cost <= 0:
            break
    return key, s, coef, cost


def _subsample(count: int, limit: int) -> np.ndarray:
    return np.arange(count) if count <= limit else np.linspace(0, count - 1, limit).astype(int)


def fit_key(n: np.ndarray, y: np.ndarray, start: np.ndarray | None = None,
            rim: str = "none", rounds: int = 3, hint: KeyHint | None = None
            ) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Robust key fit: ``(key, s, coef, weights)``; from ``start`` or a sphere grid, within
    a user's ``hint``."""
    w = np.ones_like(y)
    s = 0.1
    if start is None:
        sub = _subsample(len(y), GRID_PIXELS)
        dirs = key_grid(hint)
        start = dirs[_grid_fits(n[sub], y[sub], w[sub], dirs, s, (rim,))[rim][0]]
    key = np.asarray(start, dtype=np.float64) / np.linalg.norm(start)
    key = _bounded(key, hint)  # a start outside (a critique's) begins on the edge
    for _ in range(rounds):
        key, s, coef, _ = _refine(n, y, w, key, s, rim, hint=hint)
        r = y - basis(n, key, s, rim) @ coef
        w = tukey(r, robust_scale(r, w))
    coef, _ = nnls_one(basis(n, key, s, rim), y, w)
    return key, s, coef, w


def grid_rim(n: np.ndarray, y: np.ndarray, hint: KeyHint | None = None
             ) -> tuple[str, np.ndarray]:
    """The rim mode and key direction of least grid cost, rim and key chosen together.

    A rim left out of the grid search pulls the key toward itself (or a key behind the
    subject explains the rim and its fill the key); each mode's grid is the same batched
    NNLS with the rim columns added, kept when it lowers the cost by ``RIM_GAIN``. The
    keys searched are those a user's ``hint`` allows.
    """
    sub = _subsample(len(y), GRID_PIXELS)
    w = np.ones(len(sub))
    dirs = key_grid(hint)
    fits = _grid_fits(n[sub], y[sub], w, dirs, 0.1, ("none", *RIM_DIRECTIONS))
    best = "none"
    for mode, (i, coef, cost) in fits.items():
        if cost < fits[best][2] * (1.0 - RIM_GAIN) and np.all(
                coef[i][3:] > RIM_MIN_COEF * coef[i][0]):
            best = mode
    return best, dirs[fits[best][0]]


def choose_rim(n: np.ndarray, y: np.ndarray, key: np.ndarray, s: float,
               w: np.ndarray) -> tuple[str, float]:
    """The rim mode that lowers the robust cost most (``none`` unless by ``RIM_GAIN``)."""
    _, base = nnls_one(basis(n, key, s, "none"), y, w)
    best, best_cost = "none", base
    for mode in RIM_DIRECTIONS:
        coef, cost = nnls_one(basis(n, key, s, mode), y, w)
        if np.all(coef[3:] > RIM_MIN_COEF * coef[0]) and cost < best_cost * (1.0 - RIM_GAIN):
            best, best_cost = mode, cost
    return best, best_cost


def rim_cue(n: np.ndarray, relative: np.ndarray, band: np.ndarray) -> str:
    """The rim mode the silhouette's edge shows: where the edge outshines the fit.

    ``relative``: the no-rim fit's residual over the subject's mean level; ``band``: edge
    pixels. Per side (image left, right, top by the edge normal), the 75th percentile of
    the residual; a side above ``RIM_EXCESS`` has a rim, both sides make ``both``.
    """
    excess = {}
    for mode, side in (("camera_left", n[:, 0] < -0.5), ("camera_right", n[:, 0] > 0.5),
                       ("top", n[:, 1] > 0.5)):
        pick = band & side
        excess[mode] = float(np.percentile(relative[pick], 75)) if pick.sum() > 3 else 0.0
    lit = [m for m, e in excess.items() if e > RIM_EXCESS]
    if not lit:
        return "none"
    if "camera_left" in lit and "camera_right" in lit:
        return "both"
    return max(lit, key=lambda m: excess[m])


def edge_sides(normals: np.ndarray) -> dict[str, np.ndarray]:
    """Pixels whose normal faces image left, right or up (its in-plane part within 45 deg)."""
    flat = normals[..., :2] / np.maximum(np.linalg.norm(normals[..., :2], axis=-1,
                                                        keepdims=True), 1e-12)
    return {"camera_left": flat[..., 0] < -RIM_SIDE_COS, "camera_right": flat[..., 0]
            > RIM_SIDE_COS, "top": flat[..., 1] > RIM_SIDE_COS}


def rim_on_edge(mode: str, sides: dict[str, np.ndarray], relative: np.ndarray,
                thin: np.ndarray, inner: np.ndarray) -> str:
    """``mode`` less the sides whose edge does not outshine the subject just inside it.

    A rim light lights a thin band along the silhouette; a flat face lit by the key (a
    cylinder's top, a cube's) or inflated normals gone wrong outshine the fit over a broad
    band. Per side of ``mode``: the 75th percentile of ``relative`` (the no-rim fit's
    residual over the subject's mean level) on the ``thin`` edge band must exceed its 75th
    percentile on the ``inner`` band; too few pixels to tell keeps the side.
    """
    kept = []
    for side in RIM_SIDES.get(mode, ()):
        edge, below = thin & sides[side], inner & sides[side]
        if (np.count_nonzero(edge) < RIM_BAND_PIXELS or np.count_nonzero(below) < RIM_BAND_PIXELS
                or np.percentile(relative[edge], 75) > np.percentile(relative[below], 75)):
            kept.append(side)
    if len(kept) == 2:
        return "both"
    return kept[0] if kept else "none"


SIGMA_MAX_DEG: Final[float] = 180.0
"""An angle's 1 sigma is reported up to 180 deg: past it the direction is simply unknown."""
SIGMA_MAX_STOPS: Final[float] = math.log2(FILL_SEEN_RATIO)
"""The ratio's 1 sigma is reported up to its whole range, 1:1 to 64:1 (6 stops): past it
the ratio is simply unknown (a still had reported +-164 stops)."""


def _angle_sigma(variance: float) -> float:
    """The 1 sigma [deg] of an angle of ``variance`` [rad^2], at most ``SIGMA_MAX_DEG``."""
    return min(math.degrees(math.sqrt(max(float(variance), 0.0))), SIGMA_MAX_DEG)


def covariance_sigma(n: np.ndarray, y: np.ndarray, w: np.ndarray, key: np.ndarray, s: float,
                     rim: str, coef: np.ndarray, correlation_px: float,
                     fill_at: tuple[float, float] = CONVENTION_FILL) -> dict[str, float]:
    """1-sigma uncertainties: key direction [deg], azimuth/elevation [deg], ratio [stops]."""
    b = basis(n, key, s, rim, fill_at)
    jac = np.concatenate([jacobian(n, key, s, coef, fill_at), b], axis=1)
    r = y - b @ coef
    dof = max(float(w.sum()) - jac.shape[1], 1.0)
    var = float(r @ (w * r)) / dof * max(1.0, correlation_px ** 2)
    info = jac.T @ (jac * w[:, None])
    cov = np.linalg.pinv(info) * var
    t = _tangent_basis(key)
    jang = np.zeros((2, 2))
    horiz = max(key[0] ** 2 + key[2] ** 2, 1e-9)
    for i in range(2):
        daz = (key[2] * t[i][0] - key[0] * t[i][2]) / horiz
        del_ = t[i][1] / math.sqrt(max(1.0 - key[1] ** 2, 1e-9))
        jang[:, i] = (daz, del_)
    cang = jang @ cov[:2, :2] @ jang.T
    term = shadow_term(coef)
    ratio_var = math.inf
    if coef[0] > 0 and term is not None:
        gk, gf = 1.0 / coef[0], -1.0 / coef[term]
        ck, cf, ckf = cov[3, 3], cov[3 + term, 3 + term], cov[3, 3 + term]
        ratio_var = (gk * gk * ck + gf * gf * cf + 2 * gk * gf * ckf) / math.log(2.0) ** 2
    return {"key_direction_deg": _angle_sigma(cov[0, 0] + cov[1, 1]),
            "key_azimuth_deg": _angle_sigma(cang[0, 0]),
            "key_elevation_deg": _angle_sigma(cang[1, 1]),
            "key_fill_ratio_stops": min(math.sqrt(max(ratio_var, 0.0)), SIGMA_MAX_STOPS)}


def fit_fill(n: np.ndarray, y: np.ndarray, w: np.ndarray, key: np.ndarray, s: float,
             rim: str) -> tuple[tuple[float, float], np.ndarray]:
    """The fill's place and the coefficients with it, the key and the robust weights held:
    the least weighted cost over :data:`FILL_AZIMUTH_OFFSETS_DEG` x
    :data:`FILL_ELEVATIONS_DEG` (the convention on a tie).

    ``compile_scene`` ties the fill to the key by a convention that a reference's fill
    need not follow, and read against a fill in the wrong place the ratio takes up the
    difference. The weights are those of the fit with the convention's fill (letting each
    place set its own lets it explain some pixels by rejecting others: measured worse),
    and the key, its size and the rim mode are kept (read with the fill found, the rim
    mode and the key's last refinement changed the key on stills it was not chosen on,
    more often for the worse).
    """
    best_at, (best, cost) = CONVENTION_FILL, nnls_one(basis(n, key, s, rim), y, w)
    for daz in FILL_AZIMUTH_OFFSETS_DEG:
        for el in FILL_ELEVATIONS_DEG:
            coef, c = nnls_one(basis(n, key, s, rim, (daz, el)), y, w)
            if c < cost and coef[0] > 0:
                best_at, best, cost = (daz, el), coef, c
    return best_at, best


def key_colour(rgb: np.ndarray, b: np.ndarray, w: np.ndarray, y_resid: np.ndarray,
               scale: float, highlight_mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray,
                                                                          str]:
    """Per-term RGB coefficients and the key's colour (highlight or diffuse term)."""
    colour = np.stack([nnls_one(b, rgb[:, c], w, key_brighter=False)[0] for c in range(3)],
                      axis=1)
    key_rgb = colour[0].copy()
    source = "diffuse (neutral albedo assumed)"
    if highlight_mask is not None and highlight_mask.any():
        excess = (rgb[highlight_mask] - b[highlight_mask] @ colour).sum(axis=0)
        if float(excess @ LUMA) > 4.0 * scale and np.all(excess > 0):
            key_rgb, source = excess, "specular highlight"
    return colour, key_rgb, source


def _rim_seen(subject: SubjectEstimate, usable: np.ndarray, n: np.ndarray, y: np.ndarray,
              key: np.ndarray, s: float, w: np.ndarray, mode: str) -> str:
    """The rim mode the edge shows: ``mode``, or what the edge outshines the fit by
    (:func:`rim_cue`) when the fit chose none, checked on the edge (:func:`rim_on_edge`)."""
    eroded = [ndimage.binary_erosion(subject.mask, iterations=k)
              for k in (RIM_EDGE_PX, *RIM_INNER_PX)]
    coef, _ = nnls_one(basis(n, key, s, "none"), y, w)
    relative = (y - basis(n, key, s, "none") @ coef) / max(float(y.mean()), 1e-12)
    if mode == "none":
        band = (subject.contour | (subject.mask & ~eroded[0]))[usable]
        mode = rim_cue(n, relative, band)
    thin = (subject.mask & ~eroded[0])[usable]
    inner = (eroded[1] & ~eroded[2])[usable]
    return rim_on_edge(mode, edge_sides(n), relative, thin, inner)


def fit_lights(rgb: np.ndarray, subject: SubjectEstimate, *, start: np.ndarray | None = None,
               rim: str | None = None, hint: KeyHint | None = None) -> LightFit:
    """Fit the lights to ``rgb`` (linear, working grid) on ``subject`` (module docstring).

    ``start``: a camera-frame key direction to refine from instead of the grid; ``rim``:
    a rim mode to use instead of choosing one; ``hint``: the halves of the sphere a user
    says the key is in (:class:`~moks_graph.nodes.inverse.key_hint.KeyHint`): the key is
    searched and refined there only.
    """
    from moks_graph.nodes.topology.betti import betti_signature

    usable = shading_pixels(rgb, subject)
    notes: list[str] = []
    if np.count_nonzero(usable) < 30:
        usable = subject.mask.copy()
        notes.append("too few unclipped subject pixels: clipped pixels used")
    n = subject.normals[usable]
    px = rgb[usable].astype(np.float64)
    y = px @ LUMA
    fitted = "none"
    if start is None and rim is None:
        mode, start = grid_rim(n, y, hint)
        key, s, coef, w = fit_key(n, y, start=start, rim=mode, hint=hint)
        fitted = mode
        if mode == "none":
            mode = choose_rim(n, y, key, s, w)[0]
    else:
        key, s, coef, w = fit_key(n, y, start=start, hint=hint)
        mode = rim if rim is not None else choose_rim(n, y, key, s, w)[0]
    if rim is None:
        mode = _rim_seen(subject, usable, n, y, key, s, w, mode)
    if mode != "none" or fitted != "none":
        key, s, coef, w = fit_key(n, y, start=key, rim=mode, rounds=2, hint=hint)
    fill_at, coef = fit_fill(n, y, w, key, s, mode)
    b = basis(n, key, s, mode, fill_at)
    r = y - b @ coef
    scale = robust_scale(r, w)
    mean_y = float(np.sum(w * y) / max(w.sum(), 1e-12))
    residual = float(math.sqrt(np.sum(w * r * r) / max(w.sum(), 1e-12)) / max(mean_y, 1e-12))
    highlight = (r > 3.0 * scale) & (w < 0.2)
    grid_h = np.zeros(usable.shape, dtype=bool)
    grid_h[usable] = highlight
    sig = betti_signature(grid_h, min_area=2) if highlight.any() else None
    clean = sig is not None and 1 <= sig.b0 <= 3 and sig.b1 == 0
    colour, key_rgb, source = key_colour(px, b, w, r, scale, highlight if clean else None)
    direct = b.copy()
    direct[:, 2] = 0.0  # the ambient column: what the SH ambient is read from
    ambient = ambient_sh(n, px - direct @ colour, w, float(colour[0] @ LUMA))
    area = float(np.count_nonzero(subject.mask))
    radius = math.sqrt(area / math.pi)
    sigma = covariance_sigma(n, y, w, key, s, mode, coef, CORRELATION_RADII * radius, fill_at)
    if shadow_term(coef) == 2:
        notes.append("no fill seen: the key/fill ratio is read against the ambient")
    weights = np.zeros(usable.shape)
    weights[usable] = w
    return LightFit(key=key, softness_s=s, rim=mode, coef=coef, colour=colour,
                    key_rgb=key_rgb, key_colour_source=source, residual=residual,
                    inlier_fraction=float(np.mean(w > 0.5)), sigma=sigma, weights=weights,
                    notes=notes, ambient_sh=ambient, fill_at=fill_at)


def predict(subject: SubjectEstimate, fit: LightFit) -> np.ndarray:
    """The fitted lights on the estimated subject: linear RGB ``H x W x 3`` (0 outside)."""
    out = np.zeros((*subject.mask.shape, 3))
    n = subject.normals[subject.mask]
    out[subject.mask] = basis(n, fit.key, fit.softness_s, fit.rim, fit.fill_at) @ fit.colour
    return np.maximum(out, 0.0)
