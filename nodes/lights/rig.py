"""Light channels and role parameter models (key, fill, rim, practical).

The details (moved from this docstring): docs/classic-mode.md, "Module notes",
`nodes/lights/rig.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from moks_graph.node import Param
from moks_graph.nodes.lights.emitters import (
    exposure_hold_ev,
    light_illuminance_per_cd,
    polygon_illuminance_per_luminance,
    rectangle_corners,
)
from moks_graph.nodes.lights.photometry import (
    CCT_RANGE_K,
    DUV_LIMIT,
    cct_to_rgb,
    compensated_intensity,
    illuminance_lux,
)
from moks_graph.nodes.lights.placement import aim_light, euler_xyz_to_matrix, place_light
from moks_graph.nodes.lights.series import ArrayLike, as_points, as_series, sample_count

LightKind = Literal["light.point", "light.spot", "light.area"]
_KINDS: tuple[str, ...] = ("light.point", "light.spot", "light.area")

#: Defaults for kind-specific attributes.
DEFAULT_SPOT_ANGLE_DEG: float = 40.0
DEFAULT_SPOT_BLEND: float = 0.15
DEFAULT_SIZE_M: float = 1.0


def normalise_kind(kind: str) -> str:
    """``"spot"`` or ``"light.spot"`` -> ``"light.spot"``; ValueError for other kinds."""
    if not isinstance(kind, str):
        raise TypeError(f"kind must be a string, got {type(kind).__name__}")
    full = kind if kind.startswith("light.") else f"light.{kind}"
    if full not in _KINDS:
        raise ValueError(
            f"kind must be one of {', '.join(_KINDS)} (or point/spot/area), got {kind!r}"
        )
    return full


def light_channels(
    kind: str,
    time_like: object,
    camera_pos: ArrayLike,
    target_pos: ArrayLike,
    azimuth_deg: ArrayLike,
    elevation_deg: ArrayLike,
    distance_m: ArrayLike,
    intensity_cd: ArrayLike,
    cct_K: ArrayLike,
    tint: ArrayLike,
    compensate: bool = True,
    reference_distance_m: float | None = None,
    flicker_ev: ArrayLike | None = None,
    spot_angle_deg: ArrayLike | None = None,
    size_m: ArrayLike | None = None,
    spot_blend: ArrayLike | None = None,
    reference_azimuth_deg: ArrayLike | None = None,
    reference_size_m: float | None = None,
    subject_pos: ArrayLike | None = None,
) -> dict[str, np.ndarray]:
    """Per-sample channels of one light, each a float64 ``(N,)`` array.

    ``time_like``: a :class:`~moks_graph.timebase.TimeArray`, a 1-D array of
    sample times or a sample count ``N``. Positions are ``(3,)`` or
    ``(N, 3)`` [m]; every other numeric argument is a scalar or ``(N,)``.
    ``reference_distance_m`` (d0) defaults to the first sample's distance and
    ``reference_size_m`` (s0, area lights) to the first sample's size: ``intensity_cd`` is
    the intensity with the light at d0 (and s0), and the exposure hold keeps the
    illuminance it gives there.
    ``spot_angle_deg``/``spot_blend`` apply to spots only, ``size_m`` to area
    lights only (defaults 40 deg, 0.15, 1 m). ``reference_azimuth_deg``: a
    continuous camera -> subject azimuth for chunk-independent rotation
    unwrapping (see :func:`~moks_graph.nodes.lights.placement.place_light`).
    ``subject_pos``: a moving subject ``(N, 3)`` [m]. The light stays where the angles
    put it around ``target_pos`` (the subject's mark: a light on a stand), turns to aim at
    the subject (:func:`~moks_graph.nodes.lights.placement.aim_light`), and the exposure
    hold follows the light-to-subject distance ``|light - subject|`` instead of
    ``distance_m`` (``intensity_cd`` stays the intensity at ``d0``).
    Keys returned: ``tx ty tz rx ry rz
    intensity exposure_ev color_temperature tint color_r color_g color_b``,
    plus ``flicker`` when ``flicker_ev`` is given, ``spot_angle spot_blend``
    (spot) or ``size`` (area).
    """
    full_kind = normalise_kind(kind)
    n = sample_count(time_like)
    cam = as_points(camera_pos, n, "camera_pos")
    tgt = as_points(target_pos, n, "target_pos")
    dist = as_series(distance_m, n, "distance_m", positive=True)
    az = as_series(azimuth_deg, n, "azimuth_deg")
    el = as_series(elevation_deg, n, "elevation_deg", low=-90.0, high=90.0)
    position, rotation = place_light(cam, tgt, az, el, dist, reference_azimuth_deg)
    hold = dist
    if subject_pos is not None:
        rotation, hold = aim_light(position, as_points(subject_pos, n, "subject_pos"),
                                   rotation[:, 2] + 90.0)
    base = as_series(intensity_cd, n, "intensity_cd", low=0.0)
    cct = as_series(cct_K, n, "cct_K", low=CCT_RANGE_K[0], high=CCT_RANGE_K[1])
    duv = as_series(tint, n, "tint", low=-DUV_LIMIT, high=DUV_LIMIT)
    d0 = dist[0] if reference_distance_m is None else float(
        as_series(reference_distance_m, 1, "reference_distance_m", positive=True)[0]
    )
    if full_kind == "light.area":
        size = as_series(DEFAULT_SIZE_M if size_m is None else size_m, n, "size_m",
                         positive=True)
        s0 = size[0] if reference_size_m is None else float(
            as_series(reference_size_m, 1, "reference_size_m", positive=True)[0])
        comp_ev = exposure_hold_ev(full_kind, hold, d0, size, s0)
        if not compensate:
            comp_ev = np.zeros_like(comp_ev)
        intensity = base * np.exp2(comp_ev)
    else:
        intensity, comp_ev = compensated_intensity(base, hold, d0, enabled=bool(compensate))
    out: dict[str, np.ndarray] = {
        "tx": position[:, 0],
        "ty": position[:, 1],
        "tz": position[:, 2],
        "rx": rotation[:, 0],
        "ry": rotation[:, 1],
        "rz": rotation[:, 2],
        "exposure_ev": comp_ev,
        "color_temperature": cct,
        "tint": duv,
    }
    if flicker_ev is not None:
        flicker = as_series(flicker_ev, n, "flicker_ev", low=-16.0, high=16.0)
        intensity = intensity * np.exp2(flicker)
        out["flicker"] = flicker
    out["intensity"] = intensity
    rgb = cct_to_rgb(cct, duv)
    out["color_r"], out["color_g"], out["color_b"] = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    _kind_attributes(full_kind, n, out, spot_angle_deg, spot_blend, size_m)
    return out


def _kind_attributes(
    kind: str,
    n: int,
    out: dict[str, np.ndarray],
    spot_angle_deg: ArrayLike | None,
    spot_blend: ArrayLike | None,
    size_m: ArrayLike | None,
) -> None:
    """Add ``spot_angle``/``spot_blend`` or ``size``; reject arguments of another kind."""
    if kind != "light.spot" and (spot_angle_deg is not None or spot_blend is not None):
        raise ValueError(f"spot_angle_deg / spot_blend apply to light.spot only, not {kind}")
    if kind != "light.area" and size_m is not None:
        raise ValueError(f"size_m applies to light.area only, not {kind}")
    if kind == "light.spot":
        angle = DEFAULT_SPOT_ANGLE_DEG if spot_angle_deg is None else spot_angle_deg
        blend = DEFAULT_SPOT_BLEND if spot_blend is None else spot_blend
        out["spot_angle"] = as_series(angle, n, "spot_angle_deg", low=1e-3, high=180.0)
        out["spot_blend"] = as_series(blend, n, "spot_blend", low=0.0, high=1.0)
    elif kind == "light.area":
        size = DEFAULT_SIZE_M if size_m is None else size_m
        out["size"] = as_series(size, n, "size_m", positive=True)


def light_position(channels: dict[str, np.ndarray]) -> np.ndarray:
    """``(N, 3)`` positions from ``tx, ty, tz`` channels."""
    return np.stack([channels["tx"], channels["ty"], channels["tz"]], axis=-1)


def _is_area(channels: dict[str, np.ndarray], kind: str | None) -> bool:
    if kind is not None:
        return normalise_kind(kind) == "light.area"
    return "size" in channels and "spot_angle" not in channels


def subject_illuminance(channels: dict[str, np.ndarray], target_pos: ArrayLike,
                        kind: str | None = None) -> np.ndarray:
    """Illuminance [lux] a light's channels put on a subject facing the light.

    ``d = |light - target|``; ``theta`` = angle between the light's aim (local ``-Z``
    from ``rx, ry, rz``) and the direction to the target (0 for lights from
    :func:`light_channels`).

    * area light (a square of edge ``size``, luminance ``I / size**2``, emitting
      along its aim): the exact irradiance of the square on the subject whose normal
      points at the light's centre: ``E = 4 (I/s**2) q atan(q)`` when aimed
      (``theta = 0``), Lambert's polygon formula otherwise, 0 behind the light;
    * point and spot lights: ``E = I cos(theta) / d**2`` (exact for ``theta = 0``:
      a sphere light obeys the inverse-square law outside it).

    ``kind``: the light's kind; by default an area light when the channels carry
    ``size`` but no ``spot_angle`` (as :func:`light_channels` makes them).
    """
    pos = light_position(channels)
    tgt = as_points(target_pos, pos.shape[0], "target_pos")
    to_target = tgt - pos
    d = np.linalg.norm(to_target, axis=-1)
    rot = euler_xyz_to_matrix(np.stack([channels[a] for a in ("rx", "ry", "rz")], -1))
    aim = -rot[..., 2]
    cos = np.clip(np.einsum("ij,ij->i", aim, to_target) / d, -1.0, 1.0)
    if not _is_area(channels, kind):
        return illuminance_lux(channels["intensity"], d, np.degrees(np.arccos(cos)))
    intensity = np.asarray(channels["intensity"], dtype=np.float64)
    size = np.broadcast_to(np.asarray(channels.get("size", DEFAULT_SIZE_M), np.float64),
                           d.shape)
    if not (np.isfinite(d).all() and (d > 0).all()):
        raise ValueError("distance_m must be > 0")
    per_cd = light_illuminance_per_cd("light.area", d, size)
    off = cos < 1.0 - 1e-12
    if off.any():
        corners = rectangle_corners(pos[off], rot[off][..., 0], rot[off][..., 1],
                                    size[off], size[off])
        facing = -to_target[off] / d[off, None]
        solid = polygon_illuminance_per_luminance(corners, tgt[off], facing)
        per_cd = per_cd.copy()
        per_cd[off] = np.where(cos[off] > 0, solid / size[off] ** 2, 0.0)
    return intensity * per_cd


def fill_intensity_cd(
    key_illuminance_lux: ArrayLike, fill_distance_m: ArrayLike, key_fill_ratio: float,
    *, kind: str = "light.point", size_m: ArrayLike | None = None,
) -> np.ndarray:
    """Fill intensity [cd] so that ``E_key / E_fill = ratio``: ``I = E_key / ratio / g(d)``.

    ``g`` = illuminance per candela of the fill's kind and size (``1 / d**2`` for point
    and spot lights; :func:`moks_graph.nodes.lights.emitters.light_illuminance_per_cd`).
    """
    if not key_fill_ratio >= 1.0:
        raise ValueError(
            f"key_fill_ratio must be >= 1 (key brighter than fill), got {key_fill_ratio}"
        )
    e = np.asarray(key_illuminance_lux, dtype=np.float64)
    d = np.asarray(fill_distance_m, dtype=np.float64)
    if not (np.isfinite(e).all() and (e >= 0).all()):
        raise ValueError("key_illuminance_lux must be finite and >= 0")
    if not (np.isfinite(d).all() and (d > 0).all()):
        raise ValueError("fill_distance_m must be finite and > 0")
    if normalise_kind(kind) == "light.area":
        size = DEFAULT_SIZE_M if size_m is None else size_m
        return e / key_fill_ratio / light_illuminance_per_cd("light.area", d, size)
    return e / key_fill_ratio * d**2


class _LightParams(BaseModel):
    """Fields shared by every role (angles per the SceneScript convention)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: LightKind = Field("light.area", description="light type (light.point|spot|area)")
    azimuth_deg: float = Param(
        45.0, ge=-180.0, le=180.0,
        description="angle around the subject from the camera side, + = camera right", unit="deg",
    )
    elevation_deg: float = Param(
        30.0, ge=-90.0, le=90.0, description="angle above subject height, 90 = overhead", unit="deg"
    )
    distance_m: float = Param(3.0, gt=0.0, le=1000.0, description="light-to-subject distance",
                              unit="m")
    cct_K: float = Param(
        5600.0, ge=CCT_RANGE_K[0], le=CCT_RANGE_K[1],
        description="correlated colour temperature", unit="K",
    )
    tint: float = Param(
        0.0, ge=-DUV_LIMIT, le=DUV_LIMIT,
        description="offset from the Planckian locus, + = green", unit="Duv",
    )
    spot_angle_deg: float = Param(
        DEFAULT_SPOT_ANGLE_DEG, gt=0.0, le=180.0, description="spot cone full angle (spots)",
        unit="deg"
    )
    spot_blend: float = Param(
        DEFAULT_SPOT_BLEND, ge=0.0, le=1.0, description="spot penumbra fraction (spots)", unit="0-1"
    )
    size_m: float = Param(
        DEFAULT_SIZE_M, gt=0.0, le=100.0, description="area light edge length (area lights)",
        unit="m"
    )
    mount: Literal["stand", "subject"] = Field(
        "stand",
        description="with a moving subject: on a stand around the target (aims at the subject, "
                    "intensity held for its distance) or riding with the subject (stand|subject)",
    )


