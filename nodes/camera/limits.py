"""Jerk-limited point-to-point motion (7-segment S-curve) in closed form, and a limit checker.

The details (moved from this docstring): docs/classic-mode.md, "Module notes",
`nodes/camera/limits.py`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from moks_graph.nodes.camera._checks import finite, finite_array, positive


@dataclass(frozen=True)
class JerkLimitedProfile:
    """A planned S-curve. Evaluate with :meth:`position` etc. at seconds since the move start."""

    distance: float
    v_max: float
    a_max: float
    j_max: float
    t_jerk: float
    t_accel: float
    t_cruise: float
    peak_velocity: float
    peak_acceleration: float

    @property
    def duration(self) -> float:
        """Total move time ``T = 2 Ta + Tv`` in seconds."""
        return 2.0 * self.t_accel + self.t_cruise

    def switch_times(self) -> np.ndarray:
        """The 8 segment boundaries (seconds; repeated values mark empty segments)."""
        tj, ta, tv = self.t_jerk, self.t_accel, self.t_cruise
        t_end = self.duration
        return np.array(
            [0.0, tj, ta - tj, ta, ta + tv, ta + tv + tj, t_end - tj, t_end], dtype=np.float64
        )

    def jerk_steps(self) -> tuple[np.ndarray, np.ndarray]:
        """``(times, steps)``: the jerk jumps by ``steps[k]`` at ``times[k]`` (signed)."""
        j = math.copysign(self.j_max, self.distance) if self.duration > 0.0 else 0.0
        steps = np.array([j, -j, -j, j, -j, j, j, -j], dtype=np.float64)
        return self.switch_times(), steps

    def _accel_half(self, tau: np.ndarray, derivative: int) -> np.ndarray:
        """Unsigned acceleration-phase value (0 <= tau <= Ta) of derivative 0..3.

        Powers are written as products: ``np.power`` may use approximate SIMD code.
        """
        j, tj, ta = self.j_max, self.t_jerk, self.t_accel
        ap = j * tj
        p1, v1 = j * tj**3 / 6.0, j * tj**2 / 2.0
        t1 = tau
        t2 = tau - tj
        t3 = tau - (ta - tj)
        p2 = p1 + v1 * (ta - 2.0 * tj) + ap * (ta - 2.0 * tj) ** 2 / 2.0
        v2 = v1 + ap * (ta - 2.0 * tj)
        seg = np.where(tau < tj, 0, np.where(tau < ta - tj, 1, 2))
        if derivative == 0:
            vals = (
                j * (t1 * t1 * t1) / 6.0,
                p1 + v1 * t2 + ap * (t2 * t2) / 2.0,
                p2 + v2 * t3 + ap * (t3 * t3) / 2.0 - j * (t3 * t3 * t3) / 6.0,
            )
        elif derivative == 1:
            vals = (j * (t1 * t1) / 2.0, v1 + ap * t2, v2 + ap * t3 - j * (t3 * t3) / 2.0)
        elif derivative == 2:
            vals = (j * t1, np.full_like(tau, ap), ap - j * t3)
        else:
            vals = (np.full_like(tau, j), np.zeros_like(tau), np.full_like(tau, -j))
        return np.choose(seg, vals)

    def _evaluate(self, t: ArrayLike, derivative: int) -> np.ndarray:
        tau = finite_array("t", t)
        sign = math.copysign(1.0, self.distance)
        dist = abs(self.distance)
        ta, tv, t_end, vp = self.t_accel, self.t_cruise, self.duration, self.peak_velocity
        if t_end == 0.0:
            return np.full(tau.shape, self.distance if derivative == 0 else 0.0)
        first = np.clip(tau, 0.0, ta)
        mirror = np.clip(t_end - tau, 0.0, ta)
        rising = self._accel_half(first, derivative)
        falling = self._accel_half(mirror, derivative)
        cruise_t = tau - ta
        if derivative == 0:
            before, after = 0.0, dist
            cruise = vp * ta / 2.0 + vp * cruise_t
            falling = dist - falling
        else:
            before = after = 0.0
            cruise = np.full(tau.shape, vp if derivative == 1 else 0.0)
            if derivative == 2:  # p = D - p_acc(T - t): v, j keep their sign, a flips
                falling = -falling
        out = np.where(
            tau <= 0.0,
            before,
            np.where(
                tau < ta,
                rising,
                np.where(tau < ta + tv, cruise, np.where(tau < t_end, falling, after)),
            ),
        )
        return sign * out

    def position(self, t: ArrayLike) -> np.ndarray:
        """Position at ``t`` seconds since the move start (0 before, ``distance`` after)."""
        return self._evaluate(t, 0)

    def velocity(self, t: ArrayLike) -> np.ndarray:
        """Velocity (units/s)."""
        return self._evaluate(t, 1)

    def acceleration(self, t: ArrayLike) -> np.ndarray:
        """Acceleration (units/s^2)."""
        return self._evaluate(t, 2)

    def jerk(self, t: ArrayLike) -> np.ndarray:
        """Jerk (units/s^3); piecewise constant, 0 outside the move."""
        return self._evaluate(t, 3)


def _accel_times(vp: float, a: float, j: float) -> tuple[float, float]:
    """``(Tj, Ta)`` to accelerate from rest to ``vp``."""
    if vp * j >= a * a:
        tj = a / j
        return tj, tj + vp / a
    tj = math.sqrt(vp / j)
    return tj, 2.0 * tj


def _plan(dist: float, v: float, a: float, j: float) -> tuple[float, float, float, float]:
    """``(Tj, Ta, Tv, vp)`` for the fastest move of ``dist >= 0`` under the limits."""
    if dist == 0.0:
        return 0.0, 0.0, 0.0, 0.0
    tj, ta = _accel_times(v, a, j)
    if v * ta <= dist:
        return tj, ta, dist / v - ta, v
    if dist >= 2.0 * a**3 / j**2:
        vp = 0.5 * a * (math.sqrt((a / j) ** 2 + 4.0 * dist / a) - a / j)
        tj = a / j
        return tj, tj + vp / a, 0.0, vp
    tj = (dist / (2.0 * j)) ** (1.0 / 3.0)
    return tj, 2.0 * tj, 0.0, j * tj * tj


def jerk_limited_profile(
    distance: float,
    v_max: float,
    a_max: float,
    j_max: float,
    duration: float | None = None,
) -> JerkLimitedProfile:
    """Plan the fastest rest-to-rest S-curve over ``distance`` (or one of exactly ``duration``).

    Units are any length unit L: ``v_max`` L/s, ``a_max`` L/s^2, ``j_max`` L/s^3, ``duration`` s.
    ``distance`` may be negative (the move runs backwards) or zero (a profile of duration 0).
    """
    d = finite("distance", distance)
    v = positive("v_max", v_max)
    a = positive("a_max", a_max)
    j = positive("j_max", j_max)
    dist = abs(d)
    tj, ta, tv, vp = _plan(dist, v, a, j)
    fastest = 2.0 * ta + tv
    v_used = v
    if duration is not None:
        want = positive("duration", duration)
        if dist == 0.0:
            raise ValueError("duration cannot be set for a move of zero distance")
        if want < fastest * (1.0 - 1e-12):
            raise ValueError(
                f"duration {want:.6g} s is shorter than the fastest move the limits allow "
                f"({fastest:.6g} s for distance {dist:.6g} with v_max={v:g}, a_max={a:g}, "
                f"j_max={j:g})"
            )
        if want > fastest:
            lo, hi = 0.0, vp  # T(v) is continuous and decreasing on (0, vp]
            for _ in range(200):
                mid = 0.5 * (lo + hi)
                if mid <= lo or mid >= hi:
                    break
                _, m_ta, m_tv, _ = _plan(dist, mid, a, j)
                if 2.0 * m_ta + m_tv > want:
                    lo = mid
                else:
                    hi = mid
            v_used = hi
            tj, ta, tv, vp = _plan(dist, v_used, a, j)
            tv = max(0.0, want - 2.0 * ta)  # absorb the last ulp of the bisection in the cruise
            vp = dist / (ta + tv)
    peak_a = j * tj
    return JerkLimitedProfile(
        distance=d,
        v_max=v,
        a_max=a,
        j_max=j,
        t_jerk=tj,
        t_accel=ta,
        t_cruise=tv,
        peak_velocity=vp,
        peak_acceleration=peak_a,
    )


def limit_report(t: ArrayLike, positions: ArrayLike) -> dict[str, float]:
    """Largest speed, acceleration and jerk of sampled positions, by divided differences.

    ``positions`` is ``(N,)`` or ``(N, D)`` (vector norm over the last axis) sampled at strictly
    increasing times ``t`` (seconds, any spacing, N >= 4). The k-th divided difference times
    ``k!`` equals the k-th derivative at an intermediate time (mean value theorem), so for a
    smooth motion these values never exceed the true maxima except by rounding.
    Returns ``{"speed": ..., "acceleration": ..., "jerk": ...}``.
    """
    times = finite_array("t", t).reshape(-1)
    pos = finite_array("positions", positions)
    if pos.ndim == 1:
        pos = pos[:, None]
    if pos.ndim != 2 or pos.shape[0] != times.shape[0]:
        raise ValueError(
            f"positions must be (N,) or (N, D) with N = len(t) = {times.shape[0]}, "
            f"got shape {np.shape(positions)}"
        )
    if times.shape[0] < 4:
        raise ValueError("limit_report needs at least 4 samples")
    if not np.all(np.diff(times) > 0.0):
        raise ValueError("t must be strictly increasing")
    table = pos
    out: list[float] = []
    for order in (1, 2, 3):
        span = (times[order:] - times[:-order])[:, None]
        table = (table[1:] - table[:-1]) / span
        out.append(float(np.max(np.linalg.norm(table, axis=1))) * math.factorial(order))
    return {"speed": out[0], "acceleration": out[1], "jerk": out[2]}
