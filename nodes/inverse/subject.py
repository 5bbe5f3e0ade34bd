"""The subject of a reference still: its silhouette, placement and surface normals.

Entry points: :func:`estimate_subject`, :func:`boxed_subject`, :func:`matte_subject`,
:func:`head_subject`, :class:`SubjectEstimate`. The silhouette itself is found by
:mod:`~moks_graph.nodes.inverse.silhouette`.

Details (moved from this docstring, issue 15): docs/inverse.md#nodesinversesubjectpy
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.linalg import spsolve

from moks_graph.nodes.inverse.silhouette import (
    MAX_FRACTION,
    MIN_FRACTION,
    box_silhouette,
    check_box,
    find_silhouette,
)

STRAIGHT_SPAN: Final[float] = 0.7
STRAIGHT_TOLERANCE: Final[float] = 0.025
"""Straight sides: width and centre line linear over the middle 70 % of the principal axis,
within 2.5 % of the largest width (RMS)."""


@dataclass(frozen=True)
class SubjectEstimate:
    """A subject found in a reference (working-grid pixels; camera frame x right, y up, z out).

    ``mask``: silhouette. ``found``: a distinct subject was detected (else ``reason`` says
    why and ``mask`` is a central ellipse standing in). ``normals``: ``H x W x 3`` unit
    normals, zero outside the mask. ``contour``: silhouette pixels on an occluding contour
    (not on the frame border). ``centre``: centroid in frame units ``(x, y)`` from the frame
    centre (x right, y up). ``height_fraction``: silhouette height over frame height.
    """

    mask: np.ndarray
    found: bool
    normals: np.ndarray
    contour: np.ndarray
    centre: tuple[float, float]
    height_fraction: float
    reason: str = ""


def _laplacian_solve(mask: np.ndarray, dirichlet: np.ndarray) -> np.ndarray:
    """``f`` with ``laplace(f) = -1`` on ``mask``, ``f = 0`` beyond ``dirichlet`` edges."""
    h, w = mask.shape
    index = -np.ones((h, w), dtype=np.int64)
    cells = np.flatnonzero(mask)
    index.ravel()[cells] = np.arange(cells.size)
    rows, cols = np.divmod(cells, w)
    diag = np.zeros(cells.size)
    ii, jj = [], []
    for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        r2, c2 = rows + dr, cols + dc
        inside = (r2 >= 0) & (r2 < h) & (c2 >= 0) & (c2 < w)
        neighbour = np.full(cells.size, -1)
        neighbour[inside] = index[r2[inside], c2[inside]]
        linked = neighbour >= 0
        # a neighbour outside the silhouette is the contour (f = 0): it counts in the
        # diagonal; a neighbour beyond the frame is a mirror (no flux): it does not
        diag += linked | (inside & ~linked & dirichlet[np.clip(r2, 0, h - 1),
                                                       np.clip(c2, 0, w - 1)])
        ii.append(np.flatnonzero(linked))
        jj.append(neighbour[linked])
    i = np.concatenate(ii)
    j = np.concatenate(jj)
    n = cells.size
    matrix = coo_matrix((np.concatenate([diag, -np.ones(i.size)]),
                         (np.concatenate([np.arange(n), i]), np.concatenate([np.arange(n), j]))),
                        shape=(n, n)).tocsc()
    out = np.zeros((h, w))
    out.ravel()[cells] = spsolve(matrix, np.ones(n))
    return out


def inflate_normals(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit normals ``H x W x 3`` (camera frame) and the occluding-contour pixels.

    ``h = c sqrt(f)`` with ``laplace(f) = -1`` inside, ``f = 0`` on the contour, and ``c``
    chosen so that ``max h`` equals the largest inscribed radius: a disc inflates to a
    hemisphere (``c = 2``), a long slab to a half cylinder (``c = sqrt 2``).
    """
    outside = ~mask
    f = np.maximum(_laplacian_solve(mask, outside), 0.0)
    radius = float(ndimage.distance_transform_edt(np.pad(mask, 1, constant_values=False))
                   [1:-1, 1:-1].max())
    scale = radius / max(np.sqrt(f.max()), 1e-9)
    grad_r, grad_c = np.gradient(f)
    root = np.sqrt(np.maximum(f, 0.25 * np.min(f[mask]) if mask.any() else 1e-9))
    # dh = c grad f / (2 sqrt f); image up is -row
    hx = scale * grad_c / (2.0 * root)
    hy = -scale * grad_r / (2.0 * root)
    normals = np.stack([-hx, -hy, np.ones_like(f)], axis=-1)
    normals /= np.linalg.norm(normals, axis=-1, keepdims=True)
    normals[~mask] = 0.0
    eroded = ndimage.binary_erosion(mask, border_value=1)
    contour = mask & ~eroded
    return normals, contour


