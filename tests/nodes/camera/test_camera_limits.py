"""Jerk-limited S-curves: limits by finite differences, exact arrival, regimes, durations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from moks_graph.nodes.camera.limits import jerk_limited_profile, limit_report

# (distance, v_max, a_max, j_max): cruise + a reached, no cruise + a reached,
# no cruise + a not reached, cruise + a not reached (v < a^2/j), negative distance
CASES = [
    (10.0, 2.0, 1.5, 4.0),
    (3.0, 2.0, 1.5, 4.0),
    (0.05, 2.0, 1.5, 4.0),
    (6.0, 0.3, 1.5, 4.0),
    (-7.5, 1.1, 0.7, 1.3),
]


def _sample(prof, rate: float = 960.0) -> np.ndarray:
    return np.arange(math.floor(-0.5 * rate), math.ceil((prof.duration + 0.5) * rate)) / rate


@pytest.mark.parametrize("case", CASES)
def test_limits_respected_by_finite_differences(case: tuple[float, ...]) -> None:
    d, v, a, j = case
    prof = jerk_limited_profile(d, v, a, j)
    t = _sample(prof)
    rep = limit_report(t, prof.position(t))
    assert rep["speed"] <= v * (1 + 1e-9)
    assert rep["acceleration"] <= a * (1 + 1e-6)
    assert rep["jerk"] <= j * (1 + 1e-4)
    # and the fastest profile really uses its limits (jerk always at J, peaks reported)
    assert rep["jerk"] >= 0.9 * j
    assert rep["speed"] == pytest.approx(prof.peak_velocity, rel=1e-5)
    assert rep["acceleration"] == pytest.approx(prof.peak_acceleration, abs=2 * j / 960)


@pytest.mark.parametrize("case", CASES)
def test_reaches_distance_exactly_and_is_continuous(case: tuple[float, ...]) -> None:
    d, v, a, j = case
    prof = jerk_limited_profile(d, v, a, j)
    assert prof.position([prof.duration])[0] == d
    assert np.all(prof.position([prof.duration + 1.0, 1e9]) == d)
    assert np.all(prof.position([-1.0, 0.0]) == 0.0)
    # continuity of p, v, a at every segment boundary
    for tb in prof.switch_times():
        for fn in (prof.position, prof.velocity, prof.acceleration):
            lo, hi = fn([tb - 1e-9, tb + 1e-9])
            assert abs(hi - lo) < 1e-7
    # derivatives agree with finite differences of the position
    t = np.linspace(0.01, prof.duration - 0.01, 3001)
    h = 1e-5
    num_v = (prof.position(t + h) - prof.position(t - h)) / (2 * h)
    assert np.allclose(num_v, prof.velocity(t), atol=1e-7)
    num_a = (prof.velocity(t + h) - prof.velocity(t - h)) / (2 * h)
    assert np.allclose(num_a, prof.acceleration(t), atol=1e-6)


def test_textbook_duration_when_all_limits_reached() -> None:
    """Cruise case: T = D/v + v/a + a/j (Biagiotti & Melchiorri 2008, eq. 3.30 with v0=v1=0)."""
    d, v, a, j = 10.0, 2.0, 1.5, 4.0
    prof = jerk_limited_profile(d, v, a, j)
    assert prof.duration == pytest.approx(d / v + v / a + a / j, rel=1e-14)
    assert prof.peak_velocity == v and prof.peak_acceleration == a


def test_short_move_is_four_jerk_segments() -> None:
    """Neither v nor a reached: D = 2 J Tj^3 and T = 4 Tj."""
    d, j = 0.05, 4.0
    prof = jerk_limited_profile(d, 2.0, 1.5, j)
    tj = (d / (2 * j)) ** (1 / 3)
    assert prof.duration == pytest.approx(4 * tj, rel=1e-14)
    assert prof.t_cruise == 0.0
    assert prof.peak_acceleration == pytest.approx(j * tj) and prof.peak_acceleration < 1.5


def test_negative_distance_mirrors() -> None:
    pos, neg = jerk_limited_profile(4.0, 1.0, 1.0, 3.0), jerk_limited_profile(-4.0, 1.0, 1.0, 3.0)
    t = np.linspace(-1, 7, 801)
    assert np.array_equal(neg.position(t), -pos.position(t))
    assert np.array_equal(neg.jerk(t), -pos.jerk(t))


def test_requested_duration() -> None:
    prof = jerk_limited_profile(5.0, 2.0, 1.0, 3.0, duration=9.0)
    assert prof.duration == pytest.approx(9.0, rel=1e-12)
    assert prof.position([9.0])[0] == 5.0
    t = np.arange(-480, 10 * 960) / 960
    rep = limit_report(t, prof.position(t))
    assert rep["speed"] <= 2.0 and rep["acceleration"] <= 1.0 + 1e-6 and rep["jerk"] <= 3.0 + 1e-3
    fastest = jerk_limited_profile(5.0, 2.0, 1.0, 3.0).duration
    with pytest.raises(ValueError, match="duration"):
        jerk_limited_profile(5.0, 2.0, 1.0, 3.0, duration=fastest * 0.9)


def test_jerk_steps_rebuild_the_acceleration() -> None:
    prof = jerk_limited_profile(3.0, 2.0, 1.5, 4.0)
    times, steps = prof.jerk_steps()
    assert steps.sum() == 0.0
    t = np.linspace(-0.5, prof.duration + 0.5, 2001)
    acc = sum(s * np.maximum(t - tk, 0.0) for tk, s in zip(times, steps, strict=True))
    assert np.allclose(acc, prof.acceleration(t), atol=1e-12)


def test_zero_distance() -> None:
    prof = jerk_limited_profile(0.0, 1.0, 1.0, 1.0)
    assert prof.duration == 0.0
    assert np.all(prof.position([-1.0, 0.0, 5.0]) == 0.0)


def test_limit_report_on_known_motion() -> None:
    """p = (cos t, sin t): |v| = |a| = |j| = 1 exactly; divided differences stay below."""
    t = np.linspace(0, 10, 10001)
    rep = limit_report(t, np.stack([np.cos(t), np.sin(t)], axis=-1))
    for name in ("speed", "acceleration", "jerk"):
        assert 1 - 1e-4 < rep[name] <= 1 + 1e-5  # rounding of third differences ~ 1e-6


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="v_max"):
        jerk_limited_profile(1.0, 0.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="j_max"):
        jerk_limited_profile(1.0, 1.0, 1.0, float("nan"))
    with pytest.raises(ValueError, match="increasing"):
        limit_report([0, 1, 1, 2], [0, 1, 2, 3])
