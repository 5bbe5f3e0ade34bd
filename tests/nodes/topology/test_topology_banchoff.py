"""Banchoff critical points: ring rules, Euler characteristics of tori, discs and spheres."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import ConvexHull

from moks_graph.nodes.topology.banchoff import (
    CriticalType,
    classify_grid,
    classify_mesh,
    classify_vertex,
    euler_characteristic,
    vertex_rings,
)
from moks_graph.rng import generator


def _field(shape: tuple[int, int], stream: str) -> np.ndarray:
    return generator(7, "test_banchoff", stream).random(shape)


def _icosphere(subdivisions: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit icosphere: hull of the icosahedron, faces oriented outwards, then subdivided."""
    phi = (1.0 + 5.0**0.5) / 2.0
    verts = []
    for a in (-1.0, 1.0):
        for b in (-phi, phi):
            verts += [(a, b, 0.0), (0.0, a, b), (b, 0.0, a)]
    v = np.array(verts) / np.linalg.norm(verts[0])
    faces = ConvexHull(v).simplices.copy()
    normal = np.cross(v[faces[:, 1]] - v[faces[:, 0]], v[faces[:, 2]] - v[faces[:, 0]])
    flip = (normal * v[faces].mean(axis=1)).sum(axis=1) < 0
    faces[flip] = faces[flip][:, [0, 2, 1]]
    points = [tuple(p) for p in v]
    for _ in range(subdivisions):
        cache: dict[tuple[int, int], int] = {}

        def mid(i: int, j: int, cache: dict[tuple[int, int], int] = cache) -> int:
            key = (min(i, j), max(i, j))
            if key not in cache:
                p = (np.array(points[i]) + np.array(points[j])) / 2.0
                points.append(tuple(p / np.linalg.norm(p)))
                cache[key] = len(points) - 1
            return cache[key]

        new = []
        for a, b, c in faces:
            ab, bc, ca = mid(a, b), mid(b, c), mid(c, a)
            new += [(a, ab, ca), (b, bc, ab), (c, ca, bc), (ab, bc, ca)]
        faces = np.array(new)
    return np.array(points), faces


def _grid_faces(height: int, width: int, periodic: bool) -> np.ndarray:
    """Freudenthal triangulation of a grid (diagonal (i,j)-(i+1,j+1)), as oriented faces."""
    rows = height if periodic else height - 1
    cols = width if periodic else width - 1
    i, j = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    i, j = i.ravel(), j.ravel()

    def vid(r: np.ndarray, c: np.ndarray) -> np.ndarray:
        return (r % height) * width + (c % width)

    a, b, c, d = vid(i, j), vid(i, j + 1), vid(i + 1, j + 1), vid(i + 1, j)
    return np.concatenate([np.stack([a, c, b], 1), np.stack([a, d, c], 1)])


def test_ring_rules() -> None:
    assert classify_vertex(1.0, [0, 0.5, 0.2, 0.1], [1, 2, 3, 4], 0) == (CriticalType.MAX, 1)
    assert classify_vertex(0.0, [1, 2, 3], [1, 2, 3], 0) == (CriticalType.MIN, 1)
    assert classify_vertex(0.5, [1, 2, 0, 0.1], [1, 2, 3, 4], 0) == (CriticalType.REGULAR, 0)
    assert classify_vertex(0.5, [1, 0, 1, 0], [1, 2, 3, 4], 0) == (CriticalType.SADDLE, 1)
    monkey = classify_vertex(0.0, [1, -1, 1, -1, 1, -1], [1, 2, 3, 4, 5, 6], 0)
    assert monkey == (CriticalType.SADDLE, 2)


def test_ties_are_broken_by_index() -> None:
    # Equal neighbours count as higher exactly when their id is larger.
    assert classify_vertex(1.0, [1, 1, 1], [1, 2, 3], 0)[0] == CriticalType.MIN
    assert classify_vertex(1.0, [1, 1, 1], [1, 2, 3], 9)[0] == CriticalType.MAX
    assert classify_vertex(1.0, [1, 0, 1, 0], [5, 6, 7, 2], 3) == (CriticalType.SADDLE, 1)
    assert classify_vertex(1.0, [1, 0, 1, 0], [5, 6, 1, 2], 3) == (CriticalType.REGULAR, 0)


def test_ring_validation() -> None:
    with pytest.raises(ValueError, match="ring_values"):
        classify_vertex(0.0, [1.0, 2.0], [1, 2], 0)
    with pytest.raises(ValueError, match="ring_values"):
        classify_vertex(0.0, [1.0, np.nan, 2.0], [1, 2, 3], 0)
    with pytest.raises(ValueError, match="same length"):
        classify_vertex(0.0, [1.0, 2.0, 3.0], [1, 2], 0)
    with pytest.raises(ValueError, match="value"):
        classify_vertex(np.inf, [1.0, 2.0, 3.0], [1, 2, 3], 0)
    with pytest.raises(ValueError, match="field"):
        classify_grid(np.zeros(5))
    with pytest.raises(ValueError, match="field"):
        classify_grid(np.zeros((2, 5)), periodic=True)
    with pytest.raises(ValueError, match="NaN"):
        classify_grid(np.full((4, 4), np.nan))


