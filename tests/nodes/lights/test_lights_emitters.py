"""Exact illuminance of square, rectangle, disc and sphere emitters (issue 19), checked against
brute-force quadrature of ``L cos θ cos θ' / R² dA``, and the rig that uses it."""

from __future__ import annotations

import numpy as np
import pytest

from moks_graph.nodes.lights.emitters import (
    disc_illuminance_per_cd,
    exposure_hold_ev,
    far_field_distance,
    illuminance_per_cd,
    light_illuminance_per_cd,
    point_law_ratio,
    polygon_illuminance_per_luminance,
    rectangle_corners,
    rectangle_illuminance_per_cd,
    sphere_illuminance_per_cd,
    square_illuminance_per_cd,
)
from moks_graph.nodes.lights.placement import euler_xyz_to_matrix
from moks_graph.nodes.lights.rig import (
    FillLightParams,
    KeyLightParams,
    light_channels,
    subject_illuminance,
    three_point_channels,
)

N_GRID = 600


def _quad_rect(point: np.ndarray, normal: np.ndarray, centre: np.ndarray, x: np.ndarray,
               y: np.ndarray, w: float, h: float) -> float:
    """``E / L`` of a one-sided rectangle emitting along ``m = x × y``, by midpoint
    quadrature: ``∫ max(0, n·ω) max(0, m·(-ω)) / R² dA`` (``ω``: receiver -> emitter)."""
    u = (np.arange(N_GRID) + 0.5) / N_GRID - 0.5
    uu, vv = np.meshgrid(u * w, u * h, indexing="ij")
    pts = centre + uu[..., None] * x + vv[..., None] * y
    rel = pts - point
    r2 = np.sum(rel * rel, axis=-1)
    omega = rel / np.sqrt(r2)[..., None]
    emit = np.cross(x, y)  # the emitting side
    cos_r = np.clip(omega @ normal, 0.0, None)
    cos_e = np.clip(-(omega @ emit), 0.0, None)
    return float(np.sum(cos_r * cos_e / r2) * (w * h) / N_GRID**2)


@pytest.mark.parametrize(("w", "h", "d"), [(1.0, 1.0, 0.5), (1.83, 1.83, 1.2), (2.0, 0.5, 0.7),
                                           (0.3, 1.2, 3.0), (1.0, 1.0, 20.0)])
def test_rectangle_closed_form_matches_quadrature(w: float, h: float, d: float) -> None:
    axis = np.array([0.0, 0.0, 1.0])
    ex, ey = np.array([1.0, 0.0, 0.0]), np.array([0.0, -1.0, 0.0])  # emits toward -z
    solid = _quad_rect(np.zeros(3), axis, d * axis, ex, ey, w, h)
    assert rectangle_illuminance_per_cd(w, h, d) * w * h == pytest.approx(solid, rel=2e-5)
    corners = rectangle_corners(d * axis, ex, ey, w, h)
    assert polygon_illuminance_per_luminance(corners, np.zeros(3), axis)[0] == pytest.approx(
        solid, rel=2e-5)
    if w == h:
        assert square_illuminance_per_cd(w, d) == pytest.approx(
            rectangle_illuminance_per_cd(w, w, d), rel=1e-12)
        a = w / 2
        q = a / np.hypot(a, d)
        assert square_illuminance_per_cd(w, d) == pytest.approx(4 * q * np.arctan(q) / w**2)


def test_disc_and_sphere_match_quadrature() -> None:
    r, d = 0.6, 0.5
    n = 4000
    rho = (np.arange(n) + 0.5) / n * r  # rings of the disc
    ring = 2 * np.pi * rho * (r / n)
    solid = float(np.sum(ring * d * d / (rho**2 + d * d) ** 2))
    assert disc_illuminance_per_cd(2 * r, d) * np.pi * r * r == pytest.approx(solid, rel=1e-5)
    # Sphere of radius r at d: the visible cap, cos θ' from the sphere normal.
    rs, ds = 0.4, 0.5
    m = 4000
    theta = (np.arange(m) + 0.5) / m * np.pi
    pts = np.stack([rs * np.sin(theta), np.zeros(m), ds - rs * np.cos(theta)], axis=1)
    rel = pts
    r2 = np.sum(rel * rel, axis=1)
    omega = rel / np.sqrt(r2)[:, None]
    normal_s = np.stack([np.sin(theta), np.zeros(m), -np.cos(theta)], axis=1)
    cos_e = np.clip(-np.sum(omega * normal_s, axis=1), 0, None)
    cos_r = np.clip(omega[:, 2], 0, None)
    band = 2 * np.pi * rs * np.sin(theta) * rs * (np.pi / m)
    solid_s = float(np.sum(cos_r * cos_e / r2 * band))
    assert sphere_illuminance_per_cd(2 * rs, ds) * np.pi * rs * rs == pytest.approx(
        solid_s, rel=1e-5)
    assert sphere_illuminance_per_cd(2 * rs, ds) == pytest.approx(1 / ds**2)
    with pytest.raises(ValueError, match="radius"):
        sphere_illuminance_per_cd(1.0, 0.4)