class KeyLightParams(_LightParams):
    """The key light: the main source, ~45 deg off the camera axis, ~30 deg up."""

    intensity_cd: float = Param(
        2000.0, ge=0.0, le=1e7, description="luminous intensity at the reference distance",
        unit="cd"
    )
    compensate: bool = Param(
        True, description="inverse-square compensation: constant illuminance at the subject"
    )


class FillLightParams(_LightParams):
    """The fill: opposite side of the key, intensity set by the key/fill ratio."""

    azimuth_deg: float = Param(
        -45.0, ge=-180.0, le=180.0,
        description="angle around the subject from the camera side, + = camera right", unit="deg",
    )
    elevation_deg: float = Param(
        15.0, ge=-90.0, le=90.0, description="angle above subject height, 90 = overhead", unit="deg"
    )
    size_m: float = Param(
        1.5, gt=0.0, le=100.0, description="area light edge length (area lights)", unit="m"
    )
    key_fill_ratio: float = Param(
        4.0, ge=1.0, le=256.0,
        description="key over fill illuminance at the subject, 4 = 4:1 = 2 stops", unit="ratio",
    )


class RimLightParams(_LightParams):
    """The rim / back light: behind the subject (~±150 deg), above it."""

    kind: LightKind = Field("light.spot", description="light type (light.point|spot|area)")
    azimuth_deg: float = Param(
        150.0, ge=-180.0, le=180.0,
        description="angle around the subject from the camera side, ±150 = behind", unit="deg",
    )
    elevation_deg: float = Param(
        35.0, ge=-90.0, le=90.0, description="angle above subject height, 90 = overhead", unit="deg"
    )
    intensity_cd: float = Param(
        3000.0, ge=0.0, le=1e7, description="luminous intensity at the reference distance",
        unit="cd"
    )
    compensate: bool = Param(
        True, description="inverse-square compensation: constant illuminance at the subject"
    )


