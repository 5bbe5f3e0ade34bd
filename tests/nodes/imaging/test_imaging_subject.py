"""Subject silhouette, inflated normals and SceneScript angles."""

from __future__ import annotations

import numpy as np
import pytest

from moks_graph.nodes.imaging.analysis import log2_luminance
from moks_graph.nodes.imaging.subject import direction_to_angles, find_subject, inflate
from moks_graph.nodes.imaging.synthetic import light_direction

ROWS, COLS = np.indices((160, 240))


def test_inflated_disc_has_sphere_normals() -> None:
    radius, cx, cy = 50.0, 120.0, 80.0
    nx, ny = (COLS - cx) / radius, -(ROWS - cy) / radius
    disc = nx**2 + ny**2 < 1.0
    truth = np.stack([nx, ny, np.sqrt(np.clip(1 - nx**2 - ny**2, 0, 1))], axis=-1)
    depth, normals = inflate(disc)
    np.testing.assert_allclose(np.linalg.norm(normals[disc], axis=1), 1.0, atol=1e-9)
    error = np.degrees(np.arccos(np.clip((normals * truth).sum(-1), -1, 1)))[disc]
    assert error.mean() < 2.0
    assert np.percentile(error, 95) < 5.0
    assert depth.max() == pytest.approx(radius, abs=1.0)
    assert not normals[~disc].any()


def test_subject_is_the_component_off_the_background() -> None:
    lum = np.full(ROWS.shape, 0.01)
    big = np.hypot(ROWS - 80, COLS - 80) < 40
    small = np.hypot(ROWS - 80, COLS - 190) < 15
    lum[big] = 0.2
    lum[small] = 0.5
    subject = find_subject(log2_luminance(lum))
    assert subject.found
    np.testing.assert_array_equal(subject.mask, big)
    seeded = find_subject(log2_luminance(lum), seed=(80, 190))
    np.testing.assert_array_equal(seeded.mask, small)
    flat = find_subject(log2_luminance(np.full(ROWS.shape, 0.2)))
    assert not flat.found and flat.mask[1:-1, 1:-1].all() and not flat.mask[0].any()


@pytest.mark.parametrize(
    ("azimuth", "elevation"), [(0, 0), (90, 0), (-135, 20), (30, 89), (180, -40)]
)
def test_scenescript_angles_round_trip(azimuth: float, elevation: float) -> None:
    got = direction_to_angles(light_direction(azimuth, elevation))
    expected_az = -180.0 if azimuth == 180 and got[0] < 0 else azimuth
    assert got == pytest.approx((expected_az, elevation), abs=1e-9)
    assert light_direction(90, 0) == pytest.approx([1.0, 0.0, 0.0], abs=1e-12)  # image right