def ellipse_mask(shape: tuple[int, int], centre: tuple[float, float],
                 semi_axes: tuple[float, float]) -> np.ndarray:
    """Pixels of a grid of ``shape`` inside an axis-aligned ellipse (frame units ``x, y``
    from the top-left), at least the pixel under its centre."""
    h, w = shape
    (cx, cy), (ax, ay) = centre, semi_axes
    yy, xx = np.mgrid[0:h, 0:w]
    inside = ((xx + 0.5 - cx * w) / (ax * w)) ** 2 + ((yy + 0.5 - cy * h) / (ay * h)) ** 2 <= 1.0
    if not inside.any():  # an ellipse thinner than a pixel
        inside[min(int(cy * h), h - 1), min(int(cx * w), w - 1)] = True
    return inside


def fallback_mask(shape: tuple[int, int]) -> np.ndarray:
    """A centred ellipse over the middle of the frame, standing in for a missing subject."""
    return ellipse_mask(shape, (0.5, 0.5), (0.3, 0.4))


def estimate_subject(rgb: np.ndarray) -> SubjectEstimate:
    """Find the subject on a working-grid linear RGB image and estimate its normals."""
    mask, reason = find_silhouette(rgb)
    if mask is None:
        return _from_mask(fallback_mask(rgb.shape[:2]), False, reason)
    return _from_mask(mask, True, reason)


def boxed_subject(rgb: np.ndarray, box: tuple[float, float, float, float]
                  ) -> SubjectEstimate:
    """The subject inside a box the user drew (:func:`box_silhouette`); an ellipse filling
    the box stands in where nothing is found there (``found`` false, ``reason`` why)."""
    mask, reason = box_silhouette(rgb, box)
    if mask is not None:
        return _from_mask(mask, True, reason)
    x, y, bw, bh = check_box(box)
    inside = ellipse_mask(rgb.shape[:2], (x + bw / 2, y + bh / 2), (bw / 2, bh / 2))
    return _from_mask(inside, False, reason)


