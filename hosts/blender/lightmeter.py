"""A light meter made of Cycles: the illuminance each baked light really delivers at the subject.

Entry points: :func:`meter_lights`, :class:`MeterReading`.

Details (moved from this docstring, issue 15): docs/light-units.md#hostsblenderlightmeterpy
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from moks_graph.channels import Channels
from moks_graph.hosts.blender.keyframes import blender_curves
from moks_graph.hosts.blender.writer import build_scene, quiet_blender, write_keys_bulk
from moks_graph.hosts.units import LUMINOUS_EFFICACY

#: Rec.709 luminance weights (Cycles' default working space is linear Rec.709).
LUMA_709 = (0.2126, 0.7152, 0.0722)
#: Patch of the card the camera sees, as a fraction of the light's distance.
VIEW_FRACTION = 0.01
CYCLES_SEED = 0
THREADS = 2


@dataclass(frozen=True)
class MeterReading:
    """One light's measured illuminance at the subject at one frame."""

    light: str
    kind: str
    frame: int
    distance_m: float
    lux: float


def _configure(scene: Any, samples: int, pixels: int, seed: int) -> None:
    r = scene.render
    r.engine = "CYCLES"
    r.resolution_x = r.resolution_y = int(pixels)
    r.resolution_percentage = 100
    r.threads_mode, r.threads = "FIXED", THREADS
    r.dither_intensity = 0.0
    r.film_transparent = False
    cy = scene.cycles
    cy.device, cy.samples, cy.seed, cy.use_animated_seed = "CPU", int(samples), int(seed), False
    cy.use_adaptive_sampling = False
    cy.use_denoising = False
    cy.max_bounces = 0  # direct light only: a card in a black world has no indirect light
    cy.caustics_reflective = cy.caustics_refractive = False
    cy.sample_clamp_direct = cy.sample_clamp_indirect = 0.0  # no clamping bias
    cy.film_exposure = 1.0
    fmt = r.image_settings
    fmt.file_format, fmt.color_mode, fmt.color_depth = "OPEN_EXR", "RGB", "32"
    scene.view_settings.view_transform, scene.view_settings.look = "Standard", "None"
    scene.view_settings.exposure, scene.view_settings.gamma = 0.0, 1.0


def _with_nodes(block: Any) -> Any:
    """A material or world with its node tree (Blender 5 always has one; ``use_nodes`` is
    deprecated there)."""
    if block.node_tree is None:
        block.use_nodes = True
    return block


def _black_world(bpy: Any, scene: Any) -> None:
    world = _with_nodes(bpy.data.worlds.new("meter black"))
    for node in world.node_tree.nodes:
        if node.bl_idname == "ShaderNodeBackground":
            node.inputs["Strength"].default_value = 0.0
            node.inputs["Color"].default_value = (0.0, 0.0, 0.0, 1.0)
    scene.world = world


def _card(bpy: Any, scene: Any, albedo: float) -> Any:
    mesh = bpy.data.meshes.new("meter card")
    mesh.from_pydata([(-1, -1, 0), (1, -1, 0), (1, 1, 0), (-1, 1, 0)], [], [(0, 1, 2, 3)])
    mat = _with_nodes(bpy.data.materials.new("meter card"))
    nodes = mat.node_tree.nodes
    nodes.clear()
    diffuse = nodes.new("ShaderNodeBsdfDiffuse")
    diffuse.inputs["Color"].default_value = (albedo, albedo, albedo, 1.0)
    diffuse.inputs["Roughness"].default_value = 0.0  # Lambertian
    out = nodes.new("ShaderNodeOutputMaterial")
    mat.node_tree.links.new(diffuse.outputs["BSDF"], out.inputs["Surface"])
    mesh.materials.append(mat)
    obj = bpy.data.objects.new("meter card", mesh)
    scene.collection.objects.link(obj)
    return obj


def _camera(bpy: Any, scene: Any) -> Any:
    data = bpy.data.cameras.new("meter")
    data.type = "ORTHO"
    obj = bpy.data.objects.new("meter", data)
    scene.collection.objects.link(obj)
    scene.camera = obj
    return obj


def _aim(obj: Any, position: np.ndarray, forward: np.ndarray, scale: float = 1.0) -> None:
    """Place ``obj`` at ``position`` with its local -Z along ``forward``."""
    from mathutils import Matrix, Vector

    rot = Vector(forward.tolist()).to_track_quat("-Z", "Y").to_matrix().to_4x4()
    obj.matrix_world = Matrix.Translation(Vector(position.tolist())) @ rot @ Matrix.Scale(
        scale, 4)


