"""Per-vertex shape operator and principal curvatures of a triangle mesh.

Entry points: :func:`curvature`, :class:`Curvature`.

Details (moved from this docstring, issue 15): docs/measuring-stills.md#nodesgeometrycurvaturepy
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from moks_graph.nodes.geometry.mesh import TriangleMesh, rotate_minimal, tangent_frames


@dataclass(frozen=True)
class Curvature:
    """Per-vertex curvature of a mesh (N vertices).

    ``k1 >= k2`` principal curvatures (1/m); ``d1``, ``d2`` unit principal
    directions ``(N, 3)`` (``d1 x d2 = normal``); ``normal`` the vertex normals;
    ``frame_u``, ``frame_v`` the vertex tangent frames in which
    ``shape_operator`` ``(N, 2, 2)`` (symmetric, 1/m) is expressed.
    """

    k1: np.ndarray
    k2: np.ndarray
    d1: np.ndarray
    d2: np.ndarray
    normal: np.ndarray
    frame_u: np.ndarray
    frame_v: np.ndarray
    shape_operator: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        """Mean curvature ``(k1 + k2) / 2`` (1/m)."""
        return 0.5 * (self.k1 + self.k2)

    @property
    def gaussian(self) -> np.ndarray:
        """Gaussian curvature ``k1 * k2`` (1/m^2)."""
        return self.k1 * self.k2


def face_second_fundamental_forms(mesh: TriangleMesh) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-face ``II_f`` ``(M, 2, 2)`` and the face frames ``u_f``, ``v_f`` ``(M, 3)``.

    Least squares over the three edges (module docstring, step 1), solved by
    the 3x3 normal equations for ``(e, f, g)``.
    """
    v, f, n = mesh.vertices, mesh.faces, mesh.vertex_normals
    p0, p1, p2 = v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]
    n0, n1, n2 = n[f[:, 0]], n[f[:, 1]], n[f[:, 2]]
    nf = mesh.face_normals
    u = (p1 - p0) / np.linalg.norm(p1 - p0, axis=1, keepdims=True)
    w = np.cross(nf, u)
    edges = np.stack([p2 - p1, p0 - p2, p1 - p0], axis=1)  # (M, 3, 3)
    dn = np.stack([n2 - n1, n0 - n2, n1 - n0], axis=1)
    eu = np.einsum("mkx,mx->mk", edges, u)
    ev = np.einsum("mkx,mx->mk", edges, w)
    du = np.einsum("mkx,mx->mk", dn, u)
    dv = np.einsum("mkx,mx->mk", dn, w)
    suu, suv, svv = (eu * eu).sum(1), (eu * ev).sum(1), (ev * ev).sum(1)
    ata = np.zeros((len(f), 3, 3))
    ata[:, 0, 0] = suu
    ata[:, 0, 1] = ata[:, 1, 0] = suv
    ata[:, 1, 1] = suu + svv
    ata[:, 1, 2] = ata[:, 2, 1] = suv
    ata[:, 2, 2] = svv
    atb = np.stack([(eu * du).sum(1), (ev * du + eu * dv).sum(1), (ev * dv).sum(1)], axis=1)
    efg = np.linalg.solve(ata, atb[..., None])[..., 0]
    second = np.empty((len(f), 2, 2))
    second[:, 0, 0] = efg[:, 0]
    second[:, 0, 1] = second[:, 1, 0] = efg[:, 1]
    second[:, 1, 1] = efg[:, 2]
    return second, u, w


def curvature(mesh: TriangleMesh) -> Curvature:
    """Principal curvatures and directions at every vertex (Rusinkiewicz 2004).

    Accurate on interior vertices of reasonably regular meshes; boundary
    vertices see only part of their neighbourhood and are less accurate.
    """
    if not isinstance(mesh, TriangleMesh):
        raise TypeError(f"mesh must be a TriangleMesh, got {type(mesh).__name__}")
    second, uf, vf = face_second_fundamental_forms(mesh)
    normals = mesh.vertex_normals
    pu, pv = tangent_frames(normals)
    f = mesh.faces
    nf = mesh.face_normals
    weight = mesh.face_areas / 3.0
    acc = np.zeros((mesh.n_vertices, 2, 2))
    for k in range(3):
        idx = f[:, k]
        # Rotate the vertex frame into the face plane, then express II_f in it.
        ru = rotate_minimal(pu[idx], normals[idx], nf)
        rv = rotate_minimal(pv[idx], normals[idx], nf)
        basis = np.stack(
            [
                np.stack([np.sum(ru * uf, 1), np.sum(ru * vf, 1)], -1),
                np.stack([np.sum(rv * uf, 1), np.sum(rv * vf, 1)], -1),
            ],
            axis=1,
        )  # (M, 2, 2): rows are the rotated vertex axes in face coordinates
        local = basis @ second @ np.swapaxes(basis, 1, 2)
        np.add.at(acc, idx, weight[:, None, None] * local)
    total = np.bincount(f.ravel(), np.repeat(weight, 3), mesh.n_vertices)
    shape = acc / total[:, None, None]
    shape = 0.5 * (shape + np.swapaxes(shape, 1, 2))
    values, vectors = np.linalg.eigh(shape)  # ascending
    k2, k1 = values[:, 0], values[:, 1]
    e1 = vectors[:, :, 1]
    d1 = e1[:, :1] * pu + e1[:, 1:] * pv
    d1 /= np.linalg.norm(d1, axis=1, keepdims=True)
    d2 = np.cross(normals, d1)
    return Curvature(
        k1=k1, k2=k2, d1=d1, d2=d2, normal=normals, frame_u=pu, frame_v=pv, shape_operator=shape
    )