def matte_mask(matte: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A matte (``H x W`` coverage 0..1, white = subject, the image's aspect) on a grid.

    Area-averaged to ``shape`` and cut at half coverage; ``ValueError`` when its aspect
    differs from the grid's by more than 2 % or when it covers too little or too much.
    """
    from skimage.transform import resize

    m = np.asarray(matte, dtype=np.float64)
    if m.ndim != 2 or min(m.shape) < 2:
        raise ValueError(f"matte: expected an H x W coverage image, got shape {m.shape}")
    aspect, want = m.shape[1] / m.shape[0], shape[1] / shape[0]
    if abs(aspect / want - 1.0) > 0.02:
        raise ValueError(f"matte: its aspect {m.shape[1]}x{m.shape[0]} differs from the "
                         f"image's ({want:.3f})")
    mask = resize(np.clip(m, 0.0, 1.0), shape, order=1, anti_aliasing=True) >= 0.5
    fraction = float(mask.mean())
    if not MIN_FRACTION <= fraction <= MAX_FRACTION:
        raise ValueError(f"matte: covers {100 * fraction:.1f} % of the frame; a subject "
                         f"covers {100 * MIN_FRACTION:.1f}-{100 * MAX_FRACTION:.0f} % "
                         "(white = subject)")
    return mask


def matte_subject(matte: np.ndarray, shape: tuple[int, int], source: str = "matte"
                  ) -> SubjectEstimate:
    """The subject a matte gives (:func:`matte_mask`), its normals by inflation."""
    return _from_mask(matte_mask(matte, shape), True, f"the subject from the {source}")


def straight_sided(mask: np.ndarray) -> bool:
    """A silhouette with straight sides (a cylinder, a cone, a box on end): along its
    principal axis, over the middle ``STRAIGHT_SPAN``, its width and its centre line are
    linear within ``STRAIGHT_TOLERANCE`` of its largest width."""
    rows, cols = np.nonzero(mask)
    if len(rows) < 30:
        return False
    pts = np.stack([cols - cols.mean(), rows.mean() - rows], axis=1).astype(np.float64)
    axis = np.linalg.eigh(np.cov(pts, rowvar=False))[1][:, 1]
    along = pts @ axis
    across = pts @ np.array([-axis[1], axis[0]])
    bins = np.floor(along - along.min()).astype(int)
    lo = np.full(bins.max() + 1, np.inf)
    hi = np.full(bins.max() + 1, -np.inf)
    np.minimum.at(lo, bins, across)
    np.maximum.at(hi, bins, across)
    start, stop = (np.array([-1.0, 1.0]) * STRAIGHT_SPAN / 2 + 0.5) * len(lo)
    keep = np.arange(int(start), int(stop))
    keep = keep[np.isfinite(lo[keep])]  # a tilted axis may leave a bin empty
    if len(keep) < 6:
        return False
    largest = float(np.max((hi - lo)[np.isfinite(lo)]))
    for profile in (hi - lo, (hi + lo) / 2):
        fit = np.polyval(np.polyfit(keep, profile[keep], 1), keep)
        if np.sqrt(np.mean((profile[keep] - fit) ** 2)) > STRAIGHT_TOLERANCE * largest:
            return False
    return True


def level_base(normals: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``normals`` turned no further down than the horizontal: a straight-sided subject
    stands on its base, which meets the floor and is no occluding contour, yet inflation
    turns its normals down (cones and cylinders read 15-25 deg low)."""
    out = normals.copy()
    low = mask & (out[..., 1] < 0.0)
    out[low, 1] = 0.0
    out[low] /= np.maximum(np.linalg.norm(out[low], axis=-1, keepdims=True), 1e-12)
    return out


def _from_mask(mask: np.ndarray, found: bool, reason: str) -> SubjectEstimate:
    normals, contour = inflate_normals(mask)
    if straight_sided(mask):
        normals = level_base(normals, mask)
    h, w = mask.shape
    rows, cols = np.nonzero(mask)
    centre = (float((cols.mean() + 0.5) / w - 0.5), float(0.5 - (rows.mean() + 0.5) / h))
    height = float((rows.max() - rows.min() + 1) / h)
    return SubjectEstimate(mask, found, normals, contour, centre, height, reason)


def head_subject(shape: tuple[int, int], box: tuple[float, float, float, float]
                 ) -> SubjectEstimate:
    """A head proxy on a detected face: an ellipsoid over the face box (frame units).

    The face box of a cascade covers brow to chin and cheek to cheek; the face is read on
    an ellipsoid of semi-axes 0.42 x 0.5 of the box (width, height), as deep as it is
    wide, centred a little below the box centre (hair and background stay out). Its
    normals are analytic, which is what a portrait's lighting is read from.
    """
    h, w = shape
    bx, by, bw, bh = box
    cx, cy = (bx + 0.5 * bw) * w, (by + 0.55 * bh) * h
    a, b = 0.42 * bw * w, 0.5 * bh * h
    yy, xx = np.mgrid[0:h, 0:w] + 0.5
    u, v = (xx - cx) / a, -(yy - cy) / b
    inside = u * u + v * v < 1.0
    depth = np.sqrt(np.clip(1.0 - u * u - v * v, 0.0, 1.0))
    normals = np.stack([u / a, v / b, depth / a], axis=-1)
    normals /= np.maximum(np.linalg.norm(normals, axis=-1, keepdims=True), 1e-12)
    normals[~inside] = 0.0
    contour = inside & ~ndimage.binary_erosion(inside, border_value=1)
    centre = (float(cx / w - 0.5), float(0.5 - cy / h))
    return SubjectEstimate(inside, True, normals, contour, centre, float(2 * b / h),
                           "a face: the lights are read from a head proxy")
