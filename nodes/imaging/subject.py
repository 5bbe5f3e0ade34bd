"""Subject silhouette, inflated surface normals and the key-light direction fit.

The details (moved from this docstring): docs/measuring-stills.md, "Module notes",
`nodes/imaging/subject.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from scipy import ndimage
from skimage.measure import label

from moks_graph.nodes.imaging.soft import sigmoid

SUBJECT_STOPS: Final[float] = 1.0
"""Minimum difference from the background level (stops) for a subject pixel."""
MIN_SUBJECT_FRACTION: Final[float] = 0.002
MAX_SUBJECT_FRACTION: Final[float] = 0.9


@dataclass(frozen=True)
class Subject:
    """A subject silhouette and its inflated geometry (analysis-image pixels).

    ``mask``: bool silhouette. ``found``: whether a distinct subject was detected (else the
    whole frame minus a 1-pixel border stands in). ``distance``: distance to the
    silhouette (pixels, 0 outside). ``normals``: ``H x W x 3`` unit normals (camera frame,
    zero outside the mask).
    """

    mask: np.ndarray
    found: bool
    distance: np.ndarray
    normals: np.ndarray


def subject_mask(log_lum: np.ndarray, seed: tuple[int, int] | None = None) -> np.ndarray | None:
    """Silhouette of the subject from a smoothed log-luminance image, or ``None``."""
    height, width = log_lum.shape
    band = max(1, round(0.02 * max(height, width)))
    border = np.concatenate(
        [log_lum[:band].ravel(), log_lum[-band:].ravel(),
         log_lum[:, :band].ravel(), log_lum[:, -band:].ravel()]
    )
    background = float(np.median(border))
    fg = np.abs(log_lum - background) > SUBJECT_STOPS
    radius = max(1, round(0.01 * max(height, width)))
    disk = np.hypot(*np.mgrid[-radius : radius + 1, -radius : radius + 1]) <= radius
    fg = ndimage.binary_erosion(ndimage.binary_dilation(fg, disk), disk, border_value=1)
    comps, n = label(fg, connectivity=2, return_num=True)
    if n == 0:
        return None
    if seed is not None and comps[seed] > 0:
        chosen = comps[seed]
    else:
        chosen = int(np.argmax(np.bincount(comps.ravel(), minlength=n + 1)[1:])) + 1
    mask = ndimage.binary_fill_holes(comps == chosen)
    fraction = np.count_nonzero(mask) / mask.size
    if not MIN_SUBJECT_FRACTION <= fraction <= MAX_SUBJECT_FRACTION:
        return None
    return mask


def inflate(mask: np.ndarray, smoothing: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
    """Distance to the silhouette and inflated unit normals (see the module docstring).

    ``D`` is the signed Euclidean distance to the silhouette, measured from the edge half a
    pixel beyond the outermost pixel centres (``D - 1/2`` inside, ``-(D_out - 1/2)``
    outside). The outward direction ``u = -grad(G * D) / |grad(G * D)|`` uses the distance
    smoothed by a Gaussian ``G`` of ``smoothing`` pixels, which removes the 45-degree
    quantisation of nearest-pixel directions along the silhouette.
    """
    inside = ndimage.distance_transform_edt(mask)
    outside = ndimage.distance_transform_edt(~mask)
    signed = np.where(mask, inside - 0.5, 0.5 - outside)
    grad_r, grad_c = np.gradient(ndimage.gaussian_filter(signed, smoothing))
    length = np.maximum(np.hypot(grad_r, grad_c), 1e-12)
    radius = max(float(signed.max()), 0.5)
    rho = np.clip(1.0 - signed / radius, 0.0, 1.0)
    # outward u = -grad D: image right is +x, image up is -row.
    normals = np.stack(
        [-rho * grad_c / length, rho * grad_r / length, np.sqrt(1.0 - rho**2)], axis=-1
    )
    normals[~mask] = 0.0
    return np.maximum(signed, 0.0), normals


def find_subject(log_lum: np.ndarray, seed: tuple[int, int] | None = None) -> Subject:
    """Detect the subject (or fall back to the whole frame) and inflate it."""
    mask = subject_mask(log_lum, seed)
    found = mask is not None
    if mask is None:
        mask = np.zeros(log_lum.shape, dtype=bool)
        mask[1:-1, 1:-1] = True
    dist, normals = inflate(mask)
    return Subject(mask=mask, found=found, distance=dist, normals=normals)


def direction_to_angles(direction: np.ndarray) -> tuple[float, float]:
    """SceneScript ``(azimuth, elevation)`` in degrees of a camera-frame direction."""
    lx, ly, lz = np.asarray(direction, dtype=np.float64) / np.linalg.norm(direction)
    return float(np.degrees(np.arctan2(lx, lz))), float(np.degrees(np.arcsin(np.clip(ly, -1, 1))))


def fit_key_direction(luminance: np.ndarray, subject: Subject) -> np.ndarray | None:
    """Lambertian least-squares key direction on the subject, or ``None`` if unlit/flat."""
    y = luminance[subject.mask]
    if y.size < 8:
        return None
    y_lo, y_hi = np.percentile(y, [2.0, 98.0])
    span = float(y_hi - y_lo)
    if span <= 1e-9 * max(float(y_hi), 1e-12):
        return None
    w = sigmoid((y - y_lo - 0.5 * span) / (0.01 * span))
    n = subject.normals[subject.mask]
    design = np.column_stack([n, np.ones_like(y)])
    sw = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(design * sw[:, None], y * sw, rcond=None)
    g = coef[:3]
    if not np.all(np.isfinite(g)) or np.linalg.norm(g) <= 1e-9 * span:
        return None
    return g / np.linalg.norm(g)
