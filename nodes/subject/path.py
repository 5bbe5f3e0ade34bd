"""A moving subject's track: keyframed positions or a walk line, as a pure function of time.

Entry points: :func:`subject_positions`, :func:`subject_channels`, :class:`SubjectPathParams`.

Details (moved from this docstring, issue 15): docs/moving-targets.md#nodessubjectpathpy
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from numpy.typing import ArrayLike
from pydantic import BaseModel, ConfigDict, Field, model_validator

from moks_graph.node import Param
from moks_graph.nodes.camera._checks import seconds_of
from moks_graph.nodes.camera.motion import PathMotion, plan_path_motion
from moks_graph.nodes.camera.paths import LinePath
from moks_graph.timebase import TimeArray

Vec3 = Annotated[
    tuple[float, float, float], Field(description="x, y, z", json_schema_extra={"unit": "m"})
]
#: One key: time [s], x, y, z [m].
Key = tuple[float, float, float, float]


class SubjectPathParams(BaseModel):
    """An animated subject: a walk line or keyframed positions of the point to frame."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    mode: Literal["walk", "keys"] = Field(
        "walk", description="How the subject moves: a walk line or keyframes (walk|keys)"
    )
    start: Vec3 = Param((0.0, 3.0, 1.6), description="Where the walk starts (walk)", unit="m")
    end: Vec3 = Param((0.0, 0.0, 1.6), description="Where the walk stops (walk)", unit="m")
    start_time: float = Param(
        0.5, ge=-86400.0, le=86400.0, description="When the subject sets off (walk)", unit="s"
    )
    walk_duration: float = Param(
        0.0, ge=0.0, le=86400.0,
        description="Length of the walk, 0 = at walking pace within the limits (walk)", unit="s",
    )
    speed: float = Param(1.2, gt=0.0, le=15.0, description="Top walking speed (walk)", unit="m/s")
    acceleration: float = Param(
        0.8, gt=0.0, le=20.0, description="Top acceleration, setting off and stopping", unit="m/s^2"
    )
    jerk: float = Param(2.0, gt=0.0, le=200.0, description="Top jerk (walk)", unit="m/s^3")
    keys: tuple[Key, ...] = Param(
        (), description="Keyframes: (time, x, y, z) per key, times increasing (keys)", unit="s, m"
    )
    interpolation: Literal["smooth", "linear"] = Field(
        "smooth", description="Between keys: smooth (C1 cubic) or linear (smooth|linear)"
    )
    mark_time: float | None = Param(
        None, ge=-86400.0, le=86400.0,
        description="When the subject stands on its mark; empty = where the path ends", unit="s",
    )

    def line(self) -> LinePath:
        return LinePath(self.start, self.end)

    def motion(self) -> PathMotion:
        return plan_path_motion(self.line(), self.start_time, self.speed, self.acceleration,
                                self.jerk, self.walk_duration)

    @model_validator(mode="after")
    def _check(self) -> SubjectPathParams:
        if self.mode == "keys":
            if not self.keys:
                raise ValueError("keys: give at least one key (time, x, y, z) in keys mode")
            times = np.array([k[0] for k in self.keys])
            if np.any(np.diff(times) <= 0.0):
                raise ValueError("keys: key times must increase strictly")
        else:
            self.motion()  # refuses a walk_duration shorter than the limits allow
        return self


def _hermite(t: np.ndarray, times: np.ndarray, points: np.ndarray,
             smooth: bool) -> np.ndarray:
    """``(N, 3)`` positions of the key curve at ``t`` (held outside the keys)."""
    n = times.shape[0]
    if n == 1:
        return np.tile(points[0], (t.shape[0], 1))
    i = np.clip(np.searchsorted(times, t, side="right") - 1, 0, n - 2)
    t0, t1 = times[i], times[i + 1]
    h = t1 - t0
    s = np.clip((t - t0) / h, 0.0, 1.0)[:, None]
    p0, p1 = points[i], points[i + 1]
    if not smooth:
        return p0 + s * (p1 - p0)
    tangents = np.zeros_like(points)
    tangents[1:-1] = (points[2:] - points[:-2]) / (times[2:] - times[:-2])[:, None]
    m0, m1 = tangents[i] * h[:, None], tangents[i + 1] * h[:, None]
    s2 = s * s
    s3 = s2 * s
    return ((2.0 * s3 - 3.0 * s2 + 1.0) * p0 + (s3 - 2.0 * s2 + s) * m0
            + (-2.0 * s3 + 3.0 * s2) * p1 + (s3 - s2) * m1)


def subject_positions(time: TimeArray | ArrayLike, params: SubjectPathParams) -> np.ndarray:
    """``(N, 3)`` subject positions [m] at the samples of ``time`` (a TimeArray or seconds)."""
    t = seconds_of(time)
    if params.mode == "walk":
        return params.line().points(params.motion().u(t))
    keys = np.asarray(params.keys, dtype=np.float64)
    return _hermite(t, keys[:, 0], keys[:, 1:], params.interpolation == "smooth")


def path_end_time(params: SubjectPathParams) -> float:
    """When the path ends: the walk's stop (start time + its planned duration) or the last key."""
    if params.mode == "keys":
        return float(params.keys[-1][0])
    motion = params.motion()
    return float(motion.start_time + motion.profile.duration)


def subject_mark(params: SubjectPathParams) -> np.ndarray:
    """The mark ``(3,)`` [m]: the subject's position at ``mark_time`` (default the path's end)."""
    when = path_end_time(params) if params.mark_time is None else params.mark_time
    return subject_positions(np.array([when]), params)[0]


def subject_channels(time: TimeArray | ArrayLike,
                     params: SubjectPathParams) -> dict[str, np.ndarray]:
    """The subject's transform over the whole time array: ``tx, ty, tz`` [m] of its track and
    ``rx, ry, rz = 0`` (a null that does not turn: what hosts key for a transform, and lights
    linked to it as children keep their world orientation)."""
    p = subject_positions(time, params)
    zero = np.zeros(p.shape[0])
    return {"tx": p[:, 0].copy(), "ty": p[:, 1].copy(), "tz": p[:, 2].copy(),
            "rx": zero, "ry": zero.copy(), "rz": zero.copy()}