class PracticalLightParams(_LightParams):
    """A practical: a visible in-shot lamp, warm and dim, not distance-compensated by default."""

    kind: LightKind = Field("light.point", description="light type (light.point|spot|area)")
    azimuth_deg: float = Param(
        -120.0, ge=-180.0, le=180.0,
        description="angle around the subject from the camera side, + = camera right", unit="deg",
    )
    elevation_deg: float = Param(
        5.0, ge=-90.0, le=90.0, description="angle above subject height, 90 = overhead", unit="deg"
    )
    distance_m: float = Param(2.0, gt=0.0, le=1000.0, description="light-to-subject distance",
                              unit="m")
    cct_K: float = Param(
        2700.0, ge=CCT_RANGE_K[0], le=CCT_RANGE_K[1],
        description="correlated colour temperature", unit="K",
    )
    intensity_cd: float = Param(
        60.0, ge=0.0, le=1e7, description="luminous intensity", unit="cd"
    )
    compensate: bool = Param(
        False, description="inverse-square compensation: constant illuminance at the subject"
    )


def _kind_kwargs(params: _LightParams) -> dict[str, float]:
    if params.kind == "light.spot":
        return {"spot_angle_deg": params.spot_angle_deg, "spot_blend": params.spot_blend}
    if params.kind == "light.area":
        return {"size_m": params.size_m}
    return {}


