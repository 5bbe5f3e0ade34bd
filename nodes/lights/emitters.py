"""Illuminance of extended emitters: rectangle, disc and sphere lights at a subject facing them.

The details (moved from this docstring): docs/light-units.md, "Module notes",
`nodes/lights/emitters.py`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from moks_graph.nodes.lights.series import ArrayLike

Shape = Literal["point", "sphere", "square", "rectangle", "disc"]
SHAPES: tuple[str, ...] = ("point", "sphere", "square", "rectangle", "disc")

#: The emitter shape every host writes for each light kind (Blender ``SQUARE`` area light,
#: UsdLux ``RectLight`` with ``width = height = size``, Unreal / Maya square rect lights;
#: point and spot lights are spheres of diameter ``size``).
KIND_SHAPES: dict[str, str] = {
    "light.area": "square",
    "light.point": "sphere",
    "light.spot": "sphere",
}


def _arr(value: ArrayLike, name: str, *, positive: bool = True) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains non-finite values")
    if positive and not (arr > 0).all():
        raise ValueError(f"{name} must be > 0")
    return arr


def point_illuminance_per_cd(distance_m: ArrayLike) -> np.ndarray:
    """Point source: ``E / I = 1 / d²`` [lux per cd]."""
    d = _arr(distance_m, "distance_m")
    return 1.0 / (d * d)


def rectangle_illuminance_per_cd(width_m: ArrayLike, height_m: ArrayLike,
                                 distance_m: ArrayLike) -> np.ndarray:
    """Rectangle ``w × h`` facing the subject on its axis at ``d``: ``E / I`` [lux per cd]."""
    w = _arr(width_m, "width_m")
    h = _arr(height_m, "height_m")
    d = _arr(distance_m, "distance_m")
    a, b = w / (2.0 * d), h / (2.0 * d)
    ra, rb = np.sqrt(1.0 + a * a), np.sqrt(1.0 + b * b)
    return 2.0 / (w * h) * (a / ra * np.arctan(b / ra) + b / rb * np.arctan(a / rb))


def square_illuminance_per_cd(size_m: ArrayLike, distance_m: ArrayLike) -> np.ndarray:
    """Square of edge ``s`` on its axis at ``d``: ``E / I = 4 q atan(q) / s²``.

    ``q = a / √(a² + d²)``, ``a = s / 2``.
    """
    s = _arr(size_m, "size_m")
    d = _arr(distance_m, "distance_m")
    a = 0.5 * s
    q = a / np.sqrt(a * a + d * d)
    return 4.0 * q * np.arctan(q) / (s * s)


def disc_illuminance_per_cd(diameter_m: ArrayLike, distance_m: ArrayLike) -> np.ndarray:
    """Disc of diameter ``D`` on its axis at ``d``: ``E / I = 1 / (r² + d²)``, ``r = D / 2``."""
    r = 0.5 * _arr(diameter_m, "diameter_m")
    d = _arr(distance_m, "distance_m")
    return 1.0 / (r * r + d * d)


def sphere_illuminance_per_cd(diameter_m: ArrayLike, distance_m: ArrayLike) -> np.ndarray:
    """Sphere of diameter ``D`` with its centre at ``d > D/2``: ``E / I = 1 / d²`` (exact)."""
    r = 0.5 * _arr(diameter_m, "diameter_m")
    d = _arr(distance_m, "distance_m")
    if not (d > r).all():
        raise ValueError("distance_m must exceed the sphere's radius (subject outside the light)")
    return 1.0 / (d * d)


def illuminance_per_cd(shape: str, distance_m: ArrayLike, size_m: ArrayLike | None = None,
                       height_m: ArrayLike | None = None) -> np.ndarray:
    """``E / I`` [lux per cd] of an emitter of ``shape`` at a subject facing it on its axis.

    ``size_m``: the edge (square), the width (rectangle; ``height_m`` its height, default the
    width) or the diameter (disc, sphere); unused for a point.
    """
    if shape == "point":
        return point_illuminance_per_cd(distance_m)
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {', '.join(SHAPES)}, got {shape!r}")
    if size_m is None:
        raise ValueError(f"a {shape} light needs size_m")
    if shape == "square":
        return square_illuminance_per_cd(size_m, distance_m)
    if shape == "rectangle":
        return rectangle_illuminance_per_cd(size_m, size_m if height_m is None else height_m,
                                            distance_m)
    if shape == "disc":
        return disc_illuminance_per_cd(size_m, distance_m)
    return sphere_illuminance_per_cd(size_m, distance_m)


def light_illuminance_per_cd(kind: str, distance_m: ArrayLike,
                             size_m: ArrayLike | None = None) -> np.ndarray:
    """``E / I`` for a rig light kind (:data:`KIND_SHAPES`); point and spot lights ignore the size.

    A sphere obeys ``1 / d²`` exactly, so point and spot lights need no size; an area light
    without ``size_m`` is an error (its illuminance depends on it).
    """
    if kind not in KIND_SHAPES:
        raise ValueError(f"kind must be one of {', '.join(KIND_SHAPES)}, got {kind!r}")
    shape = KIND_SHAPES[kind]
    if shape == "sphere":
        return point_illuminance_per_cd(distance_m)
    return illuminance_per_cd(shape, distance_m, size_m)


def point_law_ratio(shape: str, size_m: ArrayLike, distance_m: ArrayLike) -> np.ndarray:
    """Exact illuminance over the point-source law's ``I / d²`` (1 far away, below 1 near)."""
    d = _arr(distance_m, "distance_m")
    return illuminance_per_cd(shape, d, size_m) * d * d


