"""What the "Bake MOKS graph" operator does, without any UI: bake a graph into a Blender scene.

The details (moved from this docstring): docs/hosts.md, "Module notes",
`hosts/blender/addon/core.py`.
"""

from __future__ import annotations

import os
import re
import types
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moks_graph import mgraph
from moks_graph.channels import Channels
from moks_graph.hosts.ambient import blender_ambient
from moks_graph.hosts.bake import (
    BakeProgress,
    Targets,
    bake_channels,
    evaluate_features,
    feature_created,
    write_features,
)
from moks_graph.hosts.blender.keyframes import KIND_PROPERTY, blender_curves
from moks_graph.hosts.blender.writer import (
    WORLD_PROPERTY,
    BlenderScene,
    collection_name,
    configure_scene,
    import_bpy,
    moks_collection,
    populate_scene,
    write_keys_bulk,
)
from moks_graph.hosts.look import blender_look_properties, remove_files
from moks_graph.hosts.selectors import MappingResolver

#: Object custom property listing an object's selector tags.
TAGS_PROPERTY = "moks_tags"
#: Suffix given to MOKS objects while their replacements are built.
_ASIDE = "__moks_replaced"


def object_tags(obj: Any) -> list[str]:
    """Tags of a Blender object: its ``moks_tags`` words, then its collections' names."""
    raw = obj.get(TAGS_PROPERTY)
    words: list[str] = []
    if isinstance(raw, str):
        words = [w for w in re.split(r"[\s,]+", raw) if w]
    elif raw is not None:
        words = [str(w) for w in raw]
    return words + [c.name for c in obj.users_collection]


def scene_resolver(scene: Any) -> MappingResolver:
    """Resolve selectors against ``scene``'s objects (not MOKS objects: a bake replaces those)."""
    names: set[str] = set()
    tags: dict[str, list[str]] = {}
    for obj in scene.objects:
        if obj.get(KIND_PROPERTY) is not None:
            continue
        names.add(obj.name)
        for tag in object_tags(obj):
            tags.setdefault(tag, []).append(obj.name)
    return MappingResolver(names=frozenset(names), tags=tags)


def _moks_ids(bpy: Any, channels: Channels, prefix: str = "") -> list[Any]:
    """Existing IDs the bake replaces; ValueError for a same-named non-MOKS object or world."""
    found: list[Any] = []
    clashes: list[str] = []
    for obj_name, kind in channels.kinds.items():
        name = prefix + obj_name
        collection = bpy.data.worlds if kind == "atmosphere" else bpy.data.objects
        existing = collection.get(name)
        if existing is None:
            continue
        if existing.get(KIND_PROPERTY) is None:
            clashes.append(f"{'world' if kind == 'atmosphere' else 'object'} {name!r}")
        else:
            found.append(existing)
    if clashes:
        raise ValueError(f"the scene already has {', '.join(clashes)} not made by MOKS; "
                         "rename it to bake the graph's object of that name")
    return found


def object_prefix(graph_name: str) -> str:
    """``"<graph_name>_"``: what a bake into a scene puts before its datablock names
    (``""`` for the default name ``"MOKS"``)."""
    return "" if graph_name in ("", "MOKS") else f"{graph_name}_"


def _actions_of(ids: Iterable[Any]) -> set[Any]:
    out = set()
    for block in ids:
        anim = getattr(block, "animation_data", None)
        if anim is not None and anim.action is not None:
            out.add(anim.action)
    return out


def remove_ids(bpy: Any, ids: Iterable[Any]) -> None:
    """Remove MOKS objects (with their camera/light data) and worlds, then their unused actions."""
    ids = list(ids)
    data = [getattr(i, "data", None) for i in ids if isinstance(i, bpy.types.Object)]
    node_trees = [i.node_tree for i in ids if isinstance(i, bpy.types.World) and i.node_tree]
    actions = _actions_of([*ids, *(d for d in data if d is not None), *node_trees])
    for block in ids:
        if isinstance(block, bpy.types.Object):
            bpy.data.objects.remove(block)
        elif isinstance(block, bpy.types.World):
            bpy.data.worlds.remove(block)
    for d in data:
        if d is not None and d.users == 0:
            (bpy.data.cameras if isinstance(d, bpy.types.Camera) else bpy.data.lights).remove(d)
    for action in actions:
        if action.users == 0:
            bpy.data.actions.remove(action)


