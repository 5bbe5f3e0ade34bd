"""Dolly on straight track: a jerk-limited push along the rails, head aimed at the target.

Entry points: :class:`Dolly`, :class:`DollyParams`, :func:`rail_height`.

Details (moved from this docstring, issue 15): docs/classic-mode.md#nodescamerarig_dollypy
"""

from __future__ import annotations

import math

import numpy as np

from moks_graph.node import Param
from moks_graph.nodes.camera.lookat import matmul3
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
from moks_graph.rng import counter_uniform

#: Half-width of the bump a wheel feels crossing a track joint [m].
JOINT_HALF_WIDTH = 0.04


class DollyParams(LimitedMoveParams):
    """A dolly pushed along straight track."""

    track_start: Vec3 = Param(
        (-3.0, -5.0, 0.0), description="Ground point where the track begins (x, y, z)", unit="m"
    )
    track_heading: float = Param(
        0.0, ge=-360.0, le=360.0, description="Direction the track runs, from +X toward +Y",
        unit="deg"
    )
    track_length: float = Param(6.0, gt=0.0, le=500.0, description="Length of track laid", unit="m")
    move_start: float = Param(
        0.5, ge=0.0, le=500.0, description="Dolly position on the track at the start", unit="m"
    )
    move_end: float = Param(
        5.5, ge=0.0, le=500.0, description="Dolly position on the track at the end", unit="m"
    )
    lens_height: float = Param(
        1.2, ge=0.1, le=6.0, description="Lens height above the rails", unit="m"
    )
    v_max: float = Param(0.6, gt=0.0, le=5.0, description="Top dolly speed along the track",
                         unit="m/s")
    a_max: float = Param(0.5, gt=0.0, le=10.0, description="Top dolly acceleration", unit="m/s^2")
    j_max: float = Param(1.5, gt=0.0, le=100.0, description="Top dolly jerk", unit="m/s^3")
    bump_height: float = Param(
        0.0008, ge=0.0, le=0.02, description="Rail unevenness, peak height of the bumps", unit="m"
    )
    bump_wavelength: float = Param(
        0.8, gt=0.05, le=20.0, description="Typical length of a rail bump", unit="m"
    )
    joint_spacing: float = Param(
        2.44, ge=0.3, le=20.0, description="Length of one track section (8 ft = 2.44)", unit="m"
    )
    joint_bump: float = Param(
        0.0005, ge=0.0, le=0.01, description="Height of the step at a track joint, peak", unit="m"
    )
    wheelbase: float = Param(0.6, gt=0.1, le=3.0, description="Front-to-rear wheel distance",
                             unit="m")
    track_gauge: float = Param(0.62, gt=0.1, le=3.0, description="Distance between rails", unit="m")

    def direction(self) -> np.ndarray:
        h = math.radians(self.track_heading)
        return np.array([math.cos(h), math.sin(h), 0.0])

    target_check = TargetCheck("target")

    def move_path(self) -> LinePath:
        """The lens over the push, ``lens_height`` above the track."""
        base = np.asarray(self.track_start) + np.array([0.0, 0.0, self.lens_height])
        d = self.direction()
        start = base + self.move_start * d
        end = base + self.move_end * d
        return LinePath(tuple(start.tolist()), tuple(end.tolist()))

    def check_rig(self) -> None:
        for name in ("move_start", "move_end"):
            where = getattr(self, name)
            if where > self.track_length:
                raise ValueError(
                    f"{name}: {where:g} m is beyond the end of the track "
                    f"(track_length = {self.track_length:g} m); lay more track or move less"
                )


def rail_height(s: np.ndarray, params: DollyParams, key: int, rail: str) -> np.ndarray:
    """Height (m) of one rail (``"left"``/``"right"``) at track positions ``s`` (m)."""
    scale = params.noise_scale
    out = np.zeros(s.shape)
    if params.bump_height * scale > 0.0:
        out = out + params.bump_height * scale * fbm(
            s, 1.0 / params.bump_wavelength, channel_key(key, "dolly", f"rail.{rail}"), octaves=3
        )
    if params.joint_bump * scale > 0.0:
        joint = np.rint(s / params.joint_spacing)
        x = (s - joint * params.joint_spacing) / JOINT_HALF_WIDTH
        q = 1.0 - x * x
        shape = np.where(np.abs(x) < 1.0, q * q * q, 0.0)
        sign = 2.0 * counter_uniform(channel_key(key, "dolly", f"joint.{rail}"),
                                     joint.astype(np.int64)) - 1.0
        out = out + params.joint_bump * scale * sign * shape
    return out


def _axis_rotation(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """``(N, 3, 3)`` rotations by ``angle`` (rad) about the fixed unit ``axis`` (Rodrigues)."""
    k = np.asarray(axis, dtype=np.float64)
    cross = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    c, s = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    return c * np.eye(3) + s * cross + (1.0 - c) * np.outer(k, k)


class Dolly(MovingRig[DollyParams]):
    """``dolly``: a push along straight track; rail bumps and joints of the track."""

    name = "dolly"
    Params = DollyParams

    def disturb(self, move: Move, params: DollyParams, key: int) -> Disturbed:
        """The chassis riding the rails' bumps: rise, pitch and roll; the lens swings with it."""
        s = params.move_start + move.u * (params.move_end - params.move_start)
        d = params.direction()
        half = params.wheelbase / 2.0
        front_l = rail_height(s + half, params, key, "left")
        front_r = rail_height(s + half, params, key, "right")
        rear_l = rail_height(s - half, params, key, "left")
        rear_r = rail_height(s - half, params, key, "right")
        rise = 0.25 * (front_l + front_r + rear_l + rear_r)
        pitch = np.arctan2(0.5 * ((front_l + front_r) - (rear_l + rear_r)), params.wheelbase)
        roll = np.arctan2(0.5 * ((front_l + rear_l) - (front_r + rear_r)), params.track_gauge)
        right = np.array([d[1], -d[0], 0.0])
        tilt = matmul3(_axis_rotation(d, roll), _axis_rotation(right, pitch))
        column = tilt[:, :, 2] * params.lens_height  # chassis-up axis times lens height
        chassis = np.asarray(params.track_start) + s[:, None] * d
        positions = chassis + np.stack([np.zeros_like(rise), np.zeros_like(rise), rise], axis=-1)
        positions = positions + column
        return Disturbed(positions, world_rotation=tilt)
