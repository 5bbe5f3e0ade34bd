"""Betti numbers of binary masks and persistent Betti numbers of luminance superlevel sets.

The details (moved from this docstring): docs/measuring-stills.md, "Module notes",
`nodes/topology/betti.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, NamedTuple

import numpy as np
from scipy import sparse
from skimage.measure import euler_number, label

from moks_graph.nodes.imaging.analysis import downsample, log2_luminance

BettiLabel = Literal["none", "machined", "organic", "mixed"]

class BettiSignature(NamedTuple):
    """Betti numbers of a binary mask and their label (see the module docstring)."""

    b0: int
    b1: int
    label: BettiLabel


@dataclass(frozen=True)
class PersistentBetti:
    """Persistent Betti numbers of the superlevel sets of a field.

    ``b0``/``b1``/``label``: counts of bars with persistence ``>= min_persistence`` and their
    :func:`classify_betti` label. ``bars0``/``bars1``: ``(n, 2)`` arrays of ``(birth, death)``
    in field units (stops when ``log=True``); ``bars0[0]`` is the essential component (it
    never dies; its death is reported as the field minimum). ``thresholds``, ``b0_curve``,
    ``b1_curve``: Betti numbers of ``{field >= t}`` at each threshold ``t``.
    """

    b0: int
    b1: int
    label: BettiLabel
    bars0: np.ndarray
    bars1: np.ndarray
    thresholds: np.ndarray
    b0_curve: np.ndarray
    b1_curve: np.ndarray


def classify_betti(b0: int, b1: int, many: int = 3) -> BettiLabel:
    """Label Betti numbers ``(b0, b1)`` as none / machined / organic / mixed (module doc)."""
    if many < 1:
        raise ValueError(f"many: must be >= 1, got {many}")
    if b0 < 0 or b1 < 0:
        raise ValueError(f"b0/b1: must be non-negative, got {b0}, {b1}")
    if b0 == 0:
        return "none"
    if b0 >= many and b0 >= many * b1:
        return "machined"
    if b1 >= many and b1 >= many * b0:
        return "organic"
    return "mixed"


def _as_mask(mask: object, name: str = "mask") -> np.ndarray:
    arr = np.asarray(mask)
    if arr.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name}: is empty")
    if arr.dtype == np.bool_:
        return arr
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name}: expected a boolean or numeric array, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or infinite values")
    return arr != 0


def clean_mask(mask: np.ndarray, min_area: int) -> np.ndarray:
    """Remove 8-connected components and fill holes (bounded 4-connected background
    components) with fewer than ``min_area`` pixels. ``min_area <= 1`` returns the mask."""
    out = _as_mask(mask).copy()
    if min_area <= 1:
        return out
    comp, n = label(out, connectivity=2, return_num=True)
    if n:
        small = np.bincount(comp.ravel(), minlength=n + 1) < min_area
        small[0] = False
        out[small[comp]] = False
    back, nb = label(~out, connectivity=1, return_num=True)
    if nb:
        area = np.bincount(back.ravel(), minlength=nb + 1)
        border = np.unique(np.concatenate([back[0], back[-1], back[:, 0], back[:, -1]]))
        fill = area < min_area
        fill[0] = False
        fill[border] = False
        out[fill[back]] = True
    return out


def betti_signature(mask: np.ndarray, *, min_area: int = 0, many: int = 3) -> BettiSignature:
    """Betti numbers ``(b0, b1)`` of a 2-D mask (8-connected foreground, 4-connected holes).

    ``b0 = #label(mask, connectivity=2)``, ``b1 = b0 - euler_number(mask, connectivity=2)``.
    ``min_area`` first removes components and fills holes smaller than that many pixels
    (:func:`clean_mask`), which makes the signature stable under speckle noise. Non-boolean
    masks are taken as ``mask != 0``.
    """
    m = clean_mask(mask, min_area) if min_area > 1 else _as_mask(mask)
    _, b0 = label(m, connectivity=2, return_num=True)
    b1 = int(b0 - euler_number(m, connectivity=2))
    return BettiSignature(int(b0), b1, classify_betti(int(b0), b1, many))


_OFFSETS_4: Final = ((0, 1), (1, 0))
_OFFSETS_8: Final = ((0, 1), (1, 0), (1, 1), (1, -1))
#: Largest rank float32 (ripser's number type) holds exactly: 2**24.
_MAX_EXACT_RANK: Final = 2**24


def lower_star_h0(field: np.ndarray, connectivity: Literal[4, 8]) -> np.ndarray:
    """0-dimensional persistence of the sublevel filtration of a 2-D field (lower star).

    Vertices enter at their value, an edge between grid neighbours (4- or 8-connectivity)
    at the larger of its two values; ripser computes the bars. Returns ``(n, 2)``
    ``(birth, death)`` with ``birth <= death`` and ``death = inf`` for the essential bar;
    every finite birth and death is exactly one of the field's values (ripser gets the
    values' ranks, so neither its float32 arithmetic nor a shift moves a bar end across a
    level). ``ValueError`` for a field with more than 2**24 distinct values.
    """
    from moks_graph.extras import require

    # imported lazily: it is slow to import, and an extra ('topology') of a slim install
    ripser = require("ripser", "topology", "persistent Betti numbers").ripser

    f = np.asarray(field, dtype=np.float64)
    height, width = f.shape
    # ripser works in float32 and wants positive entries. The lower-star filtration depends
    # only on the order of the values, so it is given their dense ranks 1, 2, ... (exact in
    # float32 up to 2**24) and every birth/death maps back to the very field value it is:
    # no shift and back, no float32 rounding (either moved a bar end one ulp across a level).
    levels, inverse = np.unique(f, return_inverse=True)
    if levels.size > _MAX_EXACT_RANK:
        raise ValueError(f"field: more than {_MAX_EXACT_RANK} distinct values "
                         f"({levels.size}); downsample it first")
    g = inverse.reshape(height, width).astype(np.float64) + 1.0
    ids = np.arange(height * width).reshape(height, width)
    rows = [ids.ravel()]
    cols = [ids.ravel()]
    vals = [g.ravel()]
    offsets = _OFFSETS_4 if connectivity == 4 else _OFFSETS_8
    for dr, dc in offsets:
        r0, r1 = 0, height - dr
        c0, c1 = max(0, -dc), width - max(0, dc)
        a = ids[r0:r1, c0:c1].ravel()
        b = ids[r0 + dr : r1 + dr, c0 + dc : c1 + dc].ravel()
        w = np.maximum(g[r0:r1, c0:c1], g[r0 + dr : r1 + dr, c0 + dc : c1 + dc]).ravel()
        rows += [a, b]
        cols += [b, a]
        vals += [w, w]
    matrix = sparse.coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(ids.size, ids.size),
    ).tocsr()
    dgm = np.asarray(ripser(matrix, distance_matrix=True, maxdim=0)["dgms"][0], dtype=np.float64)
    dgm = dgm.reshape(-1, 2)
    finite = np.isfinite(dgm)
    rank = np.clip(np.rint(dgm[finite]).astype(np.int64) - 1, 0, levels.size - 1)
    dgm[finite] = levels[rank]
    return dgm


def _counts(bars: np.ndarray, thresholds: np.ndarray, essential: bool) -> np.ndarray:
    alive = (bars[None, :, 1] < thresholds[:, None]) & (thresholds[:, None] <= bars[None, :, 0])
    if essential and bars.shape[0]:
        alive[:, 0] = thresholds <= bars[0, 0]
    return alive.sum(axis=1).astype(np.int64)


def persistent_betti(
    luminance: np.ndarray,
    *,
    min_persistence: float = 1.0,
    log: bool = True,
    max_side: int = 256,
    n_thresholds: int = 64,
    many: int = 3,
) -> PersistentBetti:
    """Persistent Betti numbers of the superlevel sets ``{field >= t}`` of a luminance image.

    ``field = log2(luminance + 2**-14)`` when ``log`` (persistence in stops), else the
    luminance itself. The field is block-averaged so its longer side is at most
    ``max_side`` pixels (ripser's cost grows with the pixel count). ``b0``/``b1`` count bars
    with persistence ``>= min_persistence`` (the essential bar's persistence is
    ``max - min``); ``thresholds`` are ``n_thresholds`` levels spanning the field range.
    """
    lum = np.asarray(luminance, dtype=np.float64)
    if lum.ndim != 2:
        raise ValueError(f"luminance: expected a 2-D array, got shape {lum.shape}")
    if min(lum.shape) < 2:
        raise ValueError(f"luminance: needs at least 2 x 2 pixels, got {lum.shape}")
    if not np.all(np.isfinite(lum)):
        raise ValueError("luminance: contains NaN or infinite values")
    if log and lum.min() < 0:
        raise ValueError("luminance: must be non-negative when log=True")
    if not min_persistence >= 0:
        raise ValueError(f"min_persistence: must be >= 0, got {min_persistence}")
    if max_side < 8 or n_thresholds < 2:
        raise ValueError("max_side must be >= 8 and n_thresholds >= 2")

    field, _ = downsample(lum, max_side)
    if log:
        field = log2_luminance(field)
    lo, hi = float(field.min()), float(field.max())

    # H0 of superlevel sets = sublevel H0 of -field (8-connectivity).
    sub0 = lower_star_h0(-field, 8)
    bars0 = np.stack([-sub0[:, 0], -sub0[:, 1]], axis=1)
    bars0[~np.isfinite(bars0[:, 1]), 1] = lo
    bars0 = bars0[np.argsort(-(bars0[:, 0] - bars0[:, 1]), kind="stable")]

    # H1 of superlevel sets = bounded 4-components of {field < t}: framed sublevel H0.
    framed = np.pad(field, 1, mode="constant", constant_values=lo - 1.0)
    sub1 = lower_star_h0(framed, 4)
    sub1 = sub1[np.isfinite(sub1[:, 1])]
    bars1 = np.stack([sub1[:, 1], sub1[:, 0]], axis=1)
    bars1 = bars1[np.argsort(-(bars1[:, 0] - bars1[:, 1]), kind="stable")]

    pers0 = bars0[:, 0] - bars0[:, 1]
    pers1 = bars1[:, 0] - bars1[:, 1]
    b0 = int(np.count_nonzero(pers0 >= min_persistence)) if hi > lo else 0
    b1 = int(np.count_nonzero(pers1 >= min_persistence))
    thresholds = np.linspace(lo, hi, n_thresholds)
    return PersistentBetti(
        b0=b0,
        b1=b1,
        label=classify_betti(b0, b1, many),
        bars0=bars0,
        bars1=bars1,
        thresholds=thresholds,
        b0_curve=_counts(bars0, thresholds, essential=True),
        b1_curve=_counts(bars1, thresholds, essential=False),
    )


__all__ = [
    "BettiLabel",
    "BettiSignature",
    "PersistentBetti",
    "betti_signature",
    "classify_betti",
    "clean_mask",
    "lower_star_h0",
    "persistent_betti",
]
