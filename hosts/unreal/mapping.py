"""Channels -> an Unreal Level Sequence plan: the Unreal-independent part of the Unreal host.

The details (moved from this docstring): docs/hosts.md, "Module notes",
`hosts/unreal/mapping.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from moks_graph.channels import Channels
from moks_graph.rotations import continuous_euler_xyz

from .. import fog, units
from ..linkage import Linkage, aim_transforms
from ..writer_channels import TRANSFORM_ATTRS, attr_or, check_kinds, object_transform

UNREAL_KINDS: frozenset[str] = frozenset(
    {"camera", "light.point", "light.spot", "light.area", "light.sun", "null", "atmosphere"}
)
ACTOR_CLASSES: dict[str, str] = {
    "camera": "CineCameraActor",
    "light.point": "PointLight",
    "light.spot": "SpotLight",
    "light.area": "RectLight",
    "light.sun": "DirectionalLight",
    "null": "TargetPoint",
}
#: The fog's actor and component (an atmosphere with fog, :mod:`moks_graph.hosts.fog`).
FOG_ACTOR, FOG_COMPONENT = "ExponentialHeightFog", "ExponentialHeightFogComponent"
#: Component class whose properties the non-transform tracks animate.
COMPONENT_CLASSES: dict[str, str] = {
    "camera": "CineCameraComponent",
    "light.point": "PointLightComponent",
    "light.spot": "SpotLightComponent",
    "light.area": "RectLightComponent",
    "light.sun": "DirectionalLightComponent",
}
#: Channel order of a MovieScene3DTransformSection (``get_all_channels()``).
TRANSFORM_CHANNELS: tuple[str, ...] = (
    "Location.X", "Location.Y", "Location.Z", "Rotation.X", "Rotation.Y", "Rotation.Z",
)
#: Channel order of a MovieSceneColorSection.
COLOR_CHANNELS: tuple[str, ...] = ("R", "G", "B", "A")

#: Unreal's SpotLightComponent.OuterConeAngle default (half angle, degrees).
UNREAL_DEFAULT_OUTER_CONE_DEG = 44.0

TRANSFORM_TRACK = "MovieScene3DTransformTrack"
FLOAT_TRACK = "MovieSceneFloatTrack"
COLOR_TRACK = "MovieSceneColorTrack"

#: Camera attribute -> (property name, property path, factor to Unreal units).
CAMERA_PROPERTIES: dict[str, tuple[str, str, float]] = {
    "focal_length": ("CurrentFocalLength", "CurrentFocalLength", 1.0),
    "fstop": ("CurrentAperture", "CurrentAperture", 1.0),
    "focus_distance": ("ManualFocusDistance", "FocusSettings.ManualFocusDistance",
                       units.CM_PER_M),
    "sensor_width": ("SensorWidth", "Filmback.SensorWidth", 1.0),
    "sensor_height": ("SensorHeight", "Filmback.SensorHeight", 1.0),
}


@dataclass(frozen=True)
class UnrealTrack:
    """One Sequencer track: on the actor (transform) or its component (properties)."""

    on_component: bool
    track_class: str
    property_name: str
    property_path: str
    channels: tuple[tuple[str, np.ndarray], ...]  # (channel name, values in Unreal units)


@dataclass(frozen=True)
class UnrealActor:
    """An actor to spawn and bind, its component settings and its tracks."""

    name: str
    kind: str
    actor_class: str
    component_class: str | None
    settings: tuple[tuple[str, object], ...]
    tracks: tuple[UnrealTrack, ...]
    #: Spawn pose (x, y, z cm; roll, pitch, yaw deg): the first sample, or the internal rest.
    spawn: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0, -90.0, -90.0)


@dataclass(frozen=True)
class UnrealLinks:
    """Live linkage in Unreal (``--link-to-target``): ``attach``: (child, parent) actors,
    the child attached keeping its world transform, its transform track keyed relative to the
    parent; ``track``: (aim, target) actors, the aim's look-at tracking following the target."""

    attach: tuple[tuple[str, str], ...] = ()
    track: tuple[tuple[str, str], ...] = ()

    def keyed(self) -> frozenset[str]:
        """Actors whose transform the script keys (relative or aim) instead of the FBX."""
        return frozenset({c for c, _ in self.attach} | {a for a, _ in self.track})


@dataclass(frozen=True)
class UnrealPlan:
    """A Level Sequence: display rate, key times and actors."""

    frame_rate: tuple[int, int]
    frame_numbers: np.ndarray  # int64, floor of the sample frames
    sub_frames: np.ndarray  # [0, 1)
    playback: tuple[int, int]  # [start, end) in display-rate frames
    actors: tuple[UnrealActor, ...]
    report: tuple[str, ...] = field(default=())
    links: UnrealLinks = field(default_factory=UnrealLinks)


