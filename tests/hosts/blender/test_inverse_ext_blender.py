"""The Blender forward model: scene layout from SceneScript angles, and real Cycles renders."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

from moks_graph.hosts.blender.forward import (
    SUBJECT_ALBEDO,
    BlenderRenderer,
    light_distance,
    render_spec,
)
from moks_graph.nodes.inverse.interfaces import ForwardModel
from moks_graph.nodes.scenescript.schema import SceneScript

SMALL = (128, 72)


def _script(az: float, el: float = 20.0, **fill_rim: object) -> SceneScript:
    s = SceneScript().with_slot("key", azimuth_deg=az, elevation_deg=el)
    return s.with_slot("fill_rim", **fill_rim) if fill_rim else s


def _light(spec, name):
    return next(light for light in spec.lights if light.name == name)


@pytest.mark.parametrize(("az", "el"), [(0.0, 0.0), (90.0, 0.0), (-90.0, 30.0), (180.0, 60.0),
                                        (45.0, 45.0)])
def test_key_placed_by_scenescript_angles(az: float, el: float) -> None:
    spec = render_spec(_script(az, el))
    key = np.array(_light(spec, "key").position) - np.array(spec.target)
    d = light_distance(SceneScript())
    a, e = math.radians(az), math.radians(el)
    # camera on -Y looking +Y: camera side = -Y, camera's right = +X, up = +Z
    expected = d * np.array([math.sin(a) * math.cos(e), -math.cos(a) * math.cos(e), math.sin(e)])
    np.testing.assert_allclose(key, expected, atol=1e-9)
    assert spec.camera_position[1] < spec.target[1]


def test_light_powers_follow_ratios_and_rim_modes() -> None:
    spec = render_spec(_script(30.0, key_fill_ratio=8.0, rim="both", rim_ev=1.0))
    key, fill = _light(spec, "key"), _light(spec, "fill")
    assert fill.power_w == pytest.approx(key.power_w / 8.0, rel=1e-12)
    rims = [light for light in spec.lights if light.name.startswith("rim")]
    assert len(rims) == 2
    assert all(r.power_w == pytest.approx(2.0 * key.power_w, rel=1e-12) for r in rims)
    xs = sorted(r.position[0] for r in rims)
    assert xs[0] < 0 < xs[1] and all(r.position[1] > 0 for r in rims)  # behind the subject
    assert len(render_spec(_script(30.0, rim="top")).lights) == 3
    assert len(render_spec(_script(30.0)).lights) == 2


def test_white_card_power_formula() -> None:
    """A white card facing the key renders to c: P = pi^2 d^2 max(c), colour c / max(c)."""
    spec = render_spec(_script(0.0, 0.0))
    key = _light(spec, "key")
    from moks_graph.nodes.lights.photometry import cct_to_rgb

    rgb = cct_to_rgb(5600.0)
    d = light_distance(SceneScript())
    assert key.power_w == pytest.approx(math.pi**2 * d**2 * rgb.max(), rel=1e-9)
    np.testing.assert_allclose(key.color, rgb / rgb.max(), rtol=1e-9)


def test_fog_follows_phi_and_screen_offset_is_a_shift() -> None:
    assert render_spec(SceneScript()).fog_density == 0.0
    thin = render_spec(SceneScript().with_slot("atmosphere", phi=0.3)).fog_density
    thick = render_spec(SceneScript().with_slot("atmosphere", phi=0.9)).fog_density
    assert 0.0 < thin < thick
    spec = render_spec(SceneScript().with_slot("shot", screen_x=0.2, screen_y=-0.1), (160, 90))
    assert spec.shift == pytest.approx((-0.2, 0.1 * 90 / 160))


def test_proxies() -> None:
    person = SceneScript()
    figure = render_spec(person).ellipsoids
    assert len(figure) == 3  # head, torso, legs of the built-in preview's person
    (centre, radii), = render_spec(person, proxy="sphere").ellipsoids
    assert centre == pytest.approx(render_spec(person).target) and radii[0] == radii[2]
    product = SceneScript().with_slot("subject", kind="product", height_m=0.3)
    (centre, radii), = render_spec(product).ellipsoids
    assert centre[2] == pytest.approx(0.15) and radii == pytest.approx((0.15, 0.15, 0.15))


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="size"):
        render_spec(SceneScript(), (0, 10))
    with pytest.raises(TypeError, match="script"):
        render_spec({"key": {}}, SMALL)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="samples"):
        BlenderRenderer(samples=0)
    with pytest.raises(ValueError, match="proxy"):
        BlenderRenderer(proxy="teapot")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="proxy"):
        render_spec(SceneScript(), SMALL, "teapot")  # type: ignore[arg-type]
    assert isinstance(BlenderRenderer(), ForwardModel)
    assert BlenderRenderer().name == "blender"


# ----------------------------------------------------------------------------- real renders

needs_bpy = pytest.mark.skipif(importlib.util.find_spec("bpy") is None, reason="needs bpy")


@pytest.fixture(scope="module")
def renderer() -> BlenderRenderer:
    return BlenderRenderer(samples=8, denoise=False)


def _halves(img: np.ndarray) -> tuple[float, float]:
    lum = img @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
    w = img.shape[1]
    return float(lum[:, : w // 2].mean()), float(lum[:, w // 2:].mean())


@needs_bpy
@pytest.mark.parametrize("az", [90.0, -90.0])
def test_brighter_side_follows_key_azimuth(renderer: BlenderRenderer, az: float) -> None:
    img = renderer.render(_script(az, 10.0, key_fill_ratio=8.0), SMALL)
    assert img.shape == (72, 128, 3) and img.dtype == np.float32
    assert np.isfinite(img).all() and img.min() >= 0.0
    left, right = _halves(img)
    brighter, darker = (right, left) if az > 0 else (left, right)
    assert brighter > 1.3 * darker


@needs_bpy
def test_renders_are_deterministic(renderer: BlenderRenderer) -> None:
    script = _script(-40.0, 35.0, rim="camera_right").with_slot("atmosphere", phi=0.5)
    a = renderer.render(script, SMALL)
    b = renderer.render(script, SMALL)
    assert np.array_equal(a, b)


@needs_bpy
def test_exposure_is_an_incident_meter_on_the_key() -> None:
    """Frontal hard key (fill at 1/64) seen from the key's side: the sphere's centre.

    Expected luminance ``(d / (d - r))^2 (a (1 - F0) + F0 / (4 alpha^2))``: the inverse
    square from the light to the sphere's front, Lambert diffuse of albedo ``a`` and the
    GGX peak ``F0 D / 4`` with ``D = 1 / (pi alpha^2)`` (light, view and normal aligned;
    the white card's irradiance is pi). It holds whatever the colour: at 3000 K
    ``cct_to_rgb`` has a red component well above 1, which a Blender light colour
    cannot hold, and the hue is the key's.
    """
    from moks_graph.nodes.inverse.render import ROUGHNESS
    from moks_graph.nodes.lights.photometry import cct_to_rgb

    renderer = BlenderRenderer(samples=16, denoise=False, proxy="sphere")
    script = _script(0.0, 0.0, key_fill_ratio=64.0).with_slot("key", softness=0.0)
    spec = render_spec(script, SMALL, "sphere")
    d, r = light_distance(script), spec.ellipsoids[0][1][0]
    assert spec.ellipsoids[0][0] == pytest.approx(spec.target)
    f0 = 0.04
    expected = (d / (d - r)) ** 2 * (SUBJECT_ALBEDO * (1 - f0) + f0 / (4 * ROUGHNESS**2))
    luma = np.array([0.2126, 0.7152, 0.0722])
    for cct in (6504.0, 3000.0):
        img = renderer.render_linear(script.with_slot("key", cct_K=cct), SMALL)
        rgb = img[35:37, 63:65].mean(axis=(0, 1))
        assert rgb @ luma == pytest.approx(expected, rel=0.08), cct
        hue = cct_to_rgb(cct)
        np.testing.assert_allclose(rgb / rgb[1], hue / hue[1], rtol=0.04)
    # Brighter key illuminance does not change the exposed image (the meter follows the key).
    base = renderer.render_linear(script, SMALL)
    brighter = renderer.render_linear(script.with_slot("key", illuminance_lux=5000.0), SMALL)
    np.testing.assert_allclose(brighter, base, rtol=1e-4, atol=1e-5)
