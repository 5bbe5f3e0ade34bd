"""Drone: an orbit around the subject or a straight reveal, jerk-limited, buffeted by wind.

Entry points: :class:`Drone`, :class:`DroneParams`.

Details (moved from this docstring, issue 15): docs/classic-mode.md#nodescamerarig_dronepy
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from moks_graph.node import Param
from moks_graph.nodes.camera.noise import fbm
from moks_graph.nodes.camera.paths import LinePath, OrbitPath
from moks_graph.nodes.camera.rig_parts import (
    Disturbed,
    LimitedMoveParams,
    Move,
    MovingRig,
    TargetCheck,
    Vec3,
    channel_key,
)


class DroneParams(LimitedMoveParams):
    """A camera drone with a stabilised gimbal."""

    path: Literal["orbit", "reveal"] = Field(
        "orbit",
        description="Flight path: orbit around the subject, or a straight reveal (orbit|reveal)",
    )
    orbit_center: Vec3 | None = Param(
        None, description="Centre of the orbit; empty = the target", unit="m"
    )
    orbit_radius_start: float = Param(
        8.0, ge=0.5, le=2000.0, description="Orbit radius at the start", unit="m"
    )
    orbit_radius_end: float = Param(
        8.0, ge=0.5, le=2000.0, description="Orbit radius at the end", unit="m"
    )
    orbit_height_start: float = Param(
        4.0, ge=-500.0, le=2000.0, description="Height above the orbit centre at the start",
        unit="m"
    )
    orbit_height_end: float = Param(
        4.0, ge=-500.0, le=2000.0, description="Height above the orbit centre at the end", unit="m"
    )
    orbit_azimuth_start: float = Param(
        -90.0, ge=-720.0, le=720.0, description="Drone's bearing from the centre at the start",
        unit="deg"
    )
    orbit_sweep: float = Param(
        180.0, ge=-3600.0, le=3600.0,
        description="How far the drone goes round, counter-clockwise from above", unit="deg",
    )
    reveal_start: Vec3 = Param((0.0, -6.0, 1.5), description="Reveal flight start point", unit="m")
    reveal_end: Vec3 = Param((0.0, -20.0, 12.0), description="Reveal flight end point", unit="m")
    v_max: float = Param(6.0, gt=0.0, le=40.0, description="Top flight speed", unit="m/s")
    a_max: float = Param(3.0, gt=0.0, le=30.0, description="Top flight acceleration", unit="m/s^2")
    j_max: float = Param(6.0, gt=0.0, le=300.0, description="Top flight jerk", unit="m/s^3")
    gust_strength: float = Param(
        0.12, ge=0.0, le=10.0, description="Wind-gust position error, peak", unit="m"
    )
    gust_frequency_hz: float = Param(
        0.4, gt=0.0, le=20.0, description="Typical rate of the gusts", unit="Hz"
    )
    buffet: float = Param(0.03, ge=0.0, le=5.0, description="Gimbal buffet, peak", unit="deg")

    target_check = TargetCheck("orbit_center", mover="the drone", verb="fly", samples=1025)

    def move_path(self) -> OrbitPath | LinePath:
        """The flight: the orbit or the reveal line."""
        if self.path == "reveal":
            return LinePath(self.reveal_start, self.reveal_end)
        center = self.target if self.orbit_center is None else self.orbit_center
        return OrbitPath(
            center, self.orbit_radius_start, self.orbit_radius_end, self.orbit_azimuth_start,
            self.orbit_azimuth_start + self.orbit_sweep, self.orbit_height_start,
            self.orbit_height_end,
        )

    def target_field(self) -> str:
        return "reveal_end" if self.path == "reveal" else self.target_check.field


class Drone(MovingRig[DroneParams]):
    """``drone``: an orbit or reveal flight; wind gusts and gimbal buffet."""

    name = "drone"
    Params = DroneParams

    def disturb(self, move: Move, params: DroneParams, key: int) -> Disturbed:
        """Wind gusts on the position, gimbal buffet on the rotation."""
        t, positions = move.t, move.positions
        scale = params.noise_scale
        local = None
        if params.gust_strength * scale > 0.0:
            gust = params.gust_strength * scale
            axes = [
                share * gust * fbm(t, params.gust_frequency_hz, channel_key(key, self.name, name))
                for name, share in (("gust.x", 1.0), ("gust.y", 1.0), ("gust.z", 0.4))
            ]
            positions = positions + np.stack(axes, axis=-1)
        if params.buffet * scale > 0.0:
            buffet = params.buffet * scale
            f = 4.0 * params.gust_frequency_hz
            local = np.stack(
                [buffet * fbm(t, f, channel_key(key, self.name, f"buffet.{a}")) for a in "xyz"],
                axis=-1,
            )
        return Disturbed(positions, local_rotation_deg=local)