def _remove_built(bpy: Any, built: BlenderScene) -> None:
    blocks = [b for (_, id_type), b in built.ids.items() if id_type in ("OBJECT", "WORLD")]
    action_names = [a.name for a in built.actions]
    remove_ids(bpy, blocks)
    for name in action_names:
        action = bpy.data.actions.get(name)
        if action is not None and action.users == 0:
            bpy.data.actions.remove(action)


def write_into_scene(channels: Channels, scene: Any = None, *, graph_name: str = "MOKS",
                     replace_world: bool = False, keep_camera: bool = False) -> BlenderScene:
    """Key ``channels`` into ``scene`` (default: the current scene), replacing earlier MOKS objects.

    The objects go in the collection ``"MOKS <graph_name>"``
    (:func:`~moks_graph.hosts.blender.writer.collection_name`) and are named
    ``"<graph_name>_<object>"`` (:func:`object_prefix`; plain object names for the
    default ``graph_name``), so two graphs baked into one scene do not clash; MOKS
    objects left in the collection by the last bake that this bake does not make
    are removed (the user's objects, in it or not, are never touched). The baked camera
    becomes the scene camera unless ``keep_camera`` (and the scene has one).
    The user's world stays ``scene.world`` unless ``replace_world`` (then the
    MOKS world replaces it and the old one keeps a fake user); see
    :func:`~moks_graph.hosts.blender.writer.populate_scene`.
    Also sets the scene's fps and frame range to the channels'
    (:func:`~moks_graph.hosts.blender.writer.configure_scene`). All-or-nothing
    (see the module docstring).
    """
    bpy = import_bpy()
    scene = bpy.context.scene if scene is None else scene
    curves = blender_curves(channels)
    prefix = object_prefix(graph_name)
    old = _moks_ids(bpy, channels, prefix)
    name = collection_name(graph_name)
    existing = bpy.data.collections.get(name)
    collection = moks_collection(bpy, scene, name)
    wanted = {prefix + n for n in channels.kinds}
    old += [o for o in (existing.objects if existing is not None else ())
            if o.get(KIND_PROPERTY) is not None and o.name not in wanted and o not in old]
    data = [getattr(block, "data", None) for block in old]
    old_actions = _actions_of([*old, *(d for d in data if d is not None)])
    old_names = [(block, block.name) for block in [*old, *old_actions]]
    old_world, old_camera = scene.world, scene.camera
    for block, name in old_names:
        block.name = name + _ASIDE
    if old_camera is not None and old_camera in old:
        scene.camera = None
    built = BlenderScene(scene)
    try:
        populate_scene(scene, channels, curves, built=built, collection=collection,
                       replace_world=replace_world, make_camera_active=not keep_camera,
                       prefix=prefix)
        write_keys_bulk(built, curves)
    except BaseException:
        _remove_built(bpy, built)
        for block, block_name in old_names:
            block.name = block_name
        scene.world, scene.camera = old_world, old_camera
        if existing is None:
            bpy.data.collections.remove(collection)
        raise
    remove_ids(bpy, old)
    configure_scene(scene, channels)
    return built


@dataclass(frozen=True)
class SceneBake:
    """Result of :func:`bake_into_scene`: the channels keyed (proxies included) and the targets."""

    channels: Channels
    targets: Targets
    built: BlenderScene
    #: The film look's and SH ambient's files written beside the .blend (as ``moks bake``).
    side_files: tuple[Path, ...] = ()
    #: What the bake left out or could not show, and why, one line each.
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        ch = self.channels
        start, end = ch.time.frames[0], ch.time.frames[-1]
        proxies = len(self.targets.proxies)
        side = ", ".join(p.name for p in self.side_files)
        return (f"baked {len(ch)} channels x {len(ch.time)} samples, frames {start:g}-{end:g}, "
                f"{len(ch.kinds)} objects" + (f", {proxies} proxy null(s)" if proxies else "")
                + (f", with {side}" if side else ""))


