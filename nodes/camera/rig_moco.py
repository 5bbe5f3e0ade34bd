"""Motion control (moco): a programmed, exactly repeatable straight move or orbit.

``path = "line"`` (default): the lens travels from ``start_position`` to ``end_position`` on a
jerk-limited S-curve (:mod:`.limits`) while the aim point glides from ``target`` to
``target_end`` on the same curve. ``path = "orbit"``: the arm carries the lens round the target
(a product turntable seen from the product) from ``orbit_azimuth_start`` through
``orbit_sweep`` degrees at ``orbit_radius`` and ``orbit_height`` above the target
(:class:`.paths.OrbitPath`). Every pass is identical to the last bit for bit, whatever the
seed. Imperfection signature: none unless ``noise_amplitude > 0``, which adds seeded octave
gradient noise (servo hunt) to the position.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from pydantic import Field

from moks_graph.node import Param
from moks_graph.nodes.camera.motion import Path
from moks_graph.nodes.camera.paths import FixedPoint, LinePath, OrbitPath
from moks_graph.nodes.camera.rig_parts import (
    LimitedMoveParams,
    Rig,
    TargetCheck,
    Vec3,
    aim_points,
    camera_channels,
    path_azimuth_reference,
    position_noise,
    sample_move,
)
from moks_graph.timebase import TimeArray


class MocoParams(LimitedMoveParams):
    """A motion-control rig playing back a programmed move."""

    path: Literal["line", "orbit"] = Field(
        "line", description="Programmed path: a straight line or an orbit round the target "
                            "(line|orbit)")
    start_position: Vec3 = Param((-2.0, -6.0, 1.4), description="Lens position at the start",
                                 unit="m")
    end_position: Vec3 = Param((2.0, -6.0, 1.8), description="Lens position at the end", unit="m")
    target_end: Vec3 | None = Param(
        None, description="Aim point at the end of the move; empty = keep aiming at target",
        unit="m"
    )
    orbit_radius: float = Param(1.0, ge=0.05, le=50.0, description="Orbit radius (orbit)",
                                unit="m")
    orbit_height: float = Param(0.0, ge=-50.0, le=50.0,
                                description="Lens height above the target (orbit)", unit="m")
    orbit_azimuth_start: float = Param(
        -90.0, ge=-720.0, le=720.0, description="Lens bearing from the target at the start (orbit)",
        unit="deg")
    orbit_sweep: float = Param(
        360.0, ge=-3600.0, le=3600.0,
        description="How far the lens goes round, counter-clockwise from above (orbit)", unit="deg")
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

    target_check = TargetCheck("end_position", what="its aim point")

    def aim_end(self) -> Vec3:
        return self.target if self.target_end is None else self.target_end

    def aim_path(self) -> FixedPoint | LinePath:
        """The aim point over the move: the target (orbit), or gliding to ``target_end``."""
        if self.path == "orbit":
            return FixedPoint(self.target)
        return LinePath(self.target, self.aim_end())

    def move_path(self) -> LinePath | OrbitPath:
        """The lens's programmed path."""
        if self.path == "orbit":
            return OrbitPath(self.target, self.orbit_radius, self.orbit_radius,
                             self.orbit_azimuth_start,
                             self.orbit_azimuth_start + self.orbit_sweep, self.orbit_height,
                             self.orbit_height)
        return LinePath(self.start_position, self.end_position)

    def clearance(self) -> tuple[Path, Vec3]:
        """The lens seen from its aim point, which must clear the origin: on a line the aim
        glides with the lens on the same curve, so the lens moves on the straight line
        ``start - target`` to ``end - target_end``; an orbit keeps one distance from its
        centre, the target (a line of length 0 at that distance)."""
        if self.path == "orbit":
            at = (self.orbit_radius, 0.0, self.orbit_height)
            return LinePath(at, at), (0.0, 0.0, 0.0)
        r0 = np.subtract(self.start_position, self.target)
        r1 = np.subtract(self.end_position, self.aim_end())
        return LinePath(tuple(r0.tolist()), tuple(r1.tolist())), (0.0, 0.0, 0.0)


class Moco(Rig[MocoParams]):
    """``moco``: a programmed straight move or orbit, exactly repeatable."""

    name = "moco"
    Params = MocoParams

    def channels(self, time: TimeArray | ArrayLike, params: MocoParams, key: int,
                 target: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Channels of a motion-control move over the whole time array (see module docstring).

        ``target``: an ``(N, 3)`` moving subject to frame instead of the programmed aim glide
        (:func:`.rig_parts.aim_points`).
        """
        move = sample_move(time, params)
        t, path, motion, u, positions = move.t, move.path, move.motion, move.u, move.positions
        aim = params.aim_path()
        amplitude = params.noise_amplitude * params.noise_scale
        if amplitude > 0.0:
            positions = positions + position_noise(t, amplitude, params.noise_frequency_hz, key,
                                                   self.name)
        reference = path_azimuth_reference(path, aim, motion.u_range, u)
        targets = aim.points(u) if target is None else aim_points(params, t.shape[0], target)
        return camera_channels(params, positions, targets, reference)