def far_field_distance(shape: str, tolerance: float = 0.01) -> float:
    """Distance, in units of the light's size, beyond which the point-source law errs by
    less than ``tolerance`` (relative, on the illuminance). Bisection on :func:`point_law_ratio`."""
    if not 0.0 < tolerance < 1.0:
        raise ValueError("tolerance must be in (0, 1)")
    if shape in ("point", "sphere"):
        return 0.5 if shape == "sphere" else 0.0
    lo, hi = 1e-3, 1e4
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if 1.0 - float(point_law_ratio(shape, 1.0, mid)) > tolerance:
            lo = mid
        else:
            hi = mid
    return hi


def exposure_hold_ev(kind: str, distance_m: ArrayLike, reference_distance_m: ArrayLike,
                     size_m: ArrayLike | None = None,
                     reference_size_m: ArrayLike | None = None) -> np.ndarray:
    """Stops ``log2(g(d0, s0) / g(d, s))`` that keep the subject illuminance constant.

    ``g`` = :func:`light_illuminance_per_cd`: scaling the intensity by ``2**ev`` holds
    ``E = I g`` at its reference value as the light's distance (and an area light's size)
    animate. For point and spot lights this is the inverse-square ``2 log2(d / d0)``;
    ``reference_size_m`` defaults to ``size_m``.
    """
    if KIND_SHAPES.get(kind) == "sphere":
        d = _arr(distance_m, "distance_m")
        d0 = _arr(reference_distance_m, "reference_distance_m")
        return 2.0 * np.log2(d / d0)
    s0 = size_m if reference_size_m is None else reference_size_m
    g = light_illuminance_per_cd(kind, distance_m, size_m)
    g0 = light_illuminance_per_cd(kind, reference_distance_m, s0)
    return np.log2(g0 / g)


# --------------------------------------------------------------------------- off the axis


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _lambert(rel: np.ndarray, normal: np.ndarray) -> float:
    """Lambert's polygon formula for one polygon ``(k, 3)`` (vertices relative to the point)."""
    u = _unit(rel)
    v = np.roll(u, -1, axis=0)
    cross = np.cross(u, v)
    norm = np.linalg.norm(cross, axis=-1)
    angle = np.arctan2(norm, np.einsum("ij,ij->i", u, v))
    keep = norm > 0
    proj = np.einsum("ij,j->i", cross[keep], normal) / norm[keep]
    return float(abs(0.5 * np.sum(angle[keep] * proj)))


