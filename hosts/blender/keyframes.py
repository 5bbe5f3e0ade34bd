"""Channels <-> Blender F-curves: the pure mapping of the Blender host (no bpy).

The details (moved from this docstring): docs/hosts.md, "Module notes",
`hosts/blender/keyframes.py`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from moks_graph.channels import OBJECT_KINDS, Channels, split_name
from moks_graph.hosts.units import COLOR_ATTRS, light_color, light_from_host, light_to_host
from moks_graph.hosts.writer_channels import check_kinds, held_keys
from moks_graph.timebase import TimeArray

FloatArray = NDArray[np.float64]

#: Name of the Principled Volume node that carries the fog in the world's node tree.
FOG_NODE_NAME = "MOKS Fog"
#: Prefix of custom properties holding attributes Blender has no property for.
CUSTOM_PREFIX = "moks_"
#: Custom property naming the MOKS kind of an object or world written by the writer.
KIND_PROPERTY = "moks_kind"
#: Scene custom properties: exact fps (float64) and sub-frames per frame (0 = irregular).
FPS_PROPERTY = "moks_fps"
SUBFRAMES_PROPERTY = "moks_subframes"
#: Scene custom property: the sample frames of the last write (constants hold one key).
FRAMES_PROPERTY = "moks_frames"
#: Largest frame number Blender accepts (``MAXFRAME``, ``Scene.frame_end`` hard max).
MAX_FRAME = 1_048_574
#: Mist depth for a fog density of zero (metres).
MIST_MAX_DEPTH_M = 1.0e6
#: Mist pass depth factor: ``depth = ln(20) / σ`` (transmittance 5 %).
MIST_LN_TRANSMITTANCE = math.log(20.0)
#: Largest sub-frame count :func:`infer_subframes` recognises.
MAX_SUBFRAMES = 1000

ID_TYPES: tuple[str, ...] = ("OBJECT", "CAMERA", "LIGHT", "WORLD", "NODETREE")

_DEG = math.pi / 180.0


@dataclass(frozen=True)
class Target:
    """Where one channel is keyed: slot ``id_type``, RNA ``data_path`` and array ``index``.

    ``scale``: ``host value = scale * internal value`` for linear units; ``0``
    marks a non-linear conversion done by name (light intensity, mist depth).
    """

    id_type: str
    data_path: str
    index: int = 0
    scale: float = 1.0


def _fog_input(name: str) -> str:
    return f'nodes["{FOG_NODE_NAME}"].inputs["{name}"].default_value'


def custom_path(attr: str) -> str:
    """RNA path of the custom property carrying ``attr``: ``'["moks_<attr>"]'``."""
    return f'["{CUSTOM_PREFIX}{attr}"]'


#: ``mist_settings.depth`` (derived from fog_density; write only).
MIST_TARGET = Target("WORLD", "mist_settings.depth", 0, 0.0)
INTENSITY_TARGET = Target("LIGHT", "energy", 0, 0.0)

_TRANSFORM: dict[str, Target] = {
    "tx": Target("OBJECT", "location", 0),
    "ty": Target("OBJECT", "location", 1),
    "tz": Target("OBJECT", "location", 2),
    "rx": Target("OBJECT", "rotation_euler", 0, _DEG),
    "ry": Target("OBJECT", "rotation_euler", 1, _DEG),
    "rz": Target("OBJECT", "rotation_euler", 2, _DEG),
}
_CAMERA: dict[str, Target] = {
    "focal_length": Target("CAMERA", "lens"),
    "sensor_width": Target("CAMERA", "sensor_width"),
    "sensor_height": Target("CAMERA", "sensor_height"),
    "focus_distance": Target("CAMERA", "dof.focus_distance"),
    "fstop": Target("CAMERA", "dof.aperture_fstop"),
}
_LIGHT: dict[str, Target] = {
    "intensity": INTENSITY_TARGET,
    "color_r": Target("LIGHT", "color", 0),
    "color_g": Target("LIGHT", "color", 1),
    "color_b": Target("LIGHT", "color", 2),
}
#: Light data custom property set (True) when its ``color`` curves were derived from
#: ``color_temperature`` / ``tint`` (no colour channels): the reader skips them.
COLOR_DERIVED_PROPERTY = "moks_color_from_temperature"
_SPHERE_SIZE = {"size": Target("LIGHT", "shadow_soft_size", 0, 0.5)}
_ATMOSPHERE: dict[str, Target] = {
    "fog_density": Target("NODETREE", _fog_input("Density")),
    "haze_r": Target("NODETREE", _fog_input("Color"), 0),
    "haze_g": Target("NODETREE", _fog_input("Color"), 1),
    "haze_b": Target("NODETREE", _fog_input("Color"), 2),
}

#: Native targets per object kind (attributes not listed go to custom properties).
NATIVE_TARGETS: dict[str, dict[str, Target]] = {
    "camera": {**_TRANSFORM, **_CAMERA},
    "light.point": {**_TRANSFORM, **_LIGHT, **_SPHERE_SIZE},
    "light.spot": {
        **_TRANSFORM, **_LIGHT, **_SPHERE_SIZE,
        "spot_angle": Target("LIGHT", "spot_size", 0, _DEG),
        "spot_blend": Target("LIGHT", "spot_blend"),
    },
    "light.area": {**_TRANSFORM, **_LIGHT, "size": Target("LIGHT", "size")},
    "light.sun": {**_TRANSFORM, **_LIGHT},
    "null": dict(_TRANSFORM),
    "atmosphere": dict(_ATMOSPHERE),
}


def owner_id_type(kind: str) -> str:
    """The ID that carries an object's custom properties: ``WORLD`` for the atmosphere."""
    _check_kind(kind)
    return "WORLD" if kind == "atmosphere" else "OBJECT"