def mounted(params: _LightParams, target_pos: ArrayLike,
            subject_pos: ArrayLike | None) -> tuple[ArrayLike, ArrayLike | None]:
    """``(anchor, subject)`` for :func:`light_channels` by ``params.mount``.

    No moving subject: ``(target_pos, None)``. ``"stand"``: the light stands around
    ``target_pos`` (the subject's mark) and aims at ``subject_pos``. ``"subject"``: it rides
    with the subject at ``distance_m`` (anchor = the subject, nothing left to aim at).
    """
    if subject_pos is None or params.mount == "stand":
        return target_pos, subject_pos
    return subject_pos, None


def role_channels(
    params: KeyLightParams | RimLightParams | PracticalLightParams,
    time_like: object,
    camera_pos: ArrayLike,
    target_pos: ArrayLike,
    *,
    distance_m: ArrayLike | None = None,
    flicker_ev: ArrayLike | None = None,
    reference_azimuth_deg: ArrayLike | None = None,
    subject_pos: ArrayLike | None = None,
) -> dict[str, np.ndarray]:
    """:func:`light_channels` for a key, rim or practical parameter model.

    ``distance_m`` overrides ``params.distance_m`` with an animated series;
    ``params.distance_m`` is then the compensation reference distance.
    ``reference_azimuth_deg``: see :func:`light_channels` (chunk-independent rotations).
    ``subject_pos``: a moving subject ``(N, 3)`` [m], placed by ``params.mount``
    (:func:`mounted`).
    """
    dist = params.distance_m if distance_m is None else distance_m
    anchor, subject = mounted(params, target_pos, subject_pos)
    return light_channels(
        params.kind, time_like, camera_pos, anchor,
        params.azimuth_deg, params.elevation_deg, dist,
        params.intensity_cd, params.cct_K, params.tint,
        compensate=params.compensate, reference_distance_m=params.distance_m,
        flicker_ev=flicker_ev, reference_azimuth_deg=reference_azimuth_deg,
        subject_pos=subject, **_kind_kwargs(params),
    )


