"""Rig paths: derivative bounds hold (and are tight where exact), cable ellipse, move planning."""

from __future__ import annotations

import math

import numpy as np
import pytest

from moks_graph.nodes.camera.limits import limit_report
from moks_graph.nodes.camera.motion import plan_path_motion
from moks_graph.nodes.camera.paths import (
    ArmPath,
    EllipsePath,
    LinePath,
    OrbitPath,
    path_parameter_limits,
)

U = np.linspace(-0.2, 1.2, 1401)  # coarse enough that rounding of third differences is small

PATHS = [
    LinePath((0.0, 0.0, 1.0), (3.0, -4.0, 2.0)),
    ArmPath((0.0, -7.0, 1.8), 6.0, 9.0, 60.0, 150.0, 10.0, -20.0),
    ArmPath((1.0, 2.0, 3.0), 12.0, 4.0, -30.0, 200.0, 45.0, 60.0),
    OrbitPath((0.0, 0.0, 1.5), 8.0, 3.0, -90.0, 630.0, 4.0, 10.0),
    EllipsePath((-30.0, 0.0, 14.0), (30.0, 5.0, 9.0), 3.0, 5.0, 55.0),
]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: type(p).__name__)
def test_derivative_bounds_hold(path) -> None:
    numeric = limit_report(U, path.points(U))
    bounds = path.derivative_bounds(float(U[0]), float(U[-1]))
    for got, bound in zip(numeric.values(), bounds, strict=True):
        assert got <= bound * (1 + 1e-6) + 1e-4


def test_bounds_are_exact_for_simple_paths() -> None:
    line = LinePath((0.0, 0.0, 0.0), (3.0, 4.0, 0.0))
    assert line.derivative_bounds(0, 1) == (5.0, 0.0, 0.0)
    orbit = OrbitPath((0.0, 0.0, 0.0), 5.0, 5.0, 0.0, 90.0, 2.0, 2.0)
    da = math.pi / 2
    assert orbit.derivative_bounds(0, 1) == pytest.approx((5 * da, 5 * da**2, 5 * da**3))
    numeric = limit_report(U, orbit.points(U))
    assert numeric["speed"] == pytest.approx(5 * da, rel=1e-6)
    swing = ArmPath((0.0, 0.0, 0.0), 6.0, 6.0, 0.0, 60.0, 20.0, 20.0)
    r = 6.0 * math.cos(math.radians(20.0))
    assert swing.derivative_bounds(0, 1)[0] == pytest.approx(r * math.radians(60.0))


def test_cable_path_is_the_ellipse_with_anchor_foci() -> None:
    a, b = (-30.0, 0.0, 14.0), (30.0, 5.0, 9.0)
    cable = EllipsePath(a, b, 3.0, 5.0, 55.0)
    pts = cable.points(np.linspace(0, 1, 1001))
    total = np.linalg.norm(pts - a, axis=1) + np.linalg.norm(pts - b, axis=1)
    assert np.allclose(total, cable.cable_length(), atol=1e-9, rtol=0)
    assert np.all(pts[:, 2] < np.interp(pts[:, 0], [a[0], b[0]], [a[2], b[2]]))  # below chord
    chord = np.subtract(b, a) / np.linalg.norm(np.subtract(b, a))
    stations = (pts[[0, -1]] - a) @ chord
    assert stations == pytest.approx([5.0, 55.0], abs=1e-9)
    level = EllipsePath((-30.0, 0.0, 14.0), (30.0, 0.0, 14.0), 3.0, 0.0, 60.0)
    mid = level.points(np.array([0.5]))[0]
    assert mid == pytest.approx((0.0, 0.0, 11.0), abs=1e-12)  # sag below mid-span


def test_path_parameter_limits_satisfy_chain_rule() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        p1, p2, p3 = rng.uniform(0, 50, 3)
        v, a, j = rng.uniform(0.1, 10, 3)
        vv, aa, jj = path_parameter_limits((p1, p2, p3), v, a, j)
        assert min(vv, aa, jj) > 0
        assert p1 * vv <= v * (1 + 1e-12)
        assert p2 * vv**2 + p1 * aa <= a * (1 + 1e-12)
        assert p3 * vv**3 + 3 * p2 * vv * aa + p1 * jj <= j * (1 + 1e-12)
    assert path_parameter_limits((4.0, 0.0, 0.0), 2.0, 1.0, 3.0) == (0.5, 0.25, 0.75)


@pytest.mark.parametrize("spring", [None, (2 * math.pi * 1.2, 0.08), (4.0, 0.5), (9.0, 1.5)])
@pytest.mark.parametrize("duration", [None, 30.0])
def test_planned_motion_respects_camera_limits(spring, duration) -> None:
    path = ArmPath((0.0, -7.0, 1.8), 6.0, 8.0, 60.0, 150.0, 10.0, 25.0)
    motion = plan_path_motion(path, 0.5, 1.5, 1.0, 3.0, duration, spring)
    t = np.arange(0, 45 * 2000) / 2000.0
    u = motion.u(t)
    rep = limit_report(t, path.points(u))
    assert rep["speed"] <= 1.5 * (1 + 1e-6)
    assert rep["acceleration"] <= 1.0 * (1 + 1e-6)
    assert rep["jerk"] <= 3.0 * (1 + 1e-3)
    assert motion.u_range[0] <= u.min() and u.max() <= motion.u_range[1]
    assert u[-1] == pytest.approx(1.0, abs=1e-6)  # arrived (and flex rung down)
    if duration is not None:
        assert motion.profile.duration == pytest.approx(duration, rel=1e-9)
    if spring is not None and spring[1] < 0.2:
        assert u.max() > 1.0 + 1e-4  # the flexing arm overshoots its stop


def test_duration_too_short_names_move_duration() -> None:
    path = LinePath((0.0, 0.0, 0.0), (10.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="move_duration"):
        plan_path_motion(path, 0.0, 1.0, 1.0, 1.0, 2.0)
