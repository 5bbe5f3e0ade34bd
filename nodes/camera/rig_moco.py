"""Motion control (moco): a programmed, exactly repeatable straight move.

The lens travels from ``start_position`` to ``end_position`` on a jerk-limited S-curve
(:mod:`.limits`) while the aim point glides from ``target`` to ``target_end`` on the same curve,
so every pass is identical to the last bit for bit, whatever the seed. Imperfection signature:
none unless ``noise_amplitude > 0``, which adds seeded octave gradient noise (servo hunt) to the
position.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from pydantic import model_validator

from moks_graph.node import Param
from moks_graph.nodes.camera._checks import seconds_of
from moks_graph.nodes.camera.noise import fbm
from moks_graph.nodes.camera.paths import LinePath
from moks_graph.nodes.camera.rig_common import (
    LimitedMoveParams,
    Vec3,
    aim_points,
    camera_channels,
    channel_key,
    path_azimuth_reference,
    plan_rig_move,
)
from moks_graph.timebase import TimeArray


class MocoParams(LimitedMoveParams):
    """A motion-control rig playing back a programmed move."""

    start_position: Vec3 = Param((-2.0, -6.0, 1.4), description="Lens position at the start",
                                 unit="m")
    end_position: Vec3 = Param((2.0, -6.0, 1.8), description="Lens position at the end", unit="m")
    target_end: Vec3 | None = Param(
        None, description="Aim point at the end of the move; empty = keep aiming at target",
        unit="m"
    )
    v_max: float = Param(1.0, gt=0.0, le=20.0, description="Top arm speed at the lens", unit="m/s")
    a_max: float = Param(1.0, gt=0.0, le=50.0, description="Top acceleration at the lens",
                         unit="m/s^2")
    j_max: float = Param(4.0, gt=0.0, le=500.0, description="Top jerk at the lens", unit="m/s^3")
    noise_amplitude: float = Param(
        0.0, ge=0.0, le=0.1, description="Servo hunting noise, peak; 0 = exactly repeatable",
        unit="m"
    )
    noise_frequency_hz: float = Param(
        2.0, gt=0.0, le=50.0, description="Typical rate of the servo noise", unit="Hz"
    )

    def aim_end(self) -> Vec3:
        return self.target if self.target_end is None else self.target_end

    @model_validator(mode="after")
    def _check(self) -> MocoParams:
        # closest approach of the lens to the (moving) aim point: |r0 + u (r1 - r0)|, u in [0, 1]
        r0 = np.subtract(self.start_position, self.target)
        r1 = np.subtract(self.end_position, self.aim_end())
        dr = r1 - r0
        u = 0.0 if float(dr @ dr) == 0.0 else float(np.clip(-(r0 @ dr) / (dr @ dr), 0.0, 1.0))
        if float(np.linalg.norm(r0 + u * dr)) < 1e-3:
            raise ValueError("end_position: the lens would pass through its aim point")
        plan_rig_move(LinePath(self.start_position, self.end_position), self)
        return self


def moco(time: TimeArray | ArrayLike, params: MocoParams, key: int,
         target: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Channels of a motion-control move over the whole time array (see module docstring).

    ``target``: an ``(N, 3)`` moving subject to frame instead of the programmed aim glide
    (:func:`.rig_common.aim_points`).
    """
    t = seconds_of(time)
    path = LinePath(params.start_position, params.end_position)
    aim = LinePath(params.target, params.aim_end())
    motion = plan_rig_move(path, params)
    u = motion.u(t)
    positions = path.points(u)
    amplitude = params.noise_amplitude * params.noise_scale
    if amplitude > 0.0:
        noise = [
            amplitude * fbm(t, params.noise_frequency_hz, channel_key(key, "moco", axis))
            for axis in ("tx", "ty", "tz")
        ]
        positions = positions + np.stack(noise, axis=-1)
    reference = path_azimuth_reference(path, aim, motion.u_range, u)
    targets = aim.points(u) if target is None else aim_points(params, t.shape[0], target)
    return camera_channels(params, positions, targets, reference)
