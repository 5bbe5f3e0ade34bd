"""Synthetic Channels for the Blender host tests: every object kind, 24 fps, 2 sub-frames."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from moks_graph.channels import Channels
from moks_graph.timebase import time_array

#: Radius (m) and height (m) of the camera's circle, and its angular speed (deg/s).
CIRCLE_RADIUS = 4.0
CIRCLE_HEIGHT = 1.6
CIRCLE_SPEED = 45.0


def scenario_channels(start: int = 1, end: int = 48, fps: float = 24.0,
                      subframes: int = 2) -> Channels:
    """A camera circling the origin with a varying lens, one light per kind, fog and a null.

    The camera sits at ``R (cos θ, sin θ)`` at height ``h`` with ``θ = 45°/s · t``
    and yaws to face the centre (``rz = θ + 90``, ``rx = 80`` tilts the -Z view
    axis to near-horizontal); the lens zooms 24 -> 24 + 2·t mm.
    """
    time = time_array(start, end, fps, subframes)
    t = time.seconds
    theta = CIRCLE_SPEED * t
    ones = np.ones_like(t)
    v: dict[str, np.ndarray] = {
        "cam.tx": CIRCLE_RADIUS * np.cos(np.deg2rad(theta)),
        "cam.ty": CIRCLE_RADIUS * np.sin(np.deg2rad(theta)),
        "cam.tz": CIRCLE_HEIGHT * ones,
        "cam.rx": 80.0 * ones,
        "cam.ry": 2.0 * np.sin(3.0 * t),
        "cam.rz": theta + 90.0,
        "cam.focal_length": 24.0 + 2.0 * t,
        "cam.sensor_width": 36.0 * ones,
        "cam.sensor_height": 24.0 * ones,
        "cam.focus_distance": CIRCLE_RADIUS + 0.1 * np.sin(t),
        "cam.fstop": 2.8 + 0.5 * t,
        "cam.buffet": 0.25 * np.sin(7.0 * t),
        "pt.tx": 1.0 + 0.5 * t, "pt.ty": -2.0 * ones, "pt.tz": 3.0 * ones,
        "pt.intensity": 120.0 + 10.0 * np.sin(t),
        "pt.color_r": ones, "pt.color_g": 0.8 * ones, "pt.color_b": 0.6 + 0.1 * t,
        "pt.size": 0.3 * ones,
        "pt.flicker": 0.05 * np.sin(11.0 * t),
        "spot.tx": 2.0 * ones, "spot.ty": 2.0 * ones, "spot.tz": 4.0 * ones,
        "spot.rx": 30.0 + t, "spot.ry": -5.0 * ones, "spot.rz": 135.0 * ones,
        "spot.intensity": 900.0 + 50.0 * t,
        "spot.spot_angle": 35.0 + 5.0 * t, "spot.spot_blend": 0.15 * ones,
        "spot.color_temperature": 3200.0 + 100.0 * t, "spot.tint": 0.002 * ones,
        "area.tx": -3.0 * ones, "area.tz": 2.5 * ones, "area.rx": 70.0 * ones,
        "area.intensity": 450.0 * ones, "area.size": 1.2 + 0.1 * t,
        "area.exposure_ev": 0.5 * ones,
        "sun.rx": 40.0 * ones, "sun.rz": -30.0 + 2.0 * t,
        "sun.intensity": 50_000.0 + 1000.0 * t,
        "fog.fog_density": 0.02 + 0.01 * t, "fog.fog_scatter": 0.9 * ones,
        "fog.haze_r": 0.7 * ones, "fog.haze_g": 0.75 * ones, "fog.haze_b": 0.8 + 0.01 * t,
        "fog.wind_x": 1.5 * np.cos(t), "fog.wind_y": 0.5 * ones,
        "target.tx": 0.1 * t, "target.ty": 0.0 * t, "target.tz": ones,
    }
    kinds = {"cam": "camera", "pt": "light.point", "spot": "light.spot",
             "area": "light.area", "sun": "light.sun", "fog": "atmosphere", "target": "null"}
    return Channels(time, v, kinds)


@pytest.fixture(scope="session")
def scenario() -> Channels:
    """The default scenario: frames 1-48 at 24 fps, 2 sub-frames (95 samples)."""
    return scenario_channels()


@pytest.fixture(scope="session")
def make_scenario() -> Callable[..., Channels]:
    """:func:`scenario_channels` itself, for other frame ranges and rates."""
    return scenario_channels


@pytest.fixture(scope="session")
def circle() -> tuple[float, float, float]:
    """The camera circle: (radius m, height m, speed deg/s)."""
    return CIRCLE_RADIUS, CIRCLE_HEIGHT, CIRCLE_SPEED
