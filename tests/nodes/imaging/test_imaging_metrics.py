"""Every metric of extract_metrics on a synthetic image whose true value is known."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from moks_graph.nodes.imaging.colorimetry import rgb_from_cct_duv
from moks_graph.nodes.imaging.metrics import METRIC_GROUPS, METRICS, extract_metrics
from moks_graph.nodes.imaging.synthetic import grey_rgb, lambertian_sphere, light_direction
from moks_graph.rng import generator

H, W = 200, 300
ROWS, COLS = np.indices((H, W))
TAU = 0.01  # soft-quantile width of the extractor, stops


def _logit(q: float) -> float:
    return float(np.log(q / (1.0 - q)))


def _angle_between(azimuth: float, elevation: float, truth: tuple[float, float]) -> float:
    cosine = light_direction(azimuth, elevation) @ light_direction(*truth)
    return float(np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0))))


def test_schema_is_the_same_for_both_methods() -> None:
    assert len(METRIC_GROUPS) == 15
    grouped = [key for keys in METRIC_GROUPS.values() for key in keys]
    assert sorted(grouped) == sorted(METRICS) and len(grouped) == len(set(grouped)) == 18
    img = grey_rgb(lambertian_sphere(H, W, (150, 100), 60, [(30.0, 20.0, 1.0)]))
    for method in ("heuristic", "geometric"):
        result = extract_metrics(img, method=method)
        assert list(result) == list(METRICS)
        for name, value in result.items():
            assert METRICS[name].lo <= value <= METRICS[name].hi, name
    elongated = extract_metrics(generator(8, "test_metrics", "strip").random((2000, 9, 3)))
    assert all(METRICS[k].lo <= v <= METRICS[k].hi for k, v in elongated.items())
    with pytest.raises(ValueError, match="method"):
        extract_metrics(img, method="magic")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="image"):
        extract_metrics(np.zeros((4, 4, 3)))


def test_constant_grey_image() -> None:
    m = extract_metrics(np.full((64, 96, 3), 0.18, np.float32))
    ev = np.log2(np.float32(0.18) + 2.0**-14)
    assert m["log_luminance_mean"] == pytest.approx(ev, abs=1e-6)
    assert m["luminance_p05"] == pytest.approx(ev + TAU * _logit(0.05), abs=1e-6)
    assert m["luminance_p95"] == pytest.approx(ev + TAU * _logit(0.95), abs=1e-6)
    for key in ("dynamic_range", "rms_contrast", "low_key_index", "shadow_clip_fraction",
                "highlight_clip_fraction", "saturation", "specular_fraction",
                "specular_sharpness", "rim_light", "key_azimuth", "key_elevation"):
        assert m[key] == pytest.approx(0.0, abs=1e-6), key
    assert m["key_fill_ratio"] == 1.0
    assert m["cct"] == pytest.approx(6504.0, abs=15.0)  # the sRGB white is D65
    assert m["duv"] == pytest.approx(0.0032, abs=2e-4)
    assert m["haze"] == pytest.approx(1.0)  # the dark channel prior reads flat grey as veil


def test_two_tone_exposure_percentiles_and_contrast() -> None:
    lum = np.where(ROWS < H // 2, 1.0 / 16.0, 1.0)  # half at -4 EV, half at 0 EV
    m = extract_metrics(grey_rgb(lum))
    assert m["log_luminance_mean"] == pytest.approx(-2.0, abs=0.005)
    assert m["rms_contrast"] == pytest.approx(2.0, abs=0.005)
    assert m["luminance_p05"] == pytest.approx(-4.0 + TAU * _logit(0.1), abs=0.005)
    assert m["luminance_p95"] == pytest.approx(0.0 + TAU * _logit(0.9), abs=0.005)
    assert m["dynamic_range"] == pytest.approx(4.0, abs=0.05)
    assert m["low_key_index"] == pytest.approx(0.5, abs=0.005)


def test_low_key_index_is_the_dark_share() -> None:
    lum = np.where(int(0.8 * W) > COLS, 2.0**-6, 1.0)  # 80 % six stops down
    assert extract_metrics(grey_rgb(lum))["low_key_index"] == pytest.approx(0.8, abs=0.005)
    lum = np.where(int(0.8 * W) > COLS, 2.0**-2, 1.0)  # only two stops down: not low key
    assert extract_metrics(grey_rgb(lum))["low_key_index"] == pytest.approx(0.0, abs=0.005)


def test_clipping_fractions() -> None:
    rgb = np.full((H, W, 3), 0.18, np.float32)
    rgb[: int(0.3 * H)] = 1.0  # 30 % at display white
    rgb[int(0.8 * H) :] = 0.0  # 20 % black
    m = extract_metrics(rgb)
    assert m["highlight_clip_fraction"] == pytest.approx(0.3, abs=0.003)
    assert m["shadow_clip_fraction"] == pytest.approx(0.2, abs=0.003)
    rgb[: int(0.3 * H)] = (1.0, 0.3, 0.2)  # one channel clipped still clips
    assert extract_metrics(rgb)["highlight_clip_fraction"] == pytest.approx(0.3, abs=0.003)


@pytest.mark.parametrize(("cct", "duv"), [(3200.0, 0.005), (5600.0, -0.004), (9000.0, 0.0)])
def test_grey_world_white_balance(cct: float, duv: float) -> None:
    texture = 0.05 + 0.3 * generator(4, "test_metrics", "wb").random((H, W))
    rgb = (texture[:, :, None] * rgb_from_cct_duv(cct, duv)).astype(np.float32)
    rgb[:20, :30] = 5.0  # clipped white patch: excluded from the grey world
    m = extract_metrics(rgb)
    assert m["cct"] == pytest.approx(cct, rel=0.002)
    assert m["duv"] == pytest.approx(duv, abs=3e-4)


def test_saturation() -> None:
    rgb = np.broadcast_to(np.array([0.4, 0.2, 0.2], np.float32), (H, W, 3)).copy()
    assert extract_metrics(rgb)["saturation"] == pytest.approx(0.5, abs=1e-3)
    rgb[:, : W // 2] = 0.0  # black pixels carry no weight
    assert extract_metrics(rgb)["saturation"] == pytest.approx(0.5, abs=1e-3)


def _glints(
    radius: float, colour: tuple[float, float, float] = (4.0, 4.0, 4.0)
) -> tuple[np.ndarray, np.ndarray]:
    rng = generator(1, "test_metrics", "glints")
    centres = zip(rng.integers(20, H - 20, 8), rng.integers(20, W - 20, 8), strict=True)
    mask = np.zeros((H, W), bool)
    for r, c in centres:
        mask |= np.hypot(ROWS - r, COLS - c) <= radius
    rgb = np.full((H, W, 3), 0.18)
    rgb[mask] = colour
    return rgb, mask


def test_specular_fraction_and_sharpness() -> None:
    rgb, mask = _glints(4.5)
    for method in ("heuristic", "geometric"):
        m = extract_metrics(rgb.astype(np.float32), method=method)
        assert m["specular_fraction"] == pytest.approx(mask.mean(), rel=0.05)
        assert m["specular_sharpness"] >= 0.95
    sharpness = []
    for sigma in (1.0, 2.0):  # Gaussian edge of width sigma: sharpness about 0.8 / sigma
        log_lum = ndimage.gaussian_filter(np.log2(rgb[:, :, 0]), sigma)
        sharpness.append(extract_metrics(grey_rgb(2.0**log_lum))["specular_sharpness"])
    assert sharpness[0] == pytest.approx(0.8, abs=0.1)
    assert sharpness[1] == pytest.approx(0.45, abs=0.1)
    coloured, _ = _glints(4.5, (4.0, 0.3, 0.2))  # saturated: not a specular of a dielectric
    assert extract_metrics(coloured.astype(np.float32))["specular_fraction"] < 0.1 * mask.mean()
    sphere = lambertian_sphere(H, W, (150, 100), 70, [(30.0, 20.0, 1.0)])
    assert extract_metrics(grey_rgb(sphere))["specular_fraction"] < 0.005  # diffuse only


def test_geometric_specular_gate_rejects_looped_highlights() -> None:
    rgb = np.full((H, W, 3), 0.18, np.float32)
    d = np.hypot(ROWS - 100, COLS - 150)
    rgb[(d >= 3) & (d < 5)] = 4.0  # a thin bright ring: one component with a hole
    heuristic = extract_metrics(rgb, method="heuristic")["specular_fraction"]
    geometric = extract_metrics(rgb, method="geometric")["specular_fraction"]
    assert heuristic > 0.5 * np.mean((d >= 3) & (d < 5))
    assert geometric < 0.2 * heuristic


def test_haze_from_dark_channel_prior() -> None:
    rng = generator(6, "test_metrics", "haze")
    clear = 0.8 * rng.random((H, W, 3))
    clear[ROWS, COLS, rng.integers(0, 3, (H, W))] = 0.0  # haze-free: dark channel is 0
    assert extract_metrics(clear.astype(np.float32))["haze"] == pytest.approx(0.0, abs=1e-6)
    airlight, transmission = 0.9, 0.6
    hazy = clear * transmission + airlight * (1.0 - transmission)
    hazy[: H // 5] = airlight  # sky: the veil is total there
    expected = 0.2 * 1.0 + 0.8 * (1.0 - transmission)
    assert extract_metrics(hazy.astype(np.float32))["haze"] == pytest.approx(expected, abs=0.03)


def test_rim_light_strength() -> None:
    d = np.hypot(ROWS - 100, COLS - 150)
    lum = np.where(d < 60, 0.1, 0.002)
    assert extract_metrics(grey_rgb(lum))["rim_light"] == pytest.approx(0.0, abs=1e-6)
    lum[(d < 60) & (d >= 57)] = 0.8  # a 3-pixel rim 3 stops over the inside
    assert extract_metrics(grey_rgb(lum))["rim_light"] == pytest.approx(3.0, abs=0.15)
    front = lambertian_sphere(H, W, (150, 100), 70, [(0.0, 0.0, 1.0)])
    assert extract_metrics(grey_rgb(front))["rim_light"] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("ratio", [2.0, 4.0, 8.0])
def test_key_fill_ratio_of_opposed_lights(ratio: float) -> None:
    lum = lambertian_sphere(H, W, (150, 100), 70, [(90.0, 0.0, 1.0), (-90.0, 0.0, 1.0 / ratio)],
                            ambient=0.0, background=0.002)
    assert extract_metrics(grey_rgb(lum))["key_fill_ratio"] == pytest.approx(ratio, rel=0.05)


def test_key_fill_ratio_of_a_two_tone_subject() -> None:
    d = np.hypot(ROWS - 100, COLS - 150)
    lum = np.where(d < 60, np.where(COLS < 150, 0.8, 0.2), 0.005)
    assert extract_metrics(grey_rgb(lum))["key_fill_ratio"] == pytest.approx(4.0, rel=0.05)


LIGHTS = [(0.0, 0.0), (30.0, 20.0), (-45.0, 10.0), (60.0, 40.0), (-70.0, 30.0), (20.0, 60.0),
          (0.0, -30.0), (90.0, 0.0), (-120.0, 15.0), (140.0, 20.0)]


@pytest.mark.parametrize("light", LIGHTS)
@pytest.mark.parametrize("method", ["heuristic", "geometric"])
def test_key_direction_on_a_lambertian_sphere(light: tuple[float, float], method: str) -> None:
    lum = lambertian_sphere(H, W, (150, 100), 70, [(*light, 1.0)])
    m = extract_metrics(grey_rgb(lum), method=method)  # type: ignore[arg-type]
    assert _angle_between(m["key_azimuth"], m["key_elevation"], light) < 15.0


@pytest.mark.parametrize("method", ["heuristic", "geometric"])
def test_key_direction_with_fill_window_and_specks(method: str) -> None:
    lum = lambertian_sphere(H, W, (120, 110), 60, [(35.0, 25.0, 1.0), (-60.0, 0.0, 0.2)])
    lum[:40, 240:] = 1.0  # blown-out window at the border
    rng = generator(2, "test_metrics", "specks")
    lum[rng.integers(3, H - 3, 25), rng.integers(3, W - 3, 25)] = 6.0
    m = extract_metrics(grey_rgb(lum), method=method)  # type: ignore[arg-type]
    assert _angle_between(m["key_azimuth"], m["key_elevation"], (35.0, 25.0)) < 15.0


def test_metrics_are_measured_at_analysis_resolution() -> None:
    lum = lambertian_sphere(H, W, (150, 100), 70, [(30.0, 20.0, 1.0)])
    small = extract_metrics(grey_rgb(lum))
    big = extract_metrics(grey_rgb(np.repeat(np.repeat(lum, 4, axis=0), 4, axis=1)))
    for name in METRICS:
        assert big[name] == pytest.approx(small[name], rel=1e-5, abs=1e-6), name
