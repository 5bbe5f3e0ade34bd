"""Large stills: the morphology and the reduction that keep a photograph's match in seconds,
each checked to give what the slow path gave."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import ndimage

from moks_graph.nodes.inverse.lightfit import (
    SIGMA_MAX_DEG,
    SIGMA_MAX_STOPS,
    _angle_sigma,
    covariance_sigma,
    direction,
)
from moks_graph.nodes.inverse.render import ANALYSIS_SIDE, area_reduce
from moks_graph.nodes.inverse.silhouette import _disk, open_by_disk


def test_disk_opening_by_distance_transform_is_the_structured_opening_bit_for_bit():
    rng = np.random.default_rng(7)
    for _ in range(60):
        h, w = rng.integers(12, 90, 2)
        field = ndimage.gaussian_filter(rng.random((h, w)), rng.uniform(1.0, 6.0))
        mask = field > np.median(field) + rng.uniform(-0.02, 0.02)
        mask[:, : rng.integers(0, 3)] = True  # parts touching the frame's edge
        r = int(rng.integers(1, 16))
        np.testing.assert_array_equal(open_by_disk(mask, r),
                                      ndimage.binary_opening(mask, _disk(r)))


def test_disk_opening_of_a_mask_thinner_than_the_disk_is_empty():
    mask = np.zeros((40, 40), bool)
    mask[10:14, 5:35] = True
    assert not open_by_disk(mask, 5).any()
    assert open_by_disk(mask, 1)[11:13, 8:32].all()  # a radius it holds keeps its middle


def test_area_reduce_leaves_a_fitting_still_alone():
    image = np.random.default_rng(0).random((90, 160, 3)).astype(np.float32)
    assert area_reduce(image, 160) is image


def test_area_reduce_averages_blocks_to_the_side():
    rng = np.random.default_rng(1)
    image = rng.random((301, 452, 3)).astype(np.float32)
    out = area_reduce(image, 200)
    k = math.ceil(452 / 200)
    assert out.shape == (301 // k, 452 // k, 3) and out.dtype == np.float32
    assert max(out.shape[:2]) <= 200
    np.testing.assert_allclose(out[4, 7], image[4 * k:5 * k, 7 * k:8 * k].mean(axis=(0, 1)),
                               rtol=1e-6)
    assert area_reduce(np.ones((5000, 20), np.float32)).shape == (1666, 6)  # k = 3
    assert ANALYSIS_SIDE >= 4 * 512  # the analysis grids (240 and 512 px) stay well inside


def test_angle_sigma_stops_at_half_a_turn():
    assert _angle_sigma(math.radians(10.0) ** 2) == pytest.approx(10.0)
    assert _angle_sigma(1e6) == SIGMA_MAX_DEG
    assert _angle_sigma(-1.0) == 0.0


def test_the_ratios_sigma_stops_at_its_whole_range():
    """A fill the pixels barely see has a ratio known to no better than its range."""
    rng = np.random.default_rng(2)
    n = rng.normal(size=(400, 3))
    n[:, 2] = np.abs(n[:, 2])
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    key = direction(40.0, 30.0)
    y = np.clip(n @ key, 0.0, None) + 0.3 * rng.random(400)  # noise, no fill to speak of
    coef = np.array([1.0, 0.02, 0.0])
    sigma = covariance_sigma(n, y, np.ones(400), key, 0.1, "none", coef, 40.0)
    assert pytest.approx(6.0) == SIGMA_MAX_STOPS
    assert sigma["key_fill_ratio_stops"] == SIGMA_MAX_STOPS
