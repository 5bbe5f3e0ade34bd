"""TriangleMesh validation, builders, normals, adjacency and point location."""

from __future__ import annotations

import numpy as np
import pytest

from moks_graph.nodes.geometry.mesh import (
    TriangleMesh,
    closest_points,
    cylinder,
    icosphere,
    normalize,
    rotate_minimal,
    tangent_frames,
    torus,
    uv_sphere,
)
from moks_graph.rng import generator


def euler_characteristic(mesh: TriangleMesh) -> int:
    return mesh.n_vertices - len(mesh.edges) + mesh.n_faces


def outward(mesh: TriangleMesh, centre_of: np.ndarray) -> bool:
    centroids = mesh.vertices[mesh.faces].mean(axis=1)
    return bool(np.all(np.sum(mesh.face_normals * (centroids - centre_of), axis=1) > 0))


@pytest.mark.parametrize("s", [0, 1, 2, 3])
def test_icosphere_topology_and_radius(s: int) -> None:
    m = icosphere(s, radius=2.5)
    assert m.n_vertices == 10 * 4**s + 2
    assert m.n_faces == 20 * 4**s
    assert len(m.edges) == 30 * 4**s
    assert euler_characteristic(m) == 2
    np.testing.assert_allclose(np.linalg.norm(m.vertices, axis=1), 2.5, rtol=1e-14)
    assert outward(m, np.zeros((1, 3)))
    assert not m.boundary_vertices.any()
    valence = np.array([len(r) for r in m.one_ring])
    assert (valence == 5).sum() == 12 and set(valence.tolist()) <= {5, 6}
    assert m.face_areas.sum() < 4 * np.pi * 2.5**2


def test_uv_sphere_rings_are_latitude_circles() -> None:
    m = uv_sphere(rings=8, segments=12, radius=3.0)
    assert m.n_vertices == 2 + 7 * 12 and euler_characteristic(m) == 2
    np.testing.assert_allclose(np.linalg.norm(m.vertices, axis=1), 3.0)
    ring3 = m.vertices[1 + 2 * 12 : 1 + 3 * 12]
    np.testing.assert_allclose(ring3[:, 2], 3.0 * np.cos(np.pi * 3 / 8))
    assert outward(m, np.zeros((1, 3)))
    assert len(m.one_ring[0]) == 12  # the pole sees the whole first ring


def test_cylinder_and_torus_topology() -> None:
    c = cylinder(radius=0.5, height=2.0, segments=16, rings=5)
    assert c.n_vertices == 80 and euler_characteristic(c) == 0
    boundary = np.flatnonzero(c.boundary_vertices)
    np.testing.assert_array_equal(boundary, np.r_[0:16, 64:80])
    axis_points = c.vertices[c.faces].mean(axis=1) * [0, 0, 1]
    assert outward(c, axis_points)
    t = torus(1.0, 0.25, segments=24, rings=12)
    assert t.n_vertices == 288 and euler_characteristic(t) == 0
    assert not t.boundary_vertices.any()
    centroids = t.vertices[t.faces].mean(axis=1)
    ring = centroids * [1, 1, 0]
    core = ring / np.linalg.norm(ring, axis=1, keepdims=True)
    assert outward(t, core)


def test_vertex_normals_are_exact_on_irregular_sphere_meshes() -> None:
    base = icosphere(2)
    jitter = generator(11, "test_geometry_mesh", "jitter").normal(size=base.vertices.shape)
    moved = normalize(base.vertices + 0.05 * jitter) * 1.7
    m = TriangleMesh(moved, base.faces)
    # Max's weights are exact for vertices on a sphere, even with uneven triangles.
    np.testing.assert_allclose(m.vertex_normals, moved / 1.7, atol=1e-12)
    # ...while plain area weighting is not (so the test can tell them apart).
    area_weighted = np.zeros_like(moved)
    weighted = np.repeat(m.face_normals * m.face_areas[:, None], 3, axis=0)
    np.add.at(area_weighted, m.faces.ravel(), weighted)
    assert np.abs(normalize(area_weighted) - moved / 1.7).max() > 1e-3


