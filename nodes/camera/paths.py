"""Rig paths ``p(u)`` with derivative bounds, and limits that hold along a curved path.

Entry points: :func:`path_parameter_limits`; the paths :class:`LinePath`, :class:`ArmPath`,
:class:`OrbitPath`, :class:`EllipsePath`, :class:`FixedPoint`, :class:`ShiftedPath`.

Details (moved from this docstring, issue 15): docs/classic-mode.md#nodescamerapathspy
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

Vec3 = tuple[float, float, float]


def _u(u: ArrayLike) -> np.ndarray:
    return np.asarray(u, dtype=np.float64)


def _vec(v: Vec3) -> np.ndarray:
    return np.asarray(v, dtype=np.float64).reshape(3)


def path_parameter_limits(
    bounds: tuple[float, float, float], v_max: float, a_max: float, j_max: float
) -> tuple[float, float, float]:
    """``(V, A, J)`` limits for ``u`` so that the path motion respects ``v_max, a_max, j_max``.

    Budget: ``V = min(v_max/P1, sqrt(a_max/(2 P2)), cbrt(j_max/(3 P3)))``, then
    ``A = (a_max - P2 V^2)/P1`` capped so that ``3 P2 V A`` uses at most half of the jerk left
    after ``P3 V^3``, and ``J`` takes the rest. Zero bounds drop their term. A path of zero
    length (``P1 = 0``) returns ``(1, 1, 1)`` (any timing works).
    """
    p1, p2, p3 = (float(b) for b in bounds)
    if p1 <= 0.0:
        return 1.0, 1.0, 1.0
    v = v_max / p1
    if p2 > 0.0:
        v = min(v, math.sqrt(a_max / (2.0 * p2)))
    if p3 > 0.0:
        v = min(v, (j_max / (3.0 * p3)) ** (1.0 / 3.0))
    a = (a_max - p2 * v * v) / p1
    jerk_left = j_max - p3 * v**3
    if p2 > 0.0:
        a = min(a, jerk_left / (6.0 * p2 * v))
    j = (jerk_left - 3.0 * p2 * v * a) / p1
    return v, a, j


@dataclass(frozen=True)
class FixedPoint:
    """A point that does not move: ``p(u) = point``; all bounds 0."""

    point: Vec3

    def points(self, u: ArrayLike) -> np.ndarray:
        return np.broadcast_to(_vec(self.point), (*np.shape(u), 3)).copy()

    def derivative_bounds(self, u_lo: float, u_hi: float) -> tuple[float, float, float]:
        return 0.0, 0.0, 0.0


@dataclass(frozen=True)
class ShiftedPath:
    """Another path moved by a constant ``offset`` (a camera hanging below its carriage)."""

    path: LinePath | ArmPath | OrbitPath | EllipsePath
    offset: Vec3

    def points(self, u: ArrayLike) -> np.ndarray:
        return self.path.points(u) + _vec(self.offset)

    def derivative_bounds(self, u_lo: float, u_hi: float) -> tuple[float, float, float]:
        return self.path.derivative_bounds(u_lo, u_hi)


@dataclass(frozen=True)
class LinePath:
    """Straight line ``p(u) = start + u (end - start)``; ``P1 = |end - start|``, ``P2 = P3 = 0``."""

    start: Vec3
    end: Vec3

    def points(self, u: ArrayLike) -> np.ndarray:
        uu = _u(u)[..., None]
        a, b = _vec(self.start), _vec(self.end)
        return a + uu * (b - a)

    def derivative_bounds(self, u_lo: float, u_hi: float) -> tuple[float, float, float]:
        return float(np.linalg.norm(_vec(self.end) - _vec(self.start))), 0.0, 0.0


@dataclass(frozen=True)
class ArmPath:
    """Tip of a telescoping arm: ``p = pivot + L(u) e(az(u), el(u))``, all linear in ``u``.

    ``e = (cos el cos az, cos el sin az, sin el)``; azimuth (swing) and elevation (boom) in degrees,
    ``L`` in metres. With ``da, de`` the swing and boom changes in radians,
    ``e = Rz(az) m(el)`` and ``|d^k Rz/du^k v| = |da|^k |v_xy|``, so
    ``|e^(n)| <= E_n = (|da| + |de|)^n - (1 - cmax) |da|^n`` (``cmax`` = largest ``cos el`` on
    the range), and by Leibniz with ``L'' = 0``:
    ``|p^(n)| <= Lmax E_n + n |dL| E_(n-1)``.
    """

    pivot: Vec3
    length0: float
    length1: float
    azimuth0_deg: float
    azimuth1_deg: float
    elevation0_deg: float
    elevation1_deg: float

    def lengths(self, u: ArrayLike) -> np.ndarray:
        return self.length0 + _u(u) * (self.length1 - self.length0)

    def points(self, u: ArrayLike) -> np.ndarray:
        uu = _u(u)
        az = np.radians(self.azimuth0_deg + uu * (self.azimuth1_deg - self.azimuth0_deg))
        el = np.radians(self.elevation0_deg + uu * (self.elevation1_deg - self.elevation0_deg))
        length = self.lengths(uu)
        e = np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=-1)
        return _vec(self.pivot) + length[..., None] * e

    def derivative_bounds(self, u_lo: float, u_hi: float) -> tuple[float, float, float]:
        da = abs(math.radians(self.azimuth1_deg - self.azimuth0_deg))
        de = abs(math.radians(self.elevation1_deg - self.elevation0_deg))
        els = [
            math.radians(self.elevation0_deg + u * (self.elevation1_deg - self.elevation0_deg))
            for u in (u_lo, u_hi)
        ]
        lo, hi = min(els), max(els)
        contains_multiple_of_pi = math.ceil(lo / math.pi) * math.pi <= hi
        cmax = 1.0 if contains_multiple_of_pi else max(abs(math.cos(lo)), abs(math.cos(hi)))
        e = [1.0] + [(da + de) ** n - (1.0 - cmax) * da**n for n in (1, 2, 3)]
        dl = abs(self.length1 - self.length0)
        lmax = float(np.max(np.abs(self.lengths([u_lo, u_hi]))))
        return tuple(lmax * e[n] + n * dl * e[n - 1] for n in (1, 2, 3))  # type: ignore[return-value]


@dataclass(frozen=True)
class OrbitPath:
    """Orbit: ``p = center + (R(u) cos az(u), R(u) sin az(u), h(u))``, all linear in ``u``.

    ``h`` is the height above ``center``. Horizontal part by Leibniz with ``R'' = 0`` and
    ``da`` the sweep in radians: ``H_n = Rmax |da|^n + n |dR| |da|^(n-1)``; vertical part
    ``|dh|`` for ``n = 1`` and 0 after; ``|p^(n)| <= sqrt(H_n^2 + V_n^2)``.
    """

    center: Vec3
    radius0: float
    radius1: float
    azimuth0_deg: float
    azimuth1_deg: float
    height0: float
    height1: float

    def points(self, u: ArrayLike) -> np.ndarray:
        uu = _u(u)
        az = np.radians(self.azimuth0_deg + uu * (self.azimuth1_deg - self.azimuth0_deg))
        radius = self.radius0 + uu * (self.radius1 - self.radius0)
        height = self.height0 + uu * (self.height1 - self.height0)
        local = np.stack([radius * np.cos(az), radius * np.sin(az), height], axis=-1)
        return _vec(self.center) + local

    def derivative_bounds(self, u_lo: float, u_hi: float) -> tuple[float, float, float]:
        da = abs(math.radians(self.azimuth1_deg - self.azimuth0_deg))
        dr = abs(self.radius1 - self.radius0)
        dh = abs(self.height1 - self.height0)
        rmax = max(abs(self.radius0 + u * (self.radius1 - self.radius0)) for u in (u_lo, u_hi))
        out = []
        for n in (1, 2, 3):
            horizontal = rmax * da**n + n * dr * da ** (n - 1)
            vertical = dh if n == 1 else 0.0
            out.append(math.hypot(horizontal, vertical))
        return out[0], out[1], out[2]


@dataclass(frozen=True)
class EllipsePath:
    """A point load on a cable of fixed length between two anchors: an ellipse with them as foci.

    ``|P - A| + |P - B| = 2a`` is the inextensible-cable constraint, so every position of a
    carriage hanging on the cable lies on the ellipse with foci ``A, B`` in the vertical plane
    through them. ``sag`` is the semi-minor axis ``b``: the drop below the chord midpoint ``M``,
    measured perpendicular to the chord (the vertical sag for level anchors); ``c = |B - A|/2``
    and ``a = sqrt(c^2 + b^2)``. ``p(theta) = M + a cos(theta) u_hat + b sin(theta) n_hat``,
    ``u_hat`` from A to B, ``n_hat`` perpendicular to it in the vertical plane, pointing down.
    ``theta`` is linear in ``u`` between the angles of two chord stations (metres from A along the
    chord, ``x = station - c = a cos theta``). Bounds: ``|p^(n)| <= |d theta|^n a``.
    """

    anchor_a: Vec3
    anchor_b: Vec3
    sag: float
    station0: float
    station1: float

    def frame(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
        """``(M, u_hat, n_hat, a, c)``."""
        a_pt, b_pt = _vec(self.anchor_a), _vec(self.anchor_b)
        chord = b_pt - a_pt
        length = float(np.linalg.norm(chord))
        u_hat = chord / length
        down = np.array([0.0, 0.0, -1.0])
        n_vec = down - float(down @ u_hat) * u_hat
        n_hat = n_vec / float(np.linalg.norm(n_vec))
        c = 0.5 * length
        return 0.5 * (a_pt + b_pt), u_hat, n_hat, math.hypot(c, self.sag), c

    def _theta(self, station: float) -> float:
        _, _, _, a, c = self.frame()
        return math.acos(max(-1.0, min(1.0, (station - c) / a)))

    def points(self, u: ArrayLike) -> np.ndarray:
        mid, u_hat, n_hat, a, _ = self.frame()
        th0, th1 = self._theta(self.station0), self._theta(self.station1)
        theta = th0 + _u(u) * (th1 - th0)
        return (
            mid
            + (a * np.cos(theta))[..., None] * u_hat
            + (self.sag * np.sin(theta))[..., None] * n_hat
        )

    def cable_length(self) -> float:
        """Total cable length ``2a`` (the constant ``|P - A| + |P - B|``)."""
        return 2.0 * self.frame()[3]

    def derivative_bounds(self, u_lo: float, u_hi: float) -> tuple[float, float, float]:
        a = self.frame()[3]
        dth = abs(self._theta(self.station1) - self._theta(self.station0))
        return a * dth, a * dth**2, a * dth**3
