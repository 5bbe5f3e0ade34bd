"""Gradient noise and fbm: bounds, lattice values and slopes, determinism, chunking."""

from __future__ import annotations

import numpy as np
import pytest

from moks_graph.nodes.camera.noise import fbm, gradient_noise, sub_key
from moks_graph.rng import counter_uniform
from moks_graph.timebase import time_array


def _lattice_offset(key: int) -> float:
    return float(counter_uniform(sub_key(key, "offset"), 0))


@pytest.mark.parametrize("key", [0, 1, 2**63 + 5, 123456789])
def test_gradient_noise_bounded_by_one(key: int) -> None:
    t = np.linspace(-200.0, 200.0, 400_001)
    n = gradient_noise(t, 2.5, key)
    assert np.all(np.abs(n) <= 1.0)
    assert np.abs(n).max() > 0.5  # uses most of the range
    assert abs(float(n.mean())) < 0.05


def test_fbm_bounded_by_one() -> None:
    t = np.linspace(-100.0, 100.0, 200_001)
    for octaves in (1, 3, 6):
        assert np.all(np.abs(fbm(t, 0.7, 9, octaves=octaves, gain=0.8)) <= 1.0)


def test_zero_and_slope_at_lattice_points() -> None:
    """n(x) = 0 at integer x and dn/dx = 2 g_i there, g_i = 2 u(key, i) - 1 (analytic truth)."""
    key, freq = 77, 3.0
    x0 = _lattice_offset(key)
    lattice = np.arange(-20, 21)
    t = (lattice - x0) / freq
    assert np.allclose(gradient_noise(t, freq, key), 0.0, atol=1e-12)
    h = 1e-6
    slope = (gradient_noise(t + h, freq, key) - gradient_noise(t - h, freq, key)) / (2 * h)
    expected = 2.0 * (2.0 * counter_uniform(key, lattice) - 1.0) * freq
    assert np.allclose(slope, expected, rtol=1e-6, atol=1e-6)


def test_second_derivative_continuous_across_lattice() -> None:
    """Quintic fade: n'' is continuous at lattice points (C2), so sampled motion has no kinks."""
    key, freq = 5, 1.0
    x0 = _lattice_offset(key)
    t_lattice = (np.arange(-5, 6) - x0) / freq
    h, e = 1e-4, 2e-3

    def second(t: np.ndarray) -> np.ndarray:
        return (gradient_noise(t + h, freq, key) - 2 * gradient_noise(t, freq, key)
                + gradient_noise(t - h, freq, key)) / h**2

    left, right = second(t_lattice - e), second(t_lattice + e)
    scale = np.abs(second(np.linspace(-5, 5, 2001))).max()
    assert np.abs(left - right).max() < 0.1 * scale


def test_same_key_identical_other_key_differs() -> None:
    t = np.linspace(0, 10, 1001)
    a, b = gradient_noise(t, 1.3, 42), gradient_noise(t, 1.3, 42)
    assert np.array_equal(a, b)
    assert not np.allclose(a, gradient_noise(t, 1.3, 43))
    assert not np.allclose(fbm(t, 1.3, 42), fbm(t, 1.3, 43))


def test_chunk_and_frame_rate_independence() -> None:
    whole = time_array(0, 600, 24, 4)
    full = fbm(whole.seconds, 0.9, 11)
    for lo, hi in ((0, 1), (5, 400), (1333, 2401)):
        part = fbm(whole.seconds[lo:hi].copy(), 0.9, 11)
        assert np.array_equal(part, full[lo:hi])
    # shared times across 24, 30, 60 fps (every 1/6 s) agree
    ref = fbm(np.arange(0, 25 * 6 + 1) / 6.0, 0.9, 11)
    for fps in (24, 30, 60):
        ta = time_array(0, 25 * fps, fps, 1)
        step = fps // 6
        assert np.allclose(fbm(ta.seconds, 0.9, 11)[::step], ref, atol=1e-12, rtol=0)


def test_bad_arguments_name_the_argument() -> None:
    with pytest.raises(ValueError, match="frequency_hz"):
        gradient_noise([0.0], 0.0, 1)
    with pytest.raises(ValueError, match="t_seconds"):
        gradient_noise([0.0, np.nan], 1.0, 1)
    with pytest.raises(ValueError, match="octaves"):
        fbm([0.0], 1.0, 1, octaves=0)
    with pytest.raises(TypeError, match="key"):
        gradient_noise([0.0], 1.0, 1.5)  # type: ignore[arg-type]