def data_id_type(kind: str) -> str | None:
    """The object-data ID type of a kind (``CAMERA``, ``LIGHT``) or ``None``."""
    _check_kind(kind)
    if kind == "camera":
        return "CAMERA"
    if kind.startswith("light."):
        return "LIGHT"
    return None


def _check_kind(kind: str) -> None:
    if kind not in OBJECT_KINDS:
        raise ValueError(f"kind must be one of {sorted(OBJECT_KINDS)}, got {kind!r}")


def target_for(kind: str, attr: str) -> Target:
    """The Blender target of attribute ``attr`` of an object of ``kind`` (table above)."""
    _check_kind(kind)
    native = NATIVE_TARGETS[kind].get(attr)
    if native is not None:
        return native
    return Target(owner_id_type(kind), custom_path(attr))


def attribute_for(kind: str, target: Target) -> str | None:
    """Inverse of :func:`target_for`: the attribute keyed at ``target``, or ``None``.

    ``None`` for derived or foreign F-curves (the mist depth, anything a user
    added in Blender that is not a MOKS channel). ``target.scale`` is ignored.
    """
    _check_kind(kind)
    key = (target.id_type, target.data_path, target.index)
    for attr, t in NATIVE_TARGETS[kind].items():
        if (t.id_type, t.data_path, t.index) == key:
            return attr
    prefix, suffix = f'["{CUSTOM_PREFIX}', '"]'
    path = target.data_path
    if (target.id_type == owner_id_type(kind) and target.index == 0
            and path.startswith(prefix) and path.endswith(suffix)):
        return path[len(prefix):-len(suffix)]
    return None


@dataclass(frozen=True)
class CurveKeys:
    """The keys of one Blender F-curve: ``frames`` and ``values`` in Blender units.

    ``obj``: the MOKS object; ``attr``: its attribute, ``None`` for a derived
    curve (mist depth) that does not read back.
    """

    obj: str
    attr: str | None
    target: Target
    frames: FloatArray
    values: FloatArray

    def coords(self) -> FloatArray:
        """Interleaved ``(x0, y0, x1, y1, ...)`` for ``keyframe_points.foreach_set("co", ...)``."""
        co = np.empty(2 * len(self.frames), dtype=np.float64)
        co[0::2] = self.frames
        co[1::2] = self.values
        return co