def split_frames(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Frames -> ``(FrameNumber ints, sub_frame in [0, 1))`` for ``add_key``."""
    f = np.asarray(frames, dtype=np.float64)
    whole = np.floor(f)
    return whole.astype(np.int64), f - whole


def _float(name: str, path: str, values: np.ndarray) -> UnrealTrack:
    return UnrealTrack(True, FLOAT_TRACK, name, path, (("", np.asarray(values, np.float64)),))


def _light_tracks(channels: Channels, obj: str, kind: str,
                  used: set[str]) -> tuple[list[UnrealTrack], list[tuple[str, object]]]:
    attrs = channels.of(obj)
    tracks: list[UnrealTrack] = []
    settings: list[tuple[str, object]] = []
    if kind != "light.sun":
        settings.append(("intensity_units", "CANDELAS"))
    color = units.light_color(attrs, len(channels.time), obj)
    peak = np.ones(len(channels.time))
    if color is not None and "intensity" in attrs:
        # LightColor is an 8-bit FColor (at most 1): the brightest component goes to 1 and
        # its value into Intensity, so Intensity x LightColor is the light's emission
        peak = np.where(color[0].max(axis=1) > 0, color[0].max(axis=1), 1.0)
    if "intensity" in attrs:
        tracks.append(_float("Intensity", "Intensity",
                             units.light_to_host("unreal", kind, attrs["intensity"]) * peak))
        used.add("intensity")
    if color is not None:
        # the whole colour, CCT + Duv included: Unreal's own temperature stays off
        rgb = [color[0][:, i] / peak for i in range(3)]
        alpha = np.ones(len(channels.time))
        tracks.append(UnrealTrack(True, COLOR_TRACK, "LightColor", "LightColor",
                                  tuple(zip(COLOR_CHANNELS, (*rgb, alpha), strict=True))))
        settings.append(("use_temperature", False))
        used |= {"color_r", "color_g", "color_b"}
        if color[1]:  # derived from them (units.light_color)
            used |= {"color_temperature", "tint"}
    if kind == "light.spot" and ("spot_angle" in attrs or "spot_blend" in attrs):
        outer = attr_or(channels, obj, "spot_angle", 2.0 * UNREAL_DEFAULT_OUTER_CONE_DEG) / 2.0
        if "spot_angle" in attrs:
            tracks.append(_float("OuterConeAngle", "OuterConeAngle", outer))
        if "spot_blend" in attrs:
            tracks.append(_float("InnerConeAngle", "InnerConeAngle",
                                 outer * (1.0 - attrs["spot_blend"])))
        used |= {"spot_angle", "spot_blend"}
    if kind == "light.area" and "size" in attrs:
        cm = units.CM_PER_M * attrs["size"]
        tracks += [_float("SourceWidth", "SourceWidth", cm),
                   _float("SourceHeight", "SourceHeight", cm)]
        used.add("size")
    return tracks, settings


def _fog_actor(channels: Channels, obj: str) -> UnrealActor | None:
    """An ExponentialHeightFog keyed with the atmosphere's fog (:mod:`..fog`), or ``None``
    when the fog density is 0 throughout."""
    found = fog.fog_of(channels, obj)
    if found is None:
        return None
    sigma, haze = found
    alpha = np.ones(len(sigma))
    tracks = (_float("FogDensity", "FogDensity", fog.unreal_fog_density(sigma)),
              UnrealTrack(True, COLOR_TRACK, "FogInscatteringLuminance",
                          "FogInscatteringLuminance",
                          tuple(zip(COLOR_CHANNELS, (*haze.T, alpha), strict=True))))
    spawn = tuple(float(a[0]) + 0.0 for a in units.to_unreal_transform(0, 0, 0, 0, 0, 0))
    return UnrealActor(obj, "atmosphere", FOG_ACTOR, FOG_COMPONENT,
                       (("fog_height_falloff", fog.FOG_FALLOFF),), tracks, spawn)


def plan_unreal_sequence(channels: Channels) -> UnrealPlan:
    """The Level Sequence plan for ``channels`` (see the module docstring)."""
    check_kinds(channels, UNREAL_KINDS, "Unreal")
    if len(channels.time) == 0:
        raise ValueError("channels: the time array is empty")
    frames = channels.time.frames
    numbers, subs = split_frames(frames)
    actors: list[UnrealActor] = []
    report: list[str] = []
    for obj, kind in channels.kinds.items():
        attrs = channels.of(obj)
        if kind == "atmosphere":
            fog_actor = _fog_actor(channels, obj)
            keyed = {"fog_density", "haze_r", "haze_g", "haze_b"} if fog_actor else set()
            report += [f"{obj}.{a}: atmosphere has no Unreal mapping; not keyed"
                       for a in attrs if a not in keyed]
            if fog_actor is not None:
                actors.append(fog_actor)
            continue
        used: set[str] = set()
        tracks: list[UnrealTrack] = []
        settings: list[tuple[str, object]] = []
        tr = object_transform(channels, obj)
        if tr is not None:
            ue = units.to_unreal_transform(*tr)
            tracks.append(UnrealTrack(False, TRANSFORM_TRACK, "Transform", "Transform",
                                      tuple(zip(TRANSFORM_CHANNELS, ue, strict=True))))
            used |= set(TRANSFORM_ATTRS)
        else:
            ue = units.to_unreal_transform(0, 0, 0, 0, 0, 0)
        spawn = tuple(float(a[0]) + 0.0 for a in ue)
        if kind == "camera":
            for attr, (name, path, factor) in CAMERA_PROPERTIES.items():
                if attr in attrs:
                    tracks.append(_float(name, path, factor * attrs[attr]))
                    used.add(attr)
            if "focus_distance" in attrs:
                settings.append(("focus_method", "MANUAL"))
        elif kind.startswith("light."):
            light_tracks, light_settings = _light_tracks(channels, obj, kind, used)
            tracks += light_tracks
            settings += light_settings
        report += [f"{obj}.{a}: no Unreal property for {kind!r}; not keyed"
                   for a in attrs if a not in used]
        actors.append(UnrealActor(obj, kind, ACTOR_CLASSES[kind], COMPONENT_CLASSES.get(kind),
                                  tuple(settings), tuple(tracks), spawn))
    start = int(np.floor(frames[0]))
    end = int(np.floor(frames[-1])) + 1
    return UnrealPlan(units.fps_to_frame_rate(channels.time.fps), numbers, subs, (start, end),
                      tuple(actors), tuple(report))


#: Actor class of a linked camera's aim: a CineCameraActor, whose look-at tracking turns it
#: toward the target (the camera hangs off it, like the Blender / Maya aim null).
AIM_ACTOR = "CineCameraActor"


def _transform_track(six: tuple[np.ndarray, ...]) -> UnrealTrack:
    return UnrealTrack(False, TRANSFORM_TRACK, "Transform", "Transform",
                       tuple(zip(TRANSFORM_CHANNELS, six, strict=True)))


def unreal_world(channels: Channels, obj: str) -> tuple[np.ndarray, ...]:
    """``(x, y, z cm, roll, pitch, yaw deg)`` of ``obj`` in Unreal's world at every sample."""
    return units.to_unreal_transform(*(attr_or(channels, obj, a, 0.0) for a in TRANSFORM_ATTRS))


def unreal_relative(parent: tuple[np.ndarray, ...],
                    child: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """The child's transform relative to its attach parent, both Unreal ``(x, y, z, roll,
    pitch, yaw)``: ``R_rel = R_p^T R_c``, ``t_rel = R_p^T (t_c - t_p)`` (unit scale), so
    Unreal's ``parent * relative`` gives the child's world transform back."""
    rp = units.unreal_rotator_to_matrix(*parent[3:])
    rc = units.unreal_rotator_to_matrix(*child[3:])
    inv = np.swapaxes(rp, -1, -2)
    offset = np.stack(child[:3], axis=-1) - np.stack(parent[:3], axis=-1)
    loc = np.einsum("nij,nj->ni", inv, offset)
    ea, eb, ec = continuous_euler_xyz(inv @ rc, gimbal_zero="a")
    return loc[:, 0], loc[:, 1], loc[:, 2], -ea, -eb, ec


def _keyed(actor: UnrealActor, six: tuple[np.ndarray, ...]) -> UnrealActor:
    """``actor`` with its transform track holding ``six`` (the script keys it)."""
    tracks = tuple(t for t in actor.tracks if t.track_class != TRANSFORM_TRACK)
    return replace(actor, tracks=(_transform_track(six), *tracks))


def link_plan(plan: UnrealPlan, channels: Channels, linkage: Linkage) -> UnrealPlan:
    """``plan`` with ``linkage`` (:mod:`moks_graph.hosts.linkage`) in Unreal's terms: each
    linked light attached to its target's actor, keyed relative to it; each linked camera
    attached to an aim actor (:data:`AIM_ACTOR`, keyed at the camera's position with the plain
    look-at toward the target) whose look-at tracking follows the target, and keyed relative
    to that aim. At every sample ``parent * relative`` is the plan's world transform."""
    linkage.check(channels)
    actors = {a.name: a for a in plan.actors}
    attach: list[tuple[str, str]] = []
    track: list[tuple[str, str]] = []
    aims: list[UnrealActor] = []
    for child, parent in sorted(linkage.children.items()):
        relative = unreal_relative(unreal_world(channels, parent), unreal_world(channels, child))
        actors[child] = _keyed(actors[child], relative)
        attach.append((child, parent))
    for camera, target in sorted(linkage.aims.items()):
        aim = aim_transforms(channels, camera, target)[0]
        aim_six = units.to_unreal_transform(*(aim[a] for a in TRANSFORM_ATTRS))
        name = linkage.aim_name(camera)
        aims.append(UnrealActor(name, "null", AIM_ACTOR, None, (),
                                (_transform_track(aim_six),),
                                tuple(float(a[0]) + 0.0 for a in aim_six)))
        actors[camera] = _keyed(actors[camera],
                                unreal_relative(aim_six, unreal_world(channels, camera)))
        attach.append((camera, name))
        track.append((name, target))
    return replace(plan, actors=tuple(actors[a.name] for a in plan.actors) + tuple(aims),
                   links=UnrealLinks(tuple(attach), tuple(track)))

