"""The subject inside a box the user drew around it (``moks match --subject-box``)."""

from __future__ import annotations

import numpy as np
import pytest

from moks_graph.nodes.inverse.estimate import estimate_still
from moks_graph.nodes.inverse.silhouette import (
    MAX_FRACTION,
    box_silhouette,
    box_slices,
    check_box,
    fills_box,
    find_silhouette,
)
from moks_graph.nodes.inverse.subject import boxed_subject

H, W = 135, 240
SMALL = (0.70, 0.30, 0.22, 0.45)  # frame units: x, y, width, height from the top-left


def _two_subjects() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A large bright sphere on the left and a small darker one on the right, lit from the
    upper left, on a grey backdrop: linear RGB and each sphere's pixels."""
    yy, xx = np.mgrid[0:H, 0:W] + 0.5
    img = np.full((H, W, 3), 0.12)
    key = np.array([-0.5, 0.5, 0.7071])
    spheres = []
    for cx, cy, r, albedo in ((0.3 * W, 0.5 * H, 0.32 * H, 0.8), (0.81 * W, 0.52 * H,
                                                                   0.18 * H, 0.45)):
        nx, ny = (xx - cx) / r, -(yy - cy) / r
        inside = nx**2 + ny**2 < 1.0
        nz = np.sqrt(np.clip(1.0 - nx**2 - ny**2, 0.0, 1.0))
        shade = np.clip(np.stack([nx, ny, nz], -1) @ key, 0.0, None) + 0.08
        img[inside] = (albedo * shade[inside])[:, None] * np.array([1.0, 0.9, 0.75])
        spheres.append(inside)
    return img, spheres[0], spheres[1]


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def test_the_box_settles_which_subject_is_meant():
    img, large, small = _two_subjects()
    found, _ = find_silhouette(img)
    assert found is not None and _iou(found, large) > 0.8  # the finder takes the larger
    mask, reason = box_silhouette(img, SMALL)
    assert mask is not None, reason
    assert _iou(mask, small) > 0.85
    assert not (mask & large).any()
    again, _ = box_silhouette(img, SMALL)
    assert np.array_equal(mask, again)  # seeded: the same image gives the same silhouette


def test_a_box_around_what_the_finder_found_keeps_its_silhouette():
    img, large, _ = _two_subjects()
    found, _ = find_silhouette(img)
    rows, cols = np.nonzero(large)
    pad = 0.1 * (rows.ptp() + 1)
    box = ((cols.min() - pad) / W, (rows.min() - pad) / H, (cols.ptp() + 1 + 2 * pad) / W,
           (rows.ptp() + 1 + 2 * pad) / H)
    mask, reason = box_silhouette(img, box)
    assert np.array_equal(mask, found)
    assert reason == "the subject found in the image, inside the subject box"


def test_a_box_confirms_a_silhouette_it_holds_and_roughly_fills():
    box = np.zeros((40, 40), bool)
    box[5:35, 5:35] = True
    whole = np.zeros_like(box)
    whole[8:32, 8:32] = True  # bounding-box IoU 0.64
    assert fills_box(whole, box)
    half = np.zeros_like(box)
    half[8:32, 8:18] = True  # a subject split at its terminator: IoU 0.27
    assert not fills_box(half, box)
    outside = np.roll(whole, 12, axis=1)  # a third of it beyond the box
    assert not fills_box(outside, box)


def test_the_still_is_read_from_the_boxed_subject():
    img, _, small = _two_subjects()
    est = estimate_still(img, box=SMALL)
    assert est.subject.found
    assert est.subject.reason == "the subject cut out inside the subject box"
    assert est.subject.centre[0] == pytest.approx(0.31, abs=0.02)  # frame units from centre
    assert _iou(est.subject.mask, small) > 0.85
    assert est.fit.azimuth_deg < 0 and est.fit.elevation_deg > 0  # upper left


def test_a_box_around_nothing_stands_an_ellipse_in_with_the_reason():
    flat = np.full((H, W, 3), 0.2)
    subject = boxed_subject(flat, (0.1, 0.1, 0.3, 0.5))
    assert not subject.found
    assert "subject box" in subject.reason
    rows, cols = np.nonzero(subject.mask)
    assert rows.min() >= 0.1 * H - 1 and rows.max() <= 0.6 * H + 1
    assert cols.min() >= 0.1 * W - 1 and cols.max() <= 0.4 * W + 1


@pytest.mark.parametrize(("box", "message"), [
    ((0.1, 0.1, float("nan"), 0.2), "4 finite numbers"),
    ((0.1, 0.1, 0.0, 0.2), "must be positive"),
    ((0.1, 0.1, -0.2, 0.2), "must be positive"),
    ((0.9, 0.1, 0.3, 0.2), "outside the frame"),
    ((0.1, 0.1, 0.01, 0.01), "covers 0.0 %"),
    ((0.0, 0.0, 1.0, 1.0), "covers 100.0 %"),
    ((0.1, 0.2, 0.3), "4 finite numbers"),
])
def test_a_bad_box_is_one_message_naming_it(box, message):
    with pytest.raises(ValueError, match="subject box") as err:
        check_box(box)
    assert message in str(err.value)


def test_a_box_that_overshoots_the_frame_a_little_is_clipped():
    assert check_box((-0.005, 0.5, 0.5, 0.505)) == (-0.005, 0.5, 0.5, 0.505)
    rows, cols = box_slices(check_box((-0.005, 0.5, 0.5, 0.505)), (H, W))
    assert (rows.start, cols.start) == (67, 0) and rows.stop == H
    rows, cols = box_slices((0.5, 0.5, 1e-4, 1e-4), (H, W))
    assert rows.stop - rows.start == 1 and cols.stop - cols.start == 1
    assert MAX_FRACTION < 1.0


def test_with_a_box_the_box_bounds_the_colour_completion_not_the_frame(monkeypatch):
    """Automatic, a completion that reaches a new side of the frame is refused; with a box, a
    completion that leaves the box fails the box's check and the rectangle's cut is used
    (the frame rule would keep a partial silhouette that still fills the box)."""
    import moks_graph.nodes.inverse.silhouette as silhouette

    seen: list[bool] = []
    grow = silhouette.grow_by_colour

    def spy(rgb, mask, *, frame_bound=True):
        seen.append(frame_bound)
        return grow(rgb, mask, frame_bound=frame_bound)

    monkeypatch.setattr(silhouette, "grow_by_colour", spy)
    img, _, small = _two_subjects()
    find_silhouette(img)
    mask, _ = box_silhouette(img, SMALL)
    assert seen == [True, False]
    assert _iou(mask, small) > 0.85