@pytest.mark.parametrize("shape", [(3, 3), (17, 29), (64, 48)])
def test_periodic_grid_has_torus_euler_characteristic(shape: tuple[int, int]) -> None:
    field = _field(shape, f"torus{shape}")
    labels, mult = classify_grid(field, periodic=True)
    assert euler_characteristic(labels, mult) == 0
    assert np.count_nonzero(labels == CriticalType.MAX) >= 1
    # Heavily tied (quantised) fields still sum to 0 thanks to simulation of simplicity.
    labels, mult = classify_grid(np.round(field * 2.0), periodic=True)
    assert euler_characteristic(labels, mult) == 0


@pytest.mark.parametrize("shape", [(2, 2), (9, 31), (40, 40)])
def test_open_grid_has_disc_euler_characteristic(shape: tuple[int, int]) -> None:
    field = _field(shape, f"disc{shape}")
    assert euler_characteristic(*classify_grid(field)) == 1
    assert euler_characteristic(*classify_grid(np.round(field * 3.0))) == 1


def test_torus_cosine_field_counts() -> None:
    h, w = 24, 32
    rows, cols = np.indices((h, w))
    field = np.cos(2 * np.pi * rows / h) + np.cos(2 * np.pi * cols / w)
    labels, mult = classify_grid(field, periodic=True)
    assert np.count_nonzero(labels == CriticalType.MAX) == 1
    assert labels[0, 0] == CriticalType.MAX
    assert np.count_nonzero(labels == CriticalType.MIN) == 1
    assert labels[h // 2, w // 2] == CriticalType.MIN
    assert mult[labels == CriticalType.SADDLE].sum() == 2


def test_paraboloid_has_one_interior_maximum() -> None:
    rows, cols = np.indices((21, 21))
    field = -((rows - 10.0) ** 2) - 0.7 * (cols - 10.0) ** 2
    labels, mult = classify_grid(field)
    assert np.argwhere(labels == CriticalType.MAX).tolist() == [[10, 10]]
    assert not np.any(labels == CriticalType.SADDLE)
    assert euler_characteristic(labels, mult) == 1


def test_monkey_saddle_on_grid() -> None:
    field = np.zeros((7, 7))
    ring = [(0, 1), (1, 1), (1, 0), (0, -1), (-1, -1), (-1, 0)]
    for k, (dr, dc) in enumerate(ring):
        field[3 + dr, 3 + dc] = 1.0 if k % 2 == 0 else -1.0
    labels, mult = classify_grid(field)
    assert labels[3, 3] == CriticalType.SADDLE
    assert mult[3, 3] == 2
    assert euler_characteristic(labels, mult) == 1


@pytest.mark.parametrize("subdivisions", [1, 3])
def test_icosphere_mesh_sums_to_two(subdivisions: int) -> None:
    verts, faces = _icosphere(subdivisions)
    assert len(verts) - len(faces) * 3 // 2 + len(faces) == 2  # V - E + F
    values = generator(3, "test_banchoff", f"sphere{subdivisions}").random(len(verts))
    labels, mult = classify_mesh(values, faces)
    assert euler_characteristic(labels, mult) == 2
    # The height function has exactly one maximum, one minimum and no saddles.
    height = verts @ np.array([0.3, 0.2, 0.93])
    labels, mult = classify_mesh(height, faces)
    assert np.count_nonzero(labels == CriticalType.MAX) == 1
    assert np.count_nonzero(labels == CriticalType.MIN) == 1
    assert not np.any(labels == CriticalType.SADDLE)
    assert labels[np.argmax(height)] == CriticalType.MAX


@pytest.mark.parametrize("periodic", [False, True])
def test_grid_mesh_matches_grid_classifier(periodic: bool) -> None:
    h, w = 11, 13
    field = _field((h, w), f"mesh{periodic}")
    mesh_labels, mesh_mult = classify_mesh(field.ravel(), _grid_faces(h, w, periodic))
    grid_labels, grid_mult = classify_grid(field, periodic=periodic)
    np.testing.assert_array_equal(mesh_labels, grid_labels.ravel())
    np.testing.assert_array_equal(mesh_mult, grid_mult.ravel())
    assert euler_characteristic(mesh_labels, mesh_mult) == (0 if periodic else 1)


def test_vertex_rings_are_cyclic_and_reject_non_manifolds() -> None:
    faces = np.array([[0, 1, 2], [0, 2, 3], [0, 3, 1], [1, 3, 2]])  # tetrahedron
    rings = vertex_rings(faces, 4)
    assert sorted(rings[0].tolist()) == [1, 2, 3]
    open_fan = vertex_rings(np.array([[0, 1, 2], [0, 2, 3]]), 4)
    assert open_fan[0].tolist() == [1, 2, 3, -1]
    with pytest.raises(ValueError, match="no face"):
        vertex_rings(faces, 5)
    bowtie = np.array([[0, 1, 2], [0, 3, 4]])  # two fans sharing vertex 0
    with pytest.raises(ValueError, match="link of vertex 0"):
        vertex_rings(bowtie, 5)