def check_for_blender(channels: Channels) -> None:
    """Raise ``TypeError``/``ValueError`` for Channels Blender cannot hold.

    Checks: a ``Channels``; finite samples; strictly increasing frames within
    ``±MAX_FRAME``; at most one ``atmosphere`` object (a scene has one world)
    and its ``fog_density >= 0`` (Blender does not clamp a node input).
    """
    check_kinds(channels, frozenset(OBJECT_KINDS), "blender")
    frames = channels.time.frames
    if len(frames) == 0:
        raise ValueError("channels: the time array is empty")
    if not np.isfinite(frames).all() or np.any(np.diff(frames) <= 0):
        raise ValueError("channels: time frames must be finite and strictly increasing")
    if np.abs(frames).max() > MAX_FRAME:
        raise ValueError(f"channels: frames must lie within ±{MAX_FRAME} (Blender's MAXFRAME)")
    if not (math.isfinite(channels.time.fps) and channels.time.fps > 0):
        raise ValueError(f"channels: fps must be positive, got {channels.time.fps!r}")
    atmospheres = [o for o, k in channels.kinds.items() if k == "atmosphere"]
    for obj in atmospheres:
        density = channels.of(obj).get("fog_density")
        if density is not None and density.min() < 0:
            raise ValueError(f"channels: {obj}.fog_density must be >= 0 (an extinction "
                             f"coefficient), got {density.min():.6g}")
    if len(atmospheres) > 1:
        raise ValueError(f"channels: a Blender scene has one world, got atmosphere objects "
                         f"{', '.join(atmospheres)}")


def _light_args(kind: str, attrs: Mapping[str, FloatArray]) -> dict[str, FloatArray | None]:
    """Internal size and spot angle of a light for the light-unit conversion."""
    return {
        "size_m": attrs.get("size"),
        "spot_angle_deg": attrs.get("spot_angle") if kind == "light.spot" else None,
    }


def mist_depth(fog_density: FloatArray) -> FloatArray:
    """``ln(20) / σ`` metres, capped at :data:`MIST_MAX_DEPTH_M` (see module docstring)."""
    sigma = np.asarray(fog_density, dtype=np.float64)
    floor = MIST_LN_TRANSMITTANCE / MIST_MAX_DEPTH_M
    return MIST_LN_TRANSMITTANCE / np.maximum(sigma, floor)


def blender_curves(channels: Channels) -> list[CurveKeys]:
    """Every F-curve to write for ``channels``, values converted to Blender units.

    One curve per channel (in channel-name order), plus the derived mist depth
    of an atmosphere with ``fog_density``. Keys sit at ``x = frame number``
    (fractional for sub-frames); a constant channel gets one key at the first
    frame, which Blender holds at every frame (:func:`moks_graph.hosts.writer_channels.held_keys`).
    """
    check_for_blender(channels)
    frames = np.asarray(channels.time.frames, dtype=np.float64)
    curves: list[CurveKeys] = []
    for name, samples in channels.items():
        obj, attr = split_name(name)
        kind = channels.kinds[obj]
        target = target_for(kind, attr)
        if target is INTENSITY_TARGET:
            values = light_to_host("blender", kind, samples,
                                   **_light_args(kind, channels.of(obj)))
        else:
            values = samples * target.scale
        curves.append(CurveKeys(obj, attr, target, *held_keys(frames, values)))
        if kind == "atmosphere" and attr == "fog_density":
            curves.append(CurveKeys(obj, None, MIST_TARGET,
                                    *held_keys(frames, mist_depth(samples))))
    for obj, kind in channels.kinds.items():
        if not kind.startswith("light."):
            continue
        color = light_color(channels.of(obj), len(frames), obj)
        if color is not None and color[1]:
            curves += [CurveKeys(obj, None, _LIGHT[a], *held_keys(frames, color[0][:, i]))
                       for i, a in enumerate(COLOR_ATTRS)]
    return curves


