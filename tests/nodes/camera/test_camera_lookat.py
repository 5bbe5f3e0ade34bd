"""Look-at: Euler XYZ conventions, exact framing, level horizon, continuity, chunking."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from moks_graph.nodes.camera.lookat import (
    azimuth_reference,
    camera_space,
    euler_xyz_to_matrix,
    framing_offset,
    look_at_euler,
    look_at_matrix,
    matrix_to_euler_xyz,
    project_to_screen,
    unwrap_to_reference,
)


def test_euler_matches_scipy_extrinsic_xyz_and_round_trips() -> None:
    rng = np.random.default_rng(3)
    euler = np.column_stack(
        [rng.uniform(-180, 180, 500), rng.uniform(-89, 89, 500), rng.uniform(-180, 180, 500)]
    )
    m = euler_xyz_to_matrix(euler)
    assert np.allclose(m, Rotation.from_euler("xyz", euler, degrees=True).as_matrix(), atol=1e-14)
    assert np.allclose(matrix_to_euler_xyz(m), euler, atol=1e-10)
    assert np.allclose(m @ np.swapaxes(m, -1, -2), np.eye(3), atol=1e-14)


def test_gimbal_lock_still_reproduces_the_matrix() -> None:
    euler = np.array([[30.0, 90.0, 10.0], [0.0, -90.0, 45.0]])
    back = matrix_to_euler_xyz(euler_xyz_to_matrix(euler))
    assert np.allclose(euler_xyz_to_matrix(back), euler_xyz_to_matrix(euler), atol=1e-12)


def test_blender_camera_convention() -> None:
    # rest pose looks down -Z; rx = 90 looks level along +Y
    assert np.allclose(look_at_euler([0, 0, 0], [0, 5, 0]), [[90.0, 0.0, 0.0]], atol=1e-12)
    m = look_at_matrix([0, 0, 5], [0, 0, 0])[0]
    assert np.allclose(m[:, 2], [0, 0, 1], atol=1e-12)  # back axis up: looking down
    assert np.allclose(look_at_euler([0, 0, 0], [5, 0, 0]), [[90.0, 0.0, -90.0]], atol=1e-12)
    forward = -look_at_matrix([1, 2, 3], [4, -2, 3.5])[0][:, 2]
    assert np.allclose(forward, np.array([3, -4, 0.5]) / math.sqrt(25.25), atol=1e-12)


def _reachable(cam: np.ndarray, tgt: np.ndarray, sx: float, sy: float, f: float, roll: float):
    p, q = framing_offset(sx, sy, f, 36.0, 24.0, roll)
    w = tgt - cam
    sin_e = w[:, 2] / np.linalg.norm(w, axis=1)
    n = math.sqrt(1 + p * p + q * q)
    return np.abs(n * sin_e) < 0.999 * math.sqrt(1 + q * q)


@pytest.mark.parametrize(
    ("sx", "sy", "roll", "focal"),
    [(0.0, 0.0, 0.0, 50.0), (0.3, -0.2, 20.0, 35.0), (-0.45, 0.4, -60.0, 24.0), (0.5, 0.5, 5, 85)],
)
def test_target_lands_on_requested_screen_position(sx, sy, roll, focal) -> None:
    rng = np.random.default_rng(7)
    cam, tgt = rng.normal(size=(4000, 3)) * 10, rng.normal(size=(4000, 3)) * 5
    keep = _reachable(cam, tgt, sx, sy, focal, roll)
    cam, tgt = cam[keep], tgt[keep]
    assert cam.shape[0] > 1000
    euler = look_at_euler(cam, tgt, roll, sx, sy, focal, 36.0, 24.0)
    screen = project_to_screen(cam, euler, tgt, focal, 36.0, 24.0)
    assert np.abs(screen - [sx, sy]).max() < 1e-9
    assert np.all(-camera_space(cam, euler, tgt)[:, 2] > 0)  # in front of the camera


def test_horizon_level_and_roll() -> None:
    rng = np.random.default_rng(2)
    cam, tgt = rng.normal(size=(300, 3)) * 8, rng.normal(size=(300, 3))
    m = look_at_matrix(cam, tgt, 0.0, 0.2, -0.1, 35.0)
    assert np.abs(m[:, 2, 0]).max() < 1e-12  # right axis has no vertical component
    rolled = look_at_matrix([0, 0, 1], [0, 10, 1], 25.0)[0]
    assert rolled[2, 0] == pytest.approx(math.sin(math.radians(25.0)), abs=1e-12)


def test_local_pan_moves_subject_by_tangent() -> None:
    """A local pan of +psi (about the camera's up axis) puts the subject at (f/W) tan(psi)."""
    cam, tgt = np.array([[1.0, -4.0, 1.5]]), np.array([[0.0, 0.0, 1.2]])
    euler = look_at_euler(cam, tgt, 0.0, 0, 0, 40.0, local_rotation_deg=[[0.0, 3.0, 0.0]])
    sx, sy = project_to_screen(cam, euler, tgt, 40.0, 36.0, 24.0)[0]
    assert sx == pytest.approx(40.0 / 36.0 * math.tan(math.radians(3.0)), abs=1e-12)
    assert sy == pytest.approx(0.0, abs=1e-12)


def test_orbit_is_continuous_and_chunk_identical_with_reference() -> None:
    """Three orbits round the subject: rz unwraps through 1080 degrees without jumps."""
    u = np.linspace(0.0, 1.0, 6001)
    angle = np.radians(-90 + 1080 * u)
    cam = np.column_stack([6 * np.cos(angle), 6 * np.sin(angle), 3 + u])
    tgt = np.array([0.0, 0.0, 1.5])
    grid = np.linspace(0, 1, 4097)
    g_angle = np.radians(-90 + 1080 * grid)
    g_cam = np.column_stack([6 * np.cos(g_angle), 6 * np.sin(g_angle), 3 + grid])
    ref = azimuth_reference(grid, g_cam, tgt, u)
    euler = look_at_euler(cam, tgt, 10.0, 0.1, 0.0, 35.0, reference_azimuth_deg=ref)
    assert np.abs(np.diff(euler, axis=0)).max() < 1.0
    assert euler[-1, 2] - euler[0, 2] == pytest.approx(1080.0, abs=5.0)
    plain = look_at_euler(cam, tgt, reference_azimuth_deg=ref)
    assert plain[-1, 2] - plain[0, 2] == pytest.approx(1080.0, abs=1e-9)
    for lo, hi in ((0, 1), (100, 2000), (4321, 6001)):
        part = look_at_euler(
            cam[lo:hi], tgt, 10.0, 0.1, 0.0, 35.0, reference_azimuth_deg=ref[lo:hi]
        )
        assert np.array_equal(part, euler[lo:hi])
    # without a reference the azimuth is unwrapped sequentially: continuous too
    seq = look_at_euler(cam, tgt, 10.0, 0.1, 0.0, 35.0)
    assert np.abs(np.diff(seq, axis=0)).max() < 1.0


def test_unwrap_to_reference() -> None:
    got = unwrap_to_reference([179.0, -179.0, 10.0], [540.0, 181.0, -350.0])
    assert np.allclose(got, [539.0, 181.0, -350.0])


def test_framing_offset_formula() -> None:
    p, q = framing_offset(0.25, -0.1, 50.0, 36.0, 24.0)
    assert (float(p), float(q)) == pytest.approx((0.25 * 36 / 50, -0.1 * 24 / 50))
    p, q = framing_offset(0.25, 0.0, 50.0, 36.0, 24.0, 90.0)
    assert (float(p), float(q)) == pytest.approx((0.0, 0.25 * 36 / 50))


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="coincides"):
        look_at_euler([1, 2, 3], [1, 2, 3])
    with pytest.raises(ValueError, match="camera"):
        look_at_euler([[1, 2]], [1, 2, 3])
    with pytest.raises(ValueError, match="focal_length"):
        framing_offset(0, 0, 0.0, 36, 24)
