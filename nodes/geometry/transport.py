"""Discrete parallel transport (Levi-Civita connection) on a triangle mesh.

The details (moved from this docstring): docs/measuring-stills.md, "Module notes",
`nodes/geometry/transport.py`.
"""

from __future__ import annotations

import numpy as np

from moks_graph.nodes.geometry.curvature import Curvature, curvature
from moks_graph.nodes.geometry.mesh import TriangleMesh, rotate_minimal, tangent_frames


def _check_mesh(mesh: object) -> TriangleMesh:
    if not isinstance(mesh, TriangleMesh):
        raise TypeError(f"mesh must be a TriangleMesh, got {type(mesh).__name__}")
    return mesh


def frame_rotation_angles(
    u_from: np.ndarray, n_from: np.ndarray, n_to: np.ndarray, u_to: np.ndarray, v_to: np.ndarray
) -> np.ndarray:
    """Connection angle ``rho`` (radians) between tangent frames, vectorised over ``(..., 3)``.

    ``rho = atan2(R u_from . v_to, R u_from . u_to)`` with ``R`` the minimal
    rotation taking ``n_from`` to ``n_to``.
    """
    ru = rotate_minimal(u_from, n_from, n_to)
    return np.arctan2(np.sum(ru * v_to, axis=-1), np.sum(ru * u_to, axis=-1))


def vertex_frames(mesh: TriangleMesh) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-vertex orthonormal frames ``(u, v, n)``, each ``(N, 3)``, right-handed."""
    n = _check_mesh(mesh).vertex_normals
    u, v = tangent_frames(n)
    return u, v, n


def _pair_angles(mesh: TriangleMesh, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    u, v, n = vertex_frames(mesh)
    return frame_rotation_angles(u[i], n[i], n[j], u[j], v[j])


def connection_angles(mesh: TriangleMesh) -> np.ndarray:
    """``rho_ij`` (radians) for every edge ``(i, j)`` of ``mesh.edges``, shape ``(E,)``."""
    e = _check_mesh(mesh).edges
    return _pair_angles(mesh, e[:, 0], e[:, 1])


def _check_path(mesh: TriangleMesh, path: np.ndarray | list[int], name: str) -> np.ndarray:
    p = np.asarray(path)
    if p.ndim != 1 or p.size < 1 or (p.size and not np.issubdtype(p.dtype, np.integer)):
        raise ValueError(f"{name} must be a 1-D sequence of vertex indices")
    p = p.astype(np.int64)
    if p.min() < 0 or p.max() >= mesh.n_vertices:
        raise ValueError(f"{name} has a vertex index outside [0, {mesh.n_vertices})")
    moves = p[1:] != p[:-1]
    mesh.edge_ids(p[:-1][moves], p[1:][moves])  # raises if a step is not an edge
    return p


def path_angles(mesh: TriangleMesh, path: np.ndarray | list[int]) -> np.ndarray:
    """Accumulated connection angle at each vertex of a vertex path, ``(P,)`` radians.

    ``out[0] = 0``, ``out[k] = sum_{m<k} rho_{p_m p_(m+1)}``; consecutive
    vertices must share an edge (or repeat). A vector of angle ``a`` at
    ``path[0]`` has angle ``a + out[k]`` in the frame of ``path[k]``.
    """
    p = _check_path(_check_mesh(mesh), path, "path")
    steps = _pair_angles(mesh, p[:-1], p[1:])
    return np.concatenate([[0.0], np.cumsum(steps)])


def transport(mesh: TriangleMesh, vector: np.ndarray, path: np.ndarray | list[int]) -> np.ndarray:
    """Parallel-transport a tangent ``vector`` at ``path[0]`` along a vertex path.

    ``vector`` (3,) is projected onto the tangent plane at ``path[0]`` (its
    normal component dropped; a vector along the normal raises
    ``ValueError``). Returns the transported vector at every path vertex,
    ``(P, 3)`` world coordinates, with constant length.
    """
    mesh = _check_mesh(mesh)
    p = _check_path(mesh, path, "path")
    x = np.asarray(vector, dtype=np.float64)
    if x.shape != (3,) or not np.all(np.isfinite(x)):
        raise ValueError(f"vector must be 3 finite floats, got shape {x.shape}")
    u, v, _ = vertex_frames(mesh)
    a, b = float(x @ u[p[0]]), float(x @ v[p[0]])
    length = float(np.hypot(a, b))
    if length <= 1e-12 * max(float(np.linalg.norm(x)), 1e-300):
        raise ValueError("vector must not be (nearly) parallel to the surface normal")
    angle = np.arctan2(b, a) + path_angles(mesh, p)
    return length * (np.cos(angle)[:, None] * u[p] + np.sin(angle)[:, None] * v[p])


def wrap_angle(angle: np.ndarray | float) -> np.ndarray:
    """Angles wrapped to ``(-pi, pi]``."""
    a = np.asarray(angle, dtype=np.float64)
    return np.pi - np.mod(np.pi - a, 2.0 * np.pi)


def holonomy(mesh: TriangleMesh, loop: np.ndarray | list[int]) -> float:
    """Rotation angle (radians, in ``(-pi, pi]``) of a vector transported around ``loop``.

    ``loop`` is a closed vertex path (closed automatically if the last vertex
    is not the first). Counter-clockwise about the outward normal it equals the
    enclosed ``integral K dA`` modulo ``2 pi``.
    """
    p = np.asarray(loop)
    if p.ndim == 1 and p.size >= 1 and p[0] != p[-1]:
        p = np.concatenate([p, p[:1]])
    if p.ndim != 1 or p.size < 4:
        raise ValueError("loop must visit at least 3 vertices")
    return float(wrap_angle(path_angles(mesh, p)[-1]))


def _rotations(angles: np.ndarray) -> np.ndarray:
    c, s = np.cos(angles), np.sin(angles)
    return np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)


def commutator_residual(mesh: TriangleMesh, curv: Curvature | None = None) -> np.ndarray:
    """``|| C_ij S_i - S_j C_ij ||_F`` for every edge of ``mesh.edges``, shape ``(E,)``, 1/m.

    ``C_ij`` rotates by the connection angle ``rho_ij``; ``S`` are the vertex
    shape operators in the vertex frames (computed if ``curv`` is None). See
    the module docstring for the meaning.
    """
    mesh = _check_mesh(mesh)
    c = curvature(mesh) if curv is None else curv
    if c.shape_operator.shape != (mesh.n_vertices, 2, 2):
        raise ValueError("curv does not belong to mesh (shape_operator has the wrong shape)")
    e = mesh.edges
    rot = _rotations(connection_angles(mesh))
    s_i, s_j = c.shape_operator[e[:, 0]], c.shape_operator[e[:, 1]]
    return np.linalg.norm(rot @ s_i - s_j @ rot, axis=(1, 2))
