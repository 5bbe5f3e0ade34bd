"""Film stocks: characteristic curves, placement, grain."""

from __future__ import annotations

import numpy as np
import pydantic
import pytest

from moks_graph.nodes.looks.stocks import (
    DISPLAY_GREY,
    STOCK_NAMES,
    STOCKS,
    CurveParams,
    LookParams,
    apply_stock,
    characteristic_curve,
    curve_rise,
    curve_rise_inverse,
    film_grain,
    transfer,
)
from moks_graph.rng import stream_key

LONG = CurveParams(gamma=0.6, dmin=0.2, dmax=3.2, toe=0.2, shoulder=0.2, speed=-2.0)


def _slope(params: CurveParams, x: float) -> np.ndarray:
    h = 1e-5
    return (characteristic_curve(x + h, params) - characteristic_curve(x - h, params)) / (2 * h)


def test_curve_straight_line_toe_and_shoulder() -> None:
    # Mid-way along the straight line the slope is gamma (shoulder far away).
    assert _slope(LONG, -2.0 + 2.5) == pytest.approx(0.6, rel=2e-3)
    assert characteristic_curve(-40.0, LONG) == pytest.approx(0.2, abs=1e-9)
    assert characteristic_curve(40.0, LONG) == pytest.approx(3.2, abs=1e-9)
    x = np.linspace(-8, 8, 2001)
    d = characteristic_curve(x, LONG)
    assert (np.diff(d) > 0).all()


def test_reversal_falls_with_exposure() -> None:
    rev = CurveParams(gamma=1.7, dmin=0.1, dmax=3.5, toe=0.2, shoulder=0.2, reversal=True)
    x = np.linspace(-6, 6, 501)
    d = characteristic_curve(x, rev)
    assert (np.diff(d) <= 0).all()
    assert (np.diff(d[(x > -3) & (x < 3)]) < 0).all()
    assert d[0] == pytest.approx(3.5, abs=1e-6) and d[-1] == pytest.approx(0.1, abs=1e-6)


def test_inverse_round_trip() -> None:
    rise = np.linspace(0.01, 2.99, 50)
    np.testing.assert_allclose(curve_rise(curve_rise_inverse(rise, LONG), LONG), rise, atol=1e-9)
    with pytest.raises(ValueError, match="rise"):
        curve_rise_inverse(3.5, LONG)


@pytest.mark.parametrize("name", STOCK_NAMES)
def test_grey_renders_to_display_grey_neutral(name: str) -> None:
    img = np.full((3, 4, 3), 0.18, dtype=np.float32)
    out = apply_stock(img, name)
    assert out.dtype == np.float32 and out.shape == img.shape
    np.testing.assert_allclose(out, DISPLAY_GREY, atol=1e-6)


@pytest.mark.parametrize("name", STOCK_NAMES)
def test_ramp_is_monotone_and_display_referred(name: str) -> None:
    ramp = np.geomspace(1e-5, 1e3, 600, dtype=np.float32)
    img = np.stack([ramp, ramp, ramp], axis=-1)[None]
    out = apply_stock(img, name)[0]
    assert (out > 0).all() and (out <= 1.0).all()
    assert (np.diff(out, axis=0) >= 0).all()
    assert out[-1].min() > 0.99 and out[0].max() < 0.01


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [("vision3_500t", 0.55, 0.65), ("vision3_250d", 0.55, 0.67), ("tri_x", 0.6, 0.7),
     ("kodachrome", 1.5, 1.8)],
)
def test_camera_film_gamma_matches_published_range(name: str, low: float, high: float) -> None:
    stock = STOCKS[name]
    grey_x = np.log10(0.18)
    slope = np.abs(_slope(stock.camera, grey_x + (0.5 if stock.process == "negative" else 0.0)))
    assert np.all((slope > low) & (slope < high)), slope


