"""Parallel transport and holonomy against Gauss-Bonnet on spheres; commutator residual."""

from __future__ import annotations

import math

import numpy as np
import pytest

from moks_graph.nodes.geometry.curvature import curvature
from moks_graph.nodes.geometry.mesh import TriangleMesh, cylinder, icosphere, torus, uv_sphere
from moks_graph.nodes.geometry.transport import (
    commutator_residual,
    connection_angles,
    holonomy,
    path_angles,
    transport,
    vertex_frames,
    wrap_angle,
)

RINGS, SEGMENTS = 32, 64


def ring(i: int, segments: int = SEGMENTS) -> np.ndarray:
    """Vertex ids of latitude ring i of a uv_sphere, by increasing longitude."""
    return 1 + (i - 1) * segments + np.arange(segments)


def geodesic_polygon_solid_angle(points: np.ndarray, centre: np.ndarray) -> float:
    """Signed solid angle of the spherical polygon with great-arc sides (Van Oosterom-Strackee)."""
    p = points / np.linalg.norm(points, axis=1, keepdims=True)
    a = centre / np.linalg.norm(centre)
    b, c = p, np.roll(p, -1, axis=0)
    num = np.einsum("j,ij->i", a, np.cross(b, c))
    den = 1 + b @ a + c @ a + np.sum(b * c, axis=1)
    return float(2 * np.sum(np.arctan2(num, den)))


def angle_error(a: float, b: float) -> float:
    return abs(float(wrap_angle(a - b)))


@pytest.mark.parametrize("i", [3, 8, 13, 16, 22, 29])
def test_latitude_loop_holonomy_is_enclosed_area(i: int) -> None:
    radius = 2.0
    m = uv_sphere(RINGS, SEGMENTS, radius)
    theta = math.pi * i / RINGS
    cap = 2 * math.pi * (1 - math.cos(theta))  # smooth cap area / r^2
    h = holonomy(m, ring(i))
    assert angle_error(h, cap) <= 0.02 * cap
    # Exact for the geodesic polygon through the ring vertices (normals are radial).
    exact = geodesic_polygon_solid_angle(m.vertices[ring(i)], np.array([0.0, 0.0, 1.0]))
    assert angle_error(h, exact) < 1e-9


def test_reversed_loop_rotates_the_other_way() -> None:
    m = uv_sphere(RINGS, SEGMENTS)
    assert holonomy(m, ring(6)[::-1]) == pytest.approx(-holonomy(m, ring(6)), abs=1e-12)


def test_geodesic_octant_triangle_holonomy_is_pi_over_two() -> None:
    """North pole -> equator along longitude 0 -> longitude 90 deg -> back to the pole."""
    m = uv_sphere(RINGS, SEGMENTS, radius=3.0)
    north = [0]
    down = [1 + (i - 1) * SEGMENTS for i in range(1, RINGS // 2 + 1)]
    equator = ring(RINGS // 2)[: SEGMENTS // 4 + 1]
    up = [1 + (i - 1) * SEGMENTS + SEGMENTS // 4 for i in range(RINGS // 2, 0, -1)]
    loop = np.array(north + down + list(equator[1:]) + up[1:] + north)
    area = 4 * math.pi / 8  # octant area / r^2
    assert abs(holonomy(m, loop) - area) <= 0.02 * area
    assert holonomy(m, loop) == pytest.approx(area, abs=1e-9)


def test_one_ring_loop_on_icosphere() -> None:
    m = icosphere(3)
    v = 100
    nbrs = m.one_ring[v]
    n = m.vertex_normals[v]
    u, w, _ = (f[v] for f in vertex_frames(m))
    d = m.vertices[nbrs] - m.vertices[v]
    order = np.argsort(np.arctan2(d @ w, d @ u))  # counter-clockwise about n
    loop = nbrs[order]
    expected = geodesic_polygon_solid_angle(m.vertices[loop], n)
    assert expected > 0
    assert holonomy(m, loop) == pytest.approx(expected, abs=1e-10)


def test_flat_surfaces_have_no_holonomy() -> None:
    c = cylinder(radius=1.0, height=2.0, segments=32, rings=9)
    around = 4 * 32 + np.arange(32)  # a full ring around the tube (a geodesic)
    assert abs(holonomy(c, around)) < 1e-9
    patch = [4 * 32 + 3, 4 * 32 + 4, 5 * 32 + 4, 5 * 32 + 3]
    assert abs(holonomy(c, patch)) < 1e-9


def test_transport_keeps_length_and_tangency_and_is_reversible() -> None:
    m = icosphere(3)
    path = [0]
    for _ in range(25):  # walk to the neighbour farthest from the start
        nbrs = m.one_ring[path[-1]]
        path.append(int(nbrs[np.argmin(m.vertices[nbrs] @ m.vertices[0])]))
    path = np.array(path)
    vec = np.array([0.3, -0.2, 0.9])
    out = transport(m, vec, path)
    normals = m.vertex_normals[path]
    np.testing.assert_allclose(np.sum(out * normals, axis=1), 0.0, atol=1e-12)
    tangential = vec - (vec @ normals[0]) * normals[0]
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), np.linalg.norm(tangential))
    np.testing.assert_allclose(out[0], tangential, atol=1e-12)
    back = transport(m, out[-1], path[::-1])
    np.testing.assert_allclose(back[-1], tangential, atol=1e-12)
    np.testing.assert_allclose(path_angles(m, path)[0], 0.0)


def test_connection_angles_are_antisymmetric() -> None:
    m = icosphere(2)
    e = m.edges
    forward = connection_angles(m)
    reverse = path_angles(m, [e[5, 1], e[5, 0]])[1]
    assert reverse == pytest.approx(-forward[5], abs=1e-12)
    assert forward.shape == (len(e),)


def test_commutator_residual_vanishes_where_the_shape_operator_is_parallel() -> None:
    sphere = icosphere(4, radius=0.5)
    r_sphere = commutator_residual(sphere)
    assert r_sphere.shape == (len(sphere.edges),)
    assert r_sphere.max() < 1e-6 * 2.0  # relative to |S| = 1/r
    tube = cylinder(radius=0.5, segments=48, rings=13)
    assert commutator_residual(tube).max() < 1e-6 * 2.0
    # A torus bends differently along its tube: the transported S disagrees.
    ring_torus = torus(1.0, 0.3, segments=64, rings=32)
    residual = commutator_residual(ring_torus, curvature(ring_torus))
    assert np.median(residual) > 0.05
    # It scales like |nabla S| * edge length: halving the edges roughly halves it.
    finer = torus(1.0, 0.3, segments=128, rings=64)
    ratio = np.median(commutator_residual(finer)) / np.median(residual)
    assert 0.35 < ratio < 0.65, ratio


def test_bad_paths_raise() -> None:
    m = icosphere(1)
    far = int(np.argmin(m.vertices @ m.vertices[0]))
    with pytest.raises(ValueError, match="do not share an edge"):
        transport(m, [1.0, 0, 0], [0, far])
    with pytest.raises(ValueError, match="outside"):
        transport(m, [1.0, 0, 0], [0, 999])
    with pytest.raises(ValueError, match="parallel"):
        transport(m, m.vertex_normals[0], [0])
    with pytest.raises(ValueError, match="at least 3"):
        holonomy(m, [0, int(m.one_ring[0][0])])
    with pytest.raises(TypeError, match="mesh"):
        holonomy("mesh", [0, 1, 2])  # type: ignore[arg-type]
    other = TriangleMesh(np.eye(3), [[0, 1, 2]])
    with pytest.raises(ValueError, match="curv"):
        commutator_residual(m, curvature(other))