def key_base_illuminance(key_channels: dict[str, np.ndarray], target_pos: ArrayLike,
                         kind: str | None = None) -> np.ndarray:
    """The key's illuminance at the subject without flicker [lux] (what the fill ratio follows).

    ``kind``: the key's kind (see :func:`subject_illuminance`).
    """
    flicker = np.exp2(key_channels.get("flicker", 0.0))
    return subject_illuminance(key_channels, target_pos, kind) / flicker


def fill_channels(
    fill: FillLightParams,
    key_base_lux: ArrayLike,
    time_like: object,
    camera_pos: ArrayLike,
    target_pos: ArrayLike,
    *,
    fill_distance_m: ArrayLike | None = None,
    flicker_ev: ArrayLike | None = None,
    reference_azimuth_deg: ArrayLike | None = None,
    subject_pos: ArrayLike | None = None,
) -> dict[str, np.ndarray]:
    """The fill light, its intensity set so key/fill = ``fill.key_fill_ratio`` at the subject.

    ``key_base_lux``: the key's unflickered illuminance at the subject (at ``subject_pos``
    when the subject moves), per sample; ``subject_pos``: see :func:`role_channels`.
    """
    n = sample_count(time_like)
    fill_dist = as_series(fill.distance_m if fill_distance_m is None else fill_distance_m,
                          n, "fill_distance_m", positive=True)
    # Base intensity referenced to fill.distance_m; compensation scales it to d(t).
    base = fill_intensity_cd(key_base_lux, fill.distance_m, fill.key_fill_ratio,
                             kind=fill.kind, size_m=fill.size_m)
    anchor, subject = mounted(fill, target_pos, subject_pos)
    return light_channels(
        fill.kind, time_like, camera_pos, anchor,
        fill.azimuth_deg, fill.elevation_deg, fill_dist, base, fill.cct_K, fill.tint,
        compensate=True, reference_distance_m=fill.distance_m,
        flicker_ev=flicker_ev, reference_azimuth_deg=reference_azimuth_deg,
        subject_pos=subject, **_kind_kwargs(fill),
    )