def channels_from_curves(curves: Iterable[CurveKeys], kinds: Mapping[str, str],
                         time: TimeArray) -> Channels:
    """Inverse of :func:`blender_curves`: Blender curves back to internal Channels.

    Curves with ``attr is None`` are skipped. Every other curve must be keyed
    at ``time.frames`` (to float32 precision) or hold one key at its first
    frame (a constant), else ``ValueError``.
    """
    per_obj: dict[str, dict[str, FloatArray]] = {}
    for curve in curves:
        if curve.attr is None:
            continue
        if curve.obj not in kinds:
            raise ValueError(f"curves: object {curve.obj!r} has no kind")
        _check_frames(curve, time.frames)
        values = np.asarray(curve.values, np.float64)
        if len(values) == 1:
            values = np.full(len(time.frames), values[0])
        per_obj.setdefault(curve.obj, {})[curve.attr] = values
    values: dict[str, FloatArray] = {}
    for obj, host in per_obj.items():
        kind = kinds[obj]
        internal = {a: v / target_for(kind, a).scale for a, v in host.items()
                    if target_for(kind, a) is not INTENSITY_TARGET}
        if "intensity" in host:
            internal["intensity"] = light_from_host("blender", kind, host["intensity"],
                                                    **_light_args(kind, internal))
        values.update({f"{obj}.{a}": v for a, v in internal.items()})
    return Channels(time, values, dict(kinds))


def _check_frames(curve: CurveKeys, frames: FloatArray) -> None:
    got = np.asarray(curve.frames, dtype=np.float64)
    tol = 4 * np.finfo(np.float32).eps * np.maximum(1.0, np.abs(frames))
    if len(got) == 1 and len(frames) and abs(got[0] - frames[0]) <= tol[0]:
        return  # one held key: a constant
    if got.shape != frames.shape or np.any(np.abs(got - frames) > tol):
        raise ValueError(f"curve {curve.obj}.{curve.attr} ({curve.target.data_path}) is not "
                         f"keyed on the scene's time array ({len(got)} keys, "
                         f"{len(frames)} samples)")


def blender_fps(fps: float) -> tuple[int, float]:
    """Blender ``(render.fps, render.fps_base)`` with ``fps / fps_base = fps``.

    ``render.fps = round(fps)`` (at least 1), ``fps_base = render.fps / fps``;
    e.g. 23.976 (24000/1001) -> (24, 1.001), 25 -> (25, 1.0).
    """
    f = float(fps)
    if not (math.isfinite(f) and f > 0):
        raise ValueError(f"fps must be positive, got {fps!r}")
    base_fps = max(1, round(f))
    return base_fps, base_fps / f


def frame_range(frames: FloatArray) -> tuple[int, int]:
    """Scene ``(frame_start, frame_end)``: ``floor(first)``, ``ceil(last)``, within 0..MAX_FRAME.

    Blender's scene range cannot start below 0; keys before frame 0 are still
    written (only the playback range is clipped).
    """
    f = np.asarray(frames, dtype=np.float64)
    start = int(np.clip(math.floor(f.min()), 0, MAX_FRAME))
    end = int(np.clip(math.ceil(f.max()), start, MAX_FRAME))
    return start, end


def infer_subframes(frames: FloatArray) -> int:
    """Samples per frame ``s`` when every frame is a multiple of ``1/s``, else 0.

    ``s = round(1 / min(diff))`` (1 for a single sample), checked on all
    frames to 1e-9; ``s`` above :data:`MAX_SUBFRAMES` counts as irregular.
    """
    f = np.asarray(frames, dtype=np.float64)
    step = float(np.diff(f).min()) if len(f) > 1 else 1.0
    s = max(1, round(1.0 / step)) if step > 0 else 0
    if not 1 <= s <= MAX_SUBFRAMES:
        return 0
    ticks = f * s
    return s if bool(np.all(np.abs(ticks - np.round(ticks)) <= 1e-9 * np.maximum(1.0, ticks))) \
        else 0


def snap_frames(frames: FloatArray, subframes: int) -> FloatArray:
    """Frames read back from float32 keys, snapped to multiples of ``1/subframes`` (0: as is)."""
    f = np.asarray(frames, dtype=np.float64)
    if subframes <= 0:
        return f.copy()
    return np.round(f * subframes) / float(subframes)
