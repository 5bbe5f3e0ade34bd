"""A moving target from a host scene: an object's animated world position as a track file.

Entry points: :func:`scene_track`, :func:`write_track`.

Details (moved from this docstring, issue 15): docs/moving-targets.md#hostsscene_targetspy
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from moks_graph.atomic import atomic_write_bytes
from moks_graph.nodes.subject.track import Track, check_track

from . import units
from .selectors import MappingResolver, Resolver, parse_selector

#: Scene file suffixes by host.
SCENE_SUFFIXES: dict[str, tuple[str, ...]] = {"usd": (".usd", ".usda", ".usdc"),
                                              "blender": (".blend",), "maya": (".ma",)}
#: USD prim customData key / Maya string attribute listing an object's tags.
USD_TAGS_KEY = "moks:tags"
MAYA_TAGS_ATTR = "moks_tags"


def _words(text: Any) -> list[str]:
    return [w for w in re.split(r"[\s,]+", text) if w] if isinstance(text, str) else []


def _resolve(selector: str, resolver: Resolver, names: list[str], source: Path) -> str:
    sel = parse_selector(selector)
    found = resolver.resolve(sel)
    if not found:
        listed = ", ".join(sorted(names)[:20]) + (" ..." if len(names) > 20 else "")
        raise ValueError(f"selector {str(sel)!r} matches no object in {str(source)!r} "
                         f"(objects: {listed or 'none'})")
    return found


def host_of(path: str | os.PathLike[str]) -> str:
    """The host a scene file belongs to, by suffix (``ValueError`` for others)."""
    suffix = Path(path).suffix.lower()
    for host, suffixes in SCENE_SUFFIXES.items():
        if suffix in suffixes:
            return host
    known = ", ".join(s for v in SCENE_SUFFIXES.values() for s in v)
    raise ValueError(f"scene {os.fspath(path)!r}: not a scene file this reads ({known})")


def scene_track(path: str | os.PathLike[str], selector: str) -> Track:
    """The world positions over time of the object ``selector`` picks in the scene ``path``."""
    source = Path(path)
    host = host_of(source)
    if not source.is_file():
        raise FileNotFoundError(f"no scene file at {str(source)!r}")
    reader = {"usd": _usd_track, "blender": _blend_track, "maya": _ma_track}[host]
    obj, seconds, positions = reader(source, selector)
    check_track(seconds, positions, f"{source} {selector}")
    return Track(seconds, positions, source.name, str(parse_selector(selector)), obj)


def write_track(track: Track, out: str | os.PathLike[str]) -> Path:
    """Write a track file (JSON, atomically); returns the path."""
    target = Path(out)
    if target.suffix.lower() != ".json":
        raise ValueError(f"track file {str(target)!r} must end in .json")
    atomic_write_bytes(target, track.to_json().encode("utf-8"))
    return target


def _usd_track(source: Path, selector: str) -> tuple[str, np.ndarray, np.ndarray]:
    from pxr import Usd, UsdGeom

    stage = Usd.Stage.Open(str(source))
    if stage is None:
        raise ValueError(f"{str(source)!r} is not a readable USD stage")
    prims = [p for p in stage.Traverse() if p.IsA(UsdGeom.Xformable)]
    names = {str(p.GetPath()): p for p in prims} | {p.GetName(): p for p in prims}
    tags: dict[str, list[str]] = {}
    for p in prims:
        for tag in _words(p.GetCustomDataByKey(USD_TAGS_KEY)):
            tags.setdefault(tag, []).append(str(p.GetPath()))
    found = _resolve(selector, MappingResolver(frozenset(names), tags), list(names), source)
    prim = names[found]
    start, end = stage.GetStartTimeCode(), stage.GetEndTimeCode()
    codes = np.arange(np.floor(start), np.floor(end) + 1.0) if end >= start else np.zeros(1)
    translate = np.array([list(UsdGeom.XformCache(Usd.TimeCode(float(c)))
                               .GetLocalToWorldTransform(prim).ExtractTranslation())
                          for c in codes], dtype=np.float64)
    identity = np.tile([1.0, 0.0, 0.0, 0.0], (len(codes), 1))
    x, y, z, *_ = units.from_usd_transform(
        translate, identity, up_axis=str(UsdGeom.GetStageUpAxis(stage)),
        meters_per_unit=float(UsdGeom.GetStageMetersPerUnit(stage)))
    return prim.GetName(), codes / float(stage.GetTimeCodesPerSecond()), np.stack([x, y, z], -1)


def _blend_track(source: Path, selector: str) -> tuple[str, np.ndarray, np.ndarray]:
    from moks_graph.hosts.blender.addon.core import object_tags
    from moks_graph.hosts.blender.writer import import_bpy, quiet_blender

    bpy = import_bpy()
    with quiet_blender():
        bpy.ops.wm.open_mainfile(filepath=str(source), load_ui=False)
    scene = bpy.context.scene
    names = [o.name for o in scene.objects]
    tags: dict[str, list[str]] = {}
    for o in scene.objects:
        for tag in object_tags(o):
            tags.setdefault(tag, []).append(o.name)
    found = _resolve(selector, MappingResolver(frozenset(names), tags), names, source)
    obj = scene.objects[found]
    fps = scene.render.fps / scene.render.fps_base
    frames = np.arange(scene.frame_start, scene.frame_end + 1, dtype=np.float64)
    positions = []
    for frame in frames:
        scene.frame_set(int(frame))
        graph = bpy.context.evaluated_depsgraph_get()
        positions.append(list(obj.evaluated_get(graph).matrix_world.translation))
    return obj.name, frames / fps, np.asarray(positions, dtype=np.float64)


def _ma_track(source: Path, selector: str) -> tuple[str, np.ndarray, np.ndarray]:
    from .maya.ma_parser import parse_ma_text
    from .maya.mapping import world_transforms

    scene = parse_ma_text(source.read_text(encoding="utf-8"))
    transforms = [n for n in scene.nodes if n.node_type == "transform"]
    tags: dict[str, list[str]] = {}
    for n in transforms:
        for tag in _words(dict(n.static).get(MAYA_TAGS_ATTR)):
            tags.setdefault(tag, []).append(n.name)
    names = [n.name for n in transforms]
    found = _resolve(selector, MappingResolver(frozenset(names), tags), names, source)
    frames, worlds = world_transforms(scene)
    world = worlds[found]
    return found, frames / scene.fps, np.stack([world[a] for a in ("tx", "ty", "tz")], -1)


__all__ = ["SCENE_SUFFIXES", "host_of", "scene_track", "write_track"]
