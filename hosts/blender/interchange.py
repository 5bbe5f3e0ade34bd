"""FBX and Alembic through Blender's own exporters and importers (issue 17).

Entry points: :func:`export_interchange`, :func:`import_interchange`, :func:`sample_objects`.

Details (moved from this docstring, issue 15): docs/hosts.md#hostsblenderinterchangepy
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from moks_graph.atomic import atomic_output
from moks_graph.channels import Channels
from moks_graph.hosts.blender.keyframes import blender_curves, blender_fps, infer_subframes
from moks_graph.hosts.blender.writer import (
    build_scene,
    import_bpy,
    quiet_blender,
    write_keys_bulk,
)
from moks_graph.hosts.output_paths import output_path

#: The FBX exporter's settings (module docstring); ``bake_anim_step`` is set per bake.
FBX_EXPORT: dict[str, Any] = {
    "object_types": {"CAMERA", "LIGHT", "EMPTY"},
    "axis_forward": "Y",
    "axis_up": "Z",
    "apply_unit_scale": True,
    "apply_scale_options": "FBX_SCALE_UNITS",
    "global_scale": 1.0,
    "bake_anim": True,
    "bake_anim_use_all_actions": False,
    "bake_anim_use_nla_strips": False,
    "bake_anim_force_startend_keying": True,
    "bake_anim_simplify_factor": 0.0,
    "add_leaf_bones": False,
    "use_custom_props": False,
}


def samples_per_frame(channels: Channels) -> int:
    """Samples per frame (``infer_subframes``); ``ValueError`` when the samples are not on a
    regular sub-frame grid (FBX and Alembic sample at a fixed step)."""
    samples = infer_subframes(channels.time.frames)
    if samples < 1:
        raise ValueError("channels: FBX and Alembic need the samples on a regular sub-frame "
                         "grid (whole frames or 1/s steps)")
    return samples


def _export_fbx(bpy: Any, path: Path, channels: Channels) -> None:
    bpy.ops.export_scene.fbx(filepath=str(path), bake_anim_step=1.0 / samples_per_frame(channels),
                             **FBX_EXPORT)


def _export_abc(bpy: Any, path: Path, channels: Channels) -> None:
    scene = bpy.context.scene
    samples = samples_per_frame(channels)
    bpy.ops.wm.alembic_export(filepath=str(path), start=scene.frame_start, end=scene.frame_end,
                              xsamples=samples, gsamples=samples, sh_open=0.0, sh_close=1.0,
                              selected=False, flatten=False, export_hair=False,
                              export_particles=False, export_custom_properties=False)


_EXPORTERS = {".fbx": _export_fbx, ".abc": _export_abc}


def export_interchange(channels: Channels, path: str | os.PathLike[str]) -> Path:
    """Build ``channels``' Blender scene and export it to ``path`` (.fbx or .abc), atomically.

    Replaces the Blender session's data (factory settings), like the .blend writer. Raises
    ``ValueError`` for channels Blender cannot hold and ``OSError`` when the exporter fails;
    nothing is left at ``path`` then.
    """
    target = output_path(path, tuple(_EXPORTERS))
    export = _EXPORTERS[target.suffix.lower()]
    samples_per_frame(channels)
    curves = blender_curves(channels)
    built = build_scene(channels, curves)
    write_keys_bulk(built, curves)
    bpy = import_bpy()
    with atomic_output(target) as tmp:
        try:
            with quiet_blender():
                export(bpy, tmp, channels)
        except RuntimeError as exc:
            raise OSError(f"cannot write {str(target)!r}: {exc}") from None
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise OSError(f"cannot write {str(target)!r}: Blender's exporter wrote nothing")
    return target


@contextlib.contextmanager
def _fbx_light_import() -> Iterator[None]:
    """Blender 5.0's FBX importer sets ``light.cycles.cast_shadow``, which Cycles no longer
    has: add it for the import (an unused BoolProperty), remove it afterwards."""
    try:
        from cycles import properties
    except ImportError:  # no Cycles: the importer skips the line
        yield
        return
    cls = properties.CyclesLightSettings
    added = "cast_shadow" not in cls.bl_rna.properties
    if added:
        cls.cast_shadow = import_bpy().props.BoolProperty()
    try:
        yield
    finally:
        if added:
            del cls.cast_shadow


def import_interchange(path: str | os.PathLike[str], fps: float | None = None) -> Any:
    """A fresh factory-empty Blender scene with ``path`` (.fbx / .abc) imported by Blender's own
    importer (FBX with no animation offset). Returns the scene.

    ``fps``: the scene rate to import at. An .abc stores its samples in seconds and Blender maps
    them to frames at the scene's rate (the factory 24 fps unless given); the FBX importer sets
    the rate from the file.
    """
    source = Path(path)
    bpy = import_bpy()
    with quiet_blender():
        bpy.ops.wm.read_factory_settings(use_empty=True)
        if fps is not None:
            scene = bpy.context.scene
            scene.render.fps, scene.render.fps_base = blender_fps(fps)
        if source.suffix.lower() == ".fbx":
            with _fbx_light_import():
                bpy.ops.import_scene.fbx(filepath=str(source), anim_offset=0.0,
                                         use_custom_props=False)
        elif source.suffix.lower() == ".abc":
            bpy.ops.wm.alembic_import(filepath=str(source), set_frame_range=False)
        else:
            raise ValueError(f"{str(source)!r}: expected a .fbx or .abc file")
    return bpy.context.scene


def fbx_import_frames(scene: Any, frames: Sequence[float]) -> np.ndarray:
    """Where Blender 5.0's FBX importer put the keys of the bake's ``frames``: it keys time ``t``
    on frame ``t * render.fps``, leaving out ``fps_base``, so a 29.97 fps file (``fps`` 30,
    ``fps_base`` 1.001) has frame 1 at 1.001. The file itself holds the right times
    (``KeyTime`` = frame / 29.97 s); this undoes the importer's scaling for the read-back."""
    return np.asarray(frames, dtype=np.float64) * float(scene.render.fps_base)


@dataclass(frozen=True)
class Sampled:
    """One imported object over the samples: Blender type, world matrices (N, 4, 4; metres,
    Z-up), camera lens (N,; mm) or ``None``."""

    type: str
    matrix: np.ndarray
    lens: np.ndarray | None


def sample_objects(scene: Any, frames: Sequence[float]) -> dict[str, Sampled]:
    """Every object of ``scene`` evaluated at each of ``frames`` (sub-frames included)."""
    bpy = import_bpy()
    objects = list(scene.objects)
    mats = {o.name: [] for o in objects}
    lens = {o.name: [] for o in objects if o.type == "CAMERA"}
    for f in frames:
        whole = int(np.floor(f))
        scene.frame_set(whole, subframe=float(f) - whole)
        graph = bpy.context.evaluated_depsgraph_get()
        for obj in objects:
            evaluated = obj.evaluated_get(graph)
            mats[obj.name].append(np.array(evaluated.matrix_world, dtype=np.float64))
            if obj.name in lens:
                lens[obj.name].append(float(evaluated.data.lens))
    return {o.name: Sampled(o.type, np.array(mats[o.name]),
                            np.array(lens[o.name]) if o.name in lens else None)
            for o in objects}
