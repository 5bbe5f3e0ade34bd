"""The Lotus point lands on the lit subject's highlight where plain argmax does not."""

from __future__ import annotations

import numpy as np
import pytest

from moks_graph.nodes.imaging.synthetic import lambertian_sphere, light_direction
from moks_graph.nodes.topology.lotus import lotus_point
from moks_graph.rng import generator

H, W = 240, 360
CENTRE = (150.0, 130.0)
RADIUS = 60.0


def _highlight(azimuth: float, elevation: float) -> tuple[float, float]:
    """Image position where the sphere normal equals the light direction."""
    lx, ly, _ = light_direction(azimuth, elevation)
    return CENTRE[0] + RADIUS * lx, CENTRE[1] - RADIUS * ly


def _cluttered_scene(azimuth: float, elevation: float, window_value: float) -> np.ndarray:
    lum = lambertian_sphere(H, W, CENTRE, RADIUS, [(azimuth, elevation, 1.0)])
    lum[:50, 290:] = window_value  # blown-out window touching the top-right border
    rng = generator(11, "test_lotus", f"specks{azimuth}")
    rows = rng.integers(3, H - 3, 25)
    cols = rng.integers(3, W - 3, 25)
    lum[rows, cols] = 6.0  # single-pixel specks brighter than everything
    return lum


@pytest.mark.parametrize(("azimuth", "elevation"), [(30.0, 20.0), (-40.0, 10.0), (0.0, 45.0)])
@pytest.mark.parametrize("window_value", [1.0, 20.0])
def test_lotus_finds_sphere_highlight_in_clutter(
    azimuth: float, elevation: float, window_value: float
) -> None:
    lum = _cluttered_scene(azimuth, elevation, window_value)
    hx, hy = _highlight(azimuth, elevation)
    arg_row, arg_col = np.unravel_index(np.argmax(lum), lum.shape)
    assert np.hypot(arg_col - hx, arg_row - hy) > 20.0  # plain argmax is fooled
    point = lotus_point(lum)
    assert point.contained
    assert np.hypot(point.x - hx, point.y - hy) < 4.0
    assert point.value == pytest.approx(0.05 + 0.7, rel=0.1)
    assert point.n_maxima > point.n_candidates >= 1


def test_interior_clipped_plateau_is_rejected() -> None:
    lum = lambertian_sphere(H, W, CENTRE, RADIUS, [(20.0, 20.0, 1.0)])
    rows, cols = np.indices(lum.shape)
    lum[np.hypot(rows - 120, cols - 290) < 45] = 1.0  # large blown disc, inside the frame
    hx, hy = _highlight(20.0, 20.0)
    point = lotus_point(lum)
    assert np.hypot(point.x - hx, point.y - hy) < 4.0
    explicit = lotus_point(lum, clip_level=0.99)
    assert np.hypot(explicit.x - hx, explicit.y - hy) < 4.0


def test_downsampled_coordinates_map_back_to_input_pixels() -> None:
    scale = 3
    lum = lambertian_sphere(
        H * scale, W * scale, (CENTRE[0] * scale, CENTRE[1] * scale), RADIUS * scale,
        [(30.0, 20.0, 1.0)],
    )
    hx, hy = _highlight(30.0, 20.0)
    point = lotus_point(lum, max_side=W)
    assert np.hypot(point.x - hx * scale, point.y - hy * scale) < 4.0 * scale


def test_no_contained_domain_falls_back_to_global_maximum() -> None:
    cols = np.broadcast_to(np.arange(W, dtype=float), (H, W))
    lum = 0.01 * 2.0 ** (cols / 40.0)  # brightening towards the right border
    point = lotus_point(lum)
    assert not point.contained
    assert point.x > W - 8


def test_lotus_validation() -> None:
    with pytest.raises(ValueError, match="luminance"):
        lotus_point(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="luminance"):
        lotus_point(np.zeros((10, 10, 3)))
    with pytest.raises(ValueError, match="NaN"):
        lotus_point(np.full((10, 10), np.nan))
    with pytest.raises(ValueError, match="drop_stops"):
        lotus_point(np.zeros((10, 10)), drop_stops=0.0)
