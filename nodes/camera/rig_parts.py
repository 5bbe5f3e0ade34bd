"""The parts every camera rig is built from: lens/aim parameters, move planning, channel assembly
and the target checks.

Entry points: :class:`Rig`, :class:`LensAimParams`, :class:`LimitedMoveParams`,
:class:`TargetCheck`, :func:`sample_move`, :func:`framed_channels`, :func:`channel_key`.

Details (moved from this docstring, issue 15): docs/classic-mode.md#nodescamerarig_partspy
"""

from __future__ import annotations

import functools
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar

import numpy as np
from numpy.typing import ArrayLike
from pydantic import BaseModel, ConfigDict, Field, model_validator

from moks_graph.node import Param
from moks_graph.nodes.camera._checks import key_of, seconds_of
from moks_graph.nodes.camera.lookat import column, look_at_euler
from moks_graph.nodes.camera.motion import Path, PathMotion, plan_path_motion
from moks_graph.nodes.camera.noise import fbm
from moks_graph.nodes.camera.paths import FixedPoint, LinePath
from moks_graph.rng import stream_key
from moks_graph.timebase import TimeArray

#: A point or offset in metres (world Z-up).
Vec3 = Annotated[
    tuple[float, float, float], Field(description="x, y, z", json_schema_extra={"unit": "m"})
]

#: Channel names every rig returns, in order.
CHANNELS: tuple[str, ...] = (
    "tx", "ty", "tz", "rx", "ry", "rz",
    "focal_length", "focus_distance", "fstop", "sensor_width", "sensor_height",
)

#: Grid of the path parameter on which the continuous subject azimuth is tabulated.
_GRID_POINTS = 4097


@dataclass(frozen=True)
class TargetCheck:
    """How a rig keeps its camera off its target, declared once per rig as
    ``target_check`` of its parameter model and checked by the models' one validator.

    ``field`` is named in the error. A camera that ``sits`` (a tripod) must not sit on the target
    (:func:`check_not_target` at the point ``field``); any other camera must clear it along
    its :meth:`LensAimParams.clearance` path (:func:`check_clears_target`, worded with
    ``mover``, ``verb`` and ``what``, sampled at ``samples`` points off a straight line).
    """

    field: str
    mover: str = "the lens"
    verb: str = "pass"
    what: str = "the target"
    samples: int = 257
    sits: bool = False


class LensAimParams(BaseModel):
    """Lens, framing and noise strength shared by every rig.

    ``target`` is what the camera frames and focuses on. It always has a value (default: a
    standing subject's eye line at the origin), so a rig can never lack a target.

    A rig's model declares its ``target_check`` and :meth:`lens_path`; :meth:`check_rig` (its
    own checks) and :meth:`check_limits` are the hooks of the one validator, ``_check_rig``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    #: How this rig's camera is kept off its target.
    target_check: ClassVar[TargetCheck]

    target: Vec3 = Param(
        (0.0, 0.0, 1.6), description="Point the camera frames and focuses on (x, y, z)", unit="m"
    )
    focal_length: float = Param(35.0, ge=4.0, le=1200.0, description="Lens focal length", unit="mm")
    fstop: float = Param(2.8, ge=0.7, le=64.0, description="Aperture", unit="f-number")
    sensor_width: float = Param(
        36.0, ge=1.0, le=100.0, description="Horizontal film back, 36 = full frame", unit="mm"
    )
    sensor_height: float = Param(24.0, ge=1.0, le=100.0, description="Vertical film back",
                                 unit="mm")
    fixed_focus_distance: float | None = Param(
        None, gt=0.0, le=10000.0,
        description="Fixed focus distance; leave empty to pull focus on the target", unit="m",
    )
    roll: float = Param(
        0.0, ge=-60.0, le=60.0, description="Dutch angle, counter-clockwise seen from behind",
        unit="deg"
    )
    screen_x: float = Param(
        0.0, ge=-0.5, le=0.5,
        description="Where the subject sits across the frame, -0.5 left edge .. 0.5 right",
        unit="frame",
    )
    screen_y: float = Param(
        0.0, ge=-0.5, le=0.5,
        description="Where the subject sits up the frame, -0.5 bottom .. 0.5 top", unit="frame",
    )
    noise_scale: float = Param(
        1.0, ge=0.0, le=10.0,
        description="Strength of every seeded imperfection of this rig, 0 = perfectly clean",
        unit="x",
    )

    def lens_path(self) -> Path:
        """Where the lens goes over the move, ``u`` in [0, 1]."""
        raise NotImplementedError(f"{type(self).__name__} declares no lens_path")

    def clearance(self) -> tuple[Path, Vec3]:
        """``(path, point)``: the lens path the target check keeps off ``point`` (default:
        :meth:`lens_path` and ``target``)."""
        return self.lens_path(), self.target

    def target_field(self) -> str:
        """The field a camera-on-target error names (default: ``target_check.field``)."""
        return self.target_check.field

    def check_rig(self) -> None:
        """The rig's own checks, before the target check (``ValueError`` naming a field)."""

    def check_target(self) -> None:
        """The target check the rig declares (:class:`TargetCheck`)."""
        check = self.target_check
        field = self.target_field()
        if check.sits:
            check_not_target(field, getattr(self, field), self.target)
            return
        path, point = self.clearance()
        check_clears_target(path, point, field, check.mover, check.samples, check.verb,
                            check.what)

    def check_limits(self) -> None:
        """That the move fits its limits (none for a camera that does not move)."""

    @model_validator(mode="after")
    def _check_rig(self) -> Self:
        """The one validator of every rig: its own checks, its target, its limits."""
        self.check_rig()
        self.check_target()
        self.check_limits()
        return self


