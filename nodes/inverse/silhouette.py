"""The subject's silhouette in a reference still, found or cut out inside a box.

Entry points: :func:`find_silhouette`, :func:`box_silhouette`. The subject built on it
(normals, placement) is :mod:`~moks_graph.nodes.inverse.subject`.

Details: docs/inverse.md#nodesinversesilhouettepy
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from scipy import ndimage

WORK_SIDE: Final[int] = 240
"""Long side of the analysis grid [pixels]."""
MIN_FRACTION: Final[float] = 0.004
"""Smallest subject, as a fraction of the frame."""
CANDIDATES: Final[int] = 3
"""Contrast regions settled and compared by outline sharpness and size."""
MAX_FRACTION: Final[float] = 0.85
"""Largest subject, as a fraction of the frame."""
FOREGROUND_D2: Final[float] = 12.0
"""Squared Mahalanobis distance to the border clusters above which a pixel is unlike them."""
SHARP_OUTLINE: Final[float] = 0.15
"""Edge strength (of the frame's strongest) an outline needs to count as a silhouette."""
SHADOW_DARKER: Final[float] = 0.3
"""A cast shadow is at least this much darker than the ground around it [stops] ..."""
SHADOW_FLAT: Final[float] = 0.3
"""... and flat inside: its interquartile (25-75 %) luminance spread is under this [stops]
(a lit object spans its terminator, a stop or more; a soft penumbra stays outside the
quartiles)."""
GRABCUT_ITERATIONS: Final[int] = 5
GRABCUT_MARGIN: Final[float] = 0.6
"""Around the silhouette, this fraction of its larger side may still become subject."""
GROW_KEEPS: Final[float] = 0.5
"""A colour completion that keeps less than this fraction of the silhouette it started
from failed (the subject's colour model took the backdrop's), and is not used."""
COMPLETE_HOLDS: Final[float] = 0.9
COMPLETE_SHARPNESS: Final[float] = 0.9
"""A larger region holding this much of the silhouette, outlined at least this sharply
relative to it, completes it (a terminator split the subject)."""
SPLIT_SHARPNESS: Final[float] = 0.7
SPLIT_SHARED: Final[float] = 0.35
"""... or at least this sharply where what it adds is as large as the silhouette and
borders this fraction of its outline or more: the other side of a terminator, whose
outline against a backdrop of its own tone is weak (a halo or a pool of light beside the
subject adds less and borders less)."""
OUTLINE_LARGER: Final[float] = 4.0
OUTLINE_LARGER_SHARPNESS: Final[float] = 0.5
"""A closed outline this many times the contrast region's area, outlined at least this
sharply relative to it, is the subject: a region that small is a patch of light on it or
beside it (a highlight, a rim, a pool on the floor)."""
PART_AREA: Final[float] = 0.5
"""A closed outline at most this fraction of a contrast region that holds it, where the
region's own outline elsewhere is a silhouette, is a part of the subject (a torus's inner
face, a sphere's highlight), not the subject."""
WHOLE_SOLIDITY: Final[float] = 0.8
"""A closed outline that holds the contrast region as a part of it (:func:`part_of`) is
the subject when it is at least this solid (its area over its convex hull's): a box or a
cylinder whose lit top face the contrast found; a subject with a strip of the floor's seam
is less solid."""
BOX_SLACK: Final[float] = 0.01
"""A subject box may reach this far (frame units) past the frame's edge (a drag that
overshoots it); it is clipped to the frame."""
BOX_INSIDE: Final[float] = 0.9
BOX_FILLS: Final[float] = 0.4
"""The finder's own silhouette is kept when this much of it lies in the subject box and its
bounding box overlaps the box by this IoU (a box dragged 10 % wider than the subject on
each side: 0.69; 20 %: 0.51); else the subject is cut out inside the box."""
BAND_ASPECT: Final[float] = 6.0
"""A closed outline or a contrast region this many times wider than tall (or taller than
wide) is a band along a floor's or wall's seam, not a subject."""
JOINED_BAND_DEPTH: Final[float] = 0.35
JOINED_BAND_ASPECT: Final[float] = 4.0
JOINED_BAND_AREA: Final[float] = 0.15
JOINED_BAND_SOFTER: Final[float] = 0.95
"""Parts of the silhouette thinner from top to bottom than ``JOINED_BAND_DEPTH`` of its
height and ``JOINED_BAND_ASPECT`` times wider than tall, together at least
``JOINED_BAND_AREA`` of it and outlined less than ``JOINED_BAND_SOFTER`` as sharply as
the rest, are a lit strip of floor or wall joined to the subject
(:func:`drop_joined_band`). Measured before it was set: pools and seam strips 0.18-0.91
of the subject's outline strength (seeds 53-113), a flat base or shoulders 0.99-1.00;
held-out pools at 0.95 or more exist (docs/inverse-evaluation.md)."""
HOLE_FRACTION: Final[float] = 0.02
HOLE_MAX: Final[float] = 0.3
HOLE_D2: Final[float] = 4.0
HOLE_BAND: Final[float] = 4.0
HOLE_SHARPNESS: Final[float] = 0.95
"""A hole through the subject: 2-30 % of its area, within this squared Mahalanobis
distance of the colours around the silhouette, ringed by a band of subject this wide [px],
outlined about as sharply as the silhouette (a top face's crease: 0.93 or less)."""
TEXTURE_CELLS: Final[int] = 24
"""A region holding this many cells of the edge lines or more (each 4 px or more) is a
patch of textured floor or wall, not a subject (:func:`textured`; and a patch of texture
pixels holds this many, :func:`texture_cells`): in the largest closed outline of each
still of design seeds 53 and 59, plain and textured rooms, a subject's own terminator,
creases and features made at most 19 cells where it was the subject, and it held 16-318
(a checker's, a noise texture's) where it was not; every one with 20 or more was wrong."""
TEXTURE_CELL_AREA: Final[float] = 0.01
TEXTURE_DENSITY: Final[int] = 8
TEXTURE_REACH: Final[float] = 3.0
"""A texture's pixels (:func:`texture_cells`): cells of the edge lines at most this
fraction of the frame, with this many others of them within this many times their own
side (a checker's cell has 28 within three cells)."""
CANNY_LOW: Final[float] = 0.04
CANNY_HIGH: Final[float] = 0.1
"""Canny hysteresis thresholds on display-encoded colour (0..1) for closed outlines."""
_EPS: Final[float] = 1e-4


def features(rgb: np.ndarray) -> np.ndarray:
    """Per-pixel ``(log2 Y, log2 R/G, log2 B/G)`` of linear RGB, lightly smoothed."""
    x = np.maximum(rgb.astype(np.float64), 0.0) + _EPS
    y = x @ np.array([0.2126, 0.7152, 0.0722])
    out = np.stack([np.log2(y), np.log2(x[..., 0] / x[..., 1]),
                    np.log2(x[..., 2] / x[..., 1])], axis=-1)
    return ndimage.gaussian_filter(out, sigma=(1.0, 1.0, 0.0))


def _border(shape: tuple[int, int], width: int) -> np.ndarray:
    band = np.zeros(shape, dtype=bool)
    band[:width], band[-width:], band[:, :width], band[:, -width:] = True, True, True, True
    return band


def _clusters(samples: np.ndarray, k: int, iterations: int = 12) -> np.ndarray:
    """Deterministic k-means labels (centres seeded at luminance quantiles)."""
    order = np.argsort(samples[:, 0], kind="stable")
    centres = samples[order[((np.arange(k) + 0.5) / k * len(order)).astype(int)]]
    labels = np.zeros(len(samples), dtype=int)
    for _ in range(iterations):
        d = ((samples[:, None, :] - centres[None]) ** 2).sum(-1)
        labels = np.argmin(d, axis=1)
        for j in range(k):
            if np.any(labels == j):
                centres[j] = samples[labels == j].mean(axis=0)
    return labels


def background_distance(feat: np.ndarray, k: int = 4) -> np.ndarray:
    """Squared Mahalanobis distance of every pixel to its nearest border cluster."""
    h, w, _ = feat.shape
    width = max(2, round(0.03 * max(h, w)))
    samples = feat[_border((h, w), width)]
    labels = _clusters(samples, k)
    best = np.full((h, w), np.inf)
    for j in range(k):
        part = samples[labels == j]
        if len(part) >= 8:
            best = np.minimum(best, colour_distance(feat, part))
    return best


def colour_distance(feat: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """Squared Mahalanobis distance of every pixel's features to those of ``samples``
    (their covariance widened by a noise floor of 0.24 stop and 0.02 in chromaticity)."""
    cov = np.cov(samples, rowvar=False) + np.diag([0.24, 0.02, 0.02]) ** 2
    diff = feat - samples.mean(axis=0)
    return np.einsum("hwi,ij,hwj->hw", diff, np.linalg.inv(cov), diff)


def _edges(rgb: np.ndarray) -> np.ndarray:
    """Edge strength on display-encoded colour (a shading terminator is a ramp there, a
    silhouette a step; in log luminance a dark ramp would look like an edge)."""
    from moks_graph.nodes.imaging.colorimetry import srgb_encode

    enc = ndimage.gaussian_filter(srgb_encode(np.clip(rgb / max(float(np.percentile(
        rgb, 99.5)), 1e-9), 0.0, 1.0)), sigma=(0.7, 0.7, 0.0))
    mag = np.zeros(rgb.shape[:2])
    for i in range(3):
        mag += np.hypot(ndimage.sobel(enc[..., i], 0), ndimage.sobel(enc[..., i], 1))
    return mag


def _disk(radius: int) -> np.ndarray:
    r = max(1, int(radius))
    return np.hypot(*np.mgrid[-r:r + 1, -r:r + 1]) <= r


def open_by_disk(mask: np.ndarray, radius: int) -> np.ndarray:
    """``ndimage.binary_opening(mask, _disk(radius))``, bit for bit, in time independent of
    the radius: erosion and dilation by a disk are thresholds of Euclidean distance
    transforms (the frame's outside counts as background, as the opening's border does)."""
    r = max(1, int(radius))
    eroded = ndimage.distance_transform_edt(np.pad(mask, r + 1)) > r
    if not eroded.any():
        return np.zeros(mask.shape, dtype=bool)
    return (ndimage.distance_transform_edt(~eroded) <= r)[r + 1:-(r + 1), r + 1:-(r + 1)]


def frame_sides(region: np.ndarray) -> tuple[bool, bool, bool, bool]:
    """Whether ``region`` touches the frame's top, bottom, left and right edges."""
    return (bool(region[0].any()), bool(region[-1].any()), bool(region[:, 0].any()),
            bool(region[:, -1].any()))


def reaches_new_side(larger: np.ndarray, smaller: np.ndarray) -> bool:
    """Whether ``larger`` touches a side of the frame that ``smaller`` does not."""
    return any(big and not small for big, small in zip(frame_sides(larger),
                                                        frame_sides(smaller), strict=True))


def spans_frame(region: np.ndarray) -> bool:
    """A region running from one side of the frame to the opposite one (a floor, a wall)."""
    top, bottom, left, right = frame_sides(region)
    return (top and bottom) or (left and right)


def shadow_like(region: np.ndarray, log_y: np.ndarray, others: np.ndarray) -> bool:
    """A cast shadow: darker than the ground around it and flat inside (module docstring).

    ``log_y``: log2 luminance; ``others``: pixels that are not ground (other candidates).
    """
    ring = ndimage.binary_dilation(region, iterations=3) & ~region & ~others
    if np.count_nonzero(ring) < 5 or np.count_nonzero(region) < 8:
        return False
    inner = ndimage.binary_erosion(region, iterations=2)
    inner = inner if np.count_nonzero(inner) >= 8 else region
    darker = float(np.median(log_y[ring]) - np.median(log_y[region]))
    spread = float(np.percentile(log_y[inner], 75) - np.percentile(log_y[inner], 25))
    return darker > SHADOW_DARKER and spread < SHADOW_FLAT


def _pick_component(candidate: np.ndarray, score: np.ndarray, edges: np.ndarray,
                    log_y: np.ndarray, lines: np.ndarray | None = None) -> list[np.ndarray]:
    """The candidate regions most likely to be the subject, best first (at most
    ``CANDIDATES``).

    Each region scores its distance from the border clusters (capped per pixel), less when
    it runs along the frame border (a floor, a wall seam, a sky band), and times how sharp
    its outline is: an object has a silhouette, a pool of light on a wall only soft edges.
    Cast shadows, regions spanning the frame (floors, walls), bands along a seam
    (``BAND_ASPECT``) and, given the edge ``lines``, textured patches (:func:`textured`)
    are not the subject.
    """
    comps, n = ndimage.label(candidate, structure=np.ones((3, 3)))
    if n == 0:
        return []
    h, w = candidate.shape
    ids = np.arange(1, n + 1)
    mass = np.asarray(ndimage.sum(1.0 + np.minimum(score, 64.0), comps, ids))
    area = np.asarray(ndimage.sum(candidate, comps, ids))
    touch = np.asarray(ndimage.sum(_border((h, w), 1), comps, ids))
    perimeter = 2.0 * (h + w)
    mass = mass * np.clip(1.0 - touch / (0.5 * perimeter), 0.05, 1.0)
    mass[area < MIN_FRACTION * h * w] = 0.0
    strongest = max(float(np.percentile(edges, 99.5)), 1e-9)
    for k in np.argsort(-mass)[:8]:
        if mass[k] <= 0.0:
            break
        region = comps == ids[k]
        if (spans_frame(region) or aspect(region) > BAND_ASPECT
                or shadow_like(region, log_y, candidate)
                or (lines is not None and textured(region, lines))):
            mass[k] = 0.0
            continue
        ring = ndimage.binary_dilation(region, iterations=2) & ~ndimage.binary_erosion(
            region, iterations=2)
        sharp = float(np.percentile(edges[ring], 75)) / strongest if ring.any() else 0.0
        mass[k] *= float(np.clip(sharp, 0.05, 1.0))
    ranked = [k for k in np.argsort(-mass)[:CANDIDATES] if mass[k] > 0.0]
    return [comps == ids[k] for k in ranked]


def _otsu(values: np.ndarray) -> tuple[float, float]:
    """Otsu's threshold of ``values`` and its separation (between-class over total variance)."""
    hist, bin_edges = np.histogram(values, bins=64)
    p = hist / max(hist.sum(), 1)
    centres = 0.5 * (bin_edges[1:] + bin_edges[:-1])
    w0 = np.cumsum(p)
    m0 = np.cumsum(p * centres)
    total = m0[-1]
    between = (total * w0 - m0) ** 2 / np.maximum(w0 * (1.0 - w0), 1e-12)
    k = int(np.argmax(between[:-1]))
    var = float(np.sum(p * (centres - total) ** 2))
    return float(bin_edges[k + 1]), float(between[k] / max(var, 1e-12))


def _settle_parts(blob: np.ndarray, candidate: np.ndarray, d2: np.ndarray, edges: np.ndarray,
                  side: int, enclosed: np.ndarray) -> np.ndarray:
    """The subject's parts: its high-contrast core plus the parts a sharp outline encloses.

    A terminator splits a subject into a lit and a shadowed part that differ from the
    border by very different amounts; so does a pool of light on the wall beside it. Both
    join the core when they are close, but only a part whose own outline (away from the
    core) is sharp is the subject: the pool fades out, the lit side ends in a silhouette.
    """
    logs = np.log(np.maximum(d2[blob], 1e-6))
    level, separation = _otsu(logs)
    core = blob & (np.log(np.maximum(d2, 1e-6)) > level) if separation > 0.6 else blob
    comps, n = ndimage.label(core, structure=np.ones((3, 3)))
    if n > 1:
        core = comps == 1 + int(np.argmax(np.bincount(comps.ravel())[1:]))
    near = ndimage.binary_dilation(core, _disk(round(0.08 * side)))
    all_comps, _ = ndimage.label(candidate, structure=np.ones((3, 3)))
    touching = np.unique(all_comps[near & candidate])
    pool = np.isin(all_comps, touching[touching > 0]) & ~core
    parts, m = ndimage.label(pool, structure=np.ones((3, 3)))
    strongest = max(float(np.percentile(edges, 99.5)), 1e-9)
    beside_core = ndimage.binary_dilation(core, iterations=3)
    out = core.copy()
    for k in range(1, m + 1):
        part = parts == k
        ring = ndimage.binary_dilation(part, iterations=2) & ~pool & ~beside_core
        if (not ring.any() or float(np.mean(enclosed[part])) > 0.5
                or float(np.percentile(edges[ring], 60)) / strongest > SHARP_OUTLINE):
            out |= part
    return ndimage.binary_fill_holes(out)


def enclosed_regions(rgb: np.ndarray) -> np.ndarray:
    """Pixels of regions that do not belong to the frame's backdrop.

    Felzenszwalb-Huttenlocher graph segmentation of the display-encoded frame splits it
    along its edges; walls, floors and skies are the regions that run along the frame
    border (a fifth of their outline or more, from one side to the opposite one, or half
    the frame); everything else is
    enclosed by an edge and may be the subject, even where its tone matches the backdrop's.
    """
    from skimage.segmentation import felzenszwalb

    from moks_graph.nodes.imaging.colorimetry import srgb_encode

    h, w = rgb.shape[:2]
    enc = srgb_encode(np.clip(rgb / max(float(np.percentile(rgb, 99.5)), 1e-9), 0.0, 1.0))
    labels = felzenszwalb(enc, scale=200.0 * max(h, w) / WORK_SIDE, sigma=0.8,
                          min_size=max(8, round(0.001 * h * w)))
    ids = np.arange(labels.max() + 1)
    area = np.bincount(labels.ravel(), minlength=ids.size).astype(float)
    inner = ndimage.binary_erosion(np.ones((h, w), dtype=bool), border_value=0)
    edge_px = np.zeros((h, w), dtype=bool)
    for axis in (0, 1):
        step = np.diff(labels, axis=axis) != 0
        pad = [(0, 0), (0, 0)]
        pad[axis] = (0, 1)
        edge_px |= np.pad(step, pad)
        pad[axis] = (1, 0)
        edge_px |= np.pad(step, pad)
    outline = np.bincount(labels[edge_px | ~inner], minlength=ids.size).astype(float)
    on_border = np.bincount(labels[~inner], minlength=ids.size).astype(float)
    backdrop = (on_border >= 0.2 * np.maximum(outline, 1.0)) | (area > 0.5 * h * w)
    edge = {"top": labels[0], "bottom": labels[-1], "left": labels[:, 0], "right": labels[:, -1]}
    touches = {k: np.bincount(v, minlength=ids.size) > 0 for k, v in edge.items()}
    backdrop |= (touches["top"] & touches["bottom"]) | (touches["left"] & touches["right"])
    return ~backdrop[labels]


def _shadows(regions: np.ndarray, log_y: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """The components of ``regions`` that are cast shadows (:func:`shadow_like`)."""
    comps, n = ndimage.label(regions, structure=np.ones((3, 3)))
    out = np.zeros(regions.shape, dtype=bool)
    for k in range(1, n + 1):
        part = comps == k
        if shadow_like(part, log_y, candidate):
            out |= part
    return out


def _snap(blob: np.ndarray, background: np.ndarray, edges: np.ndarray,
          side: int) -> np.ndarray:
    """``blob`` grown or shrunk to the strongest edges: a watershed on the edge strength
    from the blob's core and the ``background`` markers; its largest part, holes filled."""
    from skimage.segmentation import watershed

    markers = background.astype(np.int32)
    core = ndimage.binary_erosion(blob, _disk(round(0.01 * side)))
    markers[core if core.any() else blob] = 2
    mask = watershed(edges, markers) == 2
    mask = ndimage.binary_fill_holes(open_by_disk(mask, 1))
    comps, n = ndimage.label(mask)
    if n > 1:
        sizes = ndimage.sum(mask, comps, np.arange(1, n + 1))
        mask = comps == 1 + int(np.argmax(sizes))
    return mask


def outline_of(mask: np.ndarray) -> np.ndarray:
    """The pixels of ``mask`` that touch what is not ``mask`` (4-connected)."""
    return mask & ~ndimage.binary_erosion(mask)


def ring_sharpness(ring: np.ndarray, edges: np.ndarray) -> float:
    """Median edge strength on ``ring``, of the frame's strongest (-1: an empty ring)."""
    if not ring.any():
        return -1.0
    return float(np.median(edges[ring])) / max(float(np.percentile(edges, 99.5)), 1e-9)


def outline_sharpness(mask: np.ndarray | None, edges: np.ndarray) -> float:
    """Median edge strength along ``mask``'s outline, of the frame's strongest (-1: none)."""
    if mask is None or not mask.any():
        return -1.0
    return ring_sharpness(outline_of(mask), edges)


def edge_lines(rgb: np.ndarray) -> np.ndarray:
    """Canny edges of the display-encoded colour, small gaps closed."""
    from skimage.feature import canny

    from moks_graph.nodes.imaging.colorimetry import srgb_encode

    enc = srgb_encode(np.clip(rgb / max(float(np.percentile(rgb, 99.5)), 1e-9), 0.0, 1.0))
    lines = np.zeros(rgb.shape[:2], dtype=bool)
    for c in range(3):
        lines |= canny(enc[..., c], sigma=1.0, low_threshold=CANNY_LOW,
                       high_threshold=CANNY_HIGH)
    return ndimage.binary_closing(lines, _disk(2))


def textured(region: np.ndarray, lines: np.ndarray) -> bool:
    """A patch of textured floor or wall: ``region`` holds ``TEXTURE_CELLS`` or more cells
    of the edge ``lines`` (:func:`edge_lines`)."""
    return edge_cells(region & ~lines) >= TEXTURE_CELLS


def closed_outline(lines: np.ndarray, log_y: np.ndarray, edges: np.ndarray
                   ) -> np.ndarray | None:
    """The largest region the edge ``lines`` (:func:`edge_lines`) close, inside the frame,
    not a cast shadow nor a textured patch (:func:`textured`); snapped to the strongest
    edges."""
    h, w = log_y.shape
    side = max(h, w)
    filled = ndimage.binary_fill_holes(lines)
    comps, n = ndimage.label(filled)
    best, best_area = None, MIN_FRACTION * h * w
    for k in range(1, n + 1):
        region = comps == k
        area = float(np.count_nonzero(region))
        if (area < best_area or any(frame_sides(region)) or shadow_like(region, log_y, filled)
                or textured(region, lines)):
            continue
        best, best_area = region, area
    if best is None:
        return None
    return _snap(best, ~ndimage.binary_dilation(best, iterations=3), edges, side)


def texture_cells(lines: np.ndarray) -> np.ndarray:
    """Pixels of a texture: the small cells the edge ``lines`` leave (``TEXTURE_CELL_AREA``
    of the frame or less) with ``TEXTURE_DENSITY`` or more such cells within
    ``TEXTURE_REACH`` times their own side, and the lines between them, in patches of
    ``TEXTURE_CELLS`` or more."""
    from scipy.spatial import cKDTree

    h, w = lines.shape
    cells, n = ndimage.label(~lines)
    area = np.bincount(cells.ravel(), minlength=n + 1)
    small = (area >= 4) & (area <= TEXTURE_CELL_AREA * h * w)
    small[0] = False
    ids = np.nonzero(small)[0]
    if ids.size < TEXTURE_CELLS:  # too few small cells for any patch
        return np.zeros((h, w), dtype=bool)
    centres = np.asarray(ndimage.center_of_mass(np.ones((h, w)), cells, ids))
    reach = TEXTURE_REACH * np.sqrt(area[ids])
    near = cKDTree(centres).query_ball_point(centres, reach, return_length=True)
    dense = np.zeros(n + 1, dtype=bool)
    dense[ids] = np.asarray(near) - 1 >= TEXTURE_DENSITY
    patches, m = ndimage.label(ndimage.binary_dilation(dense[cells], iterations=2))
    if m == 0:
        return patches > 0
    # a patch holds TEXTURE_CELLS or more: a few small cells are a subject's own detail
    owner = np.asarray(ndimage.maximum(patches, cells, ids[dense[ids]]), dtype=int)
    held = np.bincount(owner, minlength=m + 1)
    keep = held >= TEXTURE_CELLS
    keep[0] = False
    return keep[patches]


def edge_cells(open_area: np.ndarray) -> int:
    """How many cells (4-connected, 4 px or more) the lines around ``open_area`` leave."""
    cells, n = ndimage.label(open_area)
    return int(np.count_nonzero(np.bincount(cells.ravel(), minlength=n + 1)[1:] >= 4))


def completes(whole: np.ndarray | None, part: np.ndarray | None, edges: np.ndarray,
              log_y: np.ndarray) -> bool:
    """``whole`` is ``part`` completed: larger, holding nearly all of it, outlined nearly as
    sharply (a lit side ends in a terminator or highlight sharper than the shadow side's
    silhouette against a dark backdrop); outlined less sharply (``SPLIT_SHARPNESS``) where
    what it adds is the other side of a terminator: as large as ``part``, bordering a
    good part of its outline."""
    if whole is None or part is None or whole.sum() <= part.sum():
        return False
    if reaches_new_side(whole, part):
        return False  # reaching a frame edge the part does not: a floor line, a wall
    added = whole & ~part
    if shadow_like(added, log_y, part):
        return False
    outline = outline_of(part)
    shared = np.count_nonzero(outline & ndimage.binary_dilation(added, iterations=2))
    split = (added.sum() >= part.sum()
             and shared >= SPLIT_SHARED * np.count_nonzero(outline))
    return bool((whole & part).sum() >= COMPLETE_HOLDS * part.sum()
                and outline_sharpness(whole, edges)
                >= (SPLIT_SHARPNESS if split else COMPLETE_SHARPNESS)
                * outline_sharpness(part, edges))


def aspect(region: np.ndarray) -> float:
    """The larger over the smaller side of ``region``'s bounding box (1 for a square)."""
    rows, cols = np.nonzero(region)
    height, width = float(np.ptp(rows)) + 1.0, float(np.ptp(cols)) + 1.0
    return max(height, width) / min(height, width)


def solidity(region: np.ndarray) -> float:
    """``region``'s area over its convex hull's (1 for a convex region)."""
    from skimage.morphology import convex_hull_image

    return float(region.sum()) / max(float(convex_hull_image(region).sum()), 1.0)


def part_of(part: np.ndarray, whole: np.ndarray, edges: np.ndarray) -> bool:
    """``part`` is a part of the subject ``whole`` outlines: ``whole`` holds it
    (``COMPLETE_HOLDS``), is at least twice its size (``PART_AREA``), reaches no frame side
    it does not, and is outlined as a silhouette (``SHARP_OUTLINE``) away from it. A pool
    of light around the subject fades out; a floor's or wall's seam reaches the frame."""
    if ((part & whole).sum() < COMPLETE_HOLDS * part.sum()
            or part.sum() > PART_AREA * whole.sum()
            or reaches_new_side(whole, part)):
        return False
    away = outline_of(whole) & ~ndimage.binary_dilation(part, iterations=3)
    return ring_sharpness(away, edges) >= SHARP_OUTLINE


def outline_wins(outlined: np.ndarray | None, mask: np.ndarray | None, edges: np.ndarray,
                 log_y: np.ndarray) -> bool:
    """A closed outline replaces the contrast region ``mask`` where it follows sharper
    edges, unless ``mask`` completes it (the outline ringed one side of a terminator) or it
    is a part of ``mask`` (:func:`part_of`); where it completes ``mask``; where ``mask`` is
    a part of it and it is solid (``WHOLE_SOLIDITY``); or where it is much larger and about
    as sharp (``OUTLINE_LARGER``). A band along a seam never does (``BAND_ASPECT``)."""
    if outlined is None or not outlined.any() or aspect(outlined) > BAND_ASPECT:
        return False
    if mask is None or not mask.any():
        return True
    if part_of(outlined, mask, edges):
        return False
    if part_of(mask, outlined, edges) and solidity(outlined) >= WHOLE_SOLIDITY:
        return True
    sharp_out, sharp_mask = outline_sharpness(outlined, edges), outline_sharpness(mask, edges)
    if (outlined.sum() >= OUTLINE_LARGER * mask.sum()
            and sharp_out >= OUTLINE_LARGER_SHARPNESS * sharp_mask):
        return True
    return ((sharp_out > sharp_mask and not completes(mask, outlined, edges, log_y))
            or completes(outlined, mask, edges, log_y))


def find_silhouette(rgb: np.ndarray, *, frame_bound: bool = True
                    ) -> tuple[np.ndarray | None, str]:
    """The subject's silhouette on ``rgb`` (linear, working grid), or ``None`` and why.

    ``frame_bound``: the colour completion stays off the frame's sides it did not reach
    (:func:`grow_by_colour`); a subject box bounds it instead (:func:`box_silhouette`).
    """
    feat = features(rgb)
    d2 = background_distance(feat)
    h, w = d2.shape
    side = max(h, w)
    lines = edge_lines(rgb)
    texture = texture_cells(lines)
    candidate = open_by_disk((d2 > FOREGROUND_D2) & ~texture, round(0.008 * side))
    candidate = ndimage.binary_closing(candidate, _disk(round(0.015 * side)), border_value=0)
    edges = _edges(rgb)
    enclosed = enclosed_regions(rgb)
    log_y = feat[..., 0]
    # contrast regions first; then what an edge encloses (grey on grey stands out there)
    outlined_regions = open_by_disk(enclosed, round(0.008 * side))
    pools = [(blob, candidate) for blob in _pick_component(candidate, d2, edges, log_y)]
    pools += [(blob, outlined_regions)
              for blob in _pick_component(outlined_regions, d2, edges, log_y, lines)]
    masks = []
    for blob, pool in pools:
        shadows = _shadows(pool & ~blob, log_y, pool)
        blob = _settle_parts(blob, pool & ~shadows, d2, edges, side, enclosed)
        # the background floods in from the frame border: the strongest edges (the
        # silhouette) stop it, also where the subject's tone matches the backdrop's
        background = _border((h, w), 2) & (d2 < FOREGROUND_D2) & ~blob
        background |= ndimage.binary_erosion(shadows, iterations=1) & ~blob
        background |= texture & ~blob
        masks.append(_snap(blob, background, edges, side))
    # a highlight streak snapped alone is no subject, however sharp its outline
    masks = [m for m in masks if m.sum() >= MIN_FRACTION * h * w]
    mask = masks[0] if masks else None
    for other in masks[1:]:
        if textured(other, lines):
            continue  # snapped out over a textured floor or wall
        # a larger region with a sharper outline: the subject has a silhouette, a pool
        # of light or a soft shadow beside it only ramps
        if other.sum() > mask.sum() and (outline_sharpness(other, edges)
                                         > outline_sharpness(mask, edges)
                                         or completes(other, mask, edges, log_y)):
            mask = other
    outlined = closed_outline(lines, log_y, edges)
    if outline_wins(outlined, mask, edges, log_y):
        mask = outlined
    if mask is None:
        return None, "no subject found (nothing in the frame stands out from its border)"
    grown = grow_by_colour(rgb, drop_thin_parts(mask, log_y), frame_bound=frame_bound)
    return _checked(drop_joined_band(open_holes(grown, feat, edges), edges))


def _display_bgr(rgb: np.ndarray) -> np.ndarray:
    """8-bit BGR of linear ``rgb``, white at its 99.5th percentile, gamma 2.2."""
    top = max(float(np.percentile(rgb, 99.5)), 1e-6)
    shown = np.clip(rgb / top, 0.0, 1.0) ** (1.0 / 2.2)
    return np.ascontiguousarray((shown * 255.0).astype(np.uint8)[..., ::-1])


def _largest(mask: np.ndarray, seed: np.ndarray | None = None) -> np.ndarray:
    """The component of ``mask`` holding ``seed``'s first pixel, else its largest."""
    comps, n = ndimage.label(mask)
    if n <= 1:
        return mask
    if seed is not None and (mask & seed).any():
        return comps == comps[mask & seed][0]
    return comps == 1 + int(np.argmax(np.bincount(comps.ravel())[1:]))


def _body(mask: np.ndarray) -> np.ndarray:
    """``mask`` opened by a third of its largest inscribed radius (its thin parts gone)."""
    radius = float(ndimage.distance_transform_edt(mask).max())
    return open_by_disk(mask, max(2, round(radius / 3.0)))


def grow_by_colour(rgb: np.ndarray, mask: np.ndarray, *, frame_bound: bool = True
                   ) -> np.ndarray:
    """``mask`` completed by GrabCut (colour models of subject and surroundings, graph cut).

    A silhouette found by contrast can stop at the terminator (the lit half of a cone) or a
    neck; the subject's own colour carries it on. The body is likely subject, the rest of
    ``mask`` and a margin around it may be either, the frame beyond is backdrop. Thin parts
    the cut adds (a floor streak, a shadow) are dropped unless ``mask`` had them. A cut
    that keeps under ``GROW_KEEPS`` of ``mask``, or (``frame_bound``) carries it to a side
    of the frame it did not reach, has followed the backdrop or the floor: ``mask`` is
    kept. Seeded, so the same image gives the same silhouette.
    """
    import cv2

    if mask.sum() < 30:
        return mask
    h, w = mask.shape
    rows, cols = np.nonzero(mask)
    pad = round(GRABCUT_MARGIN * max(np.ptp(rows) + 1, np.ptp(cols) + 1))
    labels = np.full((h, w), cv2.GC_BGD, np.uint8)
    labels[max(rows.min() - pad, 0):rows.max() + pad + 1,
           max(cols.min() - pad, 0):cols.max() + pad + 1] = cv2.GC_PR_BGD
    labels[mask] = cv2.GC_PR_FGD
    core = ndimage.binary_erosion(mask, iterations=2)
    if core.sum() > 20:
        labels[core] = cv2.GC_FGD
    grown = ndimage.binary_fill_holes(_largest(graph_cut(rgb, labels),
                                               core if core.any() else mask))
    if (grown & mask).sum() < GROW_KEEPS * mask.sum():
        return mask  # the cut lost the silhouette it was to complete: a failed cut
    body = _body(grown)
    grown = _largest((ndimage.binary_dilation(body, iterations=1) & grown) | (grown & mask))
    if frame_bound and reaches_new_side(grown, mask):
        return mask  # carried off the frame: the backdrop's or floor's colour, not the subject's
    return grown


def graph_cut(rgb: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The subject GrabCut finds from OpenCV ``GC_*`` ``labels`` (seeded: deterministic)."""
    import cv2

    cv2.setRNGSeed(0)
    models = (np.zeros((1, 65)), np.zeros((1, 65)))
    cv2.grabCut(_display_bgr(rgb), labels, None, *models, GRABCUT_ITERATIONS,
                cv2.GC_INIT_WITH_MASK)
    return (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)


def check_box(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """A subject box (frame units ``x, y, width, height`` from the top-left), checked:
    finite, inside the frame, and covering ``MIN_FRACTION``-``MAX_FRACTION`` of it;
    ``ValueError`` naming the ``subject box`` otherwise."""
    values = tuple(float(v) for v in box)
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ValueError(f"subject box: expected 4 finite numbers x, y, width, height, got {box!r}")
    x, y, bw, bh = values
    if bw <= 0 or bh <= 0:
        raise ValueError(f"subject box: width and height must be positive, got {bw:g} x {bh:g}")
    if x < -BOX_SLACK or y < -BOX_SLACK or x + bw > 1 + BOX_SLACK or y + bh > 1 + BOX_SLACK:
        raise ValueError("subject box: it reaches outside the frame "
                         f"(x {x:g}..{x + bw:g}, y {y:g}..{y + bh:g} of 0..1)")
    if not MIN_FRACTION <= bw * bh <= MAX_FRACTION:
        raise ValueError(f"subject box: covers {100 * bw * bh:.1f} % of the frame; a subject "
                         f"covers {100 * MIN_FRACTION:.1f}-{100 * MAX_FRACTION:.0f} %")
    return x, y, bw, bh


def box_slices(box: tuple[float, float, float, float], shape: tuple[int, int]
               ) -> tuple[slice, slice]:
    """Rows and columns of a grid of ``shape`` inside a (checked) subject box, at least
    one pixel each way."""
    h, w = shape
    x, y, bw, bh = box
    r0 = min(max(math.floor(y * h), 0), h - 1)
    c0 = min(max(math.floor(x * w), 0), w - 1)
    return (slice(r0, max(min(math.ceil((y + bh) * h), h), r0 + 1)),
            slice(c0, max(min(math.ceil((x + bw) * w), w), c0 + 1)))


def box_silhouette(rgb: np.ndarray, box: tuple[float, float, float, float]
                   ) -> tuple[np.ndarray | None, str]:
    """The subject inside a box drawn around it (:func:`check_box`) and where it came from,
    or ``None`` and why.

    The silhouette the finder gives (:func:`find_silhouette`) where the box confirms it
    (:func:`fills_box`); else GrabCut from the rectangle: beyond it backdrop, inside it
    probably subject, the largest part kept and the cast shadows hanging on it as thin
    parts dropped. Where the finder takes a patch of light, a floor band or another object
    for the subject, or splits it at its terminator, the box settles which object is meant.
    """
    import cv2

    rows, cols = box_slices(check_box(box), rgb.shape[:2])
    labels = np.full(rgb.shape[:2], cv2.GC_BGD, np.uint8)
    labels[rows, cols] = cv2.GC_PR_FGD
    if (labels == cv2.GC_BGD).sum() < 30:
        return None, "no subject found (the subject box leaves no backdrop around it)"
    # a completion that runs off the box fails the box's check, and the rectangle's cut
    # is used: the box bounds it, not the frame's sides
    found, _ = find_silhouette(rgb, frame_bound=False)
    if found is not None and fills_box(found, labels == cv2.GC_PR_FGD):
        return found, "the subject found in the image, inside the subject box"
    cut = graph_cut(rgb, labels)
    if not cut.any():
        return None, "no subject found inside the subject box"
    mask, reason = _checked(drop_thin_parts(_largest(cut), features(rgb)[..., 0]))
    return mask, reason or "the subject cut out inside the subject box"


def fills_box(mask: np.ndarray, box: np.ndarray) -> bool:
    """Whether a silhouette is what a box drawn around it says: ``BOX_INSIDE`` of it in the
    box, and its bounding box overlapping the box by ``BOX_FILLS`` (IoU) or more."""
    if (mask & box).sum() < BOX_INSIDE * mask.sum():
        return False
    rows, cols = np.nonzero(mask)
    bounds = np.zeros_like(box)
    bounds[rows.min():rows.max() + 1, cols.min():cols.max() + 1] = True
    return bool((bounds & box).sum() >= BOX_FILLS * (bounds | box).sum())


def open_holes(mask: np.ndarray, feat: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``mask`` less the holes through the subject (a torus's): regions inside it, away
    from its outline, closer to the colours around the silhouette than to the subject's,
    outlined about as sharply as the silhouette (a top face the backdrop's colour ends
    in a crease, softer than a silhouette)."""
    ring = ndimage.binary_dilation(mask, iterations=3) & ~mask
    filled = ndimage.binary_fill_holes(mask)
    inner = mask & (ndimage.distance_transform_edt(filled) > HOLE_BAND)
    if ring.sum() < 8 or not inner.any():
        return mask
    to_ring = colour_distance(feat, feat[ring])
    like = inner & (to_ring < HOLE_D2)
    if like.sum() > 0.5 * mask.sum():
        return mask  # a subject in the tones around it: no hole to tell
    like &= to_ring < colour_distance(feat, feat[mask & ~like])
    comps, n = ndimage.label(open_by_disk(like, 1))
    outer = outline_sharpness(filled, edges)
    out = mask.copy()
    for k in range(1, n + 1):
        hole = ndimage.binary_dilation(comps == k, iterations=1) & mask
        if (HOLE_FRACTION * mask.sum() <= hole.sum() <= HOLE_MAX * mask.sum()
                and outline_sharpness(hole, edges) >= HOLE_SHARPNESS * outer):
            out &= ~hole
    return out


def drop_joined_band(mask: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``mask`` less a lit strip of floor or wall that joins the subject side on.

    A pool of light on the floor, or a strip along its seam, lit like the subject, joins
    the silhouette beside it as a part as thick as the subject's body and so survives
    :func:`drop_thin_parts`; but it is shallow: an opening by a vertical line of
    ``JOINED_BAND_DEPTH`` of the silhouette's height (its holes filled, a torus's ring
    stays whole) keeps the subject's columns and removes the pool's. The removed parts
    wider than tall by ``JOINED_BAND_ASPECT`` (a pool on both sides of the subject is two)
    are dropped when together they are ``JOINED_BAND_AREA`` of the silhouette or more and
    are outlined, away from the rest, less sharply than the rest is away from them
    (``JOINED_BAND_SOFTER``): light fades out at a pool's edge, while a flat base, a
    saucer or a bust's shoulders end in the same silhouette as the subject, and stay. The
    crescents such an opening takes off a round subject's sides are taller than wide, and
    stay too. The parts are judged together, on one median (a hard base on one side and
    a soft pool on the other are kept or dropped together); outlines are read off the
    frame's edge, and where either side has none left the mask is kept. When a band is
    dropped, only the largest piece of what is left is kept. Silhouettes under 30 px are
    returned as they are; the line is at least 3 px.
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.sum() < 30:
        return mask
    solid = ndimage.binary_fill_holes(mask)
    rows = np.nonzero(solid)[0]
    depth = max(3, round(JOINED_BAND_DEPTH * (np.ptp(rows) + 1)))
    columns = ndimage.binary_opening(solid, structure=np.ones((depth, 1), dtype=bool))
    parts, n = ndimage.label(mask & ~columns)
    band = np.zeros_like(mask)
    for k in range(1, n + 1):
        part = parts == k
        r, c = np.nonzero(part)
        if np.ptp(c) + 1 > JOINED_BAND_ASPECT * (np.ptp(r) + 1):
            band |= part
    rest = mask & ~band
    if band.sum() < JOINED_BAND_AREA * mask.sum() or not rest.any():
        return mask
    inside = ~_border(mask.shape, 1)  # the frame's edge is no outline: it has no edge
    band_edge = ring_sharpness(
        outline_of(band) & inside & ~ndimage.binary_dilation(rest, iterations=3), edges)
    rest_edge = ring_sharpness(
        outline_of(rest) & inside & ~ndimage.binary_dilation(band, iterations=3), edges)
    if min(band_edge, rest_edge) < 0 or band_edge >= JOINED_BAND_SOFTER * rest_edge:
        return mask  # no outline to compare, or the band is as sharp as the subject
    return _largest(rest)


def drop_thin_parts(mask: np.ndarray, log_y: np.ndarray) -> np.ndarray:
    """``mask`` less the cast shadows and seams that hang on it as thin parts.

    A shadow on the floor joins the silhouette where the subject stands on it, as a strip
    thinner than the subject's body; so does the seam where a floor meets a wall, as a
    long band. The parts an opening by a third of the largest inscribed radius removes are
    dropped when they are shadows (:func:`shadow_like` against the ground around them) or
    bands (:func:`aspect` over ``BAND_ASPECT``); thin parts of the subject itself (a neck,
    a handle) are lit and short, and stay.
    """
    body = _body(mask)
    if not body.any():
        return mask
    thin = mask & ~ndimage.binary_dilation(body, iterations=1)
    parts, n = ndimage.label(thin, structure=np.ones((3, 3)))
    out = mask.copy()
    for k in range(1, n + 1):
        part = parts == k
        if shadow_like(part, log_y, mask) or aspect(part) > BAND_ASPECT:
            out &= ~part
    return _largest(out)


def _checked(mask: np.ndarray) -> tuple[np.ndarray | None, str]:
    fraction = float(mask.mean())
    if fraction < MIN_FRACTION:
        return None, "no subject found (the candidate is smaller than 0.4 % of the frame)"
    if fraction > MAX_FRACTION:
        return None, "no subject found (the candidate fills the frame)"
    return mask, ""


def working_size(shape: tuple[int, ...], side: int = WORK_SIDE) -> tuple[int, int]:
    """``(width, height)`` of the working grid for an image of ``shape`` (same aspect)."""
    h, w = int(shape[0]), int(shape[1])
    scale = min(1.0, side / max(h, w))
    return max(16, round(w * scale)), max(16, round(h * scale))
