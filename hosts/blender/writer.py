"""Write :class:`~moks_graph.channels.Channels` to a .blend with Blender 5 layered actions.

The details (moved from this docstring): docs/hosts.md, "Module notes",
`hosts/blender/writer.py`.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from moks_graph.atomic import atomic_output
from moks_graph.channels import Channels
from moks_graph.hosts.ambient import AmbientFiles, blender_ambient
from moks_graph.hosts.blender.keyframes import (
    COLOR_DERIVED_PROPERTY,
    FOG_NODE_NAME,
    FPS_PROPERTY,
    FRAMES_PROPERTY,
    ID_TYPES,
    KIND_PROPERTY,
    SUBFRAMES_PROPERTY,
    CurveKeys,
    blender_curves,
    blender_fps,
    data_id_type,
    frame_range,
    infer_subframes,
)
from moks_graph.hosts.linkage import Linkage, linked_channels
from moks_graph.hosts.look import LookFiles, blender_look_properties, blender_set_view
from moks_graph.hosts.output_paths import output_path
from moks_graph.hosts.units import DEFAULT_AREA_SIZE_M, DEFAULT_SPHERE_SIZE_M

#: Suffixes the Blender writer accepts.
SUFFIXES: tuple[str, ...] = (".blend",)
#: Name of the layer every MOKS action gets.
LAYER_NAME = "MOKS"
#: Scene property naming the MOKS world when the user's world was kept as ``scene.world``.
WORLD_PROPERTY = "moks_world"
#: Object / world property holding the MOKS object name (the Blender name may carry a prefix).
OBJECT_PROPERTY = "moks_object"
#: Object property of a linked object: the MOKS name of the object it is constrained to.
PARENT_PROPERTY = "moks_parent"
#: Object property of a linked camera's aim Empty: the camera's MOKS name.
AIM_PROPERTY = "moks_aim_of"
#: Names of the constraints a linked bake adds.
LINK_CONSTRAINT = "MOKS link"
AIM_CONSTRAINT = "MOKS aim"

_LIGHT_TYPES = {"light.point": "POINT", "light.spot": "SPOT", "light.area": "AREA",
                "light.sun": "SUN"}


@dataclass
class AnimatedID:
    """A Blender ID with its action slot and the strip channelbag its F-curves go in."""

    id: Any
    slot: Any
    channelbag: Any


@dataclass
class BlenderScene:
    """What :func:`build_scene` made: the scene, every datablock and every animated ID.

    ``ids`` maps ``(object, id_type)`` to the Blender ID; ``animated`` the
    same keys (only IDs that get keys) to their :class:`AnimatedID`;
    ``actions`` lists the actions created.
    """

    scene: Any
    ids: dict[tuple[str, str], Any] = field(default_factory=dict)
    animated: dict[tuple[str, str], AnimatedID] = field(default_factory=dict)
    actions: list[Any] = field(default_factory=list)


def import_bpy() -> Any:
    """``import bpy`` (the first import takes about a second), or a clear ``ImportError``."""
    try:
        import bpy
    except ImportError:
        raise ImportError("the Blender host needs the bpy module: install it with "
                          "pip install 'moks-graph[blender]'") from None
    return bpy


def _check_scene_name(scene_name: str) -> None:
    if not isinstance(scene_name, str) or not scene_name.strip():
        raise ValueError(f"scene_name must be a non-empty string, got {scene_name!r}")


def _new_world(bpy: Any, name: str) -> Any:
    """A World whose node tree sends a Principled Volume ("MOKS Fog") to its Volume output."""
    world = bpy.data.worlds.new(name)
    tree = world.node_tree
    output = next(n for n in tree.nodes if n.bl_idname == "ShaderNodeOutputWorld")
    fog = tree.nodes.new("ShaderNodeVolumePrincipled")
    fog.name = FOG_NODE_NAME
    fog.label = FOG_NODE_NAME
    fog.location = (output.location.x - 300.0, output.location.y - 250.0)
    tree.links.new(fog.outputs["Volume"], output.inputs["Volume"])
    world.mist_settings.start = 0.0
    world.mist_settings.falloff = "LINEAR"
    return world


def _new_object(bpy: Any, collection: Any, name: str, kind: str,
                attrs: Sequence[str]) -> tuple[Any, Any]:
    """Create the object (and its camera/light data) for one MOKS object; set static flags."""
    data = None
    if kind == "camera":
        data = bpy.data.cameras.new(name)
        data.sensor_fit = "HORIZONTAL"  # sensor_width is the horizontal film back
        data.dof.use_dof = "focus_distance" in attrs or "fstop" in attrs
    elif kind in _LIGHT_TYPES:
        data = bpy.data.lights.new(name, _LIGHT_TYPES[kind])
        data.use_temperature = False  # the colour carries the CCT (units.light_color)
        if kind == "light.area":
            data.shape = "SQUARE"
            data.size = DEFAULT_AREA_SIZE_M
        elif kind in ("light.point", "light.spot"):
            data.shadow_soft_size = DEFAULT_SPHERE_SIZE_M / 2.0
            # A true sphere (E = I / d**2 at every distance outside it, as UsdLux's
            # SphereLight): Blender's default soft falloff shades it as a disc facing the
            # subject, E = I / (d**2 + r**2), 0.17% dark for a 10 cm light at 1.2 m (issue 19).
            data.use_soft_falloff = False
    obj = bpy.data.objects.new(name, data)
    if kind == "null":
        obj.empty_display_type = "PLAIN_AXES"
    obj.rotation_mode = "XYZ"
    obj[KIND_PROPERTY] = kind
    obj[OBJECT_PROPERTY] = name
    collection.objects.link(obj)
    if obj.name != name:
        raise ValueError(f"channels: Blender renamed object {name!r} to {obj.name!r} "
                         "(name too long)")
    return obj, data


def _split_path(data_path: str) -> tuple[str, str]:
    """Split off the last property: ``'dof.focus_distance'`` -> ``('dof', 'focus_distance')``."""
    if data_path.startswith("["):
        return "", data_path
    head, _, prop = data_path.rpartition(".")
    return head, prop


def _check_range(blender_id: Any, curve: CurveKeys) -> None:
    """``ValueError`` when a curve leaves the RNA hard range Blender would clamp it to."""
    head, prop = _split_path(curve.target.data_path)
    if prop.startswith("["):
        return
    owner = blender_id.path_resolve(head) if head else blender_id
    rna = owner.bl_rna.properties[prop]
    lo, hi = float(rna.hard_min), float(rna.hard_max)
    vmin, vmax = float(curve.values.min()), float(curve.values.max())
    if vmin < lo or vmax > hi:
        name = f"{curve.obj}.{curve.attr}" if curve.attr else f"{curve.obj} (derived)"
        raise ValueError(f"channels: {name} goes to Blender {curve.target.data_path} as "
                         f"[{vmin:.6g}, {vmax:.6g}], outside its range [{lo:.6g}, {hi:.6g}]")


def configure_scene(scene: Any, channels: Channels) -> None:
    """Set a scene's rate and range for ``channels``.

    ``render.fps``/``fps_base`` (:func:`.keyframes.blender_fps`), the frame
    range (:func:`.keyframes.frame_range`), the current frame, and the scene
    custom properties ``moks_fps`` (exact fps), ``moks_subframes`` and
    ``moks_frames`` (the sample frames: constants hold one key, so the reader
    takes the time array from here).
    """
    frames = channels.time.frames
    scene.render.fps, scene.render.fps_base = blender_fps(channels.time.fps)
    start, end = frame_range(frames)
    scene.frame_end = end
    scene.frame_start = start
    scene.frame_end = end
    scene[FPS_PROPERTY] = float(channels.time.fps)
    scene[SUBFRAMES_PROPERTY] = infer_subframes(frames)
    scene[FRAMES_PROPERTY] = [float(f) for f in frames]
    scene.frame_current = start


def moks_collection(bpy: Any, scene: Any, name: str) -> Any:
    """The collection named ``name`` under ``scene``'s master collection (made when missing).

    Marked with the ``moks_kind`` property ``"collection"``; ``ValueError`` when a
    collection of that name exists that MOKS did not make.
    """
    collection = bpy.data.collections.get(name)
    if collection is None:
        collection = bpy.data.collections.new(name)
        collection[KIND_PROPERTY] = "collection"
    elif collection.get(KIND_PROPERTY) != "collection":
        raise ValueError(f"the file already has a collection {name!r} not made by MOKS; "
                         "rename it to bake into it")
    if collection.name not in scene.collection.children:
        scene.collection.children.link(collection)
    return collection


def _is_moks(block: Any) -> bool:
    return block is not None and block.get(KIND_PROPERTY) is not None


def populate_scene(scene: Any, channels: Channels, curves: Sequence[CurveKeys], *,
                   built: BlenderScene | None = None, collection: Any = None,
                   replace_world: bool = True, make_camera_active: bool = True,
                   prefix: str = "") -> BlenderScene:
    """Create every datablock, action and slot of ``channels`` in ``scene``. Writes no keys.

    Objects are linked to ``collection`` (default: the scene's master collection). The first
    camera becomes ``scene.camera`` when ``make_camera_active`` or when the scene has none. An
    atmosphere's World becomes ``scene.world`` when ``replace_world``, when the scene has no
    world or when its world is a MOKS one; a user's world replaced that way is kept with a fake
    user (it is not lost on save). Otherwise the user's world stays and the MOKS world is kept
    with a fake user and named in the scene property ``moks_world`` (the reader finds it there).
    Creates the custom properties the curves key, checks every curve against Blender's hard
    ranges, and gives each animated ID an action slot with an empty channelbag. Every ID created
    is recorded in ``built`` (pass one in to keep the record when this raises, e.g. to remove a
    partial result) and in the returned :class:`BlenderScene`. ``prefix``: put before every
    datablock name (``"<graph>_"`` for a bake into a user's scene, so two graphs' ``key``
    lights do not clash); each object and world keeps its MOKS object name in the custom
    property ``moks_object``, which the reader uses.
    """
    bpy = import_bpy()
    built = BlenderScene(scene) if built is None else built
    target = scene.collection if collection is None else collection
    camera_set = False
    for name, kind in channels.kinds.items():
        attrs = list(channels.of(name))
        if kind == "atmosphere":
            world = _new_world(bpy, prefix + name)
            built.ids[(name, "WORLD")] = world
            built.ids[(name, "NODETREE")] = world.node_tree
            world[KIND_PROPERTY] = kind
            world[OBJECT_PROPERTY] = name
            if replace_world or scene.world is None or _is_moks(scene.world):
                if scene.world is not None and not _is_moks(scene.world):
                    scene.world.use_fake_user = True
                scene.world = world
                if WORLD_PROPERTY in scene:
                    del scene[WORLD_PROPERTY]
            else:
                world.use_fake_user = True
                scene[WORLD_PROPERTY] = world.name
            continue
        obj, data = _new_object(bpy, target, prefix + name, kind, attrs)
        obj[OBJECT_PROPERTY] = name
        built.ids[(name, "OBJECT")] = obj
        data_type = data_id_type(kind)
        if data_type is not None:
            built.ids[(name, data_type)] = data
        if kind == "camera" and not camera_set and (make_camera_active or scene.camera is None):
            scene.camera = obj
            camera_set = True

    for curve in curves:
        blender_id = built.ids[(curve.obj, curve.target.id_type)]
        if curve.attr is None and curve.target.data_path == "color":
            blender_id[COLOR_DERIVED_PROPERTY] = True
        if curve.target.data_path.startswith('["'):
            blender_id[curve.target.data_path[2:-2]] = float(curve.values[0])
        _check_range(blender_id, curve)

    for name in channels.kinds:
        id_types = sorted({c.target.id_type for c in curves if c.obj == name},
                          key=ID_TYPES.index)
        if not id_types:
            continue
        action = bpy.data.actions.new(f"{prefix}{name}Action")
        built.actions.append(action)
        strip = action.layers.new(LAYER_NAME).strips.new(type="KEYFRAME")
        for id_type in id_types:
            blender_id = built.ids[(name, id_type)]
            slot = action.slots.new(id_type=id_type, name=name)
            channelbag = strip.channelbag(slot, ensure=True)
            blender_id.animation_data_create()
            blender_id.animation_data.action = action
            blender_id.animation_data.action_slot = slot
            built.animated[(name, id_type)] = AnimatedID(blender_id, slot, channelbag)
    return built


def build_scene(channels: Channels, curves: Sequence[CurveKeys], *,
                scene_name: str = "MOKS") -> BlenderScene:
    """Reset Blender to an empty factory scene and create every datablock, action and slot.

    :func:`configure_scene` then :func:`populate_scene` on the fresh scene
    (named ``scene_name``), objects in the collection :func:`collection_name`
    of the scene name. Writes no keys.
    """
    _check_scene_name(scene_name)
    bpy = import_bpy()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.name = scene_name
    configure_scene(scene, channels)
    return populate_scene(scene, channels, curves,
                          collection=moks_collection(bpy, scene, collection_name(scene_name)))


def collection_name(graph_name: str) -> str:
    """The collection a bake's objects go in: ``"MOKS <graph name>"`` (``"MOKS"`` alone for
    the default scene name)."""
    return "MOKS" if graph_name in ("", "MOKS") else f"MOKS {graph_name}"


def _interpolation_value(bpy: Any, name: str) -> int:
    """Integer value of a ``Keyframe.interpolation`` enum item (for ``foreach_set``)."""
    return int(bpy.types.Keyframe.bl_rna.properties["interpolation"].enum_items[name].value)


def _set_linear(bpy: Any, fcurve: Any) -> None:
    n = len(fcurve.keyframe_points)
    linear = _interpolation_value(bpy, "LINEAR")
    fcurve.keyframe_points.foreach_set("interpolation", np.full(n, linear, dtype=np.int32))
    fcurve.update()


def write_keys_bulk(built: BlenderScene, curves: Sequence[CurveKeys]) -> None:
    """Write every curve in bulk: ``add(n)``, ``foreach_set`` co and LINEAR interpolation."""
    bpy = import_bpy()
    for curve in curves:
        anim = built.animated[(curve.obj, curve.target.id_type)]
        fcurve = anim.channelbag.fcurves.new(curve.target.data_path, index=curve.target.index,
                                             group_name=curve.obj)
        fcurve.keyframe_points.add(len(curve.frames))
        fcurve.keyframe_points.foreach_set("co", curve.coords())
        _set_linear(bpy, fcurve)


def write_keys_keyframe_insert(built: BlenderScene, curves: Sequence[CurveKeys]) -> None:
    """Slow baseline: set the property and ``keyframe_insert`` once per frame per channel.

    Frame-major (every channel of frame k, then frame k+1), as a per-frame
    baker would; interpolation is then set to LINEAR like the bulk path. For
    benchmarks only (``bench/host_write.py``).
    """
    bpy = import_bpy()
    setters: list[tuple[Callable[[float], None], Any, CurveKeys, int]] = []
    for curve in curves:
        blender_id = built.animated[(curve.obj, curve.target.id_type)].id
        setter, is_array = _setter(blender_id, curve.target.data_path, curve.target.index)
        setters.append((setter, blender_id, curve, curve.target.index if is_array else -1))
    if not curves:
        return
    rows = [(c.frames.tolist(), c.values.tolist()) for _, _, c, _ in setters]
    for k in range(max(len(c.frames) for c in curves)):
        for (setter, blender_id, curve, index), (frames, values) in zip(setters, rows,
                                                                        strict=True):
            if k >= len(frames):
                continue  # a constant: one key
            setter(values[k])
            blender_id.keyframe_insert(curve.target.data_path, index=index, frame=frames[k])
    for anim in built.animated.values():
        for fcurve in anim.channelbag.fcurves:
            _set_linear(bpy, fcurve)


def _setter(blender_id: Any, data_path: str, index: int) -> tuple[Callable[[float], None], bool]:
    """A function setting the property at ``data_path[index]`` and whether it is an array."""
    head, prop = _split_path(data_path)
    if prop.startswith("["):
        key = prop[2:-2]

        def set_custom(v: float) -> None:
            blender_id[key] = v

        return set_custom, False
    owner = blender_id.path_resolve(head) if head else blender_id
    if owner.bl_rna.properties[prop].is_array:
        array = getattr(owner, prop)

        def set_item(v: float) -> None:
            array[index] = v

        return set_item, True

    def set_attr(v: float) -> None:
        setattr(owner, prop, v)

    return set_attr, False


def save_blend(path: str | os.PathLike[str],
               finish: Callable[[Path], None] | None = None) -> Path:
    """Save the current Blender session to ``path`` atomically (temp file + rename).

    ``finish(temp_path)`` runs on the saved temporary file before the rename (the film
    look's view, set by another Blender: :func:`moks_graph.hosts.look.blender_set_view`).
    Raises ``OSError`` when Blender cannot write (Blender reports it as a
    ``RuntimeError``); nothing is left at ``path`` then. No ``.blend1`` backup.
    """
    target = output_path(path, SUFFIXES)
    bpy = import_bpy()
    bpy.context.preferences.filepaths.save_version = 0
    with atomic_output(target) as tmp:
        try:
            _save_copy(bpy, tmp)
        except RuntimeError as exc:
            raise OSError(f"cannot write {str(target)!r}: {exc}") from None
        if finish is not None:
            finish(tmp)
    return target


def _save_copy(bpy: Any, filepath: Path) -> None:
    """Blender's own save, as a copy (the session keeps no link to the temporary name)."""
    with quiet_blender():
        bpy.ops.wm.save_as_mainfile(filepath=str(filepath), copy=True, check_existing=False)


@contextlib.contextmanager
def quiet_blender() -> Iterator[None]:
    """Silence Blender's C-level console reports ("Info: Saved copy as ...", "Read blend").

    Redirects file descriptors 1 and 2 to ``os.devnull`` for the duration,
    flushing Python's and C's stdio buffers on both sides. Errors still
    reach Python as exceptions (``RuntimeError`` from ``bpy.ops``).
    """
    try:
        flush_c: Callable[..., object] | None = ctypes.CDLL(None).fflush
    except (OSError, TypeError, AttributeError):  # no process-wide C library handle (Windows)
        flush_c = None
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        if flush_c is not None:
            flush_c(None)
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def _child_of(obj: Any, parent: Any) -> None:
    """A Child Of constraint of ``obj`` on ``parent`` with an identity inverse: the object's
    own transform is read in the parent's frame (Blender sets the inverse on the first
    evaluation of a new Child Of unless told not to)."""
    import mathutils

    con = obj.constraints.new("CHILD_OF")
    con.name = LINK_CONSTRAINT
    con.target = parent
    con.set_inverse_pending = False
    con.inverse_matrix = mathutils.Matrix.Identity(4)
    obj[PARENT_PROPERTY] = parent[OBJECT_PROPERTY]


def link_objects(built: BlenderScene, linkage: Linkage) -> None:
    """Add the constraints of a linked bake (module docstring) to the built scene."""
    def obj(name: str) -> Any:
        return built.ids[(name, "OBJECT")]

    for child, target in linkage.children.items():
        _child_of(obj(child), obj(target))
    for camera, target in linkage.aims.items():
        aim = obj(linkage.aim_name(camera))
        aim[AIM_PROPERTY] = camera
        aim.empty_display_type = "SINGLE_ARROW"
        con = aim.constraints.new("TRACK_TO")
        con.name = AIM_CONSTRAINT
        con.target = obj(target)
        con.track_axis = "TRACK_NEGATIVE_Z"
        con.up_axis = "UP_Y"
        con.use_target_z = False
        _child_of(obj(camera), aim)


def _write(channels: Channels, path: str | os.PathLike[str], scene_name: str,
           write_keys: Callable[[BlenderScene, Sequence[CurveKeys]], None],
           linkage: Linkage | None = None, look: LookFiles | None = None,
           ambient: AmbientFiles | None = None) -> Path:
    _check_scene_name(scene_name)
    output_path(path, SUFFIXES)  # fail before any Blender work
    if linkage:
        channels, _ = linked_channels(channels, linkage)
    curves = blender_curves(channels)
    built = build_scene(channels, curves, scene_name=scene_name)
    write_keys(built, curves)
    if linkage:
        link_objects(built, linkage)
    if ambient is not None:
        blender_ambient(import_bpy(), built.scene, ambient)
    if look is not None:
        blender_look_properties(built.scene, look)
    return save_blend(path, (lambda tmp: blender_set_view(tmp, look)) if look else None)


def write_blend(channels: Channels, path: str | os.PathLike[str], *,
                scene_name: str = "MOKS", linkage: Linkage | None = None,
                look: LookFiles | None = None, ambient: AmbientFiles | None = None) -> Path:
    """Write ``channels`` to the .blend at ``path`` (bulk keys, layered actions). Returns the path.

    ``linkage``: lights and the camera aim as constraints of their moving target (module
    docstring); ``look`` / ``ambient``: the film look's view and the SH ambient's world
    (:mod:`moks_graph.hosts.look`, :mod:`moks_graph.hosts.ambient`). Replaces the current
    Blender session's data (factory settings). Raises ``TypeError``/``ValueError`` for bad
    input and ``OSError`` when the file cannot be written; a failed write leaves no file at
    ``path``.
    """
    return _write(channels, path, scene_name, write_keys_bulk, linkage, look, ambient)


def write_blend_keyframe_insert(channels: Channels, path: str | os.PathLike[str], *,
                                scene_name: str = "MOKS") -> Path:
    """The same file as :func:`write_blend`, keyed with one ``keyframe_insert`` per frame.

    The slow baseline of ``bench/host_write.py``; same scene building and saving.
    """
    return _write(channels, path, scene_name, write_keys_keyframe_insert)
