"""Technocrane: a telescoping camera crane swinging, booming and telescoping on one S-curve.

Entry points: :class:`Technocrane`, :class:`TechnocraneParams`.

Details (moved from this docstring, issue 15): docs/classic-mode.md#nodescamerarig_technocranepy
"""

from __future__ import annotations

import math

from moks_graph.node import Param
from moks_graph.nodes.camera.paths import ArmPath
from moks_graph.nodes.camera.rig_parts import (
    Disturbed,
    LimitedMoveParams,
    Move,
    MovingRig,
    TargetCheck,
    Vec3,
    position_noise,
)


class TechnocraneParams(LimitedMoveParams):
    """A telescoping crane move: swing, boom and telescope together."""

    pivot: Vec3 = Param((0.0, -7.0, 1.8), description="Arm pivot at the top of the column",
                        unit="m")
    arm_length_start: float = Param(
        6.0, ge=0.5, le=35.0, description="Pivot-to-lens arm length at the start", unit="m"
    )
    arm_length_end: float = Param(
        6.0, ge=0.5, le=35.0, description="Pivot-to-lens arm length at the end (telescope)",
        unit="m"
    )
    swing_start: float = Param(
        60.0, ge=-720.0, le=720.0, description="Arm swing (azimuth from +X) at the start",
        unit="deg"
    )
    swing_end: float = Param(
        120.0, ge=-720.0, le=720.0, description="Arm swing (azimuth from +X) at the end", unit="deg"
    )
    boom_start: float = Param(
        10.0, ge=-80.0, le=80.0, description="Arm boom (elevation above level) at the start",
        unit="deg"
    )
    boom_end: float = Param(
        10.0, ge=-80.0, le=80.0, description="Arm boom (elevation above level) at the end",
        unit="deg"
    )
    v_max: float = Param(1.5, gt=0.0, le=20.0, description="Top lens speed", unit="m/s")
    a_max: float = Param(1.0, gt=0.0, le=20.0, description="Top lens acceleration", unit="m/s^2")
    j_max: float = Param(3.0, gt=0.0, le=200.0, description="Top lens jerk", unit="m/s^3")
    flex_frequency_hz: float = Param(
        1.2, ge=0.1, le=20.0, description="Natural frequency of the arm bending", unit="Hz"
    )
    flex_damping: float = Param(
        0.08, ge=0.02, le=2.0,
        description="Damping of the arm bending, small = long ringing", unit="ratio",
    )
    vibration: float = Param(
        0.0005, ge=0.0, le=0.05, description="Seeded tip vibration, peak", unit="m"
    )
    vibration_frequency_hz: float = Param(
        4.0, gt=0.0, le=50.0, description="Typical rate of the tip vibration", unit="Hz"
    )

    target_check = TargetCheck("target")

    def move_path(self) -> ArmPath:
        """The lens at the arm's tip."""
        return ArmPath(
            self.pivot, self.arm_length_start, self.arm_length_end, self.swing_start,
            self.swing_end, self.boom_start, self.boom_end,
        )

    def spring(self) -> tuple[float, float]:
        """The arm's flex."""
        return 2.0 * math.pi * self.flex_frequency_hz, self.flex_damping

    def check_rig(self) -> None:
        lo, hi = self.motion().u_range
        for u, name in ((lo, "arm_length_start"), (hi, "arm_length_end")):
            if float(self.move_path().lengths(u)) <= 0.1:
                raise ValueError(f"{name}: the flexing arm would telescope to nothing")


class Technocrane(MovingRig[TechnocraneParams]):
    """``technocrane``: swing, boom and telescope on one S-curve; arm flex."""

    name = "technocrane"
    Params = TechnocraneParams

    def disturb(self, move: Move, params: TechnocraneParams, key: int) -> Disturbed:
        """Arm vibration: octave noise on the lens position."""
        amplitude = params.vibration * params.noise_scale
        if amplitude <= 0.0:
            return Disturbed(move.positions)
        return Disturbed(move.positions + position_noise(
            move.t, amplitude, params.vibration_frequency_hz, key, self.name))