class LimitedMoveParams(LensAimParams):
    """A programmed move with mechanical limits on the camera's own motion.

    A rig's model declares :meth:`move_path` (the path its move is planned on) and, for a rig
    that flexes or swings, :meth:`spring`; the lens rides the move path unless
    :meth:`lens_path` says otherwise.
    """

    start_time: float = Param(
        1.0, ge=-86400.0, le=86400.0, description="When the move starts", unit="s"
    )
    move_duration: float = Param(
        0.0, ge=0.0, le=86400.0,
        description="Length of the move, 0 = as fast as the limits allow", unit="s",
    )
    v_max: float = Param(1.0, gt=0.0, le=100.0, description="Top camera speed", unit="m/s")
    a_max: float = Param(1.0, gt=0.0, le=100.0, description="Top camera acceleration", unit="m/s^2")
    j_max: float = Param(3.0, gt=0.0, le=1000.0, description="Top camera jerk", unit="m/s^3")

    def move_path(self) -> Path:
        """The path the move is planned on, ``u`` in [0, 1]."""
        raise NotImplementedError(f"{type(self).__name__} declares no move_path")

    def spring(self) -> tuple[float, float] | None:
        """``(omega_n, zeta)`` of the flex or sway the move is planned through (default none)."""
        return None

    def lens_path(self) -> Path:
        return self.move_path()

    def motion(self) -> PathMotion:
        """``u(t)`` on :meth:`move_path` within the limits, through :meth:`spring`
        (:func:`.motion.plan_path_motion`, cached); ``ValueError`` naming ``move_duration``
        when it is shorter than the limits allow."""
        return plan_path_motion(
            self.move_path(), self.start_time, self.v_max, self.a_max, self.j_max,
            self.move_duration, self.spring(),
        )

    def check_limits(self) -> None:
        self.motion()


@dataclass(frozen=True)
class Move:
    """A rig's programmed move sampled on a time array: seconds ``t``, the lens ``path`` (the
    heading reference follows it), the planned ``motion``, its parameters ``u(t)`` and the lens
    ``positions`` on the path before any imperfection."""

    t: np.ndarray
    path: Path
    motion: PathMotion
    u: np.ndarray
    positions: np.ndarray


def sample_move(time: TimeArray | ArrayLike, params: LimitedMoveParams) -> Move:
    """The rig's move (:meth:`LimitedMoveParams.motion`) sampled at ``time``, the lens on its
    :meth:`~LimitedMoveParams.lens_path`."""
    t = seconds_of(time)
    motion = params.motion()
    u = motion.u(t)
    lens = params.lens_path()
    return Move(t, lens, motion, u, lens.points(u))