def test_one_ring_edges_and_edge_ids_agree() -> None:
    m = icosphere(1)
    for i, ring in enumerate(m.one_ring):
        for j in ring:
            assert i in m.one_ring[j]
    assert sum(len(r) for r in m.one_ring) == 2 * len(m.edges)
    ids = m.edge_ids(m.edges[:, 1], m.edges[:, 0])
    np.testing.assert_array_equal(ids, np.arange(len(m.edges)))
    far = int(np.argmin(m.vertices @ m.vertices[0]))
    with pytest.raises(ValueError, match="do not share an edge"):
        m.edge_ids(np.array([0]), np.array([far]))
    assert m.vertex_areas.sum() == pytest.approx(m.face_areas.sum())


def test_tangent_frames_and_minimal_rotation() -> None:
    n = normalize(generator(5, "test_geometry_mesh", "frames").normal(size=(200, 3)))
    n[0] = [0, 0, 1]
    n[1] = [0, 0, -1]
    u, v = tangent_frames(n)
    frames = np.stack([u, v, n], axis=-1)
    gram = frames.transpose(0, 2, 1) @ frames
    np.testing.assert_allclose(gram, np.broadcast_to(np.eye(3), gram.shape), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(frames), 1.0)
    a, b = n[:-1], n[1:]
    np.testing.assert_allclose(rotate_minimal(a[2:], a[2:], b[2:]), b[2:], atol=1e-12)
    # The rotation axis a x b is fixed; lengths and angles are kept.
    axis = np.cross(a[2:], b[2:])
    np.testing.assert_allclose(rotate_minimal(axis, a[2:], b[2:]), axis, atol=1e-12)
    with pytest.raises(ValueError, match="opposite"):
        rotate_minimal([1.0, 0, 0], [0, 0, 1.0], [0, 0, -1.0])


def test_validation_errors() -> None:
    v = np.eye(3)
    with pytest.raises(ValueError, match="vertices"):
        TriangleMesh(np.zeros((3, 2)), [[0, 1, 2]])
    with pytest.raises(ValueError, match="NaN"):
        TriangleMesh(np.array([[0, 0, np.nan], [1, 0, 0], [0, 1, 0]]), [[0, 1, 2]])
    with pytest.raises(ValueError, match="faces"):
        TriangleMesh(v, np.zeros((0, 3), dtype=int))
    with pytest.raises(ValueError, match="out of range"):
        TriangleMesh(v, [[0, 1, 3]])
    with pytest.raises(ValueError, match="repeats"):
        TriangleMesh(v, [[0, 1, 1]])
    with pytest.raises(ValueError, match="degenerate"):
        TriangleMesh([[0, 0, 0], [1, 0, 0], [2, 0, 0]], [[0, 1, 2]])
    with pytest.raises(TypeError, match="integers"):
        TriangleMesh(v, [[0.0, 1.0, 2.0]])
    m = TriangleMesh(v, [[0, 1, 2]])
    with pytest.raises(ValueError):
        m.vertices[0, 0] = 5.0  # read-only
    with pytest.raises(ValueError, match="subdivisions"):
        icosphere(-1)
    with pytest.raises(ValueError, match="radius"):
        cylinder(radius=0.0)
    with pytest.raises(TypeError, match="segments"):
        uv_sphere(segments=3.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="minor_radius"):
        torus(1.0, 2.0)


def test_closest_points() -> None:
    m = icosphere(2)
    faces, bary = closest_points(m, m.vertices[:50])
    rebuilt = np.einsum("tk,tkx->tx", bary, m.vertices[m.faces[faces]])
    np.testing.assert_allclose(rebuilt, m.vertices[:50], atol=1e-12)
    # A point above a face centroid, along the face normal, lands on that centroid.
    f = np.arange(0, m.n_faces, 7)
    above = m.vertices[m.faces[f]].mean(axis=1) + 0.01 * m.face_normals[f]
    faces, bary = closest_points(m, above, chunk=100)
    np.testing.assert_array_equal(faces, f)
    np.testing.assert_allclose(bary, 1 / 3, atol=1e-9)
    # Far outside: the nearest point is still on the surface and beats every vertex.
    far = np.array([[5.0, -3.0, 2.0]])
    faces, bary = closest_points(m, far)
    hit = bary @ m.vertices[m.faces[faces[0]]]
    assert np.linalg.norm(hit - far) <= np.linalg.norm(m.vertices - far, axis=1).min() + 1e-12
    with pytest.raises(ValueError, match="points"):
        closest_points(m, np.zeros(3))