def test_print_makes_a_positive_with_projection_contrast() -> None:
    # Display contrast at grey: d log10(out) / d log10(E) ~ 1.1-1.2 for negatives
    # (system gamma ~1.45 on the straight line, print toe near grey), ~1.6 for Kodachrome.
    for name, lo, hi in (("vision3_500t", 1.0, 1.5), ("kodachrome", 1.5, 1.8)):
        x = np.log2(0.18) + np.array([-0.01, 0.01])
        out = transfer(np.repeat(x[:, None], 3, axis=1), name)
        gamma = np.log10(out[1] / out[0]) / (0.02 * np.log10(2.0))
        assert np.all((gamma > lo) & (gamma < hi)), (name, gamma)


def test_black_and_white_uses_rec709_luminance() -> None:
    img = np.zeros((1, 3, 3), dtype=np.float32)
    img[0, 0] = [0.3, 0.0, 0.0]
    img[0, 1] = [0.0, 0.3, 0.0]
    img[0, 2] = [0.0, 0.0, 0.3]
    out = apply_stock(img, "tri_x")
    np.testing.assert_array_equal(out[..., 0], out[..., 1])
    np.testing.assert_array_equal(out[..., 0], out[..., 2])
    assert out[0, 1, 0] > out[0, 0, 0] > out[0, 2, 0]
    grey = apply_stock(np.full((1, 1, 3), 0.18 / 0.7152, np.float32) * [[[0, 1, 0]]], "tri_x")
    assert grey[0, 0, 0] == pytest.approx(DISPLAY_GREY, abs=1e-6)


def test_exposure_ev_equals_scaling_the_image() -> None:
    ramp = np.geomspace(1e-3, 10, 64, dtype=np.float64)
    img = np.stack([ramp, 0.5 * ramp, 0.25 * ramp], axis=-1)[None]
    np.testing.assert_allclose(
        apply_stock(img, "kodachrome", exposure_ev=1.0), apply_stock(2 * img, "kodachrome"),
        atol=1e-6,
    )


def test_grain_is_seeded_and_indexed() -> None:
    img = np.full((32, 48, 3), 0.18, dtype=np.float32)
    key = stream_key(1, "look", "grain")
    a = apply_stock(img, "vision3_500t", grain_key=key)
    b = apply_stock(img, "vision3_500t", grain_key=key)
    c = apply_stock(img, "vision3_500t", grain_key=key + 1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(
        apply_stock(img, "vision3_500t", grain_key=key, grain_strength=0.0),
        apply_stock(img, "vision3_500t"),
    )
    assert a.std() > 1e-3  # visible grain
    assert abs(float(a.mean()) - DISPLAY_GREY) < 0.01


def test_grain_follows_selwyn_sqrt_density() -> None:
    stock = STOCKS["vision3_250d"]
    dmin = np.asarray(stock.camera.dmin)
    key = stream_key(2, "look", "grain")
    sigmas = []
    for net in (0.25, 1.0):
        density = np.broadcast_to(dmin + net, (256, 256, 3)).copy()
        noisy = film_grain(density, stock, key, 2.0)
        sigmas.append((noisy - density).std(axis=(0, 1)))
    np.testing.assert_allclose(sigmas[1] / sigmas[0], 2.0, rtol=0.03)  # sqrt(1 / 0.25)
    np.testing.assert_allclose(sigmas[1], 2.0 * stock.granularity, rtol=0.03)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="image"):
        apply_stock(np.zeros((4, 4), np.float32), "tri_x")
    with pytest.raises(TypeError, match="image"):
        apply_stock(np.zeros((4, 4, 3), np.uint8), "tri_x")
    with pytest.raises(ValueError, match="image"):
        apply_stock(np.full((2, 2, 3), np.nan, np.float32), "tri_x")
    with pytest.raises(ValueError, match="unknown stock"):
        apply_stock(np.zeros((2, 2, 3), np.float32), "velvia")
    with pytest.raises(ValueError, match="grain_strength"):
        apply_stock(np.zeros((2, 2, 3), np.float32), "tri_x", grain_key=1, grain_strength=-1.0)


def test_look_params() -> None:
    p = LookParams(stock="kodachrome", exposure_ev=0.5)
    assert p.grain_strength == 1.0
    with pytest.raises(pydantic.ValidationError):
        LookParams(stock="velvia")
    with pytest.raises(pydantic.ValidationError):
        LookParams(exposure_ev=20.0)
    with pytest.raises(pydantic.ValidationError):
        LookParams(grain=1.0)
