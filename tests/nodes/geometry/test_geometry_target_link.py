"""TargetLink frames: orthonormal, transported, continuous across a pole."""

from __future__ import annotations

import math

import numpy as np
import pytest

from moks_graph.nodes.geometry.mesh import closest_points, icosphere, uv_sphere
from moks_graph.nodes.geometry.target_link import LinkedFrames, linked_frame
from moks_graph.nodes.geometry.transport import holonomy, wrap_angle

RINGS, SEGMENTS = 32, 64


def assert_orthonormal_right_handed(frames: LinkedFrames) -> None:
    mats = frames.matrices
    gram = np.swapaxes(mats, 1, 2) @ mats
    np.testing.assert_allclose(gram, np.broadcast_to(np.eye(3), gram.shape), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(mats), 1.0, atol=1e-12)


def angles_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    cos = np.sum(a * b, axis=-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def meridian_through_pole(n: int = 241) -> tuple[np.ndarray, np.ndarray]:
    """Points and unit velocities of the great circle x-z through +Z, s in [-70, 70] deg."""
    s = np.radians(np.linspace(-70.0, 70.0, n))
    points = np.stack([np.sin(s), np.zeros_like(s), np.cos(s)], 1)
    velocity = np.stack([np.cos(s), np.zeros_like(s), -np.sin(s)], 1)
    return points, velocity


def test_face_barycentric_path_over_the_pole_is_continuous_and_follows_the_geodesic() -> None:
    mesh = icosphere(4)
    points, velocity = meridian_through_pole()
    faces, bary = closest_points(mesh, points)
    frames = linked_frame(mesh, faces, velocity[0], barycentric=bary)
    assert_orthonormal_right_handed(frames)
    # Normals follow the sphere; the tangent stays along the geodesic's velocity,
    # because a geodesic's velocity is parallel: transported, not re-aimed.
    assert angles_between(frames.normal, points).max() < 3.0
    assert angles_between(frames.tangent, velocity).max() < 3.0
    # Continuous: no jump anywhere, in particular at the pole (sample 120).
    steps = angles_between(frames.tangent[1:], frames.tangent[:-1])
    assert steps.max() < 2.0
    np.testing.assert_allclose(frames.position, np.einsum(
        "tk,tkx->tx", bary, mesh.vertices[mesh.faces[faces]]), atol=1e-12)  # fmt: skip


def test_a_world_up_frame_flips_at_the_pole_but_the_linked_frame_does_not() -> None:
    mesh = icosphere(4)
    points, velocity = meridian_through_pole()
    faces, bary = closest_points(mesh, points)
    frames = linked_frame(mesh, faces, velocity[0], barycentric=bary)
    # The usual "look-at with world up" side vector, up x normal, is undefined at
    # the pole and points the opposite way after crossing it.
    side = np.cross([0.0, 0.0, 1.0], frames.normal)
    assert np.linalg.norm(side, axis=1).min() < 1e-9
    assert angles_between(side[0], side[-1]) > 179.0
    # The linked bitangent is defined everywhere and keeps its direction.
    assert np.all(np.isfinite(frames.matrices))
    assert angles_between(frames.bitangent[0], frames.bitangent[-1]) < 2.0
    assert angles_between(frames.bitangent[1:], frames.bitangent[:-1]).max() < 2.0


def test_vertex_path_across_a_pole_vertex() -> None:
    mesh = uv_sphere(RINGS, SEGMENTS)
    ring_start = lambda i: 1 + (i - 1) * SEGMENTS  # noqa: E731
    up = [ring_start(i) for i in range(10, 0, -1)]  # longitude 0, towards the pole
    down = [ring_start(i) + SEGMENTS // 2 for i in range(1, 11)]  # longitude 180
    path = np.array([*up, 0, *down])
    direction = mesh.vertices[path[1]] - mesh.vertices[path[0]]
    frames = linked_frame(mesh, path, direction)
    assert_orthonormal_right_handed(frames)
    chords = np.diff(mesh.vertices[path], axis=0)
    # The tangent follows the meridian (within the chord-vs-tangent angle, ~3 deg).
    assert angles_between(frames.tangent[:-1], chords).max() < 4.0
    np.testing.assert_allclose(frames.normal[10], [0, 0, 1], atol=1e-12)


def test_closed_loop_returns_rotated_by_the_holonomy() -> None:
    mesh = uv_sphere(RINGS, SEGMENTS)
    loop = 1 + 5 * SEGMENTS + np.arange(SEGMENTS)
    closed = np.append(loop, loop[0])
    frames = linked_frame(mesh, closed, [0.0, 0.0, 1.0])
    t0, t1, b0 = frames.tangent[0], frames.tangent[-1], frames.bitangent[0]
    turned = math.atan2(t1 @ b0, t1 @ t0)
    assert turned == pytest.approx(holonomy(mesh, loop), abs=1e-9)
    cap = 2 * math.pi * (1 - math.cos(math.pi * 6 / RINGS))
    assert abs(float(wrap_angle(turned - cap))) < 0.02 * cap


def test_single_sample_and_projection_of_the_initial_vector() -> None:
    mesh = icosphere(2)
    n0 = mesh.vertex_normals[7]
    frames = linked_frame(mesh, [7], n0 * 5 + np.cross(n0, [0.0, 1.0, 0.0]))
    assert frames.tangent.shape == (1, 3)
    assert abs(frames.tangent[0] @ n0) < 1e-12
    assert_orthonormal_right_handed(frames)


def test_bad_inputs() -> None:
    mesh = icosphere(2)
    with pytest.raises(ValueError, match="parallel"):
        linked_frame(mesh, [3, 4], mesh.vertex_normals[3])
    with pytest.raises(ValueError, match="barycentric"):
        linked_frame(mesh, [0, 1], [1.0, 0, 0], barycentric=np.full((3, 3), 1 / 3))
    with pytest.raises(ValueError, match="sum to 1"):
        linked_frame(mesh, [0, 1], [1.0, 0, 0], barycentric=np.full((2, 3), 0.5))
    with pytest.raises(ValueError, match="face index"):
        linked_frame(mesh, [0, 10_000], [1.0, 0, 0], barycentric=np.full((2, 3), 1 / 3))
    with pytest.raises(ValueError, match="vertex index"):
        linked_frame(mesh, [0, -1], [1.0, 0, 0])
    with pytest.raises(ValueError, match="integer"):
        linked_frame(mesh, [0.5, 1.0], [1.0, 0, 0])
    north = int(np.argmax(mesh.vertices[:, 2]))
    south = int(np.argmin(mesh.vertices[:, 2]))
    with pytest.raises(ValueError, match="opposite"):
        linked_frame(mesh, [north, south], [1.0, 0, 0])
    with pytest.raises(TypeError, match="mesh"):
        linked_frame(None, [0], [1.0, 0, 0])  # type: ignore[arg-type]
