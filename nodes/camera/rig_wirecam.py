"""Wirecam (cable cam): a carriage on a sagging cable between two towers, camera hung below.

Entry points: :class:`Wirecam`, :class:`WirecamParams`.

Details (moved from this docstring, issue 15): docs/classic-mode.md#nodescamerarig_wirecampy
"""

from __future__ import annotations

import math

import numpy as np

from moks_graph.node import Param
from moks_graph.nodes.camera.noise import fbm
from moks_graph.nodes.camera.paths import EllipsePath, ShiftedPath
from moks_graph.nodes.camera.rig_parts import (
    Disturbed,
    LimitedMoveParams,
    Move,
    MovingRig,
    TargetCheck,
    Vec3,
    channel_key,
)

#: Standard gravity [m/s^2].
GRAVITY = 9.80665


class WirecamParams(LimitedMoveParams):
    """A single-span cable cam."""

    target: Vec3 = Param(
        (0.0, 12.0, 1.0), description="Point the camera frames and focuses on (x, y, z)", unit="m"
    )
    anchor_a: Vec3 = Param((-30.0, 0.0, 14.0), description="Cable anchor on tower A", unit="m")
    anchor_b: Vec3 = Param((30.0, 0.0, 14.0), description="Cable anchor on tower B", unit="m")
    sag: float = Param(
        3.0, gt=0.0, le=200.0, description="Carriage drop below the chord at mid-span", unit="m"
    )
    move_start: float = Param(
        10.0, ge=0.0, le=5000.0,
        description="Carriage start, distance from anchor A along the span", unit="m",
    )
    move_end: float = Param(
        50.0, ge=0.0, le=5000.0,
        description="Carriage end, distance from anchor A along the span", unit="m",
    )
    hang_length: float = Param(
        0.6, ge=0.05, le=10.0, description="Camera drop below the carriage (pendulum length)",
        unit="m"
    )
    sway_damping: float = Param(
        0.15, ge=0.02, le=2.0,
        description="Damping of the pendulum sway, small = long swinging", unit="ratio",
    )
    wind_sway: float = Param(
        0.02, ge=0.0, le=2.0, description="Seeded lateral wind sway of the camera, peak", unit="m"
    )
    wind_frequency_hz: float = Param(
        0.5, gt=0.0, le=20.0, description="Typical rate of the wind sway", unit="Hz"
    )
    v_max: float = Param(6.0, gt=0.0, le=50.0, description="Top camera speed", unit="m/s")
    a_max: float = Param(2.0, gt=0.0, le=50.0, description="Top camera acceleration", unit="m/s^2")
    j_max: float = Param(4.0, gt=0.0, le=500.0, description="Top camera jerk", unit="m/s^3")

    target_check = TargetCheck("target", mover="the camera")

    def move_path(self) -> EllipsePath:
        """The carriage on the cable."""
        return EllipsePath(self.anchor_a, self.anchor_b, self.sag, self.move_start, self.move_end)

    def spring(self) -> tuple[float, float]:
        """The hanging camera's pendulum."""
        return math.sqrt(GRAVITY / self.hang_length), self.sway_damping

    def lens_path(self) -> ShiftedPath:
        """The camera hanging ``hang_length`` below the carriage."""
        return ShiftedPath(self.move_path(), (0.0, 0.0, -self.hang_length))

    def chord_length(self) -> float:
        return math.dist(self.anchor_a, self.anchor_b)

    def check_rig(self) -> None:
        span = self.chord_length()
        if span < 1e-3:
            raise ValueError("anchor_b: zero-length span, the anchors coincide")
        chord = np.subtract(self.anchor_b, self.anchor_a)
        if math.hypot(chord[0], chord[1]) < 1e-3:
            raise ValueError("anchor_b: the anchors are straight above each other, no span")
        for name in ("move_start", "move_end"):
            where = getattr(self, name)
            if where > span:
                raise ValueError(
                    f"{name}: {where:g} m is beyond anchor B (the span is {span:g} m long)"
                )


class Wirecam(MovingRig[WirecamParams]):
    """``wirecam``: a camera hung from a carriage on a sagging cable; sway and wind."""

    name = "wirecam"
    Params = WirecamParams

    def disturb(self, move: Move, params: WirecamParams, key: int) -> Disturbed:
        """Wind sway across the cable and a quarter of it as lift."""
        t, positions = move.t, move.positions
        amplitude = params.wind_sway * params.noise_scale
        if amplitude > 0.0:
            chord = np.subtract(params.anchor_b, params.anchor_a)
            across = np.array([-chord[1], chord[0], 0.0]) / math.hypot(chord[0], chord[1])
            gust = amplitude * fbm(t, params.wind_frequency_hz, channel_key(key, self.name, "sway"))
            lift = 0.25 * amplitude * fbm(
                t, params.wind_frequency_hz, channel_key(key, self.name, "lift")
            )
            positions = positions + gust[:, None] * across + lift[:, None] * np.array([0, 0, 1.0])
        return Disturbed(positions)
