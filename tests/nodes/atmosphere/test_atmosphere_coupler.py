"""ProximityCoupler: Koschmieder airlight contrast and the fog cap."""

from __future__ import annotations

import numpy as np
import pytest

from moks_graph.nodes.atmosphere.coupler import (
    ProximityCoupler,
    apparent_contrast,
    min_transmittance,
    transmittance,
)


def test_airlight_contrast_formula() -> None:
    assert apparent_contrast(1.0, 0.5, 1.0) == pytest.approx(0.5)  # Koschmieder: C = C0 T
    assert apparent_contrast(2.0, 0.25, 1.0) == pytest.approx(0.5)
    assert apparent_contrast(1.0, 0.5, 0.0) == pytest.approx(1.0)  # no airlight
    assert apparent_contrast(1.0, 0.5, 3.0) == pytest.approx(0.5 / (0.5 + 1.5))
    assert transmittance(0.1, 10.0) == pytest.approx(np.exp(-1.0))
    # Meteorological visibility: contrast 2% at 3.912 / sigma.
    sigma = 0.3
    c = apparent_contrast(1.0, transmittance(sigma, 3.912 / sigma), 1.0)
    assert c == pytest.approx(0.02, rel=1e-3)


def test_min_transmittance_reaches_floor() -> None:
    t = min_transmittance(1.0, 0.2, 2.0)
    assert apparent_contrast(1.0, t, 2.0) == pytest.approx(0.2)


def test_contrast_never_below_floor() -> None:
    coupler = ProximityCoupler(floor=0.25, intrinsic_contrast=1.0, airlight_ratio=1.5, knee=0.8)
    sigma = np.geomspace(1e-4, 50.0, 400)[:, None]
    dist = np.array([0.5, 2.0, 10.0, 60.0])[None, :]
    capped = coupler.cap(sigma, dist)
    assert (coupler.contrast(capped, dist) >= 0.25 - 1e-12).all()
    assert (capped <= sigma).all()
    assert (np.diff(capped, axis=0) >= 0).all()  # still rises with the fog
    # Without the coupler heavy fog would drop far below the floor.
    assert coupler.contrast(sigma[-1], dist).max() < 0.01


def test_thin_fog_unchanged() -> None:
    coupler = ProximityCoupler(floor=0.2, knee=0.8)
    d = np.linspace(1.0, 40.0, 50)
    sigma = 0.8 * coupler.max_density(d) * np.linspace(0.0, 1.0, 50)
    np.testing.assert_array_equal(coupler.cap(sigma, d), sigma)
    cam = np.stack([np.zeros(50), -d, np.ones(50)], axis=-1)
    np.testing.assert_array_equal(coupler.couple(sigma, cam, [0.0, 0.0, 1.0]), sigma)


def test_soft_knee_is_smooth_and_hard_knee_hits_floor() -> None:
    soft = ProximityCoupler(floor=0.2, knee=0.5)
    d = 10.0
    s_max = float(soft.max_density(d))
    s0 = 0.5 * s_max
    h = 1e-7 * s_max
    slope = (soft.cap(s0 + h, d) - soft.cap(s0 - h, d)) / (2 * h)
    assert slope == pytest.approx(1.0, rel=1e-4)  # C1 at the knee
    hard = ProximityCoupler(floor=0.2, knee=1.0)
    assert hard.cap(10 * s_max, d) == pytest.approx(s_max)
    assert hard.contrast(hard.cap(10 * s_max, d), d) == pytest.approx(0.2)


def test_no_airlight_or_zero_distance_caps_nothing() -> None:
    assert ProximityCoupler(airlight_ratio=0.0).cap(5.0, 10.0) == 5.0
    assert ProximityCoupler().cap(5.0, 0.0) == 5.0


def test_bad_settings() -> None:
    with pytest.raises(ValueError, match="floor"):
        ProximityCoupler(floor=1.0, intrinsic_contrast=1.0)
    with pytest.raises(ValueError, match="knee"):
        ProximityCoupler(knee=0.0)
    with pytest.raises(ValueError, match="fog_density"):
        ProximityCoupler().cap(-1.0, 1.0)
    with pytest.raises(ValueError, match="distance_m"):
        ProximityCoupler().max_density(np.nan)
