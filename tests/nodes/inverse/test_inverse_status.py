"""``matched`` never goes to a silhouette that runs off the frame (issue 13): its outline
there is the frame's, its normals and the lights read from them a guess."""

from __future__ import annotations

import numpy as np

from moks_graph.nodes.inverse.estimate import OFF_FRAME, estimate_still, judge

H, W = 135, 240


def _sphere(cx: float) -> tuple[np.ndarray, np.ndarray]:
    """A grey sphere lit from the upper left on a dark backdrop, centred at column ``cx``,
    and its matte."""
    yy, xx = np.mgrid[0:H, 0:W] + 0.5
    r = 0.3 * H
    nx, ny = (xx - cx) / r, -(yy - 0.5 * H) / r
    inside = nx**2 + ny**2 < 1.0
    nz = np.sqrt(np.clip(1.0 - nx**2 - ny**2, 0.0, 1.0))
    shade = np.clip(np.stack([nx, ny, nz], -1) @ np.array([-0.5, 0.5, 0.7071]), 0.0, None)
    img = np.full((H, W, 3), 0.05)
    img[inside] = (0.7 * shade[inside] + 0.05)[:, None]
    return img.astype(np.float32), inside.astype(np.float64)


def test_a_subject_inside_the_frame_is_not_held_back():
    img, matte = _sphere(0.45 * W)
    for est in (estimate_still(img), estimate_still(img, matte=matte)):
        assert est.subject.found
        assert OFF_FRAME not in judge(est, 0.0)[1]


def test_a_subject_cut_by_the_frame_is_approximate_with_the_reason():
    img, matte = _sphere(W - 0.1 * H)  # a third of it beyond the right edge
    est = estimate_still(img, matte=matte)  # a roto of a subject the frame cuts
    assert est.subject.found and est.subject.mask[:, -1].any()
    status, reasons = judge(est, 0.0)
    assert status == "approximate" and OFF_FRAME in reasons
