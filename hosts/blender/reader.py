"""Read a .blend written by :mod:`.writer` back into internal :class:`Channels`.

Entry points: :func:`read_blend`.

Details (moved from this docstring, issue 15): docs/hosts.md#hostsblenderreaderpy
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from moks_graph.channels import OBJECT_KINDS, Channels
from moks_graph.hosts.blender.keyframes import (
    COLOR_DERIVED_PROPERTY,
    FPS_PROPERTY,
    FRAMES_PROPERTY,
    KIND_PROPERTY,
    SUBFRAMES_PROPERTY,
    CurveKeys,
    Target,
    attribute_for,
    channels_from_curves,
    data_id_type,
    snap_frames,
)
from moks_graph.hosts.blender.writer import (
    AIM_PROPERTY,
    OBJECT_PROPERTY,
    PARENT_PROPERTY,
    WORLD_PROPERTY,
    import_bpy,
    quiet_blender,
)
from moks_graph.hosts.units import COLOR_ATTRS
from moks_graph.hosts.writer_channels import TRANSFORM_ATTRS
from moks_graph.rotations import continuous_euler_xyz
from moks_graph.timebase import TimeArray, sample_frames

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SOCKET_BY_INDEX = re.compile(r'^nodes\["(?P<node>[^"]+)"\]\.(?P<io>inputs|outputs)'
                              r'\[(?P<index>\d+)\]\.(?P<rest>.+)$')


def _canonical_path(blender_id: Any, data_path: str) -> str:
    """Node-socket paths by index (as ``keyframe_insert`` writes them) -> by identifier.

    ``nodes["MOKS Fog"].inputs[2].default_value`` ->
    ``nodes["MOKS Fog"].inputs["Density"].default_value``.
    """
    m = _SOCKET_BY_INDEX.match(data_path)
    if m is None or not hasattr(blender_id, "nodes"):
        return data_path
    node = blender_id.nodes.get(m["node"])
    if node is None:
        return data_path
    sockets = getattr(node, m["io"])
    index = int(m["index"])
    if index >= len(sockets):
        return data_path
    return f'nodes["{m["node"]}"].{m["io"]}["{sockets[index].identifier}"].{m["rest"]}'


def _curves_of(blender_id: Any, obj: str, kind: str) -> list[CurveKeys]:
    """The MOKS curves keyed on ``blender_id`` through its assigned action slot."""
    anim = blender_id.animation_data
    if anim is None or anim.action is None or anim.action_slot is None:
        return []
    slot = anim.action_slot
    derived_color = bool(blender_id.get(COLOR_DERIVED_PROPERTY, False))
    curves: list[CurveKeys] = []
    for layer in anim.action.layers:
        for strip in layer.strips:
            if strip.type != "KEYFRAME":
                continue
            channelbag = strip.channelbag(slot)
            if channelbag is None:
                continue
            for fcurve in channelbag.fcurves:
                path = _canonical_path(blender_id, fcurve.data_path)
                target = Target(slot.target_id_type, path, fcurve.array_index)
                attr = attribute_for(kind, target)
                if attr is None or (attr in COLOR_ATTRS and derived_color):
                    continue
                n = len(fcurve.keyframe_points)
                co = np.empty(2 * n, dtype=np.float64)
                fcurve.keyframe_points.foreach_get("co", co)
                curves.append(CurveKeys(obj, attr, target, co[0::2].copy(), co[1::2].copy()))
    return curves


def _moks_kind(blender_id: Any) -> str | None:
    kind = blender_id.get(KIND_PROPERTY)
    if kind is None:
        return None
    if kind not in OBJECT_KINDS:
        raise ValueError(f"{blender_id.name!r} has unknown {KIND_PROPERTY} {kind!r}")
    if not _NAME.match(_object_name(blender_id)):
        raise ValueError(f"MOKS object {blender_id.name!r} has a name that is not an identifier "
                         "(renamed or duplicated in Blender?)")
    return str(kind)


def _object_name(blender_id: Any) -> str:
    """The MOKS object name: the ``moks_object`` property, else the Blender name."""
    name = blender_id.get(OBJECT_PROPERTY)
    return str(name) if isinstance(name, str) else str(blender_id.name)


def _scene_ids(scene: Any) -> tuple[dict[str, str], list[tuple[str, str, Any]]]:
    """``kinds`` and ``(object, kind, ID)`` for every MOKS object, its data and world."""
    kinds: dict[str, str] = {}
    ids: list[tuple[str, str, Any]] = []
    for obj in sorted(scene.objects, key=lambda o: o.name):
        kind = _moks_kind(obj)
        if kind is None or obj.get(AIM_PROPERTY) is not None:
            continue
        name = _object_name(obj)
        if name in kinds:
            raise ValueError(f"two MOKS objects are {name!r} in scene {scene.name!r} (two "
                             "graphs baked into it?); read one graph's collection")
        kinds[name] = kind
        ids.append((name, kind, obj))
        if data_id_type(kind) is not None and obj.data is not None:
            ids.append((name, kind, obj.data))
    world = scene.world
    if (world is None or _moks_kind(world) != "atmosphere") and scene.get(WORLD_PROPERTY):
        world = import_bpy().data.worlds.get(scene[WORLD_PROPERTY])  # the user's world kept
    if world is not None and _moks_kind(world) == "atmosphere":
        name = _object_name(world)
        kinds[name] = "atmosphere"
        ids.append((name, "atmosphere", world))
        if world.node_tree is not None:
            ids.append((name, "atmosphere", world.node_tree))
    return kinds, ids


def read_blend(path: str | os.PathLike[str], *, scene_name: str | None = None) -> Channels:
    """Open a .blend and return its MOKS channels in internal units.

    ``scene_name``: the scene to read (default: the file's active scene).
    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for a
    missing scene or curves not keyed on one common time array.
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    source = Path(path)
    if not source.is_file():
        raise FileNotFoundError(f"path {str(source)!r} is not a .blend file")
    bpy = import_bpy()
    with quiet_blender():
        bpy.ops.wm.open_mainfile(filepath=str(source), load_ui=False)
    if scene_name is None:
        scene = bpy.context.scene
    else:
        scene = bpy.data.scenes.get(scene_name)
        if scene is None:
            raise ValueError(f"scene_name {scene_name!r} is not in {str(source)!r}; scenes: "
                             f"{', '.join(s.name for s in bpy.data.scenes)}")
    kinds, ids = _scene_ids(scene)
    curves = [c for obj, kind, blender_id in ids for c in _curves_of(blender_id, obj, kind)]
    fps = float(scene.get(FPS_PROPERTY, scene.render.fps / scene.render.fps_base))
    subframes = int(scene.get(SUBFRAMES_PROPERTY, 0))
    stored = scene.get(FRAMES_PROPERTY)
    if stored is not None and len(stored):
        frames = np.array([float(f) for f in stored], dtype=np.float64)
    elif curves:
        frames = snap_frames(max((c.frames for c in curves), key=len), subframes)
    else:
        frames = sample_frames(scene.frame_start, scene.frame_end, max(subframes, 1))
    channels = channels_from_curves(curves, kinds, TimeArray(frames=frames, fps=fps))
    linked = {_object_name(o): o for _, _, o in ids
              if getattr(o, "get", None) and o.get(PARENT_PROPERTY) is not None
              and hasattr(o, "matrix_world")}
    if not linked:
        return channels
    world = _world_transforms(bpy, scene, linked, frames, channels)
    values = {**channels.values, **world}
    return Channels(channels.time, values, channels.kinds)


def _world_transforms(bpy: Any, scene: Any, objects: dict[str, Any], frames: np.ndarray,
                      channels: Channels) -> dict[str, np.ndarray]:
    """``"<obj>.tx".."<obj>.rz"`` of constrained objects as Blender evaluates them per sample."""
    mats = {name: np.empty((len(frames), 4, 4)) for name in objects}
    for i, f in enumerate(frames):
        whole = int(np.floor(f))
        scene.frame_set(whole, subframe=float(f - whole))
        depsgraph = bpy.context.evaluated_depsgraph_get()
        for name, obj in objects.items():
            mats[name][i] = np.array(obj.evaluated_get(depsgraph).matrix_world)
    out: dict[str, np.ndarray] = {}
    for name, m in mats.items():
        first = [float(channels[f"{name}.{a}"][0]) if f"{name}.{a}" in channels else 0.0
                 for a in TRANSFORM_ATTRS[3:]]
        angles = continuous_euler_xyz(m[:, :3, :3], near=first)
        for k, attr in enumerate(TRANSFORM_ATTRS):
            out[f"{name}.{attr}"] = m[:, k, 3].copy() if k < 3 else angles[k - 3]
    return out
