"""Photometry: inverse-square law, compensation, CCT/Duv colour."""

from __future__ import annotations

import numpy as np
import pytest

from moks_graph.nodes.lights.photometry import (
    CCT_RANGE_K,
    D65_XY,
    LUMA_709,
    RGB_TO_XYZ,
    cct_duv_to_uv,
    cct_to_rgb,
    compensated_intensity,
    illuminance_lux,
    intensity_for_illuminance,
    inverse_square_ev,
    planckian_normal,
    planckian_uv,
    uv_to_xy,
    xy_to_uv,
)
from moks_graph.nodes.lights.rig import light_channels, subject_illuminance


def test_inverse_square_and_cosine_law() -> None:
    assert illuminance_lux(1000.0, 2.0) == pytest.approx(250.0)
    assert illuminance_lux(1000.0, 2.0, 60.0) == pytest.approx(125.0)
    assert illuminance_lux(1000.0, 2.0, 120.0) == 0.0
    assert intensity_for_illuminance(250.0, 2.0) == pytest.approx(1000.0)
    with pytest.raises(ValueError, match="distance_m"):
        illuminance_lux(1000.0, 0.0)


def test_compensation_ev() -> None:
    assert inverse_square_ev(2.0, 1.0) == pytest.approx(2.0)  # twice as far: 4x, two stops
    assert inverse_square_ev(0.5, 1.0) == pytest.approx(-2.0)
    i, ev = compensated_intensity(100.0, 3.0, 1.5)
    assert i == pytest.approx(400.0) and ev == pytest.approx(2.0)
    i_off, ev_off = compensated_intensity(100.0, 3.0, 1.5, enabled=False)
    assert i_off == pytest.approx(100.0) and ev_off == 0.0


def test_subject_illuminance_constant_while_distance_animates() -> None:
    n = 97
    dist = 1.0 + 5.0 * (0.5 - 0.5 * np.cos(np.linspace(0, 3 * np.pi, n)))
    cams = np.stack([np.linspace(-3, 3, n), np.full(n, -6.0), np.full(n, 1.7)], axis=-1)
    target = np.array([0.2, 0.5, 1.5])
    ch = light_channels("spot", n, cams, target, 40.0, 25.0, dist, 800.0, 5600.0, 0.0)
    e = subject_illuminance(ch, target)
    e0 = 800.0 / dist[0] ** 2
    assert np.abs(e / e0 - 1.0).max() < 1e-3
    np.testing.assert_allclose(ch["exposure_ev"], np.log2((dist / dist[0]) ** 2), atol=1e-12)
    off = light_channels(
        "spot", n, cams, target, 40.0, 25.0, dist, 800.0, 5600.0, 0.0, compensate=False
    )
    np.testing.assert_allclose(subject_illuminance(off, target), 800.0 / dist**2, rtol=1e-9)


def test_rec709_matrix_matches_iec_61966() -> None:
    iec = np.array([
        [0.4124, 0.3576, 0.1805],
        [0.2126, 0.7152, 0.0722],
        [0.0193, 0.1192, 0.9505],
    ])
    np.testing.assert_allclose(RGB_TO_XYZ, iec, atol=1e-4)


def test_planck_locus_matches_illuminant_a() -> None:
    # CIE illuminant A: Planckian radiator at 2856 K, x = 0.44757, y = 0.40745 (the locus is
    # Planck's law with the CIE 1931 2-degree observer, no longer Krystek's approximation).
    np.testing.assert_allclose(uv_to_xy(planckian_uv(2856.0)), [0.44757, 0.40745], atol=5e-5)


