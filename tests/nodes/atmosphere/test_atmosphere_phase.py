"""Atmosphere phase: six coherent effects of one slider."""

from __future__ import annotations

import numpy as np
import pydantic
import pytest

from moks_graph.channels import ATTRIBUTES
from moks_graph.nodes.atmosphere.phase import AtmosphereParams, atmosphere_channels, smoothstep

T = np.arange(0.0, 120.0, 1.0 / 24.0)
PHIS = np.linspace(0.0, 1.0, 11)
KEYS = {"wind_x", "wind_y", "fog_density", "fog_scatter", "flicker", "haze_r", "haze_g",
        "haze_b", "turbulence", "buffet"}


def _run(phi: float | np.ndarray, **kw: object) -> dict[str, np.ndarray]:
    return atmosphere_channels(T, phi=phi, graph_seed=11, node_id="atmos", **kw)


def test_keys_are_standard_attributes() -> None:
    ch = _run(0.5)
    assert set(ch) == KEYS and set(ATTRIBUTES) >= KEYS
    assert all(v.shape == T.shape and np.isfinite(v).all() for v in ch.values())


def test_phi_zero_is_calm() -> None:
    ch = _run(0.0)
    for name in ("wind_x", "wind_y", "fog_density", "flicker", "turbulence", "buffet"):
        assert np.all(ch[name] == 0.0), name
    p = AtmosphereParams()
    np.testing.assert_allclose(
        np.stack([ch["haze_r"], ch["haze_g"], ch["haze_b"]], -1), [p.clear_haze_color] * len(T)
    )


def test_each_effect_monotone_in_phi() -> None:
    runs = [_run(float(phi)) for phi in PHIS]
    fog_colour = np.asarray(AtmosphereParams().fog_color)
    stats = {
        "wind": [np.hypot(r["wind_x"], r["wind_y"]).mean() for r in runs],
        "fog": [r["fog_density"].mean() for r in runs],
        "scatter": [r["fog_scatter"].mean() for r in runs],
        "flicker": [np.sqrt(np.mean(r["flicker"] ** 2)) for r in runs],
        "haze": [-np.linalg.norm(
            np.stack([r["haze_r"], r["haze_g"], r["haze_b"]], -1) - fog_colour, axis=-1
        ).mean() for r in runs],
        "turbulence": [r["turbulence"].mean() for r in runs],
        "buffet": [r["buffet"].mean() for r in runs],
    }
    for name, values in stats.items():
        assert np.all(np.diff(values) > 0), (name, values)
    # Pointwise too: at every instant a stronger phase is at least as strong.
    speed = np.array([np.hypot(r["wind_x"], r["wind_y"]) for r in runs])
    assert np.all(np.diff(speed, axis=0) >= 0)
    assert np.all(np.diff([r["buffet"] for r in runs], axis=0) >= 0)
    assert np.all(np.diff([r["turbulence"] for r in runs], axis=0) >= 0)
    assert np.all(np.diff([r["fog_density"] for r in runs], axis=0) >= 0)


def test_documented_curves_without_noise() -> None:
    p = AtmosphereParams(noise_strength=0.0, wind_direction_deg=90.0)
    for phi in (0.3, 0.8):
        ch = atmosphere_channels(T[:10], p, phi=phi)
        np.testing.assert_allclose(ch["wind_y"], p.wind_max_ms * phi**1.5)
        np.testing.assert_allclose(ch["wind_x"], 0.0, atol=1e-12)
        np.testing.assert_allclose(ch["fog_density"], p.fog_density_max * phi**2)
        np.testing.assert_allclose(ch["turbulence"], smoothstep(phi))
        np.testing.assert_allclose(ch["buffet"], p.buffet_max_deg * phi**3)
        np.testing.assert_allclose(ch["flicker"], 0.0)


def test_bounds_and_coherence() -> None:
    ch = _run(1.0)
    p = AtmosphereParams()
    assert (ch["turbulence"] <= 1.0).all() and (ch["turbulence"] >= 0.85).all()
    assert np.abs(ch["flicker"]).max() <= p.flicker_max_ev
    assert np.std(ch["flicker"]) > 0.05  # it does flicker
    # Buffeting follows the wind pressure (v^2) sample by sample.
    speed = np.hypot(ch["wind_x"], ch["wind_y"])
    np.testing.assert_allclose(ch["buffet"], p.buffet_max_deg * (speed / p.wind_max_ms) ** 2)
    assert np.corrcoef(speed, ch["turbulence"])[0, 1] > 0.9  # shared gusts


def test_animated_phi_is_pointwise() -> None:
    phi = 0.5 + 0.5 * np.sin(T / 7.0)
    animated = _run(phi)
    for i in (0, 500, 2000):
        single = atmosphere_channels(T[i:i + 1], phi=phi[i], graph_seed=11, node_id="atmos")
        for name in KEYS:
            assert animated[name][i] == pytest.approx(single[name][0], abs=1e-12), name


def test_chunks_match_whole_and_seed_matters() -> None:
    whole = _run(0.7)
    chunk = atmosphere_channels(T[1000:1100], phi=0.7, graph_seed=11, node_id="atmos")
    for name in KEYS:
        np.testing.assert_array_equal(chunk[name], whole[name][1000:1100])
    other = atmosphere_channels(T, phi=0.7, graph_seed=12, node_id="atmos")
    assert not np.allclose(other["flicker"], whole["flicker"])


def test_coupler_applied_with_camera_and_target() -> None:
    p = AtmosphereParams(phi=1.0, fog_density_max=2.0)
    free = atmosphere_channels(T[:50], p)
    coupled = atmosphere_channels(T[:50], p, camera_pos=[0, -20, 1], target_pos=[0, 0, 1])
    cap = p.coupler().max_density(20.0)
    assert (coupled["fog_density"] <= cap).all()
    assert (free["fog_density"] > cap).all()
    with pytest.raises(ValueError, match="together"):
        atmosphere_channels(T[:5], p, camera_pos=[0, 0, 0])


def test_params_validation() -> None:
    with pytest.raises(pydantic.ValidationError):
        AtmosphereParams(phi=1.5)
    with pytest.raises(pydantic.ValidationError):
        AtmosphereParams(fog_color=(0.5, -0.1, 0.5))
    with pytest.raises(pydantic.ValidationError):
        AtmosphereParams(unknown=1)
    with pytest.raises(ValueError, match="phi"):
        atmosphere_channels(T[:3], phi=[0.1, 0.2, 1.2])