def test_point_law_is_the_far_field_and_the_issue_figures() -> None:
    for shape in ("square", "rectangle", "disc", "sphere"):
        assert point_law_ratio(shape, 1.0, 1e4) == pytest.approx(1.0, abs=1e-8)
    assert illuminance_per_cd("point", 2.0) == pytest.approx(0.25)
    # moco_product_turntable's key: a 1.83 m square at 1.2 m gets 0.568 of I/d² (455 of 800 lx).
    assert 800 * point_law_ratio("square", 1.83, 1.2) == pytest.approx(455, abs=1)
    assert far_field_distance("square", 0.01) == pytest.approx(5.743, abs=1e-3)
    assert 1 - point_law_ratio("square", 1.0, 5.0) == pytest.approx(0.013, abs=5e-4)
    with pytest.raises(ValueError, match="shape"):
        illuminance_per_cd("tube", 1.0, 1.0)
    with pytest.raises(ValueError, match="size_m"):
        illuminance_per_cd("disc", 1.0)
    with pytest.raises(ValueError, match="kind"):
        light_illuminance_per_cd("light.sun", 1.0)


def test_polygon_formula_off_axis_and_clipped_by_the_horizon() -> None:
    rng = np.random.default_rng(7)
    above: set[int] = set()
    for _ in range(6):
        rot = euler_xyz_to_matrix(rng.uniform(-180, 180, 3)).reshape(3, 3)
        ex, ey = rot[:, 0], rot[:, 1]
        centre = rng.uniform(-1, 1, 3)
        point = centre + rot[:, 2] * rng.uniform(0.3, 2.0) + rng.uniform(-0.8, 0.8, 3)
        normal = rng.normal(size=3)
        normal /= np.linalg.norm(normal)
        w, h = rng.uniform(0.3, 2.0, 2)
        solid = _quad_rect(point, normal, centre, ex, ey, w, h)
        corners = rectangle_corners(centre, ex, ey, w, h)
        got = polygon_illuminance_per_luminance(corners, point, normal)[0]
        assert np.dot(point - centre, np.cross(ex, ey)) > 0  # on the emitting side
        above.add(int(np.sum((corners[0] - point) @ normal > 0)))
        assert got == pytest.approx(solid, rel=5e-4, abs=1e-6)
    assert above == {0, 2, 4}  # wholly below, clipped by, wholly above the horizon


def test_exposure_hold_keeps_an_area_light_exact_as_distance_and_size_animate() -> None:
    n = 30
    dist = np.linspace(0.5, 6.0, n)
    size = np.linspace(1.8, 0.4, n)
    target = np.array([0.0, 0.0, 1.5])
    ch = light_channels("area", n, [0, -5, 1.6], target, 30.0, 20.0, dist, 1500.0, 5600.0, 0.0,
                        size_m=size, reference_distance_m=2.0, reference_size_m=1.0)
    e0 = 1500.0 * square_illuminance_per_cd(1.0, 2.0)
    np.testing.assert_allclose(subject_illuminance(ch, target), e0, rtol=1e-12)
    np.testing.assert_allclose(
        ch["exposure_ev"], exposure_hold_ev("light.area", dist, 2.0, size, 1.0), rtol=1e-12)
    # point and spot: the inverse-square hold, as before
    np.testing.assert_allclose(exposure_hold_ev("light.point", dist, 2.0), 2 * np.log2(dist / 2))


def test_subject_illuminance_of_an_area_light_aimed_away() -> None:
    target = np.array([0.0, 0.0, 1.5])
    ch = light_channels("area", 3, [0, -5, 1.6], target, 20.0, 10.0, 1.0, 1000.0, 5600.0, 0.0,
                        size_m=1.5)
    aimed = subject_illuminance(ch, target)
    ch = dict(ch)
    ch["rx"] = ch["rx"] + np.array([0.0, 25.0, 100.0])  # tilt, then turn its back
    e = subject_illuminance(ch, target)
    assert e[0] == pytest.approx(aimed[0], rel=1e-12)
    pos = np.array([ch["tx"][1], ch["ty"][1], ch["tz"][1]])
    rot = euler_xyz_to_matrix(np.array([ch["rx"][1], ch["ry"][1], ch["rz"][1]])).reshape(3, 3)
    facing = (pos - target) / np.linalg.norm(pos - target)
    # a light emits along its local -Z = x × (-y)
    solid = _quad_rect(target, facing, pos, rot[:, 0], -rot[:, 1], 1.5, 1.5)
    assert e[1] == pytest.approx(1000.0 / 1.5**2 * solid, rel=5e-4)
    assert e[1] < aimed[1]
    assert e[2] == 0.0  # the subject is behind the emitting face


@pytest.mark.parametrize(("key_size", "fill_size", "d"), [(1.83, 1.5, 1.2), (0.3, 1.5, 0.75)])
def test_key_fill_ratio_is_delivered_for_large_area_lights(key_size: float, fill_size: float,
                                                           d: float) -> None:
    target = np.array([0.0, 0.0, 1.0])
    key = KeyLightParams(size_m=key_size, distance_m=d, intensity_cd=900.0)
    fill = FillLightParams(size_m=fill_size, distance_m=d, key_fill_ratio=1.5)
    rig = three_point_channels(4, [0, -4, 1.2], target, key, fill)
    e_key = subject_illuminance(rig["key"][1], target, "light.area")
    e_fill = subject_illuminance(rig["fill"][1], target, "light.area")
    np.testing.assert_allclose(e_key / e_fill, 1.5, rtol=1e-12)
    np.testing.assert_allclose(e_key, 900.0 * square_illuminance_per_cd(key_size, d), rtol=1e-12)
