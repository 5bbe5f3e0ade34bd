"""A hole through the subject (a torus's) stays out of its silhouette (issue 13)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from moks_graph.nodes.inverse.silhouette import (
    BAND_ASPECT,
    COMPLETE_SHARPNESS,
    OUTLINE_LARGER_SHARPNESS,
    SHARP_OUTLINE,
    SPLIT_SHARPNESS,
    WHOLE_SOLIDITY,
    _edges,
    aspect,
    completes,
    drop_joined_band,
    find_silhouette,
    outline_of,
    outline_sharpness,
    outline_wins,
    part_of,
    solidity,
)

BACKDROP = (0.30, 0.24, 0.18)


def _ring(hole_edge_sigma: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """A teal ring, lit softly from the right, on a warm grey backdrop; the hole shows the backdrop.
    With ``hole_edge_sigma`` the hole's edge is a soft ramp (a patch of the backdrop's
    colour on the subject, not a hole). Returns the image and the ring's own pixels."""
    h, w = 120, 200
    yy, xx = np.mgrid[0:h, 0:w]
    rr = np.hypot(xx - 110.0, (yy - 60.0) * 1.2)
    body = rr <= 40.0
    hole = rr <= 16.0
    shade = np.clip(0.7 + 0.3 * (xx - 70.0) / 80.0, 0.0, 1.0)
    img = np.empty((h, w, 3))
    img[...] = BACKDROP
    img[body] = shade[body, None] * np.array([0.10, 0.45, 0.50])
    weight = hole.astype(float)
    if hole_edge_sigma:
        weight = ndimage.gaussian_filter(weight, hole_edge_sigma) * body
    img = img * (1.0 - weight[..., None]) + weight[..., None] * np.array(BACKDROP)
    return img, body & ~hole


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def test_the_hole_through_a_ring_is_not_subject():
    img, ring = _ring()
    mask, reason = find_silhouette(img)
    assert mask is not None, reason
    hole = ndimage.binary_fill_holes(ring) & ~ring
    assert (mask & hole).sum() < 0.1 * hole.sum()
    assert _iou(mask, ring) > 0.85


def test_a_hole_outlined_exactly_as_sharply_as_the_silhouette_is_opened():
    """A flat grey ring: hole and silhouette edges equal up to rounding."""
    h, w = 90, 160
    yy, xx = np.mgrid[0:h, 0:w]
    r = np.hypot(xx - 80.0, yy - 45.0)
    img = np.full((h, w, 3), 0.2)
    img[r < 30] = 0.7
    img[r < 12] = 0.2
    mask, reason = find_silhouette(img)
    assert mask is not None, reason
    assert (mask & (r < 10)).sum() == 0


def test_a_soft_patch_of_the_backdrops_colour_stays_subject():
    img, ring = _ring(hole_edge_sigma=2.0)
    mask, reason = find_silhouette(img)
    assert mask is not None, reason
    body = ndimage.binary_fill_holes(ring)
    patch = body & ~ring
    assert (mask & patch).sum() > 0.9 * patch.sum()
    assert _iou(mask, body) > 0.85


def test_a_highlight_streak_alone_is_not_the_subject():
    """A streak too small to be a subject (a specular line), outlined more sharply than
    the subject's soft, low-contrast silhouette, is not taken for it."""
    h, w = 120, 200
    yy, xx = np.mgrid[0:h, 0:w]
    disc = np.hypot(xx - 110.0, yy - 60.0) <= 30.0
    grey = 0.30 + 0.06 * ndimage.gaussian_filter(disc.astype(float), 1.5)
    img = np.repeat(grey[..., None], 3, axis=2)
    streak = (np.abs(xx - 40) <= 1) & (np.abs(yy - 30) <= 15)
    img[streak] = (4.0, 4.0, 4.0)
    mask, reason = find_silhouette(img)
    assert mask is not None, reason
    assert not (mask & streak).any()
    assert _iou(mask, disc) > 0.85


