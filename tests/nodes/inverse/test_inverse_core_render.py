"""The built-in forward model: conventions, determinism and analytic derivatives."""

from __future__ import annotations

import numpy as np
import pytest

from moks_graph.nodes.inverse.interfaces import PREVIEW_SIZE, ForwardModel
from moks_graph.nodes.inverse.render import (
    BuiltinRenderer,
    film,
    film_slope,
    film_slope_exact,
    scene_geometry,
    smooth_cosine,
)
from moks_graph.nodes.looks.stocks import (
    STOCK_NAMES,
    apply_stock,
    camera_density,
    display_from_density,
    get_stock,
    log10_exposure,
)
from moks_graph.nodes.scenescript.schema import SceneScript

BASE = SceneScript().with_slot("shot", size="close_up").with_slot(
    "fill_rim", key_fill_ratio=16.0)


def _subject_halves(image: np.ndarray, script: SceneScript) -> tuple[float, float, float, float]:
    geo = scene_geometry(script, (image.shape[1], image.shape[0]))
    rows, cols = np.nonzero(geo.subject)
    head = rows < np.percentile(rows, 40)  # the head sphere is the top of the silhouette
    r, c = rows[head], cols[head]
    y = image[..., 1][r, c]
    cx, cy = np.median(c), np.median(r)
    return (float(y[c < cx].mean()), float(y[c > cx].mean()), float(y[r < cy].mean()),
            float(y[r > cy].mean()))


def test_protocol_size_and_determinism() -> None:
    renderer = BuiltinRenderer()
    assert isinstance(renderer, ForwardModel) and renderer.name == "builtin"
    a = renderer.render(BASE)
    b = BuiltinRenderer().render(BASE)
    assert a.shape == (PREVIEW_SIZE[1], PREVIEW_SIZE[0], 3) and a.dtype == np.float32
    assert np.array_equal(a, b)
    assert renderer.render(BASE, (160, 90)).shape == (90, 160, 3)
    with pytest.raises(ValueError, match="size"):
        renderer.render(BASE, (4, 4))
    with pytest.raises(TypeError, match="script"):
        renderer.render({"key": {}})  # type: ignore[arg-type]


def test_azimuth_and_elevation_conventions() -> None:
    renderer = BuiltinRenderer()
    right = BASE.with_slot("key", azimuth_deg=90.0, elevation_deg=0.0)
    left_mean, right_mean, _, _ = _subject_halves(renderer.render(right), right)
    assert right_mean > 2.0 * left_mean  # +90 = camera right = image right
    left = BASE.with_slot("key", azimuth_deg=-90.0, elevation_deg=0.0)
    lm, rm, _, _ = _subject_halves(renderer.render(left), left)
    assert lm > 2.0 * rm
    top = BASE.with_slot("key", azimuth_deg=0.0, elevation_deg=70.0)
    _, _, upper, lower = _subject_halves(renderer.render(top), top)
    assert upper > 1.5 * lower  # +90 elevation = overhead


def test_rim_light_brightens_its_side_of_the_silhouette() -> None:
    renderer = BuiltinRenderer()
    plain = BASE.with_slot("key", azimuth_deg=0.0, elevation_deg=20.0)
    rim = plain.with_slot("fill_rim", rim="camera_left", rim_ev=1.0)
    a, b = renderer.render(plain), renderer.render(rim)
    geo = scene_geometry(plain)
    cols = np.nonzero(geo.subject)[1]
    left_edge = geo.subject & (np.arange(geo.width)[None, :] < np.percentile(cols, 5))
    right_edge = geo.subject & (np.arange(geo.width)[None, :] > np.percentile(cols, 95))
    assert b[left_edge].mean() > 1.5 * a[left_edge].mean()
    assert b[right_edge].mean() == pytest.approx(a[right_edge].mean(), rel=0.02)


def test_grain_is_seeded() -> None:
    script = BASE.with_slot("look", grain=1.0)
    clean = BuiltinRenderer().render(script)
    g1 = BuiltinRenderer(grain=True, seed=3).render(script)
    g2 = BuiltinRenderer(grain=True, seed=3).render(script)
    g3 = BuiltinRenderer(grain=True, seed=4).render(script)
    assert np.array_equal(g1, g2) and not np.array_equal(g1, g3)
    assert not np.array_equal(g1, clean)
    assert np.abs(g1 - clean).mean() < 0.01


def test_smooth_cosine_is_c1_and_exact_outside_the_band() -> None:
    s = 0.2
    c = np.linspace(-1.0, 1.0, 2001)
    value, slope = smooth_cosine(c, s)
    assert np.allclose(value[c >= s], c[c >= s]) and np.all(value[c <= -s] == 0.0)
    h = 1e-6
    numeric = (smooth_cosine(c + h, s)[0] - smooth_cosine(c - h, s)[0]) / (2 * h)
    assert np.allclose(numeric, slope, atol=1e-5)
    assert smooth_cosine(np.array([0.0]), s)[0][0] == pytest.approx(s / 4)


def _film64(rgb: np.ndarray, stock: str) -> np.ndarray:
    """apply_stock's chain in float64 (apply_stock itself rounds to float32)."""
    s = get_stock(stock)
    return display_from_density(camera_density(log10_exposure(rgb, s), s), s)


@pytest.mark.parametrize("stock", STOCK_NAMES)
def test_film_slope_matches_finite_differences(stock: str) -> None:
    x = np.geomspace(1e-3, 20.0, 60)
    rgb = np.stack([x, 0.8 * x, 1.2 * x], axis=-1)[None]
    assert np.allclose(_film64(rgb, stock).astype(np.float32).repeat(
        3 // _film64(rgb, stock).shape[-1], axis=-1), apply_stock(rgb, stock))
    slope = film_slope_exact(rgb, stock)
    h = 1e-6 * rgb
    plus, minus = _film64(rgb + h, stock), _film64(rgb - h, stock)
    if slope.shape[-1] == 1:  # black and white: derivative along the luminance
        analytic = slope[..., 0] * (h @ np.array([0.2126, 0.7152, 0.0722]))
        numeric = (plus[..., 0] - minus[..., 0]) / 2.0
    else:
        analytic = slope * h
        numeric = (plus - minus) / 2.0
    assert np.abs(numeric).max() > 0
    assert np.allclose(analytic, numeric, rtol=1e-5, atol=1e-14)
    # the tabulated curve and slope the renderer uses stay within 2e-6 of the exact ones
    assert np.abs(film(rgb, stock) - apply_stock(rgb, stock)).max() < 2e-6
    lum = rgb if slope.shape[-1] == 3 else (rgb @ np.array([0.2126, 0.7152, 0.0722]))[..., None]
    assert np.abs((film_slope(rgb, stock) - slope) * lum).max() < 5e-6
