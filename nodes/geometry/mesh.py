"""A small immutable triangle mesh with the differential-geometry basics.

Entry points: :class:`TriangleMesh`, :func:`tangent_frames`, :func:`icosphere`.

Details (moved from this docstring, issue 15): docs/measuring-stills.md#nodesgeometrymeshpy
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def normalize(vectors: np.ndarray, name: str = "vectors") -> np.ndarray:
    """Unit vectors along ``(..., 3)`` vectors; zero or non-finite length raises ``ValueError``."""
    v = np.asarray(vectors, dtype=np.float64)
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    if not np.all(np.isfinite(norm)) or np.any(norm <= 1e-300):
        raise ValueError(f"{name} must be finite and non-zero")
    return v / norm


def tangent_frames(normals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A deterministic orthonormal tangent frame ``(u, v)`` per unit normal ``(..., 3)``.

    ``u`` is the helper axis (+Z, or +X where ``|n_z| > 0.9``) projected onto
    the tangent plane and normalised; ``v = n x u``; so ``(u, v, n)`` is a
    right-handed orthonormal frame. Any frame works for the estimators here:
    results are expressed so they do not depend on this choice.
    """
    n = normalize(normals, "normals")
    helper = np.zeros_like(n)
    near_pole = np.abs(n[..., 2]) > 0.9
    helper[..., 2] = ~near_pole
    helper[..., 0] = near_pole
    u = helper - np.sum(helper * n, axis=-1, keepdims=True) * n
    u /= np.linalg.norm(u, axis=-1, keepdims=True)
    return u, np.cross(n, u)


def rotate_minimal(vectors: np.ndarray, n_from: np.ndarray, n_to: np.ndarray) -> np.ndarray:
    """Apply the minimal rotation taking unit ``n_from`` to unit ``n_to`` to ``vectors``.

    The rotation about the axis ``n_from x n_to`` by the angle between them
    (Rodrigues): ``R x = x + w x x + w x (w x x) / (1 + c)`` with
    ``w = n_from x n_to``, ``c = n_from . n_to``. Broadcasts over ``(..., 3)``.
    Raises ``ValueError`` where the normals are (nearly) opposite, since the
    minimal rotation is then undefined.
    """
    a = np.asarray(n_from, dtype=np.float64)
    b = np.asarray(n_to, dtype=np.float64)
    x = np.asarray(vectors, dtype=np.float64)
    c = np.sum(a * b, axis=-1, keepdims=True)
    if np.any(c <= -1.0 + 1e-9):
        raise ValueError("normals are opposite: the minimal rotation between them is undefined")
    w = np.cross(a, b)
    wx = np.cross(w, x)
    return x + wx + np.cross(w, wx) / (1.0 + c)


