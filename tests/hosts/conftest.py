"""Synthetic Channels for the host tests: a circling camera, one light of each kind,
an atmosphere and a null, at 24 fps with 2 samples per frame."""

from __future__ import annotations

import numpy as np
import pytest

from moks_graph.channels import Channels
from moks_graph.timebase import time_array


def make_scene(start: int = 1, end: int = 24, fps: float = 24.0, subframes: int = 2) -> Channels:
    t = time_array(start, end, fps, subframes)
    s = t.seconds
    n = len(t)
    u = np.linspace(0.0, 1.0, n)
    pan = -30.0 + 300.0 * u  # passes +-90 and 180: Maya ry and Unreal yaw gimbal/wrap regions
    radius = 4.0
    values: dict[str, np.ndarray] = {
        # camera circling the origin at 1.6 m, looking inward and slightly down
        "cam.tx": radius * np.sin(np.radians(pan)),
        "cam.ty": -radius * np.cos(np.radians(pan)),
        "cam.tz": 1.6 + 0.1 * np.sin(2 * np.pi * s),
        "cam.rx": 80.0 + 3.0 * np.sin(3.0 * s),
        "cam.ry": 2.0 * np.sin(5.0 * s),
        "cam.rz": pan,
        "cam.focal_length": 35.0 + 15.0 * u,
        "cam.focus_distance": 4.0 + 0.5 * np.cos(s),
        "cam.fstop": 2.8 + 1.2 * u,
        "cam.sensor_width": np.full(n, 36.0),
        "cam.sensor_height": np.full(n, 24.0),
        "cam.buffet": 0.2 * np.sin(7.0 * s),
        # point light with a size and colour
        "bulb.tx": np.full(n, 1.0), "bulb.ty": 0.5 * u, "bulb.tz": np.full(n, 2.5),
        "bulb.rx": np.zeros(n), "bulb.ry": np.zeros(n), "bulb.rz": np.zeros(n),
        "bulb.intensity": 800.0 + 100.0 * np.sin(4.0 * s),
        "bulb.size": 0.2 + 0.05 * u,
        "bulb.color_r": np.full(n, 1.0), "bulb.color_g": 0.8 + 0.1 * u, "bulb.color_b": 0.6 + 0 * u,
        "bulb.flicker": 0.1 * np.sin(11.0 * s),
        # spot light aimed down-ish, animated cone
        "key.tx": np.full(n, -2.0), "key.ty": np.full(n, -2.0), "key.tz": np.full(n, 3.0),
        "key.rx": 40.0 + 5.0 * u, "key.ry": 10.0 * u, "key.rz": -45.0 + 20.0 * u,
        "key.intensity": 5000.0 * (1.0 + 0.2 * u),
        "key.spot_angle": 40.0 + 10.0 * u,
        "key.spot_blend": 0.15 + 0.1 * u,
        "key.color_temperature": 3200.0 + 300.0 * u,
        "key.exposure_ev": 0.5 * u,
        # area light without a size channel (default edge), with tint
        "soft.tx": np.full(n, 2.0), "soft.ty": np.full(n, -1.0), "soft.tz": np.full(n, 2.0),
        "soft.rx": np.full(n, 70.0), "soft.ry": np.zeros(n), "soft.rz": 60.0 + 5.0 * u,
        "soft.intensity": 300.0 + 50.0 * u,
        "soft.tint": 0.002 * u,
        # sun: illuminance in lux
        "sun.rx": np.full(n, 30.0), "sun.ry": np.full(n, 15.0), "sun.rz": 120.0 + 10.0 * u,
        "sun.tx": np.zeros(n), "sun.ty": np.zeros(n), "sun.tz": np.full(n, 10.0),
        "sun.intensity": 50000.0 + 1000.0 * u,
        # atmosphere
        "atmos.fog_density": 0.02 + 0.01 * u,
        "atmos.wind_x": 1.5 * np.sin(s),
        "atmos.wind_y": 0.5 * np.cos(s),
        # a null (look-at target) moving in a line
        "target.tx": 0.2 * u, "target.ty": np.zeros(n), "target.tz": 1.2 + 0 * u,
        "target.rx": np.zeros(n), "target.ry": np.zeros(n), "target.rz": np.zeros(n),
    }
    kinds = {
        "cam": "camera", "bulb": "light.point", "key": "light.spot", "soft": "light.area",
        "sun": "light.sun", "atmos": "atmosphere", "target": "null",
    }
    return Channels(t, values, kinds)


@pytest.fixture
def scene() -> Channels:
    return make_scene()


def assert_channels_close(got: Channels, want: Channels, *, rtol: float = 1e-6,
                          atol: float = 1e-9, angle_atol: float | None = None) -> None:
    """Same objects, kinds, channel names, frames, fps; values within tolerance."""
    assert dict(got.kinds) == dict(want.kinds)
    assert sorted(got) == sorted(want)
    np.testing.assert_allclose(got.time.frames, want.time.frames, rtol=0, atol=1e-9)
    assert got.time.fps == pytest.approx(want.time.fps, rel=1e-12)
    for name in want:
        attr = name.split(".")[1]
        tol = angle_atol if (angle_atol is not None and attr in ("rx", "ry", "rz")) else atol
        np.testing.assert_allclose(got[name], want[name], rtol=rtol, atol=tol, err_msg=name)


@pytest.fixture
def make_scene_fn():
    """The scene factory, for tests that need other frame ranges or rates."""
    return make_scene


@pytest.fixture
def channels_close():
    """The Channels comparison helper (conftest functions are not importable in importlib mode)."""
    return assert_channels_close