def _clip_above(rel: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """The part of a convex polygon ``(k, 3)`` above the plane ``normal · x = 0``."""
    h = rel @ normal
    out: list[np.ndarray] = []
    k = rel.shape[0]
    for i in range(k):
        j = (i + 1) % k
        if h[i] > 0:
            out.append(rel[i])
        if (h[i] > 0) != (h[j] > 0):
            t = h[i] / (h[i] - h[j])
            out.append(rel[i] + t * (rel[j] - rel[i]))
    return np.array(out).reshape(-1, 3)


def polygon_illuminance_per_luminance(vertices: ArrayLike, point: ArrayLike,
                                      normal: ArrayLike) -> np.ndarray:
    """Projected solid angle ``E / L`` [sr] of planar convex polygons seen from points.

    ``vertices``: ``(N, k, 3)`` (or ``(k, 3)``) polygon corners in order; ``point`` and
    ``normal``: ``(N, 3)`` or ``(3,)``, the receiving point and its unit normal. Lambert's
    formula ``E / L = ½ Σ Θ_i n · (v_i × v_{i+1}) / |v_i × v_{i+1}|`` (``Θ_i`` the angle
    between consecutive corner directions) on the part of the polygon above the receiver's
    horizon. Which face emits is the caller's business (this is two-sided).
    """
    verts = np.asarray(vertices, dtype=np.float64)
    if verts.ndim == 2:
        verts = verts[None]
    n = verts.shape[0]
    p = np.broadcast_to(np.asarray(point, dtype=np.float64), (n, 3))
    nrm = _unit(np.broadcast_to(np.asarray(normal, dtype=np.float64), (n, 3)))
    if not (np.isfinite(verts).all() and np.isfinite(p).all() and np.isfinite(nrm).all()):
        raise ValueError("vertices, point and normal must be finite")
    out = np.zeros(n)
    for i in range(n):
        rel = verts[i] - p[i]
        if (rel @ nrm[i] <= 0).any():
            rel = _clip_above(rel, nrm[i])
            if rel.shape[0] < 3:
                continue
        out[i] = _lambert(rel, nrm[i])
    return out


def rectangle_corners(centre: ArrayLike, x_axis: ArrayLike, y_axis: ArrayLike,
                      width_m: ArrayLike, height_m: ArrayLike) -> np.ndarray:
    """``(N, 4, 3)`` corners of rectangles ``centre ± w/2 x ± h/2 y`` (counter-clockwise)."""
    c = np.atleast_2d(np.asarray(centre, dtype=np.float64))
    x = np.atleast_2d(np.asarray(x_axis, dtype=np.float64))
    y = np.atleast_2d(np.asarray(y_axis, dtype=np.float64))
    hw = 0.5 * np.asarray(width_m, dtype=np.float64).reshape(-1, 1)
    hh = 0.5 * np.asarray(height_m, dtype=np.float64).reshape(-1, 1)
    corners = [c - hw * x - hh * y, c + hw * x - hh * y, c + hw * x + hh * y, c - hw * x + hh * y]
    return np.stack(np.broadcast_arrays(*corners), axis=1)


__all__ = [
    "KIND_SHAPES",
    "SHAPES",
    "disc_illuminance_per_cd",
    "exposure_hold_ev",
    "far_field_distance",
    "illuminance_per_cd",
    "light_illuminance_per_cd",
    "point_illuminance_per_cd",
    "point_law_ratio",
    "polygon_illuminance_per_luminance",
    "rectangle_corners",
    "rectangle_illuminance_per_cd",
    "sphere_illuminance_per_cd",
    "square_illuminance_per_cd",
]
