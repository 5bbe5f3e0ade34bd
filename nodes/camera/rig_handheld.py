"""Handheld: an operator holding the camera, standing or walking, with human shake.

Entry points: :class:`Handheld`, :class:`HandheldParams`.

Details (moved from this docstring, issue 15): docs/classic-mode.md#nodescamerarig_handheldpy
"""

from __future__ import annotations

import math

import numpy as np

from moks_graph.node import Param
from moks_graph.nodes.camera.jitter import breathing, handheld_rotation
from moks_graph.nodes.camera.noise import fbm
from moks_graph.nodes.camera.paths import LinePath
from moks_graph.nodes.camera.rig_parts import (
    Disturbed,
    LimitedMoveParams,
    Move,
    MovingRig,
    TargetCheck,
    Vec3,
    channel_key,
)


class HandheldParams(LimitedMoveParams):
    """An operator with the camera in hand (or on the shoulder)."""

    position: Vec3 = Param((0.0, -3.0, 1.55), description="Camera position, operator standing",
                           unit="m")
    walk_to: Vec3 | None = Param(
        None, description="Where the operator walks the camera to; empty = stands still", unit="m"
    )
    v_max: float = Param(1.2, gt=0.0, le=8.0, description="Walking speed", unit="m/s")
    a_max: float = Param(0.8, gt=0.0, le=10.0, description="Top walking acceleration", unit="m/s^2")
    j_max: float = Param(2.0, gt=0.0, le=100.0, description="Top walking jerk", unit="m/s^3")
    energy: float = Param(
        1.0, ge=0.0, le=3.0, description="Operator energy: 0 braced, 1 normal, 3 agitated", unit="x"
    )
    jitter: float = Param(
        0.25, ge=0.0, le=5.0, description="Hand-held angular jitter (pink velocity), RMS",
        unit="deg"
    )
    tremor: float = Param(0.02, ge=0.0, le=1.0, description="Physiological tremor, RMS", unit="deg")
    tremor_frequency_hz: float = Param(
        9.0, ge=6.0, le=12.0, description="Centre of the tremor band", unit="Hz"
    )
    breathing_rate_hz: float = Param(
        0.25, ge=0.1, le=1.0, description="Breathing rate (0.25 = 15 breaths a minute)", unit="Hz"
    )
    breathing_height: float = Param(
        0.003, ge=0.0, le=0.05, description="Camera rise on each inhale, peak", unit="m"
    )
    breathing_tilt: float = Param(
        0.05, ge=0.0, le=2.0, description="Camera tilt on each inhale, peak", unit="deg"
    )
    body_sway: float = Param(0.008, ge=0.0, le=0.3, description="Body sway, peak", unit="m")
    step_length: float = Param(0.7, ge=0.2, le=2.0, description="Walking step length", unit="m")
    step_bob: float = Param(
        0.012, ge=0.0, le=0.1, description="Up-and-down bob of each step, peak to peak", unit="m"
    )

    target_check = TargetCheck("walk_to", mover="the camera")

    def move_path(self) -> LinePath:
        """The operator's walk (standing: a line of length 0)."""
        return LinePath(self.position, self.position if self.walk_to is None else self.walk_to)


class Handheld(MovingRig[HandheldParams]):
    """``handheld``: an operator standing or walking; human shake."""

    name = "handheld"
    Params = HandheldParams

    def disturb(self, move: Move, params: HandheldParams, key: int) -> Disturbed:
        """Step bob and sway, breathing, body sway, jitter and tremor (module docstring)."""
        walk = params.move_path()
        t, u, positions = move.t, move.u, move.positions
        scale = params.noise_scale
        local = None
        if scale > 0.0:
            energy = params.energy
            step = np.subtract(walk.end, walk.start)
            distance = float(np.linalg.norm(step))
            s = u * distance
            stride = math.pi * s / params.step_length
            lift = scale * params.step_bob * 0.5 * (1.0 - np.cos(2.0 * stride))
            side = scale * params.step_bob * np.sin(stride)
            horizontal = math.hypot(step[0], step[1])
            across = (
                np.array([-step[1], step[0], 0.0]) / horizontal if horizontal > 0.0 else np.zeros(3)
            )
            breath = breathing(t, channel_key(key, self.name, "breathing"),
                               params.breathing_rate_hz)
            sway = [
                scale * energy * params.body_sway
                * fbm(t, 0.3, channel_key(key, self.name, f"sway.{a}"), octaves=3)
                for a in ("x", "y", "z")
            ]
            positions = (
                positions
                + np.stack(sway, axis=-1)
                + side[:, None] * across
                + (lift + scale * params.breathing_height * breath)[:, None] * np.array([0, 0, 1.0])
            )
            local = scale * handheld_rotation(
                t,
                channel_key(key, self.name, "shake"),
                jitter_rms_deg=params.jitter * energy,
                tremor_rms_deg=params.tremor * energy,
                tremor_hz=params.tremor_frequency_hz,
            )
            local[:, 0] += scale * params.breathing_tilt * breath
        return Disturbed(positions, local_rotation_deg=local)
