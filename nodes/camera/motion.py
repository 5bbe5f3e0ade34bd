"""Planning a rig's programmed move along a path, with or without a flexing spring.

Entry points: :func:`plan_path_motion` (returns a :class:`PathMotion`).

Details (moved from this docstring, issue 15): docs/classic-mode.md#nodescameramotionpy
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from moks_graph.nodes.camera.limits import JerkLimitedProfile, jerk_limited_profile
from moks_graph.nodes.camera.paths import path_parameter_limits
from moks_graph.nodes.camera.springs import (
    base_excitation_gain,
    base_excitation_lag,
    spring_ramp_derivatives,
)

#: Safety margin on grid-verified derivative maxima.
MARGIN = 0.01


class Path(Protocol):
    """What a move needs of a path (see :mod:`.paths`)."""

    def points(self, u: np.ndarray) -> np.ndarray: ...

    def derivative_bounds(self, u_lo: float, u_hi: float) -> tuple[float, float, float]: ...


@dataclass(frozen=True)
class PathMotion:
    """``u(t)``: a planned S-curve in the path parameter, optionally through a spring."""

    profile: JerkLimitedProfile
    start_time: float
    spring: tuple[float, float] | None
    u_range: tuple[float, float]

    def u(self, t: np.ndarray, derivative: int = 0) -> np.ndarray:
        """Path parameter (or its ``derivative`` 0..3) at absolute times ``t`` (s)."""
        tau = np.asarray(t, dtype=np.float64) - self.start_time
        evaluate = (
            self.profile.position, self.profile.velocity, self.profile.acceleration,
            self.profile.jerk,
        )[derivative]
        u = evaluate(tau)
        if self.spring is not None:
            times, steps = self.profile.jerk_steps()
            u = u + base_excitation_lag(tau, times, steps, *self.spring, derivative=derivative)
        return u


def _flexed_extremes(
    profile: JerkLimitedProfile, spring: tuple[float, float]
) -> tuple[float, float, float, float, float]:
    """``(u_min, u_max, max|u'|, max|u''|, max|u'''|)`` of the flexed move on a fixed grid."""
    omega, zeta = spring
    period = 2.0 * math.pi / omega
    slow = zeta if zeta < 1.0 else 1.0 / (zeta + math.sqrt(zeta * zeta - 1.0))
    horizon = profile.duration + 4.0 * period + min(3.0 / (slow * omega), 20.0 * period)
    step = min(profile.duration / 500.0, period / 64.0)
    n = int(min(math.ceil(horizon / step), 400_000))
    times, steps = profile.jerk_steps()
    tau = np.union1d(np.linspace(0.0, horizon, n + 1), times)
    evaluate = (profile.position, profile.velocity, profile.acceleration, profile.jerk)
    values = [evaluate[d](tau) for d in range(4)]
    scale = -1.0 / (omega * omega)
    for when, jump in zip(times, steps, strict=True):
        ramp = spring_ramp_derivatives(tau - when, omega, zeta)
        for d in range(4):
            values[d] = values[d] + (scale * jump) * ramp[d]
    return (
        float(values[0].min()),
        float(values[0].max()),
        *(float(np.abs(v).max()) for v in values[1:]),
    )


def _profile_or_none(
    targets: tuple[float, float, float], k: float, duration: float | None
) -> JerkLimitedProfile | None:
    try:
        return jerk_limited_profile(1.0, k * targets[0], k * targets[1], k * targets[2], duration)
    except ValueError:
        return None


def _plan_flexed(
    targets: tuple[float, float, float], spring: tuple[float, float], duration: float | None
) -> tuple[JerkLimitedProfile, tuple[float, float]]:
    """Largest safe ``k`` (see module docstring); returns the profile and the flexed u range."""
    gain = base_excitation_gain(spring[1])
    limit = [t * (1.0 - MARGIN) for t in targets]

    def check(k: float) -> tuple[JerkLimitedProfile, tuple[float, float]] | bool | None:
        prof = _profile_or_none(targets, k, duration)
        if prof is None:
            return None
        lo, hi, s1, s2, s3 = _flexed_extremes(prof, spring)
        if s1 <= limit[0] and s2 <= limit[1] and s3 <= limit[2]:
            return prof, (lo, hi)
        return False

    first = check(1.0)
    if first is None:
        jerk_limited_profile(1.0, *targets, duration)  # raises the duration error
    if isinstance(first, tuple):
        return first
    lo_k, hi_k = 1.0 / gain, 1.0
    best = check(lo_k)
    if best is None:  # the duration needs a larger k: find the smallest k that meets it
        short, enough = lo_k, 1.0
        for _ in range(40):
            mid = 0.5 * (short + enough)
            if _profile_or_none(targets, mid, duration) is None:
                short = mid
            else:
                enough = mid
        lo_k = enough
        best = check(lo_k)
        if not isinstance(best, tuple):
            safe = jerk_limited_profile(1.0, *(t / gain for t in targets)).duration
            raise ValueError(
                f"duration {duration:g} s is too short once the spring is accounted for "
                f"(a duration of {safe:.6g} s is always within the limits)"
            )
    if best is False:  # k = 1/G is safe by the L1 bound itself, whatever the sampled check says
        prof = jerk_limited_profile(1.0, *(lo_k * t for t in targets), duration)
        lo, hi = _flexed_extremes(prof, spring)[:2]
        best = (prof, (lo, hi))
    for _ in range(14):
        mid = 0.5 * (lo_k + hi_k)
        found = check(mid)
        if isinstance(found, tuple):
            lo_k, best = mid, found
        else:
            hi_k = mid
    return best


@functools.lru_cache(maxsize=256)
def _plan(
    path: Path,
    limits: tuple[float, float, float],
    spring: tuple[float, float] | None,
    duration: float | None,
) -> tuple[JerkLimitedProfile, tuple[float, float]]:
    if spring is None:
        targets = path_parameter_limits(path.derivative_bounds(0.0, 1.0), *limits)
        return jerk_limited_profile(1.0, *targets, duration), (0.0, 1.0)
    u_range = (0.0, 1.0)
    for _ in range(6):
        targets = path_parameter_limits(path.derivative_bounds(*u_range), *limits)
        profile, (lo, hi) = _plan_flexed(targets, spring, duration)
        pad = 1e-3 + MARGIN * max(-lo, hi - 1.0, 0.0)
        needed = (min(0.0, lo - pad), max(1.0, hi + pad))
        if u_range[0] <= needed[0] and needed[1] <= u_range[1]:
            return profile, u_range
        u_range = (min(u_range[0], needed[0]), max(u_range[1], needed[1]))
    gain = base_excitation_gain(spring[1])
    u_range = (-(gain - 1.0) / 2.0, (gain + 1.0) / 2.0)  # the a-priori range: always contains u
    targets = path_parameter_limits(path.derivative_bounds(*u_range), *limits)
    profile = jerk_limited_profile(1.0, *(t / gain for t in targets), duration)
    return profile, u_range


def plan_path_motion(
    path: Path,
    start_time: float,
    v_max: float,
    a_max: float,
    j_max: float,
    move_duration: float | None = None,
    spring: tuple[float, float] | None = None,
) -> PathMotion:
    """Plan ``u(t)`` along ``path`` (a hashable path dataclass) within the camera limits.

    ``spring = (omega_n [rad/s], zeta)`` adds a base-excited spring; ``move_duration`` (s) slows
    the move to that length. Raises ``ValueError`` naming ``move_duration`` when it is too short.
    """
    try:
        profile, u_range = _plan(
            path, (float(v_max), float(a_max), float(j_max)),
            None if spring is None else (float(spring[0]), float(spring[1])),
            None if not move_duration else float(move_duration),
        )
    except ValueError as err:
        raise ValueError(f"move_duration: {err} (raise the limits or lengthen the move)") from err
    return PathMotion(profile, float(start_time), spring, u_range)
