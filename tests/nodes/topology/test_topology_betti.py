"""Betti signatures of masks (exact counts) and persistent Betti numbers of luminance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moks_graph.nodes.topology.betti import (
    betti_signature,
    classify_betti,
    clean_mask,
    lower_star_h0,
    persistent_betti,
)
from moks_graph.rng import generator

ROWS, COLS = np.indices((120, 160))


def _disc(r: float, c: float, radius: float) -> np.ndarray:
    return np.hypot(ROWS - r, COLS - c) < radius


def _ring(r: float, c: float, outer: float, inner: float) -> np.ndarray:
    d = np.hypot(ROWS - r, COLS - c)
    return (d < outer) & (d >= inner)


def test_exact_counts_on_synthetic_masks() -> None:
    assert betti_signature(np.zeros((10, 10), bool)) == (0, 0, "none")
    assert betti_signature(np.ones((10, 10), bool))[:2] == (1, 0)
    assert betti_signature(_disc(60, 80, 30))[:2] == (1, 0)
    assert betti_signature(_ring(60, 80, 30, 20))[:2] == (1, 1)
    scene = _ring(40, 40, 25, 15) | _ring(60, 110, 20, 12) | _disc(100, 20, 8)
    scene |= _disc(100, 60, 6) | _disc(40, 40, 5)  # a disc inside the first ring's hole
    assert betti_signature(scene)[:2] == (5, 2)


def test_grid_of_dots_is_machined_and_lace_is_organic() -> None:
    dots = (ROWS % 12 < 5) & (COLS % 16 < 5)
    assert betti_signature(dots) == (10 * 10, 0, "machined")
    lace = np.ones((120, 160), bool)
    lace[5:-5, 5:-5] &= ~((ROWS[5:-5, 5:-5] % 10 < 4) & (COLS[5:-5, 5:-5] % 10 < 4))
    sig = betti_signature(lace)
    assert sig.b0 == 1
    assert sig.b1 == len(range(5, 115)) // 10 * (len(range(5, 155)) // 10)  # one per cell
    assert sig.label == "organic"


def test_connectivities_are_matched() -> None:
    diamond = np.zeros((5, 5), bool)
    diamond[[1, 2, 2, 3], [2, 1, 3, 2]] = True
    # 8-connected foreground: one component; its centre is a 4-connected hole.
    assert betti_signature(diamond)[:2] == (1, 1)
    diagonal = np.eye(6, dtype=bool)
    assert betti_signature(diagonal)[:2] == (1, 0)


def test_numeric_masks_and_validation() -> None:
    assert betti_signature(_ring(60, 80, 30, 20).astype(np.uint8))[:2] == (1, 1)
    assert betti_signature(_ring(60, 80, 30, 20).astype(float))[:2] == (1, 1)
    with pytest.raises(ValueError, match="mask"):
        betti_signature(np.zeros((3, 3, 3)))
    with pytest.raises(ValueError, match="NaN"):
        betti_signature(np.full((4, 4), np.nan))
    with pytest.raises(TypeError, match="mask"):
        betti_signature(np.array([["a", "b"], ["c", "d"]]))


def test_classify_rules() -> None:
    assert classify_betti(0, 0) == "none"
    assert classify_betti(3, 1) == "machined"
    assert classify_betti(3, 2) == "mixed"
    assert classify_betti(1, 3) == "organic"
    assert classify_betti(1, 1) == "mixed"
    assert classify_betti(2, 5) == "mixed"
    with pytest.raises(ValueError, match="many"):
        classify_betti(1, 1, many=0)


def test_min_area_makes_signature_stable_under_speckle() -> None:
    truth = _ring(40, 40, 25, 15) | _ring(60, 110, 20, 12) | _disc(100, 20, 8)
    rng = generator(5, "test_betti", "speckle")
    flips = rng.random(truth.shape) < 0.003
    noisy = truth ^ flips
    assert betti_signature(noisy)[:2] != (3, 2)  # raw speckle changes the counts
    assert betti_signature(noisy, min_area=6)[:2] == (3, 2)
    np.testing.assert_array_equal(clean_mask(truth, 6), truth)


def _luminance_scene(noise_stops: float, stream: str) -> np.ndarray:
    lum = np.full((120, 160), 0.02)
    lum[_disc(30, 30, 12)] = 0.8
    lum[_disc(90, 40, 10)] = 0.4
    lum[_disc(30, 130, 9)] = 2.0
    lum[_ring(80, 110, 28, 16)] = 0.6
    noise = generator(9, "test_betti", stream).standard_normal(lum.shape)
    return lum * 2.0 ** (noise_stops * noise)


@pytest.mark.parametrize("stream", ["a", "b", "c"])
def test_persistent_betti_is_stable_under_noise(stream: str) -> None:
    clean = persistent_betti(_luminance_scene(0.0, "clean"), min_persistence=1.0)
    assert (clean.b0, clean.b1) == (4, 1)
    noisy = persistent_betti(_luminance_scene(0.1, stream), min_persistence=1.0)
    assert (noisy.b0, noisy.b1) == (4, 1)
    assert noisy.label == "machined"  # b0 = 4 >= 3 * b1


def test_persistence_values_are_the_contrasts() -> None:
    result = persistent_betti(_luminance_scene(0.0, "clean"), min_persistence=0.5)
    floor = np.log2(0.02 + 2.0**-14)
    persistence0 = np.sort(result.bars0[:, 0] - result.bars0[:, 1])[::-1]
    expected0 = np.log2(np.array([2.0, 0.8, 0.6, 0.4]) + 2.0**-14) - floor
    np.testing.assert_allclose(persistence0, expected0, atol=1e-9)
    np.testing.assert_allclose(result.bars1[:, 0] - result.bars1[:, 1],
                               [np.log2(0.6 + 2.0**-14) - floor], atol=1e-9)


def test_curves_match_thresholded_signatures() -> None:
    lum = _luminance_scene(0.05, "curves")
    result = persistent_betti(lum, n_thresholds=16)
    field = np.log2(lum + 2.0**-14)
    for t, b0, b1 in zip(result.thresholds, result.b0_curve, result.b1_curve, strict=True):
        assert betti_signature(field >= t)[:2] == (b0, b1)


def test_lower_star_h0_of_two_basins() -> None:
    field = np.array([[0.0, 5.0, 1.0], [0.0, 5.0, 1.0], [0.0, 5.0, 1.0]])
    bars = lower_star_h0(field, 4)
    finite = bars[np.isfinite(bars[:, 1])]
    np.testing.assert_allclose(finite, [[1.0, 5.0]])
    assert np.isinf(bars[:, 1]).sum() == 1


def test_persistent_betti_validation() -> None:
    with pytest.raises(ValueError, match="luminance"):
        persistent_betti(np.zeros(10))
    with pytest.raises(ValueError, match="non-negative"):
        persistent_betti(-np.ones((10, 10)))
    with pytest.raises(ValueError, match="NaN"):
        persistent_betti(np.full((10, 10), np.inf))
    flat = persistent_betti(np.full((10, 10), 0.3))
    assert (flat.b0, flat.b1, flat.label) == (0, 0, "none")


def test_no_phantom_hole_at_the_first_or_last_threshold() -> None:
    """Issue 19: the shift-and-back in ``lower_star_h0`` moved a bar end one rounding step."""
    g = np.ones((3, 3))
    g[1, 1] = 0.45
    result = persistent_betti(g, log=False, n_thresholds=2, min_persistence=0)
    assert result.b1_curve.tolist() == [0, 1]  # t = 0.45: a full square; t = 1: a ring
    assert result.b0_curve.tolist() == [1, 1]
    np.testing.assert_array_equal(result.bars1, [[1.0, 0.45]])  # exact field values


def _label_counts(mask: np.ndarray) -> tuple[int, int]:
    """``(b0, b1)`` by plain labelling: 8-connected components of the mask, and the
    4-connected components of its complement that do not touch the image border."""
    from scipy import ndimage

    _, b0 = ndimage.label(mask, structure=np.ones((3, 3), bool))
    _, nb = ndimage.label(np.pad(~mask, 1, constant_values=True))  # 4-connected
    return int(b0), int(nb - 1) if nb else 0


_FIELDS = st.tuples(st.integers(2, 9), st.integers(2, 9), st.integers(1, 6),
                    st.integers(0, 2**32 - 1), st.booleans())


@settings(max_examples=150, deadline=None, derandomize=True)
@given(_FIELDS)
def test_curves_equal_a_labelling_count_at_every_threshold(
        spec: tuple[int, int, int, int, bool]) -> None:
    """Property: the persistent curves are the Betti numbers of ``{field >= t}`` at every
    threshold, also with ties (few levels), values that do not survive a shift exactly, and
    thresholds that fall on field values (first and last always do)."""
    h, w, n_levels, seed, log = spec
    rng = np.random.default_rng(seed)
    lum = rng.integers(0, n_levels + 1, (h, w)) * 0.37 + rng.choice([0.0, 1e-3, 0.45], (h, w))
    result = persistent_betti(lum, log=log, n_thresholds=7, min_persistence=0)
    field = np.log2(lum + 2.0**-14) if log else lum
    levels = np.unique(field)
    thresholds = np.concatenate([result.thresholds, levels])
    curves = _counts_at(result, thresholds)
    for t, b0, b1 in zip(thresholds, *curves, strict=True):
        assert _label_counts(field >= t) == (b0, b1), (t, field)
    for t, b0, b1 in zip(result.thresholds, result.b0_curve, result.b1_curve, strict=True):
        assert _label_counts(field >= t) == (b0, b1), (t, field)


def _counts_at(result: object, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from moks_graph.nodes.topology.betti import _counts

    return (_counts(result.bars0, thresholds, essential=True),  # type: ignore[attr-defined]
            _counts(result.bars1, thresholds, essential=False))  # type: ignore[attr-defined]
