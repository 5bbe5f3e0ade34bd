"""Soft quantiles, logistic gates and block-mean downsampling."""

from __future__ import annotations

import numpy as np
import pytest

from moks_graph.nodes.imaging.analysis import block_factor, block_mean, downsample, log2_luminance
from moks_graph.nodes.imaging.soft import sigmoid, soft_quantile, soft_step
from moks_graph.rng import generator


def test_constant_sample_has_closed_form_quantiles() -> None:
    tau = 0.05
    q = np.array([0.05, 0.5, 0.95])
    got = soft_quantile(np.full(1000, 3.0), q, tau)
    np.testing.assert_allclose(got, 3.0 + tau * np.log(q / (1 - q)), atol=1e-9)


def test_spread_sample_matches_hard_quantile() -> None:
    x = generator(1, "test_soft", "uniform").uniform(-5.0, 5.0, 20000)
    q = np.array([0.01, 0.05, 0.5, 0.95, 0.99])
    np.testing.assert_allclose(soft_quantile(x, q, 0.01), np.quantile(x, q), atol=0.02)
    np.testing.assert_allclose(soft_quantile(x, q, 0.01), -5.0 + 10.0 * q, atol=0.1)


def test_soft_quantile_gradient_matches_implicit_function_theorem() -> None:
    x = generator(2, "test_soft", "normal").standard_normal(200)
    tau, q = 0.3, 0.8
    t = float(soft_quantile(x, q, tau))
    s = sigmoid((t - x) / tau)
    analytic = s * (1 - s) / np.sum(s * (1 - s))  # dt/dx_i
    eps = 1e-6
    for i in (0, 17, 123):
        bumped = x.copy()
        bumped[i] += eps
        numeric = (float(soft_quantile(bumped, q, tau)) - t) / eps
        assert numeric == pytest.approx(analytic[i], rel=1e-3, abs=1e-7)


def test_soft_quantile_validation() -> None:
    with pytest.raises(ValueError, match="q"):
        soft_quantile(np.ones(3), 1.0, 0.1)
    with pytest.raises(ValueError, match="tau"):
        soft_quantile(np.ones(3), 0.5, 0.0)
    with pytest.raises(ValueError, match="samples"):
        soft_quantile(np.array([]), 0.5, 0.1)
    with pytest.raises(ValueError, match="samples"):
        soft_quantile(np.array([np.nan]), 0.5, 0.1)


def test_logistic_gates() -> None:
    assert float(sigmoid(0.0)) == 0.5
    assert float(sigmoid(1000.0)) == 1.0 and float(sigmoid(-1000.0)) == 0.0
    assert float(soft_step(2.0, 1.0, 1.0)) == pytest.approx(1 / (1 + np.exp(-1.0)))
    with pytest.raises(ValueError, match="width"):
        soft_step(1.0, 0.0, 0.0)


def test_block_mean_and_factor() -> None:
    img = np.arange(10 * 13 * 3, dtype=np.float32).reshape(10, 13, 3)
    out = block_mean(img, 3)
    assert out.shape == (3, 4, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out, img[:9, :12].reshape(3, 3, 4, 3, 3).mean(axis=(1, 3)))
    assert block_factor((1080, 1920), 384) == 5
    assert block_factor((100, 50), 384) == 1
    assert block_factor((3000, 17), 384) == 2  # keeps the short side >= 8 pixels
    small, factor = downsample(np.ones((1000, 300)), 384)
    assert factor == 3 and small.shape == (333, 100)
    with pytest.raises(ValueError, match="max_side"):
        block_factor((10, 10), 0)


def test_log2_luminance_floor() -> None:
    got = log2_luminance(np.array([0.0, 1.0, -1.0]))
    np.testing.assert_allclose(got, [-14.0, np.log2(1 + 2**-14), -14.0])