def _ambient_world(bpy: Any, scene: Any) -> Any:
    """What carries the ambient: the scene when its world is the bake's (or it has none),
    else the MOKS world the bake kept beside the user's (``None``: there is none)."""
    if scene.world is None or scene.world.get(KIND_PROPERTY) is not None:
        return scene
    kept = scene.get(WORLD_PROPERTY)
    world = bpy.data.worlds.get(kept) if kept else None
    return None if world is None else types.SimpleNamespace(world=world)


def _show_look(scene: Any, files: Any) -> str:
    """Set the film view when the running Blender's OCIO config has it; else why not."""
    display, view = scene.display_settings.display_device, scene.view_settings.view_transform
    try:
        scene.display_settings.display_device = files.display
        scene.view_settings.view_transform = files.view
    except TypeError:  # not an item of the running config's enums
        scene.display_settings.display_device = display
        scene.view_settings.view_transform = view
        return (f"film look {files.view!r} written ({files.config.name}); Blender shows it "
                f"when started with OCIO={files.config.name} (the running config lacks it)")
    scene.view_settings.look = "None"
    return ""


def write_beside_blend(bpy: Any, look: Any, ambient: Any) -> tuple[dict[str, Any], list[str]]:
    """Write the film look's and SH ambient's files beside the saved .blend, as ``moks bake``
    does (:func:`~moks_graph.hosts.bake.write_features`); an unsaved .blend gets none, and a
    note says why."""
    if look is None and ambient is None:
        return {}, []
    if not bpy.data.filepath:
        return {}, ["film look / ambient not written: save the .blend first (their files go "
                    "beside it)"]
    return write_features(Path(bpy.path.abspath(bpy.data.filepath)), look, ambient), []


def point_scene(bpy: Any, scene: Any, features: dict[str, Any]) -> list[str]:
    """Point ``scene`` at the written look (its scene properties and, when the running config
    has it, its view: :func:`_show_look`) and ambient (the bake's world background); notes."""
    notes: list[str] = []
    if "look" in features:
        blender_look_properties(scene, features["look"])
        notes.append(_show_look(scene, features["look"]))
    if "ambient" in features:
        holder = _ambient_world(bpy, scene)
        if holder is None:
            notes.append("ambient written but not applied: the scene keeps its own world")
        else:
            blender_ambient(bpy, holder, features["ambient"])
    return [n for n in notes if n]


def bake_into_scene(graph_path: str | os.PathLike[str], scene: Any = None, *,
                    frames: tuple[int, int] | None = None, subframes: int | None = None,
                    progress: BakeProgress | None = None, replace_world: bool = False,
                    keep_camera: bool = False, look: bool = True,
                    ambient: bool = True) -> SceneBake:
    """Load ``graph_path``, bake it with the engine and key it into ``scene`` (default: current).

    ``frames``/``subframes``: the bake range (default: the graph's). The
    objects go in the collection ``"MOKS <graph file stem>"``;
    ``replace_world`` / ``keep_camera``: see :func:`write_into_scene`. Selectors
    resolve against ``scene`` (:func:`scene_resolver`); unresolved ones become
    proxy Empties ``MISSING_TARGET_<selector>``, listed in ``targets.warnings``.
    ``look`` / ``ambient``: write the graph's film look and SH ambient beside the saved .blend
    and point the scene at them, as ``moks bake --host blender`` does (:func:`write_beside_blend`,
    :func:`point_scene`).
    Raises :class:`~moks_graph.errors.MoksError` for graph problems and
    ``ValueError`` for channels Blender cannot hold; the scene is unchanged then.
    """
    bpy = import_bpy()
    scene = bpy.context.scene if scene is None else scene
    graph = mgraph.load(graph_path)
    channels, targets = bake_channels(graph, frames=frames, subframes=subframes,
                                      resolver=scene_resolver(scene), progress=progress)
    notes: list[str] = []
    film, sky = evaluate_features(graph, "blender", frames, subframes, look=look,
                                  ambient=ambient, notes=notes)
    features, unsaved = write_beside_blend(bpy, film, sky)
    try:
        built = write_into_scene(channels, scene, graph_name=Path(graph_path).stem,
                                 replace_world=replace_world, keep_camera=keep_camera)
        notes += unsaved + point_scene(bpy, scene, features)
    except BaseException:
        remove_files(feature_created(features))
        raise
    side = tuple(p for f in features.values() for p in f.paths())
    return SceneBake(channels, targets, built, side, tuple(notes))