def test_normal_is_unit_and_perpendicular_to_locus() -> None:
    t = np.array([1500.0, 3200.0, 5600.0, 10000.0])
    h = 0.01
    tangent = (planckian_uv(t + h) - planckian_uv(t - h)) / (2 * h)
    n = planckian_normal(t)
    np.testing.assert_allclose(np.linalg.norm(n, axis=-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.einsum("ij,ij->i", n, tangent), 0.0, atol=1e-10)
    assert (n[:, 1] > 0).all()  # +Duv points to higher v (green)


def _d65_duv() -> float:
    uv65 = xy_to_uv(D65_XY)
    temps = np.linspace(6000.0, 7000.0, 100001)
    d = np.linalg.norm(planckian_uv(temps) - uv65, axis=-1)
    i = int(d.argmin())
    return float((uv65 - planckian_uv(temps[i])) @ planckian_normal(temps[i]))


def test_6504k_with_d65_tint_is_white() -> None:
    duv = _d65_duv()
    assert duv == pytest.approx(0.0032, abs=3e-4)  # D65 sits just above the locus
    rgb = cct_to_rgb(6504.0, duv)
    assert np.ptp(rgb) / rgb.mean() < 0.01
    np.testing.assert_allclose(uv_to_xy(cct_duv_to_uv(6504.0, duv)), D65_XY, atol=5e-4)
    # On the locus itself 6504 K is slightly magenta relative to D65.
    plain = cct_to_rgb(6504.0, 0.0)
    assert plain[1] < plain[0] and plain[1] < plain[2]


def test_warm_and_green() -> None:
    tungsten, daylight = cct_to_rgb([3200.0, 5600.0])
    assert tungsten[0] / tungsten[2] > daylight[0] / daylight[2]
    green = cct_to_rgb(5000.0, 0.01)
    magenta = cct_to_rgb(5000.0, -0.01)
    neutral = cct_to_rgb(5000.0, 0.0)
    ratio = lambda c: c[1] / (c[0] + c[2])  # noqa: E731
    assert ratio(green) > ratio(neutral) > ratio(magenta)


def test_luminance_normalised_and_non_negative() -> None:
    rgb = cct_to_rgb(np.array([1000.0, 1900.0, 2700.0, 6500.0, 15000.0, 18000.0, 20000.0]), 0.02)
    assert (rgb >= 0).all()
    np.testing.assert_allclose(rgb @ LUMA_709, 1.0, atol=1e-12)


def test_colour_inputs_checked() -> None:
    with pytest.raises(ValueError, match="cct_K"):
        cct_to_rgb(500.0)
    with pytest.raises(ValueError, match="tint"):
        cct_to_rgb(5600.0, 0.2)
    with pytest.raises(ValueError, match="cct_K"):
        cct_to_rgb(np.nan)


def test_one_cct_range_from_1000_to_20000_k() -> None:
    """Issue 13 defect 2: 18 000 K (allowed by SceneScript and the fitter) is a valid light
    colour; outside 1000-20 000 K the error names the field and the range."""
    assert CCT_RANGE_K == (1000.0, 20000.0)
    hot = cct_to_rgb([18000.0, 20000.0])
    assert np.isfinite(hot).all() and (hot[:, 2] > hot[:, 0]).all()  # bluish
    assert (hot[1, 2] / hot[1, 0]) > (hot[0, 2] / hot[0, 0])
    for bad in (20000.5, 999.0, 25000.0):
        with pytest.raises(ValueError, match=r"cct_K must be within 1000-20000 K"):
            cct_to_rgb(bad)
    n = 5
    cams = np.tile([0.0, -5.0, 1.7], (n, 1))
    ch = light_channels("spot", n, cams, np.array([0.0, 0.0, 1.5]), 30.0, 20.0, 3.0, 500.0,
                        18000.0, 0.0)
    np.testing.assert_allclose(ch["color_temperature"], 18000.0)
    np.testing.assert_allclose(ch["color_b"], hot[0, 2])
    with pytest.raises(ValueError, match="cct_K"):
        light_channels("spot", n, cams, np.array([0.0, 0.0, 1.5]), 30.0, 20.0, 3.0, 500.0,
                       21000.0, 0.0)


def _bounds(model: type, field: str) -> tuple[float, float]:
    info = model.model_fields[field]
    ge = next(m.ge for m in info.metadata if getattr(m, "ge", None) is not None)
    le = next(m.le for m in info.metadata if getattr(m, "le", None) is not None)
    return ge, le


def test_every_cct_parameter_has_the_one_range() -> None:
    from moks_graph.nodes.geometry.geometry_nodes import SurfaceLinkLight
    from moks_graph.nodes.lights.rig import KeyLightParams, PracticalLightParams
    from moks_graph.nodes.scenescript.schema import KeySlot

    for model in (KeySlot, SurfaceLinkLight.Params, KeyLightParams, PracticalLightParams):
        assert _bounds(model, "cct_K") == CCT_RANGE_K, model


def test_scenescript_at_18000_k_bakes() -> None:
    """Issue 13 defect 2: a SceneScript key the fitter may return (up to 20 000 K) compiles
    and evaluates instead of failing in photometry."""
    from moks_graph.evaluate import Evaluator
    from moks_graph.nodes.scenescript.compile import compile_scene
    from moks_graph.nodes.scenescript.schema import SceneScript

    script = SceneScript.model_validate({"key": {"cct_K": 18000.0}})
    graph = compile_scene(script, frames=(1, 4))
    assert graph.validate() == []
    ch = Evaluator().evaluate(graph, ["key.channels"])["key.channels"]
    np.testing.assert_allclose(ch["key.color_temperature"], 18000.0)
    np.testing.assert_allclose(ch["key.color_b"], cct_to_rgb(18000.0)[2])
