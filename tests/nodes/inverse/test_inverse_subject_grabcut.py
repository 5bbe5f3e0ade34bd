"""GrabCut completes a silhouette that contrast found only in part (issue 13)."""

from __future__ import annotations

import numpy as np

from moks_graph.nodes.inverse.silhouette import find_silhouette, grow_by_colour


def _scene(h: int = 120, w: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """A teal disc, lit from the right, on a warm grey backdrop; and the disc's mask."""
    yy, xx = np.mgrid[0:h, 0:w]
    cx, cy, r = 110.0, 60.0, 36.0
    disc = (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
    shade = np.clip(0.25 + 0.75 * (xx - cx + r) / (2 * r), 0.0, 1.0)
    img = np.empty((h, w, 3))
    img[...] = (0.30, 0.24, 0.18)
    img[disc] = shade[disc, None] * np.array([0.10, 0.45, 0.50])
    return img, disc


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def test_the_lit_half_grows_to_the_whole_subject():
    img, disc = _scene()
    xx = np.mgrid[0:disc.shape[0], 0:disc.shape[1]][1]
    lit_half = disc & (xx > 100)
    assert _iou(lit_half, disc) < 0.7
    grown = grow_by_colour(img, lit_half)
    assert _iou(grown, disc) > 0.9


def test_a_thin_strip_the_cut_would_add_is_left_out():
    img, disc = _scene()
    strip = np.zeros_like(disc)
    strip[92:95, 110:190] = True  # a floor streak the subject's colour, not in the mask
    img[strip] = (0.10, 0.45, 0.50)
    grown = grow_by_colour(img, disc)
    assert not (grown & strip & ~disc).any()
    assert _iou(grown, disc) > 0.9


def test_the_same_image_gives_the_same_silhouette():
    img, _ = _scene()
    first, _ = find_silhouette(img)
    second, _ = find_silhouette(img)
    assert first is not None and np.array_equal(first, second)


def test_a_tiny_mask_is_returned_as_it_is():
    img, _ = _scene()
    tiny = np.zeros(img.shape[:2], dtype=bool)
    tiny[60:63, 110:113] = True
    assert np.array_equal(grow_by_colour(img, tiny), tiny)


def test_a_cut_that_loses_the_silhouette_leaves_it_as_it_was(monkeypatch):
    """Seen on a Cycles still: a dark cube against a bright wall, whose colour model took
    the backdrop's; the cut kept one pixel of a 2,351-pixel silhouette."""
    import moks_graph.nodes.inverse.silhouette as silhouette

    img, disc = _scene()
    lost = np.zeros_like(disc)
    lost[60, 110] = True
    monkeypatch.setattr(silhouette, "graph_cut", lambda rgb, labels: lost)
    assert np.array_equal(grow_by_colour(img, disc), disc)
    most = disc & (np.mgrid[0:disc.shape[0], 0:disc.shape[1]][1] > 100)
    monkeypatch.setattr(silhouette, "graph_cut", lambda rgb, labels: most)
    assert _iou(grow_by_colour(img, disc), most) > 0.9  # most kept: a cut, not a loss
    assert silhouette.GROW_KEEPS == 0.5


def test_a_cut_carried_to_a_new_side_of_the_frame_is_not_used():
    """Seen on Cycles stills: a floor lit in the subject's colour carried the silhouette to
    the frame's edge; over 80 stills each such completion lowered the IoU (0.61 -> 0.42)."""
    h, w = 120, 200
    yy, xx = np.mgrid[0:h, 0:w]
    disc = (xx - 150.0) ** 2 + (yy - 50.0) ** 2 <= 30.0 ** 2
    floor = (yy >= 70) & (xx >= 120)  # a lit floor the subject's colour, off the right edge
    img = np.empty((h, w, 3))
    img[...] = (0.30, 0.24, 0.18)
    img[disc | floor] = (0.10, 0.45, 0.50)
    grown = grow_by_colour(img, disc)
    assert not grown[:, -1].any() and not grown[-1].any()
    assert _iou(grown, disc) > 0.9
