"""TargetLink frames: an orientation that rides along a path on a surface.

Entry points: :func:`linked_frame`, :class:`LinkedFrames`.

Details (moved from this docstring, issue 15):
docs/measuring-stills.md#nodesgeometrytarget_linkpy
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from moks_graph.nodes.geometry.mesh import TriangleMesh, normalize, tangent_frames
from moks_graph.nodes.geometry.transport import frame_rotation_angles


@dataclass(frozen=True)
class LinkedFrames:
    """Per-sample TargetLink frames; every array is ``(T, 3)`` float64 (world space)."""

    position: np.ndarray
    tangent: np.ndarray
    bitangent: np.ndarray
    normal: np.ndarray

    @property
    def matrices(self) -> np.ndarray:
        """Rotation matrices ``(T, 3, 3)`` with columns ``(tangent, bitangent, normal)``."""
        return np.stack([self.tangent, self.bitangent, self.normal], axis=-1)


def _samples(
    mesh: TriangleMesh, path: np.ndarray | list[int], barycentric: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Positions and unit normals ``(T, 3)`` of the path samples."""
    idx = np.asarray(path)
    if idx.ndim != 1 or idx.size < 1 or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError("path must be a non-empty 1-D sequence of integer indices")
    if barycentric is None:
        if idx.min() < 0 or idx.max() >= mesh.n_vertices:
            raise ValueError(f"path has a vertex index outside [0, {mesh.n_vertices})")
        return mesh.vertices[idx], mesh.vertex_normals[idx]
    bary = np.asarray(barycentric, dtype=np.float64)
    if bary.shape != (idx.size, 3):
        raise ValueError(f"barycentric must have shape ({idx.size}, 3), got {bary.shape}")
    if not np.all(np.isfinite(bary)) or np.any(bary < -1e-9):
        raise ValueError("barycentric must be finite and non-negative")
    if np.any(np.abs(bary.sum(axis=1) - 1.0) > 1e-6):
        raise ValueError("barycentric rows must sum to 1")
    if idx.min() < 0 or idx.max() >= mesh.n_faces:
        raise ValueError(f"path has a face index outside [0, {mesh.n_faces})")
    corners = mesh.faces[idx]  # (T, 3)
    position = np.einsum("tk,tkx->tx", bary, mesh.vertices[corners])
    blended = np.einsum("tk,tkx->tx", bary, mesh.vertex_normals[corners])
    return position, normalize(blended, "interpolated normals")


def linked_frame(
    mesh: TriangleMesh,
    path: np.ndarray | list[int],
    initial_vector: np.ndarray | list[float],
    barycentric: np.ndarray | None = None,
) -> LinkedFrames:
    """Transported TargetLink frames along a path on ``mesh``.

    ``path``: vertex indices per time sample, or, with ``barycentric``
    ``(T, 3)``, face indices per sample (see
    :func:`moks_graph.nodes.geometry.mesh.closest_points` to locate points).
    ``initial_vector`` (3,): the tangent direction at the first sample; its
    normal component is dropped (a vector along the normal raises
    ``ValueError``).
    """
    if not isinstance(mesh, TriangleMesh):
        raise TypeError(f"mesh must be a TriangleMesh, got {type(mesh).__name__}")
    position, normal = _samples(mesh, path, barycentric)
    x = np.asarray(initial_vector, dtype=np.float64)
    if x.shape != (3,) or not np.all(np.isfinite(x)):
        raise ValueError(f"initial_vector must be 3 finite floats, got shape {x.shape}")
    u, v = tangent_frames(normal)
    a, b = float(x @ u[0]), float(x @ v[0])
    if np.hypot(a, b) <= 1e-9 * max(float(np.linalg.norm(x)), 1e-300):
        raise ValueError("initial_vector must not be (nearly) parallel to the surface normal")
    steps = frame_rotation_angles(u[:-1], normal[:-1], normal[1:], u[1:], v[1:])
    angle = np.arctan2(b, a) + np.concatenate([[0.0], np.cumsum(steps)])
    tangent = np.cos(angle)[:, None] * u + np.sin(angle)[:, None] * v
    return LinkedFrames(
        position=position, tangent=tangent, bitangent=np.cross(normal, tangent), normal=normal
    )