@dataclass(frozen=True, eq=False)
class TriangleMesh:
    """A triangle mesh: ``vertices`` float64 ``(N, 3)``, ``faces`` int64 ``(M, 3)``.

    Validation (``TypeError``/``ValueError`` naming the field): shapes, finite
    vertices, at least one face, indices in ``[0, N)``, no face repeating a
    vertex, no zero-area face. Arrays are copied and made read-only.
    """

    vertices: np.ndarray
    faces: np.ndarray

    def __post_init__(self) -> None:
        try:
            v = np.array(self.vertices, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"vertices must be an (N, 3) float array: {exc}") from exc
        if v.ndim != 2 or v.shape[1] != 3 or v.shape[0] < 3:
            raise ValueError(f"vertices must have shape (N >= 3, 3), got {v.shape}")
        if not np.all(np.isfinite(v)):
            raise ValueError("vertices contains NaN or infinite values")
        f_in = np.asarray(self.faces)
        if f_in.size and not np.issubdtype(f_in.dtype, np.integer):
            raise TypeError(f"faces must hold integers, got dtype {f_in.dtype}")
        f = np.array(f_in, dtype=np.int64)
        if f.ndim != 2 or f.shape[1] != 3 or f.shape[0] < 1:
            raise ValueError(f"faces must have shape (M >= 1, 3), got {f.shape}")
        if f.min() < 0 or f.max() >= v.shape[0]:
            raise ValueError(f"faces index out of range [0, {v.shape[0]})")
        if np.any((f[:, 0] == f[:, 1]) | (f[:, 1] == f[:, 2]) | (f[:, 0] == f[:, 2])):
            raise ValueError("faces contains a face that repeats a vertex")
        cross = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
        if np.any(np.linalg.norm(cross, axis=1) <= 1e-300):
            raise ValueError("faces contains a zero-area (degenerate) face")
        object.__setattr__(self, "vertices", _readonly(v))
        object.__setattr__(self, "faces", _readonly(f))

    @property
    def n_vertices(self) -> int:
        return int(self.vertices.shape[0])

    @property
    def n_faces(self) -> int:
        return int(self.faces.shape[0])

    @cached_property
    def _face_cross(self) -> np.ndarray:
        v, f = self.vertices, self.faces
        return np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])

    @cached_property
    def face_normals(self) -> np.ndarray:
        """Unit face normals ``(M, 3)``, ``(v1 - v0) x (v2 - v0)`` normalised."""
        c = self._face_cross
        return _readonly(c / np.linalg.norm(c, axis=1, keepdims=True))

    @cached_property
    def face_areas(self) -> np.ndarray:
        """Face areas ``(M,)`` in square metres."""
        return _readonly(0.5 * np.linalg.norm(self._face_cross, axis=1))

    @cached_property
    def edges(self) -> np.ndarray:
        """Unique undirected edges ``(E, 2)``, each ``(i, j)`` with ``i < j``, sorted."""
        f = self.faces
        pairs = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
        return _readonly(np.unique(np.sort(pairs, axis=1), axis=0))

    @cached_property
    def _edge_keys(self) -> np.ndarray:
        e = self.edges
        return e[:, 0] * self.n_vertices + e[:, 1]  # sorted, since edges are sorted

    def edge_ids(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Index into :attr:`edges` of each vertex pair ``(i, j)`` (either order).

        Raises ``ValueError`` if a pair is not an edge of the mesh.
        """
        i = np.asarray(i, dtype=np.int64)
        j = np.asarray(j, dtype=np.int64)
        keys = np.minimum(i, j) * self.n_vertices + np.maximum(i, j)
        ids = np.searchsorted(self._edge_keys, keys)
        ids = np.minimum(ids, len(self._edge_keys) - 1)
        bad = self._edge_keys[ids] != keys
        if np.any(bad):
            k = int(np.argmax(bad))
            raise ValueError(
                f"vertices {int(np.ravel(i)[k])} and {int(np.ravel(j)[k])} do not share an edge"
            )
        return ids

    @cached_property
    def vertex_normals(self) -> np.ndarray:
        """Unit vertex normals ``(N, 3)`` with Max's 1999 weights (exact on spheres)."""
        v, f = self.vertices, self.faces
        acc = np.zeros_like(v)
        for k in range(3):
            a, b, c = f[:, k], f[:, (k + 1) % 3], f[:, (k + 2) % 3]
            e1, e2 = v[b] - v[a], v[c] - v[a]
            w = np.cross(e1, e2) / (
                np.einsum("ij,ij->i", e1, e1) * np.einsum("ij,ij->i", e2, e2)
            )[:, None]
            np.add.at(acc, a, w)
        norm = np.linalg.norm(acc, axis=1, keepdims=True)
        if np.any(norm <= 1e-300):
            raise ValueError("mesh has an isolated vertex or cancelling faces: no vertex normal")
        return _readonly(acc / norm)

    @cached_property
    def one_ring(self) -> tuple[np.ndarray, ...]:
        """Neighbour vertex indices of every vertex (sorted ascending), one array each."""
        e = self.edges
        both = np.concatenate([e, e[:, ::-1]])
        both = both[np.lexsort((both[:, 1], both[:, 0]))]
        starts = np.searchsorted(both[:, 0], np.arange(self.n_vertices + 1))
        return tuple(
            _readonly(both[starts[k] : starts[k + 1], 1].copy()) for k in range(self.n_vertices)
        )

    @cached_property
    def boundary_vertices(self) -> np.ndarray:
        """Boolean mask ``(N,)``: vertices on an edge used by exactly one face."""
        f = self.faces
        pairs = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
        uniq, count = np.unique(pairs, axis=0, return_counts=True)
        mask = np.zeros(self.n_vertices, dtype=bool)
        mask[uniq[count == 1].ravel()] = True
        return _readonly(mask)

    @cached_property
    def vertex_areas(self) -> np.ndarray:
        """Barycentric vertex areas ``(N,)``: a third of each adjacent face's area."""
        return _readonly(
            np.bincount(
                self.faces.ravel(), np.repeat(self.face_areas / 3.0, 3), self.n_vertices
            )
        )


# --------------------------------------------------------------------------- builders


def _positive(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    return float(value)


def _count(value: int, name: str, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not minimum <= value <= maximum:
        raise ValueError(f"{name} must be in [{minimum}, {maximum}], got {value}")
    return int(value)


def icosphere(subdivisions: int = 3, radius: float = 1.0) -> TriangleMesh:
    """Geodesic sphere: an icosahedron with each face split in 4, ``subdivisions`` times.

    ``10 * 4**s + 2`` vertices, all exactly on the sphere of ``radius`` (m).
    """
    s = _count(subdivisions, "subdivisions", 0, 7)
    r = _positive(radius, "radius")
    t = (1.0 + 5.0**0.5) / 2.0
    v = np.array(
        [[-1, t, 0], [1, t, 0], [-1, -t, 0], [1, -t, 0], [0, -1, t], [0, 1, t],
         [0, -1, -t], [0, 1, -t], [t, 0, -1], [t, 0, 1], [-t, 0, -1], [-t, 0, 1]],
        dtype=np.float64,
    )  # fmt: skip
    f = np.array(
        [[0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11], [1, 5, 9], [5, 11, 4],
         [11, 10, 2], [10, 7, 6], [7, 1, 8], [3, 9, 4], [3, 4, 2], [3, 2, 6], [3, 6, 8],
         [3, 8, 9], [4, 9, 5], [2, 4, 11], [6, 2, 10], [8, 6, 7], [9, 8, 1]],
        dtype=np.int64,
    )  # fmt: skip
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    for _ in range(s):
        pairs = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
        uniq, inverse = np.unique(pairs, axis=0, return_inverse=True)
        mid = v[uniq[:, 0]] + v[uniq[:, 1]]
        mid /= np.linalg.norm(mid, axis=1, keepdims=True)
        ids = inverse.reshape(3, -1) + len(v)  # midpoints of edges 01, 12, 20 per face
        m01, m12, m20 = ids
        f = np.concatenate(
            [
                np.stack([f[:, 0], m01, m20], 1),
                np.stack([f[:, 1], m12, m01], 1),
                np.stack([f[:, 2], m20, m12], 1),
                np.stack([m01, m12, m20], 1),
            ]
        )
        v = np.concatenate([v, mid])
    return TriangleMesh(v * r, f)


def _grid_faces(rows: int, cols: int, wrap: bool) -> np.ndarray:
    """Two triangles per quad of a ``rows x cols`` vertex grid (row-major), CCW outward."""
    r, c = np.meshgrid(np.arange(rows - 1), np.arange(cols if wrap else cols - 1), indexing="ij")
    a = r * cols + c
    b = r * cols + (c + 1) % cols
    d = (r + 1) * cols + c
    e = (r + 1) * cols + (c + 1) % cols
    return np.concatenate(
        [np.stack([a, b, e], -1).reshape(-1, 3), np.stack([a, e, d], -1).reshape(-1, 3)]
    )


def uv_sphere(rings: int = 32, segments: int = 64, radius: float = 1.0) -> TriangleMesh:
    """Latitude-longitude sphere with two pole vertices.

    Ring ``i = 1 .. rings-1`` lies at polar angle ``pi * i / rings`` from +Z
    (exactly on that latitude circle) and holds ``segments`` vertices at
    longitudes ``2 pi k / segments``. Vertex 0 is the north pole, the last
    vertex the south pole, ring ``i`` vertex ``k`` is ``1 + (i - 1) * segments + k``.
    """
    n_rings = _count(rings, "rings", 2, 100_000)
    seg = _count(segments, "segments", 3, 100_000)
    r = _positive(radius, "radius")
    theta = np.pi * np.arange(1, n_rings) / n_rings
    phi = 2.0 * np.pi * np.arange(seg) / seg
    st, ct = np.sin(theta)[:, None], np.cos(theta)[:, None]
    body = np.stack(
        [st * np.cos(phi), st * np.sin(phi), np.broadcast_to(ct, (n_rings - 1, seg))], -1
    )
    v = np.concatenate([[[0.0, 0.0, 1.0]], body.reshape(-1, 3), [[0.0, 0.0, -1.0]]])
    # Grid rows run north to south; flip the column order so faces are CCW outward.
    k = np.arange(seg)
    grid = _grid_faces(n_rings - 1, seg, wrap=True) + 1
    grid = grid[:, [0, 2, 1]]
    south = len(v) - 1
    last = 1 + (n_rings - 2) * seg
    caps = [
        np.stack([np.zeros(seg, np.int64), 1 + k, 1 + (k + 1) % seg], 1),
        np.stack([np.full(seg, south), last + (k + 1) % seg, last + k], 1),
    ]
    return TriangleMesh(v * r, np.concatenate([caps[0], grid, caps[1]]))


def cylinder(
    radius: float = 1.0, height: float = 2.0, segments: int = 64, rings: int = 33
) -> TriangleMesh:
    """Open tube of ``radius`` around the Z axis from ``z = -height/2`` to ``+height/2``.

    ``rings`` rings of ``segments`` vertices; ring ``i`` vertex ``k`` is
    ``i * segments + k`` at angle ``2 pi k / segments``. The first and last
    rings are the boundary.
    """
    r = _positive(radius, "radius")
    h = _positive(height, "height")
    seg = _count(segments, "segments", 3, 100_000)
    n_rings = _count(rings, "rings", 2, 100_000)
    phi = 2.0 * np.pi * np.arange(seg) / seg
    z = np.linspace(-h / 2, h / 2, n_rings)
    v = np.stack(
        [
            np.broadcast_to(r * np.cos(phi), (n_rings, seg)),
            np.broadcast_to(r * np.sin(phi), (n_rings, seg)),
            np.broadcast_to(z[:, None], (n_rings, seg)),
        ],
        -1,
    ).reshape(-1, 3)
    return TriangleMesh(v, _grid_faces(n_rings, seg, wrap=True))


def torus(
    major_radius: float = 1.0, minor_radius: float = 0.3, segments: int = 64, rings: int = 32
) -> TriangleMesh:
    """Torus around the Z axis: tube of ``minor_radius`` around a circle of ``major_radius``.

    Vertex ``i * segments + k`` sits at tube angle ``v = 2 pi i / rings`` and
    ring angle ``u = 2 pi k / segments``:
    ``((R + r cos v) cos u, (R + r cos v) sin u, r sin v)``. Principal
    curvatures (outward normals, S = dN): ``1/r`` across the tube and
    ``cos v / (R + r cos v)`` along it.
    """
    big = _positive(major_radius, "major_radius")
    small = _positive(minor_radius, "minor_radius")
    if small >= big:
        raise ValueError(f"minor_radius must be < major_radius, got {small} >= {big}")
    seg = _count(segments, "segments", 3, 100_000)
    n_rings = _count(rings, "rings", 3, 100_000)
    u = 2.0 * np.pi * np.arange(seg) / seg
    v = 2.0 * np.pi * np.arange(n_rings) / n_rings
    rho = big + small * np.cos(v)[:, None]
    shape = (n_rings, seg)
    pts = np.stack(
        [rho * np.cos(u), rho * np.sin(u), np.broadcast_to(small * np.sin(v)[:, None], shape)],
        -1,
    ).reshape(-1, 3)
    faces = _grid_faces(n_rings + 1, seg, wrap=True)
    faces = np.where(faces >= n_rings * seg, faces - n_rings * seg, faces)  # close the tube
    return TriangleMesh(pts, faces)


# --------------------------------------------------------------------------- location


def closest_points(
    mesh: TriangleMesh, points: np.ndarray, *, chunk: int = 200_000
) -> tuple[np.ndarray, np.ndarray]:
    """Closest point on the mesh to each of ``points`` ``(T, 3)``, brute force.

    Returns ``(faces (T,) int64, barycentric (T, 3) float64)``: the point is
    ``sum_k bary_k * vertices[faces_tri[k]]``. For every point and face the
    candidates are the projection onto the face plane (if inside the
    triangle) and the closest points on its three edges; the nearest wins.
    Cost ``O(T * M)``, split so at most ``chunk`` point-face pairs are in
    memory at once. Fine for paths and meshes of a few thousand faces.
    """
    p = np.asarray(points, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 3:
        raise ValueError(f"points must have shape (T, 3), got {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError("points contains NaN or infinite values")
    tri = mesh.vertices[mesh.faces]  # (M, 3, 3)
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    ab, ac = b - a, c - a
    d00 = np.einsum("mx,mx->m", ab, ab)
    d01 = np.einsum("mx,mx->m", ab, ac)
    d11 = np.einsum("mx,mx->m", ac, ac)
    den = d00 * d11 - d01 * d01
    seg_start = np.stack([a, b, c], axis=1)  # edges 0->1, 1->2, 2->0
    seg_dir = np.stack([ab, c - b, a - c], axis=1)
    seg_len2 = np.einsum("mkx,mkx->mk", seg_dir, seg_dir)
    step = max(1, chunk // mesh.n_faces)
    out_f = np.empty(len(p), dtype=np.int64)
    out_b = np.empty((len(p), 3), dtype=np.float64)
    rows = np.arange(min(step, len(p)))
    for s in range(0, len(p), step):
        q = p[s : s + step]
        t_n = len(q)
        aq = q[:, None, :] - a[None]  # (t, M, 3)
        d20 = np.einsum("tmx,mx->tm", aq, ab)
        d21 = np.einsum("tmx,mx->tm", aq, ac)
        bv = (d11 * d20 - d01 * d21) / den
        bw = (d00 * d21 - d01 * d20) / den
        bu = 1.0 - bv - bw
        # Squared distance to the plane projection: |aq|^2 - (bv ab + bw ac) . aq.
        aq2 = np.einsum("tmx,tmx->tm", aq, aq)
        dist = np.empty((t_n, mesh.n_faces, 4))
        dist[..., 0] = np.where(
            (bu >= 0) & (bv >= 0) & (bw >= 0), aq2 - (bv * d20 + bw * d21), np.inf
        )
        # Edge candidates: segment x0 + t d with t clamped to [0, 1].
        params = np.empty((t_n, mesh.n_faces, 3))
        for k in range(3):
            xq = q[:, None, :] - seg_start[None, :, k]
            proj = np.einsum("tmx,mx->tm", xq, seg_dir[:, k])
            t = np.clip(proj / seg_len2[:, k], 0.0, 1.0)
            params[..., k] = t
            dist[..., k + 1] = (
                np.einsum("tmx,tmx->tm", xq, xq) - 2 * t * proj + t * t * seg_len2[:, k]
            )
        best = np.argmin(dist.reshape(t_n, -1), axis=1)
        face, which = np.divmod(best, 4)
        r = rows[:t_n]
        bary = np.zeros((t_n, 3))
        plane = which == 0
        bary[plane] = np.stack([bu[r, face], bv[r, face], bw[r, face]], -1)[plane]
        for k in range(3):
            on_edge = which == k + 1
            t = params[r, face, k][on_edge]
            bary[on_edge, k] = 1.0 - t
            bary[on_edge, (k + 1) % 3] = t
        out_f[s : s + step] = face
        out_b[s : s + step] = bary
    return out_f, out_b