def three_point_channels(
    time_like: object,
    camera_pos: ArrayLike,
    target_pos: ArrayLike,
    key: KeyLightParams,
    fill: FillLightParams | None = None,
    rim: RimLightParams | None = None,
    practicals: Sequence[PracticalLightParams] = (),
    *,
    key_distance_m: ArrayLike | None = None,
    fill_distance_m: ArrayLike | None = None,
    flicker_ev: ArrayLike | None = None,
) -> dict[str, tuple[str, dict[str, np.ndarray]]]:
    """A key (+ fill, rim, practicals) rig: ``{name: (object kind, channels)}``.

    Names: ``key``, ``fill``, ``rim``, ``practical_0``, ``practical_1``, ...
    The fill's intensity follows the key so the key/fill ratio holds at the
    subject at every sample (module doc). ``key_distance_m`` /
    ``fill_distance_m`` animate those distances; ``flicker_ev`` applies to all.
    """
    rig: dict[str, tuple[str, dict[str, np.ndarray]]] = {}
    key_ch = role_channels(
        key, time_like, camera_pos, target_pos, distance_m=key_distance_m, flicker_ev=flicker_ev
    )
    key_base_lux = key_base_illuminance(key_ch, target_pos, key.kind)
    rig["key"] = (key.kind, key_ch)
    if fill is not None:
        rig["fill"] = (fill.kind, fill_channels(fill, key_base_lux, time_like, camera_pos,
                                                target_pos, fill_distance_m=fill_distance_m,
                                                flicker_ev=flicker_ev))
    if rim is not None:
        rig["rim"] = (rim.kind, role_channels(rim, time_like, camera_pos, target_pos,
                                             flicker_ev=flicker_ev))
    for i, practical in enumerate(practicals):
        rig[f"practical_{i}"] = (practical.kind, role_channels(
            practical, time_like, camera_pos, target_pos, flicker_ev=flicker_ev))
    return rig
