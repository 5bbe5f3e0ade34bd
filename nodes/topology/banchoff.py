"""Banchoff critical points of piecewise-linear functions on triangulated surfaces.

The details (moved from this docstring): docs/measuring-stills.md, "Module notes",
`nodes/topology/banchoff.py`.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

import numpy as np

FREUDENTHAL_RING: Final[tuple[tuple[int, int], ...]] = (
    (0, 1),
    (1, 1),
    (1, 0),
    (0, -1),
    (-1, -1),
    (-1, 0),
)
"""The 6-neighbour ring of the Freudenthal triangulation, ``(drow, dcol)``, in cyclic order."""


class CriticalType(IntEnum):
    """Banchoff type of a vertex."""

    REGULAR = 0
    MIN = 1
    SADDLE = 2
    MAX = 3


def _types_from_ring(higher: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Types and multiplicities from a ``(..., k)`` bool array "neighbour i is higher"."""
    changes = np.count_nonzero(higher != np.roll(higher, -1, axis=-1), axis=-1)
    all_higher = higher.all(axis=-1)
    none_higher = ~higher.any(axis=-1)
    labels = np.full(changes.shape, CriticalType.REGULAR, dtype=np.int8)
    labels[changes >= 4] = CriticalType.SADDLE
    labels[all_higher] = CriticalType.MIN
    labels[none_higher] = CriticalType.MAX
    multiplicity = np.where(changes >= 4, changes // 2 - 1, 0)
    multiplicity = np.where(all_higher | none_higher, 1, multiplicity).astype(np.int32)
    return labels, multiplicity


def _is_higher(
    ring_values: np.ndarray, ring_ids: np.ndarray, value: np.ndarray, vertex_id: np.ndarray
) -> np.ndarray:
    """Simulation of simplicity: ``(ring_value, ring_id) > (value, vertex_id)``."""
    return (ring_values > value) | ((ring_values == value) & (ring_ids > vertex_id))


def classify_vertex(
    value: float,
    ring_values: np.ndarray,
    ring_ids: np.ndarray,
    vertex_id: int,
) -> tuple[CriticalType, int]:
    """Classify one vertex from its ring (link) of neighbours in cyclic order.

    ``ring_values`` are the neighbour values and ``ring_ids`` their (distinct) vertex ids, in
    the cyclic order of the link. An open ring (boundary vertex) may be closed by passing a
    ``-inf`` neighbour. Returns ``(type, multiplicity)`` (see the module docstring).
    """
    vals = np.asarray(ring_values, dtype=np.float64)
    ids = np.asarray(ring_ids, dtype=np.int64)
    if vals.ndim != 1 or vals.shape != ids.shape:
        raise ValueError("ring_values/ring_ids: must be 1-D arrays of the same length")
    if vals.size < 3:
        raise ValueError(f"ring_values: a vertex ring needs at least 3 neighbours, got {vals.size}")
    if not np.isfinite(value):
        raise ValueError("value: must be finite")
    if np.any(np.isnan(vals)) or np.any(vals == np.inf):
        raise ValueError("ring_values: must be finite or -inf (virtual boundary vertex)")
    if np.any(ids == vertex_id):
        raise ValueError("ring_ids: the vertex itself cannot be in its ring")
    higher = _is_higher(vals, ids, np.float64(value), np.int64(vertex_id))
    labels, mult = _types_from_ring(higher[None, :])
    return CriticalType(int(labels[0])), int(mult[0])


def classify_grid(field: np.ndarray, periodic: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Classify every pixel of a 2-D scalar field on the Freudenthal triangulation.

    ``periodic=True`` wraps both axes (a torus, ``chi = 0``; needs at least 3 x 3 pixels);
    otherwise the border is closed by a virtual ``-inf`` vertex (a disc, ``chi = 1``), so a
    border pixel higher than its in-image neighbours is a ``MAX``. Ties are broken by the
    row-major flat index. Returns ``(labels, multiplicity)``: an ``int8`` array of
    :class:`CriticalType` values and an ``int32`` array, both of ``field.shape``.
    """
    f = np.asarray(field, dtype=np.float64)
    if f.ndim != 2:
        raise ValueError(f"field: expected a 2-D array, got shape {f.shape}")
    minimum = 3 if periodic else 2
    if f.shape[0] < minimum or f.shape[1] < minimum:
        raise ValueError(f"field: needs at least {minimum} x {minimum} values, got {f.shape}")
    if not np.all(np.isfinite(f)):
        raise ValueError("field: contains NaN or infinite values")
    height, width = f.shape
    ids = np.arange(height * width, dtype=np.int64).reshape(height, width)
    higher = np.empty((height, width, len(FREUDENTHAL_RING)), dtype=bool)
    if periodic:
        for k, (dr, dc) in enumerate(FREUDENTHAL_RING):
            nv = np.roll(f, (-dr, -dc), axis=(0, 1))
            ni = np.roll(ids, (-dr, -dc), axis=(0, 1))
            higher[:, :, k] = _is_higher(nv, ni, f, ids)
    else:
        fp = np.pad(f, 1, mode="constant", constant_values=-np.inf)
        ip = np.pad(ids, 1, mode="constant", constant_values=-1)
        for k, (dr, dc) in enumerate(FREUDENTHAL_RING):
            nv = fp[1 + dr : 1 + dr + height, 1 + dc : 1 + dc + width]
            ni = ip[1 + dr : 1 + dr + height, 1 + dc : 1 + dc + width]
            higher[:, :, k] = _is_higher(nv, ni, f, ids)
    return _types_from_ring(higher)


def vertex_rings(faces: np.ndarray, n_vertices: int) -> list[np.ndarray]:
    """Cyclically ordered link of every vertex of an oriented triangle mesh.

    ``faces`` is ``(F, 3)`` vertex ids with consistent orientation. For a face ``(a, b, c)``
    the link of ``a`` contains the directed edge ``b -> c``; chaining those edges gives the
    ring. A boundary vertex (open chain) gets ``-1`` appended, meaning the virtual ``-inf``
    vertex that closes the boundary. Raises ``ValueError`` for non-manifold links or
    isolated vertices.
    """
    tri = np.asarray(faces, dtype=np.int64)
    if tri.ndim != 2 or tri.shape[1] != 3:
        raise ValueError(f"faces: expected an (F, 3) integer array, got shape {tri.shape}")
    if tri.size and (tri.min() < 0 or tri.max() >= n_vertices):
        raise ValueError("faces: vertex ids out of range")
    centre = tri.reshape(-1)
    src = tri[:, [1, 2, 0]].reshape(-1)
    dst = tri[:, [2, 0, 1]].reshape(-1)
    order = np.argsort(centre, kind="stable")
    bounds = np.searchsorted(centre[order], np.arange(n_vertices + 1))
    rings: list[np.ndarray] = []
    for v in range(n_vertices):
        sel = order[bounds[v] : bounds[v + 1]]
        if sel.size == 0:
            raise ValueError(f"faces: vertex {v} belongs to no face")
        nxt = dict(zip(src[sel].tolist(), dst[sel].tolist(), strict=True))
        if len(nxt) != sel.size:
            raise ValueError(f"faces: link of vertex {v} is not a manifold ring")
        starts = set(nxt) - set(nxt.values())
        if len(starts) > 1:
            raise ValueError(f"faces: link of vertex {v} is not a single ring or path")
        closed = not starts
        start = starts.pop() if starts else next(iter(nxt))
        ring = [start]
        while ring[-1] in nxt and len(ring) <= sel.size:
            following = nxt[ring[-1]]
            if following == start:
                break
            ring.append(following)
        if len(ring) != sel.size + (0 if closed else 1):
            raise ValueError(f"faces: link of vertex {v} is not a single ring or path")
        rings.append(np.array(ring if closed else [*ring, -1], dtype=np.int64))
    return rings


def classify_mesh(
    values: np.ndarray, faces: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Classify every vertex of an oriented triangle mesh (see :func:`vertex_rings`).

    ``values`` has one finite value per vertex. Rings are grouped by length and classified
    with the same vectorised rule as :func:`classify_grid`. Returns ``(labels,
    multiplicity)`` arrays of length ``len(values)``.
    """
    vals = np.asarray(values, dtype=np.float64)
    if vals.ndim != 1:
        raise ValueError(f"values: expected one value per vertex, got shape {vals.shape}")
    if not np.all(np.isfinite(vals)):
        raise ValueError("values: contains NaN or infinite values")
    rings = vertex_rings(faces, vals.size)
    labels = np.zeros(vals.size, dtype=np.int8)
    multiplicity = np.zeros(vals.size, dtype=np.int32)
    lengths = np.array([r.size for r in rings])
    ext = np.append(vals, -np.inf)  # index -1 is the virtual boundary vertex
    for length in np.unique(lengths):
        members = np.flatnonzero(lengths == length)
        ring_ids = np.stack([rings[i] for i in members])
        ring_vals = ext[ring_ids]
        higher = _is_higher(ring_vals, ring_ids, vals[members, None], members[:, None])
        labels[members], multiplicity[members] = _types_from_ring(higher)
    return labels, multiplicity


def euler_characteristic(labels: np.ndarray, multiplicity: np.ndarray) -> int:
    """``#MAX + #MIN - sum of SADDLE multiplicities`` (the sum of Banchoff indices)."""
    lab = np.asarray(labels)
    mult = np.asarray(multiplicity)
    extrema = np.count_nonzero((lab == CriticalType.MAX) | (lab == CriticalType.MIN))
    return int(extrema - mult[lab == CriticalType.SADDLE].sum())