def _read_luminance(bpy: Any, path: Path) -> float:
    image = bpy.data.images.load(str(path))
    try:
        channels = image.channels
        px = np.empty(image.size[0] * image.size[1] * channels, np.float32)
        image.pixels.foreach_get(px)
    finally:
        bpy.data.images.remove(image)
    rgb = px.reshape(-1, channels)[:, :3].astype(np.float64).mean(axis=0)
    return float(np.dot(LUMA_709, rgb))


def meter_lights(channels: Channels, target: Sequence[float], frames: Sequence[int], *,
                 lights: Sequence[str] | None = None, samples: int = 64, pixels: int = 8,
                 albedo: float = 0.8, seed: int = CYCLES_SEED,
                 configure_light: Callable[[str, Any], None] | None = None,
                 ) -> list[MeterReading]:
    """Cycles-measured illuminance [lux] of each light of ``channels`` at ``target``.

    ``target``: the subject point ``(3,)`` [m], or one row per sample of the channels' time
    array ``(N, 3)`` (a moving subject: each frame is measured where the subject is then).

    ``frames``: whole frames of the channels' time array to measure at; ``lights``: the
    light objects (default: every ``light.point|spot|area``; a sun is metered with the card
    facing against its direction). Each reading is one render of ``pixels²`` pixels at
    ``samples`` samples per pixel and Cycles seed ``seed``. Returns the readings in frame,
    then light order.
    ``configure_light(name, light_data)``: called once per metered light after the scene is
    built (the bench uses it to try Blender's ``DISK`` and ``RECTANGLE`` area shapes).
    """
    import bpy

    track = np.asarray(target, dtype=np.float64)
    times = np.asarray(channels.time.frames, dtype=np.float64)
    if track.shape not in ((3,), (len(times), 3)):
        raise ValueError(f"target must be (3,) or ({len(times)}, 3) metres, got {track.shape}")
    names = [o for o, k in channels.kinds.items() if k.startswith("light.")]
    if lights is not None:
        unknown = sorted(set(lights) - set(names))
        if unknown:
            raise ValueError(f"not light objects of the channels: {', '.join(unknown)}")
        names = list(lights)
    if not 0.0 < albedo <= 1.0:
        raise ValueError(f"albedo must be in (0, 1], got {albedo}")
    curves = blender_curves(channels)
    with quiet_blender():
        built = build_scene(channels, curves, scene_name="MOKS meter")
    write_keys_bulk(built, curves)
    scene = built.scene
    _configure(scene, samples, pixels, seed)
    _black_world(bpy, scene)
    card, cam = _card(bpy, scene, albedo), _camera(bpy, scene)
    objects = {n: built.ids[(n, "OBJECT")] for n in names}
    if configure_light is not None:
        for n, obj in objects.items():
            configure_light(n, obj.data)
    readings: list[MeterReading] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "meter.exr"
        scene.render.filepath = str(path)
        for frame in frames:
            scene.frame_set(int(frame))
            if track.ndim == 1:
                tgt = track
            else:
                rows = np.flatnonzero(times == int(frame))
                if not len(rows):
                    raise ValueError(f"frame {frame} is not a sample of the channels")
                tgt = track[rows[0]]
            for name in names:
                obj = objects[name]
                kind = channels.kinds[name]
                for other, o in objects.items():
                    o.hide_render = other != name
                obj.visible_camera = False
                if kind == "light.sun":
                    towards = np.array(obj.matrix_world.to_3x3().col[2])  # sun comes down -Z
                    distance = 1.0
                else:
                    towards = np.array(obj.matrix_world.translation) - tgt
                    distance = float(np.linalg.norm(towards))
                normal = towards / np.linalg.norm(towards)
                view = VIEW_FRACTION * distance
                _aim(card, tgt, -normal, scale=view)  # card +Z (its face) toward the light
                cam.data.ortho_scale = view
                cam.data.clip_start, cam.data.clip_end = 0.1 * view, 10.0 * view
                _aim(cam, tgt + normal * (2.0 * view), -normal)
                with quiet_blender():
                    bpy.ops.render.render(write_still=True)
                radiance = _read_luminance(bpy, path)
                lux = LUMINOUS_EFFICACY * math.pi * radiance / albedo
                readings.append(MeterReading(name, kind, int(frame), distance, lux))
    return readings


__all__ = ["MeterReading", "meter_lights"]
