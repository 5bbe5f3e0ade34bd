"""Light placement: SceneScript angles, aim, Euler continuity."""

from __future__ import annotations

import numpy as np
import pytest

from moks_graph.nodes.lights.placement import (
    euler_xyz_to_matrix,
    ground_frame,
    look_at_matrix,
    place_light,
)
from moks_graph.rng import generator

CAMERA = np.array([0.0, -5.0, 1.6])
TARGET = np.array([0.0, 0.0, 1.6])


def _aim_axes(euler: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    m = euler_xyz_to_matrix(euler)
    return m[..., 0], m[..., 1], -m[..., 2]  # right, up, forward


def test_cardinal_azimuths_around_subject() -> None:
    pos, _ = place_light(CAMERA, TARGET, [0.0, 90.0, 180.0, -90.0], 0.0, 2.0)
    # Camera looks along +Y, so its right is +X.
    np.testing.assert_allclose(pos[0], [0.0, -2.0, 1.6], atol=1e-12)  # camera side
    np.testing.assert_allclose(pos[1], [2.0, 0.0, 1.6], atol=1e-12)  # camera right
    np.testing.assert_allclose(pos[2], [0.0, 2.0, 1.6], atol=1e-12)  # behind
    np.testing.assert_allclose(pos[3], [-2.0, 0.0, 1.6], atol=1e-12)  # camera left


def test_elevation_and_distance() -> None:
    pos, _ = place_light(CAMERA, TARGET, 45.0, [0.0, 30.0, 90.0], 3.0)
    np.testing.assert_allclose(np.linalg.norm(pos - TARGET, axis=1), 3.0, rtol=1e-12)
    np.testing.assert_allclose(pos[:, 2] - 1.6, [0.0, 1.5, 3.0], atol=1e-12)
    np.testing.assert_allclose(pos[2], TARGET + np.array([0.0, 0.0, 3.0]), atol=1e-12)


def test_angles_are_relative_to_camera_direction() -> None:
    # Camera on +X looking at the origin along -X: its right is +Y.
    pos, _ = place_light([10.0, 0.0, 3.0], [0.0, 0.0, 0.0], 90.0, 0.0, 1.0)
    np.testing.assert_allclose(pos[0], [0.0, 1.0, 0.0], atol=1e-12)
    # Camera height does not tilt the frame (projected on the ground plane).
    pos_high, _ = place_light([10.0, 0.0, 30.0], [0.0, 0.0, 0.0], 90.0, 0.0, 1.0)
    np.testing.assert_allclose(pos_high, pos, atol=1e-12)


def test_light_aims_at_target_with_level_horizon() -> None:
    g = generator(7, "test", "placement")
    n = 200
    cams = g.uniform(-10, 10, (n, 3))
    tgts = g.uniform(-2, 2, (n, 3))
    az = g.uniform(-180, 180, n)
    el = g.uniform(-89, 89, n)
    dist = g.uniform(0.5, 8.0, n)
    pos, euler = place_light(cams, tgts, az, el, dist)
    right, up, forward = _aim_axes(euler)
    to_target = (tgts - pos) / np.linalg.norm(tgts - pos, axis=1)[:, None]
    np.testing.assert_allclose(forward, to_target, atol=1e-9)
    np.testing.assert_allclose(right[:, 2], 0.0, atol=1e-9)  # no roll
    assert (up[:, 2] > 0).all()


def test_overhead_light_is_continuous_and_aims_down() -> None:
    el = np.concatenate([np.linspace(80, 90, 11), np.linspace(89, 80, 10)])
    _, euler = place_light(CAMERA, TARGET, 30.0, el, 2.0)
    _, _, forward = _aim_axes(euler)
    np.testing.assert_allclose(forward[10], [0, 0, -1], atol=1e-12)
    assert np.abs(np.diff(euler, axis=0)).max() < 2.0 + 1e-9
    np.testing.assert_allclose(euler[:, 2], euler[0, 2], atol=1e-9)


def test_camera_straight_above_falls_back_without_nan() -> None:
    fwd, right = ground_frame(np.array([[0.0, 0.0, 10.0]]), np.array([[0.0, 0.0, 0.0]]))
    np.testing.assert_allclose(fwd, [[0, 1, 0]])
    np.testing.assert_allclose(right, [[1, 0, 0]])
    pos, euler = place_light([0.0, 0.0, 10.0], [0.0, 0.0, 0.0], 0.0, 0.0, 1.0)
    assert np.isfinite(pos).all() and np.isfinite(euler).all()


def test_orbiting_camera_gives_continuous_unwrapped_rotation() -> None:
    th = np.linspace(0.0, 4.0 * np.pi, 200)
    cams = np.stack([5 * np.cos(th), 5 * np.sin(th), np.full_like(th, 1.6)], axis=-1)
    _, euler = place_light(cams, TARGET, 45.0, 30.0, 3.0)
    assert np.abs(np.diff(euler, axis=0)).max() < 5.0
    # Two orbits turn the light twice: rz advances by 720 degrees.
    assert euler[-1, 2] - euler[0, 2] == pytest.approx(720.0, abs=1e-6)


def test_chunk_matches_whole_with_reference_azimuth() -> None:
    th = np.linspace(0.0, 4.0 * np.pi, 120)
    cams = np.stack([5 * np.cos(th), 5 * np.sin(th), np.full_like(th, 1.6)], axis=-1)
    # Continuous azimuth of the camera -> subject direction (analytic here).
    psi = np.degrees(th) + 180.0
    _, whole = place_light(cams, TARGET, 45.0, 30.0, 3.0, reference_azimuth_deg=psi)
    _, chunk = place_light(cams[70:], TARGET, 45.0, 30.0, 3.0, reference_azimuth_deg=psi[70:])
    np.testing.assert_array_equal(chunk, whole[70:])


def test_look_at_matrix_is_rotation() -> None:
    m = look_at_matrix(np.array([[1.0, 2.0, 3.0]]), np.array([[0.0, 0.0, 0.0]]))
    np.testing.assert_allclose(m[0] @ m[0].T, np.eye(3), atol=1e-12)
    assert np.linalg.det(m[0]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="coincide"):
        look_at_matrix(np.zeros((1, 3)), np.zeros((1, 3)))


def test_bad_inputs_name_the_argument() -> None:
    with pytest.raises(ValueError, match="camera_pos"):
        place_light(np.zeros((4, 2)), TARGET, 0.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="distance_m"):
        place_light(CAMERA, TARGET, 0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="elevation_deg"):
        place_light(CAMERA, TARGET, 0.0, 95.0, 1.0)
    with pytest.raises(ValueError, match="azimuth_deg"):
        place_light(CAMERA, TARGET, np.nan, 0.0, 1.0)
    with pytest.raises(ValueError, match="target_pos"):
        place_light(np.zeros((5, 3)) + CAMERA, np.zeros((4, 3)), 0.0, 0.0, 1.0)