def framed_channels(
    params: LensAimParams,
    move: Move,
    positions: np.ndarray,
    target: np.ndarray | None = None,
    world_rotation: np.ndarray | None = None,
    local_rotation_deg: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """A moving rig's channels: the camera at ``positions`` aimed at the subject (``target``'s
    track, else ``params.target``: :func:`aim_points`), its heading continuous along
    ``move.path`` (:func:`path_azimuth_reference`)."""
    targets = aim_points(params, move.t.shape[0], target)
    reference = path_azimuth_reference(move.path, FixedPoint(params.target), move.motion.u_range,
                                       move.u)
    return camera_channels(params, positions, targets, reference,
                           world_rotation=world_rotation, local_rotation_deg=local_rotation_deg)


def channel_key(key: int, rig: str, channel: str) -> int:
    """Noise key of one channel of one rig: ``stream_key(key, "camera.<rig>", channel)``."""
    return stream_key(key_of(key), f"camera.{rig}", channel)


def position_noise(t: np.ndarray, amplitude: float, frequency_hz: float, key: int,
                   rig: str) -> np.ndarray:
    """``(N, 3)`` octave noise (:func:`.noise.fbm`) on x, y, z, ``amplitude`` metres at most,
    one stream per axis (channels ``tx``, ``ty``, ``tz`` of ``rig``)."""
    return np.stack([amplitude * fbm(t, frequency_hz, channel_key(key, rig, axis))
                     for axis in ("tx", "ty", "tz")], axis=-1)


@functools.lru_cache(maxsize=256)
def _azimuth_grid(camera: Path, target: Path, u_range: tuple[float, float]) -> tuple[
    np.ndarray, np.ndarray
]:
    grid = np.linspace(u_range[0], u_range[1], _GRID_POINTS)
    d = target.points(grid) - camera.points(grid)
    azimuth = np.degrees(np.unwrap(np.arctan2(column(d, 1), column(d, 0))))
    grid.setflags(write=False)
    azimuth.setflags(write=False)
    return grid, azimuth


def path_azimuth_reference(
    camera: Path, target: Path, u_range: tuple[float, float], u: np.ndarray
) -> np.ndarray:
    """Continuous subject azimuth (deg) at path parameters ``u``.

    The azimuth from ``camera.points(u)`` to ``target.points(u)`` (hashable path dataclasses) is
    tabulated on a fixed grid over ``u_range``, unwrapped along it and interpolated at ``u``
    (:func:`.lookat.azimuth_reference`); the table is cached, so a per-frame call costs no more
    than an interpolation.
    """
    grid, azimuth = _azimuth_grid(camera, target, u_range)
    return np.interp(np.clip(u, *u_range), grid, azimuth)


def camera_channels(
    params: LensAimParams,
    positions: np.ndarray,
    targets: np.ndarray,
    reference_azimuth_deg: np.ndarray | float,
    world_rotation: np.ndarray | None = None,
    local_rotation_deg: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Assemble the channel dict: aim at ``targets`` from ``positions`` (both (N, 3) m)."""
    n = positions.shape[0]
    euler = look_at_euler(
        positions,
        targets,
        params.roll,
        params.screen_x,
        params.screen_y,
        params.focal_length,
        params.sensor_width,
        params.sensor_height,
        reference_azimuth_deg=np.broadcast_to(reference_azimuth_deg, (n,)),
        world_rotation=world_rotation,
        local_rotation_deg=local_rotation_deg,
    )
    if params.fixed_focus_distance is None:
        d = targets - positions
        focus = np.sqrt(d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1] + d[:, 2] * d[:, 2])
    else:
        focus = np.full(n, params.fixed_focus_distance)
    return {
        "tx": positions[:, 0].copy(),
        "ty": positions[:, 1].copy(),
        "tz": positions[:, 2].copy(),
        "rx": euler[:, 0].copy(),
        "ry": euler[:, 1].copy(),
        "rz": euler[:, 2].copy(),
        "focal_length": np.full(n, params.focal_length),
        "focus_distance": focus,
        "fstop": np.full(n, params.fstop),
        "sensor_width": np.full(n, params.sensor_width),
        "sensor_height": np.full(n, params.sensor_height),
    }


def aim_points(params: LensAimParams, n: int, target: np.ndarray | None = None) -> np.ndarray:
    """``(n, 3)`` points the camera frames: a moving ``target`` track (``(n, 3)`` m, e.g. a
    :mod:`moks_graph.nodes.subject` walk) when given, else ``params.target`` at every sample.

    With a track the rig's own geometry (its path, an orbit centre, the continuous azimuth
    reference) still uses ``params.target``: the subject's mark. The heading is unwrapped to
    within 180 degrees of the mark's, so the subject must not go round the camera.
    """
    if target is None:
        return np.tile(np.asarray(params.target, dtype=np.float64), (n, 1))
    points = np.asarray(target, dtype=np.float64)
    if points.shape != (n, 3):
        raise ValueError(f"target track must be ({n}, 3) metres, got shape {points.shape}")
    if not np.isfinite(points).all():
        raise ValueError("target track contains NaN or infinite positions")
    return points


def static_azimuth(position: Vec3, target: Vec3) -> float:
    """Azimuth (deg) from a fixed camera position to a fixed target: a constant reference."""
    return math.degrees(math.atan2(target[1] - position[1], target[0] - position[0]))


#: How near (m) a rig's lens may come to its target: nearer, the aim direction is undefined.
TARGET_CLEARANCE = 1e-3


def nearest_approach(path: Path, point: Vec3 | np.ndarray, samples: int = 257) -> float:
    """Least distance (m) from ``point`` to ``path`` over ``u`` in [0, 1]: exact on a straight
    :class:`.paths.LinePath`, else the least over ``samples`` evenly spaced ``u``."""
    p = np.asarray(point, dtype=np.float64)
    if isinstance(path, LinePath):
        a, b = np.asarray(path.start, dtype=np.float64), np.asarray(path.end, dtype=np.float64)
        d = b - a
        u = 0.0 if float(d @ d) == 0.0 else float(np.clip((p - a) @ d / (d @ d), 0.0, 1.0))
        return float(np.linalg.norm(a + u * d - p))
    points = path.points(np.linspace(0.0, 1.0, samples))
    return float(np.min(np.linalg.norm(points - p, axis=1)))


@functools.lru_cache(maxsize=256)
def _nearest_cached(path: Path, point: tuple[float, ...], samples: int) -> float:
    """:func:`nearest_approach` of a frozen path: the same parameters validated again (the
    same file loaded again, a model re-validated on an edit) reuse it, like the move plans."""
    return nearest_approach(path, point, samples)


def check_clears_target(path: Path, target: Vec3, field: str, mover: str = "the lens",
                        samples: int = 257, verb: str = "pass", what: str = "the target") -> None:
    """``ValueError`` naming ``field`` when ``mover`` on ``path`` would pass through ``target``
    (within :data:`TARGET_CLEARANCE`): the one "passes through the target" check of the rigs."""
    if _nearest_cached(path, tuple(map(float, target)), samples) < TARGET_CLEARANCE:
        raise ValueError(f"{field}: {mover} would {verb} through {what}")


def check_not_target(name: str, position: tuple[float, float, float], target: Vec3) -> None:
    """``ValueError`` naming ``name`` if the camera would sit on its target."""
    if math.dist(position, target) < 1e-6:
        raise ValueError(f"{name}: the camera cannot sit on its target {tuple(target)}")


P = TypeVar("P", bound=LensAimParams)


class Rig(ABC, Generic[P]):
    """A camera rig: its ``name`` (node type ``moks.rig.<name>``), its ``Params`` model and its
    :meth:`channels`. Subclasses declare the two and implement the one method."""

    name: ClassVar[str]
    Params: type[P]

    @abstractmethod
    def channels(self, time: TimeArray | ArrayLike, params: P, key: int,
                 target: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """The rig's :data:`CHANNELS` over the whole time array, framing ``target`` (an
        ``(N, 3)`` moving subject, :func:`aim_points`) or else ``params.target``."""

    def params(self, params: BaseModel | Mapping[str, Any] | None = None) -> P:
        """The validated parameter model from a model, a mapping or ``None`` (the defaults)."""
        if params is None:
            return self.Params()
        if isinstance(params, self.Params):
            return params
        if isinstance(params, BaseModel):
            raise TypeError(f"params for rig {self.name!r} must be {self.Params.__name__}, "
                            f"got {type(params).__name__}")
        return self.Params.model_validate(dict(params))

    def one_frame(self, frame: float, fps: float,
                  params: BaseModel | Mapping[str, Any] | None, key: int) -> dict[str, float]:
        """One frame per Python call: :meth:`channels` on a 1-sample time array (the slow
        baseline of the vectorisation benchmark, bench/bake.py)."""
        model = self.params(params)
        if not fps > 0:
            raise ValueError(f"fps must be positive, got {fps}")
        time = TimeArray(frames=np.array([float(frame)]), fps=float(fps))
        values = self.channels(time, model, key)
        return {name: float(values[name][0]) for name in CHANNELS}

    def __repr__(self) -> str:
        return f"<rig {self.name}>"


M = TypeVar("M", bound=LimitedMoveParams)


@dataclass(frozen=True)
class Disturbed:
    """A moving rig's lens positions after its imperfections, and the rotations they add
    (:func:`framed_channels`)."""

    positions: np.ndarray
    world_rotation: np.ndarray | None = None
    local_rotation_deg: np.ndarray | None = None


class MovingRig(Rig[M]):
    """A rig on a planned move (:func:`sample_move`), framed on the subject
    (:func:`framed_channels`): a subclass writes only :meth:`disturb`, its imperfections."""

    def channels(self, time: TimeArray | ArrayLike, params: M, key: int,
                 target: np.ndarray | None = None) -> dict[str, np.ndarray]:
        move = sample_move(time, params)
        out = self.disturb(move, params, key)
        return framed_channels(params, move, out.positions, target,
                               world_rotation=out.world_rotation,
                               local_rotation_deg=out.local_rotation_deg)

    @abstractmethod
    def disturb(self, move: Move, params: M, key: int) -> Disturbed:
        """The lens on ``move`` with this rig's imperfections (noise keyed by ``key``)."""
