"""Principal curvatures against analytic surfaces (sphere, cylinder, torus)."""

from __future__ import annotations

import numpy as np
import pytest

from moks_graph.nodes.geometry.curvature import curvature
from moks_graph.nodes.geometry.mesh import TriangleMesh, cylinder, icosphere, normalize, torus
from moks_graph.rng import generator


def assert_frames_orthonormal(c) -> None:
    for a, b in ((c.d1, c.d2), (c.d1, c.normal), (c.d2, c.normal)):
        np.testing.assert_allclose(np.sum(a * b, axis=1), 0.0, atol=1e-12)
    for d in (c.d1, c.d2, c.normal):
        np.testing.assert_allclose(np.linalg.norm(d, axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.cross(c.d1, c.d2), c.normal, atol=1e-12)


@pytest.mark.parametrize("radius", [0.3, 2.0])
def test_sphere_is_umbilic_with_curvature_one_over_r(radius: float) -> None:
    c = curvature(icosphere(3, radius))
    np.testing.assert_allclose(c.k1, 1 / radius, rtol=0.02)
    np.testing.assert_allclose(c.k2, 1 / radius, rtol=0.02)
    np.testing.assert_allclose(c.gaussian, 1 / radius**2, rtol=0.04)
    # Umbilic everywhere: principal directions are still an orthonormal tangent frame.
    assert_frames_orthonormal(c)


def test_irregular_sphere_mesh() -> None:
    base = icosphere(3)
    jitter = generator(2, "test_geometry_curvature", "jitter").normal(size=base.vertices.shape)
    m = TriangleMesh(normalize(base.vertices + 0.02 * jitter) * 1.5, base.faces)
    c = curvature(m)
    np.testing.assert_allclose(c.k1, 1 / 1.5, rtol=0.02)
    np.testing.assert_allclose(c.k2, 1 / 1.5, rtol=0.02)


@pytest.mark.parametrize("radius", [0.5, 3.0])
def test_cylinder_principal_curvatures_and_directions(radius: float) -> None:
    m = cylinder(radius=radius, height=4.0 * radius, segments=48, rings=25)
    c = curvature(m)
    inner = ~m.boundary_vertices
    np.testing.assert_allclose(c.k1[inner], 1 / radius, rtol=0.02)
    assert np.abs(c.k2[inner]).max() < 0.02 / radius
    # Maximum curvature around the axis, zero curvature along it.
    assert np.abs(c.d1[inner, 2]).max() < 0.02
    assert np.abs(c.d2[inner, 2]).min() > 0.99
    radial = m.vertices * [1, 1, 0] / radius
    np.testing.assert_allclose(c.normal[inner], radial[inner], atol=1e-9)
    assert_frames_orthonormal(c)


def test_torus_matches_analytic_curvatures_including_saddle_region() -> None:
    big, small = 1.0, 0.3
    m = torus(big, small, segments=96, rings=48)
    c = curvature(m)
    v = np.arctan2(m.vertices[:, 2], np.hypot(m.vertices[:, 0], m.vertices[:, 1]) - big)
    along = np.cos(v) / (big + small * np.cos(v))
    across = np.full_like(v, 1 / small)
    scale = 1 / small
    assert np.abs(c.k1 - np.maximum(along, across)).max() < 0.02 * scale
    assert np.abs(c.k2 - np.minimum(along, across)).max() < 0.02 * scale
    # The inner half is hyperbolic (K < 0), the outer half elliptic (K > 0).
    assert np.all(c.gaussian[np.cos(v) < -0.2] < 0)
    assert np.all(c.gaussian[np.cos(v) > 0.2] > 0)


def test_sign_follows_the_normal_orientation() -> None:
    m = icosphere(2)
    flipped = TriangleMesh(m.vertices, m.faces[:, ::-1])  # normals now point inwards
    np.testing.assert_allclose(curvature(flipped).k1, -1.0, rtol=0.02)


def test_flat_grid_has_zero_curvature() -> None:
    xs, ys = np.meshgrid(np.linspace(0, 1, 6), np.linspace(0, 1, 6))
    v = np.stack([xs.ravel(), ys.ravel(), np.zeros(36)], 1)
    quads = [(r * 6 + k, r * 6 + k + 1, (r + 1) * 6 + k + 1, (r + 1) * 6 + k)
             for r in range(5) for k in range(5)]  # fmt: skip
    faces = [f for a, b, cc, d in quads for f in ((a, b, cc), (a, cc, d))]
    c = curvature(TriangleMesh(v, faces))
    np.testing.assert_allclose(c.shape_operator, 0.0, atol=1e-12)


def test_rejects_non_mesh() -> None:
    with pytest.raises(TypeError, match="mesh"):
        curvature("sphere")  # type: ignore[arg-type]