def _split_disc() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A disc lit from the right, its left side dark, on a mid-grey backdrop:
    the image, its edges, log2 luminance, the disc and its lit half."""
    h, w = 120, 200
    yy, xx = np.mgrid[0:h, 0:w]
    disc = np.hypot(xx - 110.0, yy - 60.0) <= 30.0
    shade = 0.05 + 0.75 * np.clip((xx - 95.0) / 45.0, 0.0, 1.0)  # a soft terminator
    lit = disc & (shade > 0.45)  # where contrast alone finds the subject
    img = np.full((h, w, 3), 0.30)
    img[disc] = shade[disc, None]
    log_y = np.log2(img[..., 0])
    return img, _edges(img), log_y, disc, lit


def test_the_whole_silhouette_completes_the_part_a_terminator_split_off():
    _, edges, log_y, disc, lit = _split_disc()
    assert completes(disc, lit, edges, log_y)
    assert not completes(lit, disc, edges, log_y)  # smaller: not a completion


def test_a_region_reaching_the_frame_edge_does_not_complete_the_subject():
    img, _, _, disc, lit = _split_disc()
    strip = np.zeros_like(disc)
    strip[86:90, 110:] = True  # a dark floor line from the subject to the frame's edge
    img = img.copy()
    img[strip & ~disc] = 0.05
    edges, log_y = _edges(img), np.log2(img[..., 0])
    assert completes(disc, lit, edges, log_y)
    assert not completes(disc | strip, lit, edges, log_y)


def test_a_cast_shadow_does_not_complete_the_subject():
    img, _, _, _, lit = _split_disc()
    h, w = lit.shape
    yy, xx = np.mgrid[0:h, 0:w]
    shadow = (np.abs(xx - 160) <= 12) & (np.abs(yy - 80) <= 8)
    img = img.copy()
    img[shadow & ~lit] = 0.12  # flat and darker than the ground around it
    log_y = np.log2(img[..., 0])
    assert not completes(lit | shadow, lit, _edges(img), log_y)


def _hard_split_disc() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A disc lit hard from the right, its dark side near the backdrop's tone: the image,
    the disc and its lit half (the dark half is the larger by the centre column)."""
    h, w = 120, 200
    yy, xx = np.mgrid[0:h, 0:w]
    disc = np.hypot(xx - 110.0, yy - 60.0) <= 30.0
    lit = disc & (xx > 110)
    shade = 0.06 + 0.14 * np.clip((xx - 80.0) / 30.0, 0.0, 1.0)
    img = np.full((h, w, 3), 0.30)
    img[disc] = shade[disc, None]
    img[lit] = 0.8
    return img, disc, lit


def test_the_dark_side_completes_a_hard_split_though_its_outline_is_weak():
    img, disc, lit = _hard_split_disc()
    edges, log_y = _edges(img), np.log2(img[..., 0])
    ratio = outline_sharpness(disc, edges) / outline_sharpness(lit, edges)
    assert SPLIT_SHARPNESS <= ratio < COMPLETE_SHARPNESS  # the plain rule would refuse it
    assert completes(disc, lit, edges, log_y)
    # the lit half as a closed outline does not replace the whole that completes it
    assert not outline_wins(lit, disc, edges, log_y)
    assert outline_wins(disc, lit, edges, log_y)


def test_a_pool_of_light_beside_the_subject_does_not_complete_it():
    img, disc, _ = _hard_split_disc()
    h, w = disc.shape
    yy, xx = np.mgrid[0:h, 0:w]
    pool = (((xx - 150) / 40.0) ** 2 + ((yy - 95) / 16.0) ** 2 <= 1) & ~disc
    img = img.copy()
    img[pool] = 0.6 * (1 + 0.1 * np.sin(xx[pool] / 5.0))[:, None]
    edges, log_y = _edges(img), np.log2(img[..., 0])
    ratio = outline_sharpness(disc | pool, edges) / outline_sharpness(disc, edges)
    assert SPLIT_SHARPNESS <= ratio < COMPLETE_SHARPNESS
    assert not completes(disc | pool, disc, edges, log_y)  # adds less, borders little


def _disc_and_patch(edge_sigma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A grey disc on a grey backdrop, its edge blurred by ``edge_sigma`` px, and a small
    crisp bright patch beside it (a highlight or a pool of light): image, disc, patch."""
    h, w = 120, 200
    yy, xx = np.mgrid[0:h, 0:w]
    disc = np.hypot(xx - 70.0, yy - 60.0) <= 30.0
    patch = (np.abs(xx - 160) <= 5) & (np.abs(yy - 95) <= 4)
    weight = ndimage.gaussian_filter(disc.astype(float), edge_sigma)[..., None]
    img = np.full((h, w, 3), 0.30) * (1.0 - weight) + 0.5 * weight
    img[patch] = 0.95
    return img, disc, patch


def test_a_large_closed_outline_wins_over_a_small_sharper_patch():
    img, disc, patch = _disc_and_patch(1.5)
    edges, log_y = _edges(img), np.log2(img[..., 0])
    sharp_disc, sharp_patch = outline_sharpness(disc, edges), outline_sharpness(patch, edges)
    assert OUTLINE_LARGER_SHARPNESS * sharp_patch <= sharp_disc < sharp_patch
    assert outline_wins(disc, patch, edges, log_y)


def test_a_soft_blob_does_not_replace_a_crisp_region_however_large():
    img, disc, patch = _disc_and_patch(3.0)
    edges, log_y = _edges(img), np.log2(img[..., 0])
    assert outline_sharpness(disc, edges) < OUTLINE_LARGER_SHARPNESS * outline_sharpness(
        patch, edges)
    assert not outline_wins(disc, patch, edges, log_y)


def test_a_band_along_a_seam_never_wins():
    img, disc, _ = _disc_and_patch(3.0)
    h, w = disc.shape
    yy, xx = np.mgrid[0:h, 0:w]
    band = (np.abs(yy - 105) <= 3) & (xx > 10) & (xx < 190)
    img = img.copy()
    img[band] = 0.9
    edges, log_y = _edges(img), np.log2(img[..., 0])
    assert aspect(band) > BAND_ASPECT and aspect(disc) == 1.0
    assert outline_sharpness(band, edges) > outline_sharpness(disc, edges)
    assert not outline_wins(band, disc, edges, log_y)


def _disc_with_highlight(pool_sigma: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A mid-grey disc, its silhouette sharp against a darker backdrop, with a small crisp
    white highlight inside it (a sphere's); with ``pool_sigma`` a soft pool of light around
    the disc, as a spot throws on the wall. Image, disc, highlight."""
    h, w = 120, 200
    yy, xx = np.mgrid[0:h, 0:w]
    disc = np.hypot(xx - 100.0, yy - 60.0) <= 32.0
    highlight = np.hypot(xx - 112.0, yy - 48.0) <= 7.0
    img = np.full((h, w, 3), 0.12)
    if pool_sigma:
        pool = ndimage.gaussian_filter((np.hypot(xx - 100.0, yy - 60.0) <= 48.0).astype(float),
                                       pool_sigma)
        img += 0.25 * pool[..., None]
    weight = ndimage.gaussian_filter(disc.astype(float), 1.5)[..., None]
    img = img * (1.0 - weight) + 0.45 * weight  # a rounded silhouette, softer than the highlight
    img[highlight] = 1.0
    return img, disc, highlight


def test_a_highlight_inside_the_subject_is_a_part_not_the_subject():
    img, disc, highlight = _disc_with_highlight()
    edges, log_y = _edges(img), np.log2(img[..., 0])
    assert outline_sharpness(highlight, edges) > outline_sharpness(disc, edges) >= SHARP_OUTLINE
    assert part_of(highlight, disc, edges)
    assert not outline_wins(highlight, disc, edges, log_y)
    mask, reason = find_silhouette(img)
    assert mask is not None, reason
    assert _iou(mask, disc) > 0.9


def test_the_subject_inside_a_soft_pool_of_light_is_not_a_part_of_the_pool():
    img, disc, _ = _disc_with_highlight(pool_sigma=8.0)
    h, w = disc.shape
    yy, xx = np.mgrid[0:h, 0:w]
    lit = disc | (np.hypot(xx - 100.0, yy - 60.0) <= 60.0)  # the pool as contrast found it
    edges, log_y = _edges(img), np.log2(img[..., 0])
    away = outline_of(lit) & ~ndimage.binary_dilation(disc, iterations=3)
    assert np.median(edges[away]) / np.percentile(edges, 99.5) < SHARP_OUTLINE
    assert not part_of(disc, lit, edges)
    assert outline_wins(disc, lit, edges, log_y)


def test_a_region_reaching_the_frame_is_no_whole_the_outline_is_part_of():
    """A lit wall beside the disc, its edge crisp: reaching the frame's side it is the
    backdrop the contrast took with the subject; stopping short of it, it could be the
    subject's own larger body."""
    for right, whole in ((200, False), (190, True)):
        img, disc, _ = _disc_with_highlight()
        wall = np.zeros_like(disc)
        wall[10:110, 100:right] = True
        img = img.copy()
        img[wall & ~disc] = 0.9
        assert disc.sum() <= 0.5 * (disc | wall).sum()
        assert part_of(disc, disc | wall, _edges(img)) is whole


def test_a_bright_band_along_a_seam_is_not_the_subject():
    """A lit strip where the floor meets the wall outshines the subject above it; as a
    contrast region it is a band (``BAND_ASPECT``) and never the subject."""
    h, w = 120, 200
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.where((yy < 70)[..., None], 0.30, 0.22) * np.ones((h, w, 3))
    band = (yy >= 70) & (yy < 78) & (xx >= 12) & (xx < 188)
    img[band] = 0.95
    disc = np.hypot(xx - 60.0, yy - 28.0) <= 16.0
    shade = np.clip(0.4 + 0.2 * (xx - 44.0) / 32.0, 0.05, 0.9)
    img[disc] = shade[disc, None] * np.array([1.0, 0.95, 0.9])
    assert aspect(band) > BAND_ASPECT
    mask, reason = find_silhouette(img)
    assert mask is not None, reason
    assert not (mask & band).any()
    assert _iou(mask, disc) > 0.95


def test_a_box_whose_lit_top_the_contrast_found_is_outlined_whole():
    """A box under a top light: its top face is crisp and bright, its front face about the
    backdrop's tone. The contrast finds the top; the closed outline holding it as a part,
    solid, is the subject."""
    h, w = 120, 200
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.full((h, w, 3), 0.12)
    img[yy >= 90] = 0.096
    body = (xx >= 70) & (xx < 130) & (yy >= 30) & (yy < 95)
    top = body & (yy < 42)
    img[body] = 0.2
    img[top] = 0.9
    edges, log_y = _edges(img), np.log2(img[..., 0])
    assert part_of(top, body, edges) and solidity(body) >= WHOLE_SOLIDITY
    assert outline_wins(body, top, edges, log_y)
    mask, reason = find_silhouette(img)
    assert mask is not None, reason
    assert _iou(mask, body) > 0.95


def _disc_and_pool(pool_rows: tuple[int, int] = (72, 84), pool_edge_sigma: float = 3.0
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A lit disc on a dark stage and a pool of light on the floor, lit alike, running from
    its foot to the right; the pool's edge fades over ``pool_edge_sigma`` px, as light
    does. Returns the image, the disc and the pool."""
    h, w = 120, 200
    yy, xx = np.mgrid[0:h, 0:w]
    disc = np.hypot(xx - 70.0, yy - 60.0) <= 25.0
    pool = (yy >= pool_rows[0]) & (yy < pool_rows[1]) & (xx >= 70) & (xx < 175) & ~disc
    light = pool.astype(float)
    if pool_edge_sigma:
        light = ndimage.gaussian_filter(light, pool_edge_sigma) * ~disc
    img = 0.08 + (0.7 - 0.08) * np.repeat(light[..., None], 3, axis=2)
    shade = np.clip(0.55 + 0.4 * (xx - 45.0) / 50.0, 0.3, 0.95)
    img[disc] = shade[disc, None]
    return img, disc, pool


def test_a_pool_of_light_joined_to_the_subject_is_cut_off():
    """The contrast region is the disc and the pool as one; the pool is shallower than
    ``JOINED_BAND_DEPTH`` of the silhouette's height, much wider than tall and outlined
    softly: dropped."""
    img, disc, pool = _disc_and_pool()
    cut = drop_joined_band(disc | pool, _edges(img))
    assert (cut & disc).sum() == disc.sum() and (cut & pool).sum() < 0.1 * pool.sum()
    # a pool whose edge fades over under a pixel is soft enough too
    img_soft, _, _ = _disc_and_pool(pool_edge_sigma=0.7)
    cut_soft = drop_joined_band(disc | pool, _edges(img_soft))
    assert (cut_soft & disc).sum() == disc.sum() and (cut_soft & pool).sum() < 0.1 * pool.sum()
    # a mask of 0/255 bytes is cut the same
    as_bytes = np.where(disc | pool, 255, 0).astype(np.uint8)
    assert np.array_equal(drop_joined_band(as_bytes, _edges(img)), cut)
    mask, reason = find_silhouette(img)
    assert mask is not None, reason
    assert (mask & pool).sum() < 0.1 * pool.sum()
    assert _iou(mask, disc) > 0.9


def test_round_wide_and_ringed_subjects_keep_their_sides():
    """What a vertical opening takes off a disc, a lying capsule or a ring seen from above
    is not a joined band: nothing is dropped."""
    yy, xx = np.mgrid[0:120, 0:200]
    disc = np.hypot(xx - 100.0, yy - 60.0) <= 30.0
    capsule = (np.hypot(np.clip(xx, 60, 140) - xx, yy - 60.0) <= 15.0)
    ring = (np.hypot(xx - 100.0, (yy - 60.0) * 2.0) <= 60.0) & (
        np.hypot(xx - 100.0, (yy - 60.0) * 2.0) > 30.0)
    for mask in (disc, capsule, ring):
        edges = ndimage.gaussian_gradient_magnitude(mask.astype(float), 1.0)
        assert np.array_equal(drop_joined_band(mask, edges), mask)
    # a deep pool (as deep as half the subject) is no band: kept
    img, disc, pool = _disc_and_pool((60, 86))
    assert np.array_equal(drop_joined_band(disc | pool, _edges(img)), disc | pool)


def _lit(shape: np.ndarray, tint: tuple[float, float, float] = (1.0, 1.0, 1.0)
         ) -> np.ndarray:
    """``shape`` lit from the right on a dark stage, its silhouette a step all round."""
    xx = np.mgrid[0:shape.shape[0], 0:shape.shape[1]][1]
    img = np.full((*shape.shape, 3), 0.08)
    shade = np.clip(0.55 + 0.4 * (xx - 40.0) / 120.0, 0.3, 0.95)
    img[shape] = shade[shape, None] * np.array(tint)
    return img


def test_a_flat_base_or_shoulders_outlined_like_the_subject_stay():
    """A bust's flat shoulders and a vase's thin plinth are shallow and wide like a pool,
    but end in the same sharp silhouette as the rest: kept, alone and through
    :func:`find_silhouette`."""
    yy, xx = np.mgrid[0:120, 0:200]
    head = np.hypot(xx - 100.0, (yy - 35.0) / 1.2) <= 18
    neck = (abs(xx - 100) <= 7) & (yy >= 50) & (yy < 70)
    shoulders = (abs(xx - 100) <= 60) & (yy >= 68) & (yy < 78)
    vase = np.hypot(xx - 100.0, (yy - 50.0) / 1.4) <= 22
    plinth = (abs(xx - 100) <= 55) & (yy >= 80) & (yy < 88)
    for subject, base, tint in ((head | neck | shoulders, shoulders, (1.0, 1.0, 1.0)),
                                (vase | plinth, plinth, (0.9, 0.8, 0.7))):
        img = _lit(subject, tint)
        assert np.array_equal(drop_joined_band(subject, _edges(img)), subject)
        mask, reason = find_silhouette(img)
        assert mask is not None, reason
        assert (mask & base).sum() > 0.9 * base.sum() and _iou(mask, subject) > 0.95
    # a plinth standing on the frame's bottom edge: the frame's edge is no soft outline
    plinth_low = (abs(xx - 100) <= 55) & (yy >= 108)
    vase_low = np.hypot(xx - 100.0, (yy - 75.0) / 1.4) <= 22
    img = _lit(vase_low | plinth_low)
    assert np.array_equal(drop_joined_band(vase_low | plinth_low, _edges(img)),
                          vase_low | plinth_low)
    # the same shoulders as a hard-edged band of light would be kept too: it is the
    # softness of a pool's edge that tells it from the subject
    img, disc, pool = _disc_and_pool(pool_edge_sigma=0.0)
    assert np.array_equal(drop_joined_band(disc | pool, _edges(img)), disc | pool)


def test_a_subject_cut_by_the_frame_needs_a_box():
    """A bust whose shoulders fill the bottom edge: the finder samples the backdrop on the
    frame's border and finds no subject (a documented limit, docs/inverse.md); a box
    around it cuts it out whole."""
    from moks_graph.nodes.inverse.silhouette import box_silhouette

    yy, xx = np.mgrid[0:120, 0:200]
    bust = ((np.hypot(xx - 100.0, (yy - 45.0) / 1.2) <= 22)
            | ((abs(xx - 100) <= 9) & (yy >= 60) & (yy < 104))
            | ((abs(xx - 100) <= 70) & (yy >= 100)))
    img = _lit(bust)
    mask, reason = find_silhouette(img)
    assert mask is None and reason.startswith("no subject found")
    mask, reason = box_silhouette(img, (0.1, 0.12, 0.8, 0.88))
    assert mask is not None, reason
    assert _iou(mask, bust) > 0.95
