"""Cycles reference stills with known truth, for evaluating the inverse-cinematography matcher.

The details (moved from this docstring): docs/inverse-hosts.md, "Module notes",
`hosts/blender/references.py`.
"""

from __future__ import annotations

import argparse
import colorsys
import json
import math
import os
import struct
import sys
import tempfile
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from moks_graph.atomic import atomic_output
from moks_graph.hosts.blender.writer import quiet_blender

PLACEMENTS = ("convention", "free")
"""Where a still's fill and rims are: the fill near the convention ``compile_scene`` uses
(``-0.6`` of the key's azimuth, +-25 deg) or at any azimuth within +-135 deg
(:func:`free_fill`); the rims near the matcher's rim lobes (side 135-170 deg azimuth,
15-45 deg up; top straight behind, 50-70 deg up) or spread wider (:func:`free_rim`)."""
ROOMS = ("plain", "textured")
"""The floor and wall: one drawn grey each, or a procedural texture around it
(:func:`textured_room`)."""
TEXTURES = ("noise", "checker", "brick", "voronoi")
SHAPES = ("uv_sphere", "ico_sphere", "torus", "cylinder", "bevelled_cube", "suzanne",
          "bust", "cone", "capsule")
KEY_TYPES = ("area_square", "area_disk", "spot", "point")
RIM_MODES = ("none", "camera_left", "camera_right", "both", "top")
SENSOR_WIDTH_MM = 36.0
CYCLES_SEED = 0
THREADS = 2
#: Cycles adaptive sampling: noise threshold and minimum samples (``samples`` is the
#: per-pixel maximum). With OIDN, 32 max / 0.1 / 8 is within 1/255 RMS of a 256-sample
#: render at about half the cost of a fixed 32 samples.
ADAPTIVE_THRESHOLD = 0.1
ADAPTIVE_MIN_SAMPLES = 8
#: Fraction of the frame kept free at the edges when placing the subject off-centre.
MARGIN = 0.03


# --------------------------------------------------------------------------- photometry


def irradiance_per_watt(kind: str, size_m: float, distance_m: float) -> float:
    """Irradiance (W/m^2) per Blender watt at ``distance_m`` on the light's axis, facing it."""
    d = float(distance_m)
    if kind == "area_square":
        a = 0.5 * size_m
        q = a / math.sqrt(a * a + d * d)
        return 4.0 * q * math.atan(q) / (math.pi * size_m * size_m)
    if kind == "area_disk":
        r = 0.5 * size_m
        return 1.0 / (math.pi * (r * r + d * d))
    if kind in ("point", "spot"):
        return 1.0 / (4.0 * math.pi * d * d)
    raise ValueError(f"unknown light type {kind!r}")


# --------------------------------------------------------------------------- drawing


def _log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def _albedo(rng: np.random.Generator) -> list[float]:
    grey, tinted, hue, sat = rng.uniform(0.25, 0.8), rng.random() < 0.25, rng.random(), \
        rng.uniform(0.05, 0.3)
    if not tinted:
        return [float(grey)] * 3
    return [float(c) for c in colorsys.hsv_to_rgb(hue, sat, grey)]


def _key_draws(rng: np.random.Generator) -> dict[str, Any]:
    u_type, u_shape, u_wide = rng.random(), rng.random(), rng.random()
    kind = ("area_square" if u_shape < 0.5 else "area_disk") if u_type < 0.85 else \
        ("spot" if u_shape < 0.5 else "point")
    area_size, bulb_size = _log_uniform(rng, 0.05, 2.0), _log_uniform(rng, 0.02, 0.2)
    azimuth = rng.uniform(-120.0, 120.0) if u_wide < 0.8 else rng.uniform(-170.0, 170.0)
    return {"type": kind, "size_m": area_size if kind.startswith("area") else bulb_size,
            "distance_m": float(rng.uniform(1.5, 6.0)), "azimuth_deg": float(azimuth),
            "elevation_deg": float(rng.uniform(-15.0, 70.0)),
            "cct_K": float(rng.uniform(2700.0, 7500.0)),
            "illuminance": math.pi * _log_uniform(rng, 0.35, 0.8)}


def _fill_draws(rng: np.random.Generator, key: dict[str, Any]) -> dict[str, Any]:
    base = -30.0 if abs(key["azimuth_deg"]) < 1.0 else -0.6 * key["azimuth_deg"]
    jitter, elevation = rng.uniform(-25.0, 25.0), rng.uniform(0.0, 25.0)
    size, distance, u_shape = rng.uniform(0.5, 2.0), rng.uniform(2.0, 5.0), rng.random()
    same_cct, cct = rng.random() < 0.5, rng.uniform(5000.0, 6500.0)
    return {"type": "area_square" if u_shape < 0.5 else "area_disk", "size_m": float(size),
            "distance_m": float(distance), "azimuth_deg": float(base + jitter),
            "elevation_deg": float(elevation),
            "cct_K": float(key["cct_K"] if same_cct else cct),
            "ratio": _log_uniform(rng, 1.5, 16.0)}


def _rim_draws(rng: np.random.Generator, key: dict[str, Any]) -> dict[str, Any]:
    present, u_mode, u_side = rng.random() < 0.4, rng.random(), rng.random()
    mode = "none" if not present else "both" if u_mode < 0.1 else "top" if u_mode < 0.2 \
        else "camera_left" if u_side < 0.5 else "camera_right"
    sides = [{"azimuth_deg": float(rng.uniform(135.0, 170.0)),
              "elevation_deg": float(rng.uniform(15.0, 45.0)),
              "size_m": float(rng.uniform(0.3, 1.5)), "distance_m": float(rng.uniform(1.5, 4.0)),
              "gain": float(rng.uniform(1.0, 3.0))} for _ in range(2)]
    top_elevation, same_cct, cct = rng.uniform(50.0, 70.0), rng.random() < 0.5, \
        rng.uniform(4000.0, 7500.0)
    return {"mode": mode, "sides": sides, "top_azimuth_deg": 180.0,
            "top_elevation_deg": float(top_elevation),
            "cct_K": float(key["cct_K"] if same_cct else cct)}


def draw_params(seed: int, i: int) -> dict[str, Any]:
    """Every random scene parameter of still ``i`` (``default_rng([seed, i])``, fixed order)."""
    rng = np.random.default_rng([int(seed), int(i)])
    shape = SHAPES[int(rng.integers(len(SHAPES)))]
    p: dict[str, Any] = {"shape": shape, "yaw_deg": float(rng.uniform(-180.0, 180.0)),
                         "tilt_u": float(rng.random()), "tilt_axis_deg": float(rng.uniform(0, 360)),
                         "albedo_rgb": _albedo(rng), "roughness": float(rng.uniform(0.25, 0.7))}
    focal = _log_uniform(rng, 24.0, 100.0)
    p.update(focal_mm=focal,
             distance_m=float(np.clip(2.0 + 6.0 * (focal - 24.0) / 76.0
                                      + rng.uniform(-0.75, 0.75), 2.0, 8.0)),
             height_frac=float(rng.uniform(0.25, 0.7)),
             offset_u=[float(rng.uniform(-1, 1)), float(rng.uniform(-1, 1))],
             pitch_deg=float(rng.uniform(-20.0, 10.0)),
             floor=bool(rng.random() < 0.8), floor_albedo=float(rng.uniform(0.05, 0.6)),
             wall=bool(rng.random() < 0.6), wall_albedo=float(rng.uniform(0.05, 0.6)),
             wall_gap_m=float(rng.uniform(0.8, 3.0)), wall_yaw_deg=float(rng.uniform(-20, 20)),
             world_grey=float(rng.uniform(0.01, 0.22)),
             ambient_frac=float(rng.uniform(0.0, 0.05)),
             floor_texture=None, wall_texture=None)
    p["key"] = _key_draws(rng)
    p["fill"] = _fill_draws(rng, p["key"])
    p["rim"] = _rim_draws(rng, p["key"])
    p["haze_density_per_m"] = float(rng.uniform(0.02, 0.15)) if rng.random() < 0.2 else 0.0
    return p


def free_fill(seed: int, i: int) -> dict[str, Any]:
    """Overrides that place still ``i``'s fill without the lighting convention: azimuth
    -135..135 deg (0 toward the camera), elevation -10..45 deg, independent of the key
    (``default_rng([seed, i, 1])``, a stream of its own). Every other drawn parameter is the
    convention's still's; the room follows the lights, so where the moved fill sits lower
    or further back the floor is lowered or the wall pushed back (:func:`_floor_level`,
    :func:`_wall_gap`)."""
    rng = np.random.default_rng([int(seed), int(i), 1])
    return {"fill": {"azimuth_deg": float(rng.uniform(-135.0, 135.0)),
                     "elevation_deg": float(rng.uniform(-10.0, 45.0))}}


def free_rim(seed: int, i: int) -> dict[str, Any]:
    """Overrides that spread still ``i``'s rims beyond the matcher's rim lobes: side rims
    at azimuth 100..178 deg (mirrored for camera left), elevation 0..60 deg; the top rim
    at azimuth 135..225 deg, elevation 30..85 deg (``default_rng([seed, i, 2])``). The rims'
    sizes, distances, gains, mode and colour are the convention's still's; the room follows
    the lights as with :func:`free_fill`."""
    rng = np.random.default_rng([int(seed), int(i), 2])
    sides = [dict(s, azimuth_deg=float(rng.uniform(100.0, 178.0)),
                  elevation_deg=float(rng.uniform(0.0, 60.0)))
             for s in draw_params(seed, i)["rim"]["sides"]]
    return {"rim": {"sides": sides, "top_azimuth_deg": float(rng.uniform(135.0, 225.0)),
                    "top_elevation_deg": float(rng.uniform(30.0, 85.0))}}


def _texture_draws(rng: np.random.Generator, albedo: float) -> dict[str, Any]:
    kind = TEXTURES[int(rng.integers(len(TEXTURES)))]
    contrast, tint = rng.uniform(0.3, 1.0), rng.uniform(-0.15, 0.15, 3)
    low = [float(np.clip(albedo * (1.0 - 0.5 * contrast) * (1.0 + t), 0.01, 0.9)) for t in tint]
    high = [float(np.clip(albedo * (1.0 + 0.5 * contrast) * (1.0 + t), 0.01, 0.9)) for t in tint]
    return {"kind": kind, "scale_per_m": float(_log_uniform(rng, 1.5, 25.0)),
            "colours": [low, high]}


def textured_room(seed: int, i: int) -> dict[str, Any]:
    """Overrides that texture still ``i``'s floor and wall: a procedural Blender texture
    (one of :data:`TEXTURES`, features about 4-70 cm across) between two colours around the
    plane's drawn grey, contrast 0.3-1, tinted up to 15 % per channel
    (``default_rng([seed, i, 3])``). Every other draw is the plain still's."""
    rng = np.random.default_rng([int(seed), int(i), 3])
    base = draw_params(seed, i)
    return {"floor_texture": _texture_draws(rng, base["floor_albedo"]),
            "wall_texture": _texture_draws(rng, base["wall_albedo"])}


def variant_overrides(seed: int, i: int, fill: str = "convention", rim: str = "convention",
                      room: str = "plain") -> dict[str, Any] | None:
    """The overrides still ``i`` is rendered with for a fill and a rim placement (each one
    of :data:`PLACEMENTS`: :func:`free_fill` and :func:`free_rim` for ``free``) and a room
    (one of :data:`ROOMS`: :func:`textured_room` for ``textured``); none for the defaults."""
    for name, value, allowed in (("fill", fill, PLACEMENTS), ("rim", rim, PLACEMENTS),
                                 ("room", room, ROOMS)):
        if value not in allowed:
            raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    out = dict(free_fill(seed, i) if fill == "free" else {},
               **(free_rim(seed, i) if rim == "free" else {}),
               **(textured_room(seed, i) if room == "textured" else {}))
    return out or None


def _merge(base: dict[str, Any], overrides: dict[str, Any], path: str = "") -> dict[str, Any]:
    """``base`` updated recursively by ``overrides``; unknown keys raise ``KeyError``."""
    out = dict(base)
    for name, value in overrides.items():
        if name not in base:
            raise KeyError(f"unknown override {path + name!r}")
        if isinstance(base[name], dict) and isinstance(value, dict):
            out[name] = _merge(base[name], value, f"{path}{name}.")
        else:
            out[name] = value
    return out


# --------------------------------------------------------------------------- geometry


def direction(azimuth_deg: float, elevation_deg: float, toward_camera: np.ndarray) -> np.ndarray:
    """Unit vector subject -> light for the lighting convention (module doc)."""
    v = np.array([toward_camera[0], toward_camera[1], 0.0])
    v /= np.linalg.norm(v)
    right = np.cross([0.0, 0.0, 1.0], v)
    a, e = math.radians(azimuth_deg), math.radians(elevation_deg)
    return (math.cos(a) * v + math.sin(a) * right) * math.cos(e) + np.array([0, 0, math.sin(e)])


def camera_rotation(pitch_deg: float) -> np.ndarray:
    """Columns: camera x (right), y (up), z (towards the viewer) in world; looks along +Y."""
    p = math.radians(pitch_deg)
    right = np.array([1.0, 0.0, 0.0])
    up = np.array([0.0, -math.sin(p), math.cos(p)])
    back = -np.array([0.0, math.cos(p), math.sin(p)])
    return np.column_stack([right, up, back])


def project(point: np.ndarray, cam_matrix: np.ndarray, focal_mm: float,
            size: tuple[int, int]) -> tuple[Any, Any]:
    """Pixel coordinates (origin top-left, pixel edges at integers) of world point(s) (..., 3)."""
    w, h = size
    sensor_h = SENSOR_WIDTH_MM * h / w
    rot, pos = cam_matrix[:3, :3], cam_matrix[:3, 3]
    x, y, z = np.moveaxis((np.asarray(point, float) - pos) @ rot, -1, 0)
    return (w / 2 + w * (x / -z) * focal_mm / SENSOR_WIDTH_MM,
            h / 2 - h * (y / -z) * focal_mm / sensor_h)


# --------------------------------------------------------------------------- PNG


def write_grey_png(path: Path, mask: np.ndarray) -> None:
    """An 8-bit greyscale PNG of a uint8 array (rows top to bottom)."""
    h, w = mask.shape
    raw = b"".join(b"\x00" + mask[r].astype(np.uint8).tobytes() for r in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    path.write_bytes(png)


# --------------------------------------------------------------------------- bpy: setup


def _has_oidn() -> bool:
    try:
        import _cycles  # ships with bpy's Cycles add-on
    except ImportError:
        return False
    return bool(getattr(_cycles, "with_openimagedenoise", False))


def _reset(bpy: Any, size: tuple[int, int], samples: int) -> Any:
    """A factory-empty scene set up for Cycles (CPU, fixed seed, 2 threads, sRGB Standard)."""
    with quiet_blender():
        bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    r = scene.render
    r.engine = "CYCLES"
    r.resolution_x, r.resolution_y, r.resolution_percentage = size[0], size[1], 100
    r.threads_mode, r.threads = "FIXED", THREADS
    r.dither_intensity = 0.0
    r.film_transparent = False
    cy = scene.cycles
    cy.device, cy.samples, cy.seed, cy.use_animated_seed = "CPU", int(samples), CYCLES_SEED, False
    cy.use_adaptive_sampling, cy.adaptive_threshold = True, ADAPTIVE_THRESHOLD
    cy.adaptive_min_samples = min(int(samples), ADAPTIVE_MIN_SAMPLES)
    cy.use_light_tree = False  # a handful of lights: plain light sampling is ~25% faster
    cy.max_bounces, cy.diffuse_bounces, cy.glossy_bounces = 4, 2, 2
    cy.transmission_bounces, cy.volume_bounces, cy.transparent_max_bounces = 0, 0, 2
    cy.caustics_reflective = cy.caustics_refractive = False
    cy.sample_clamp_indirect = 10.0
    cy.film_exposure = 1.0
    cy.use_denoising = _has_oidn()
    if cy.use_denoising:
        cy.denoiser = "OPENIMAGEDENOISE"
        cy.denoising_input_passes = "RGB_ALBEDO_NORMAL"
        cy.denoising_quality = "HIGH"
        cy.denoising_prefilter = "FAST"  # "ACCURATE" costs ~6 CPU-s more per still
    vs = scene.view_settings
    scene.display_settings.display_device = "sRGB"
    vs.view_transform, vs.look, vs.exposure, vs.gamma = "Standard", "None", 0.0, 1.0
    return scene


def _link(bpy: Any, scene: Any, name: str, data: Any) -> Any:
    obj = bpy.data.objects.new(name, data)
    scene.collection.objects.link(obj)
    return obj


def _with_nodes(block: Any) -> Any:
    """A material or world with its node tree (Blender 5 always has one; ``use_nodes`` is
    deprecated there, older builds need it)."""
    if block.node_tree is None:
        block.use_nodes = True
    return block


def _principled(bpy: Any, name: str, rgb: Sequence[float], roughness: float) -> Any:
    mat = _with_nodes(bpy.data.materials.new(name))
    bsdf = next(n for n in mat.node_tree.nodes if n.bl_idname == "ShaderNodeBsdfPrincipled")
    bsdf.inputs["Base Color"].default_value = (*rgb, 1.0)
    bsdf.inputs["Roughness"].default_value = roughness
    return mat


def _diffuse(bpy: Any, name: str, albedo: float, texture: dict[str, Any] | None = None) -> Any:
    """A Lambertian (Diffuse BSDF) grey: the floor, the wall and the light meter's card;
    with ``texture`` (:func:`textured_room`) a procedural texture in object space between
    its two colours."""
    mat = _with_nodes(bpy.data.materials.new(name))
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    out = next(n for n in nodes if n.bl_idname == "ShaderNodeOutputMaterial")
    diffuse = nodes.new("ShaderNodeBsdfDiffuse")
    diffuse.inputs["Color"].default_value = (albedo, albedo, albedo, 1.0)
    links.new(diffuse.outputs[0], out.inputs["Surface"])
    if texture is not None:
        coord = nodes.new("ShaderNodeTexCoord")
        tex = nodes.new({"noise": "ShaderNodeTexNoise", "checker": "ShaderNodeTexChecker",
                         "brick": "ShaderNodeTexBrick",
                         "voronoi": "ShaderNodeTexVoronoi"}[texture["kind"]])
        tex.inputs["Scale"].default_value = texture["scale_per_m"]
        ramp = nodes.new("ShaderNodeValToRGB")
        for element, rgb in zip(ramp.color_ramp.elements, texture["colours"], strict=True):
            element.color = (*rgb, 1.0)
        links.new(coord.outputs["Object"], tex.inputs["Vector"])
        links.new(tex.outputs["Distance" if texture["kind"] == "voronoi" else "Fac"],
                  ramp.inputs["Fac"])
        links.new(ramp.outputs["Color"], diffuse.inputs["Color"])
    return mat


# --------------------------------------------------------------------------- bpy: subject


def _torus(bm: Any, major: float = 0.35, minor: float = 0.15, nu: int = 48, nv: int = 24) -> None:
    verts = []
    for a in np.linspace(0.0, 2 * math.pi, nu, endpoint=False):
        for b in np.linspace(0.0, 2 * math.pi, nv, endpoint=False):
            rr = major + minor * math.cos(b)
            verts.append(bm.verts.new((rr * math.cos(a), rr * math.sin(a), minor * math.sin(b))))
    for i in range(nu):
        for j in range(nv):
            quad = [(i, j), ((i + 1) % nu, j), ((i + 1) % nu, (j + 1) % nv), (i, (j + 1) % nv)]
            bm.faces.new([verts[a * nv + b] for a, b in quad])


def _subject_mesh(bpy: Any, shape: str) -> Any:
    """The subject's mesh at about unit height, smooth shaded, flat caps kept flat."""
    import bmesh
    from mathutils import Matrix

    def ellipsoid(sx: float, sy: float, sz: float, z: float = 0.0) -> None:
        m = Matrix.Translation((0, 0, z)) @ Matrix.Diagonal((sx, sy, sz, 1.0))
        bmesh.ops.create_uvsphere(bm, u_segments=48, v_segments=24, radius=1.0, matrix=m)

    def cone(r1: float, r2: float, depth: float, z: float = 0.0) -> None:
        bmesh.ops.create_cone(bm, cap_ends=True, segments=48, radius1=r1, radius2=r2,
                              depth=depth, matrix=Matrix.Translation((0, 0, z)))

    bm = bmesh.new()
    if shape == "uv_sphere":
        ellipsoid(0.5, 0.5, 0.5)
    elif shape == "ico_sphere":
        bmesh.ops.create_icosphere(bm, subdivisions=3, radius=0.5)
    elif shape == "torus":
        _torus(bm)
    elif shape == "cylinder":
        cone(0.32, 0.32, 1.0)
    elif shape == "bevelled_cube":
        bmesh.ops.create_cube(bm, size=0.8)
    elif shape == "suzanne":
        bmesh.ops.create_monkey(bm)
    elif shape == "bust":
        ellipsoid(0.42, 0.2, 0.17, 0.17)
        cone(0.07, 0.07, 0.2, 0.4)
        ellipsoid(0.16, 0.19, 0.23, 0.66)
    elif shape == "cone":
        cone(0.4, 0.0, 1.0)
    elif shape == "capsule":
        ellipsoid(0.26, 0.26, 0.55)
    else:
        raise ValueError(f"unknown shape {shape!r}")
    if shape != "bevelled_cube":
        sharp = [e for e in bm.edges if len(e.link_faces) == 2 and e.calc_face_angle() > 1.0]
        bmesh.ops.split_edges(bm, edges=sharp)
    mesh = bpy.data.meshes.new(shape)
    bm.to_mesh(mesh)
    bm.free()
    mesh.shade_smooth()
    return mesh


def _add_subject(bpy: Any, scene: Any, p: dict[str, Any]) -> Any:
    """The subject object, rotated (yaw, tilt), with its modifiers; not yet scaled or placed."""
    from mathutils import Euler, Matrix

    obj = _link(bpy, scene, "subject", _subject_mesh(bpy, p["shape"]))
    if p["shape"] == "bevelled_cube":
        bevel = obj.modifiers.new("bevel", "BEVEL")
        bevel.width, bevel.segments, bevel.limit_method = 0.08, 4, "NONE"
        bevel.harden_normals = True
    elif p["shape"] == "suzanne":
        obj.modifiers.new("subsurf", "SUBSURF").levels = 1
    tilt = (30.0 + 50.0 * p["tilt_u"]) if p["shape"] == "torus" else 20.0 * p["tilt_u"]
    axis = math.radians(p["tilt_axis_deg"])
    tilt_m = Matrix.Rotation(math.radians(tilt), 3, (math.cos(axis), math.sin(axis), 0.0))
    yaw_m = Euler((0.0, 0.0, math.radians(p["yaw_deg"]))).to_matrix()
    obj.matrix_world = (tilt_m @ yaw_m).to_4x4()
    obj.data.materials.append(_principled(bpy, "subject", p["albedo_rgb"], p["roughness"]))
    return obj


def _world_points(bpy: Any, obj: Any) -> np.ndarray:
    """World-space vertices (N, 3) of the evaluated mesh (modifiers applied)."""
    bpy.context.view_layer.update()
    evaluated = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
    mesh = evaluated.to_mesh()
    co = np.empty(3 * len(mesh.vertices))
    mesh.vertices.foreach_get("co", co)
    evaluated.to_mesh_clear()
    m = np.array(obj.matrix_world)
    return co.reshape(-1, 3) @ m[:3, :3].T + m[:3, 3]


# --------------------------------------------------------------------------- bpy: framing


def _camera_matrix(centre: np.ndarray, offset: tuple[float, float], p: dict[str, Any],
                   sensor_h: float) -> np.ndarray:
    """Camera at ``distance_m`` from ``centre``, pitched, seeing it at the image ``offset``."""
    f = p["focal_mm"]
    rot = camera_rotation(p["pitch_deg"])
    ray = rot @ np.array([offset[0] * SENSOR_WIDTH_MM / f, offset[1] * sensor_h / f, -1.0])
    cam = np.eye(4)
    cam[:3, :3], cam[:3, 3] = rot, centre - p["distance_m"] * ray / np.linalg.norm(ray)
    return cam


def _frame(bpy: Any, obj: Any, p: dict[str, Any], size: tuple[int, int]) -> dict[str, Any]:
    """Scale and place the subject (bottom at z=0) and solve the camera; returns the layout.

    The drawn offset (a fraction of the room left beside the subject, at most 0.25 of
    the frame) is halved until every vertex projects inside the frame less ``MARGIN``
    (perspective makes near parts loom larger than the height fraction says).
    """
    from mathutils import Matrix

    w, h = size
    f, dist = p["focal_mm"], p["distance_m"]
    sensor_h = SENSOR_WIDTH_MM * h / w
    view_w, view_h = dist * SENSOR_WIDTH_MM / f, dist * sensor_h / f
    pts = _world_points(bpy, obj)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    ext = hi - lo
    scale = min(p["height_frac"] * view_h / ext[2], 0.8 * view_w / max(ext[0], ext[1]))
    shift = -scale * 0.5 * (lo + hi) + np.array([0.0, 0.0, 0.5 * scale * ext[2]])
    obj.matrix_world = Matrix.Translation(shift) @ Matrix.Diagonal((scale,) * 3).to_4x4() \
        @ obj.matrix_world
    pts = pts * scale + shift
    centre = np.array([0.0, 0.0, 0.5 * scale * ext[2]])
    half_w = 0.5 * scale * max(ext[0], ext[1]) / view_w
    half_h = 0.5 * scale * ext[2] / view_h
    ox = p["offset_u"][0] * max(0.0, min(0.25, 0.5 - half_w - MARGIN))
    oy = p["offset_u"][1] * max(0.0, min(0.25, 0.5 - half_h - MARGIN))
    for k in (1.0, 0.5, 0.25, 0.0):
        cam = _camera_matrix(centre, (k * ox, k * oy), p, sensor_h)
        x, y = project(pts, cam, f, size)
        if (x.min() >= MARGIN * w and x.max() <= (1 - MARGIN) * w
                and y.min() >= MARGIN * h and y.max() <= (1 - MARGIN) * h):
            break
    radius = 0.5 * scale * float(np.linalg.norm(ext))
    return {"centre": centre, "camera": cam, "radius": radius, "bottom": 0.0, "scale": scale}


def _add_camera(bpy: Any, scene: Any, p: dict[str, Any], layout: dict[str, Any],
                size: tuple[int, int]) -> None:
    from mathutils import Matrix

    data = bpy.data.cameras.new("camera")
    data.lens, data.sensor_fit = p["focal_mm"], "HORIZONTAL"
    data.sensor_width, data.sensor_height = SENSOR_WIDTH_MM, SENSOR_WIDTH_MM * size[1] / size[0]
    data.clip_start, data.clip_end = 0.05, 500.0
    cam = _link(bpy, scene, "camera", data)
    cam.matrix_world = Matrix(layout["camera"].tolist())
    scene.camera = cam


# --------------------------------------------------------------------------- bpy: lights


def _light_specs(p: dict[str, Any], layout: dict[str, Any]) -> list[dict[str, Any]]:
    """Key, fill and rim lights with role, position, direction and power (no bpy)."""
    toward_cam = layout["camera"][:3, 3] - layout["centre"]
    key = dict(p["key"])
    e_key = key.pop("illuminance")
    fill = {k: v for k, v in p["fill"].items() if k != "ratio"}
    lights = [dict(key, role="key", illuminance=e_key),
              dict(fill, role="fill", illuminance=e_key / p["fill"]["ratio"])]
    rim = p["rim"]
    sides = {"none": [], "camera_left": [-1], "camera_right": [1], "both": [-1, 1],
             "top": [0]}[rim["mode"]]
    for n, sign in enumerate(sides):
        s = rim["sides"][n]
        top = sign == 0
        lights.append({"role": "rim", "type": "area_square", "size_m": s["size_m"],
                       "distance_m": s["distance_m"], "cct_K": rim["cct_K"],
                       "azimuth_deg": rim["top_azimuth_deg"] if top else sign * s["azimuth_deg"],
                       "elevation_deg": rim["top_elevation_deg"] if top else s["elevation_deg"],
                       "illuminance": s["gain"] * e_key})
    for light in lights:
        light["dir_world"] = direction(light["azimuth_deg"], light["elevation_deg"], toward_cam)
        light["position"] = layout["centre"] + light["distance_m"] * light["dir_world"]
        light["power_W"] = light["illuminance"] / irradiance_per_watt(
            light["type"], light["size_m"], light["distance_m"])
    return lights


def _add_light(bpy: Any, scene: Any, name: str, light: dict[str, Any], target: np.ndarray,
               spot_deg: float = 60.0) -> Any:
    """A Blender light at ``light['position']`` aimed at ``target`` (see module photometry)."""
    from mathutils import Vector

    kind = light["type"]
    data = bpy.data.lights.new(name, "AREA" if kind.startswith("area") else kind.upper())
    data.energy = light["power_W"]
    if kind.startswith("area"):
        data.shape = "SQUARE" if kind == "area_square" else "DISK"
        data.size = light["size_m"]
    else:
        data.shadow_soft_size = 0.5 * light["size_m"]
    if kind == "spot":
        data.spot_size, data.spot_blend = math.radians(spot_deg), 0.1
    if light.get("cct_K"):
        data.use_temperature, data.temperature = True, light["cct_K"]
    obj = _link(bpy, scene, name, data)
    obj.location = Vector(light["position"].tolist())
    aim = Vector((np.asarray(target, float) - light["position"]).tolist())
    obj.rotation_euler = aim.to_track_quat("-Z", "Y").to_euler()
    obj.visible_camera = False
    return obj


# --------------------------------------------------------------------------- bpy: environment


def _add_plane(bpy: Any, scene: Any, name: str, albedo: float, matrix: Any,
               half_size: float = 30.0, texture: dict[str, Any] | None = None) -> Any:
    """A Lambertian square (local XY, normal +Z) of side ``2 * half_size``."""
    import bmesh  # only importable once bpy is

    mesh = bpy.data.meshes.new(name)
    bm = bmesh.new()
    bmesh.ops.create_grid(bm, x_segments=1, y_segments=1, size=half_size)
    bm.to_mesh(mesh)
    bm.free()
    mesh.materials.append(_diffuse(bpy, name, albedo, texture))
    obj = _link(bpy, scene, name, mesh)
    obj.matrix_world = matrix
    return obj


def _floor_level(layout: dict[str, Any], lights: Sequence[dict[str, Any]]) -> float:
    """The floor height: under the subject, and under the camera and every light."""
    low = min(layout["camera"][2, 3] - 0.25, layout["bottom"])
    for light in lights:
        low = min(low, light["position"][2] - 0.5 * light["size_m"] - 0.1)
    return float(low)


def _wall_gap(p: dict[str, Any], layout: dict[str, Any], normal: np.ndarray,
              lights: Sequence[dict[str, Any]]) -> float:
    """Subject-centre-to-wall distance: the drawn gap, pushed back behind every light."""
    gap = max(p["wall_gap_m"], layout["radius"] + 0.2)
    for light in lights:
        behind = -float(np.dot(light["position"] - layout["centre"], normal))
        gap = max(gap, behind + 0.5 * light["size_m"] + 0.3)
    return gap


def _world(bpy: Any, scene: Any, backdrop: float, ambient: float) -> None:
    """Camera rays see a grey ``backdrop``; every other ray sees ``ambient`` radiance."""
    world = _with_nodes(bpy.data.worlds.new("world"))
    world.color = (0.0, 0.0, 0.0)
    nodes, links = world.node_tree.nodes, world.node_tree.links
    out = next(n for n in nodes if n.bl_idname == "ShaderNodeOutputWorld")
    for n in [n for n in nodes if n.name != out.name]:
        nodes.remove(n)
    path, mix = nodes.new("ShaderNodeLightPath"), nodes.new("ShaderNodeMixShader")
    lit, seen = nodes.new("ShaderNodeBackground"), nodes.new("ShaderNodeBackground")
    lit.inputs["Color"].default_value = (ambient, ambient, ambient, 1.0)
    seen.inputs["Color"].default_value = (backdrop, backdrop, backdrop, 1.0)
    for bg in (lit, seen):
        bg.inputs["Strength"].default_value = 1.0
    links.new(path.outputs["Is Camera Ray"], mix.inputs[0])
    links.new(lit.outputs[0], mix.inputs[1])
    links.new(seen.outputs[0], mix.inputs[2])
    links.new(mix.outputs[0], out.inputs["Surface"])
    scene.world = world


def _add_haze(bpy: Any, scene: Any, density: float, centre: np.ndarray, half: float) -> Any:
    import bmesh
    from mathutils import Matrix

    mat = _with_nodes(bpy.data.materials.new("haze"))
    nodes = mat.node_tree.nodes
    out = next(n for n in nodes if n.bl_idname == "ShaderNodeOutputMaterial")
    for n in [n for n in nodes if n.name != out.name]:
        nodes.remove(n)
    vol = nodes.new("ShaderNodeVolumePrincipled")
    vol.inputs["Density"].default_value = density
    vol.inputs["Color"].default_value = (0.9, 0.9, 0.9, 1.0)
    mat.node_tree.links.new(vol.outputs["Volume"], out.inputs["Volume"])
    mesh = bpy.data.meshes.new("haze")
    bm = bmesh.new()
    bmesh.ops.create_cube(bm, size=2.0 * half)
    bm.to_mesh(mesh)
    bm.free()
    mesh.materials.append(mat)
    obj = _link(bpy, scene, "haze", mesh)
    obj.matrix_world = Matrix.Translation(centre.tolist())
    return obj


# --------------------------------------------------------------------------- bpy: rendering


def _render(bpy: Any, scene: Any, path: Path) -> None:
    scene.render.filepath = str(path)
    with quiet_blender():
        bpy.ops.render.render(write_still=True)


def _read_pixels(bpy: Any, path: Path) -> np.ndarray:
    """An image file's pixels as float32 rows top to bottom (RGBA)."""
    image = bpy.data.images.load(str(path))
    try:
        w, h = image.size
        px = np.empty(w * h * image.channels, np.float32)
        image.pixels.foreach_get(px)
    finally:
        bpy.data.images.remove(image)
    return px.reshape(h, w, -1)[::-1]


def _workbench_mask(bpy: Any, scene: Any, subject: Any, raw: Path) -> np.ndarray:
    """Workbench: subject flat white, everything else black, 8x anti-aliased."""
    scene.render.engine = "BLENDER_WORKBENCH"
    shading = scene.display.shading
    shading.light, shading.color_type = "FLAT", "OBJECT"
    shading.show_cavity = shading.show_object_outline = shading.show_shadows = False
    shading.show_specular_highlight = shading.show_xray = False
    scene.display.render_aa = "8"
    for obj in scene.objects:
        obj.color = (1.0, 1.0, 1.0, 1.0) if obj.name == subject.name else (0.0, 0.0, 0.0, 1.0)
    _render(bpy, scene, raw)
    return _read_pixels(bpy, raw)[..., 0]


def _cycles_mask(bpy: Any, scene: Any, subject: Any, raw: Path) -> np.ndarray:
    """Cycles alpha with only the subject renderable (the floor and wall never hide it)."""
    scene.render.engine = "CYCLES"
    scene.render.film_transparent = True
    scene.cycles.samples, scene.cycles.use_denoising = 16, False
    scene.cycles.use_adaptive_sampling = False
    for obj in scene.objects:
        if obj.type == "MESH" and obj.name != subject.name:
            obj.hide_render = True
    scene.render.image_settings.color_mode = "RGBA"
    _render(bpy, scene, raw)
    return _read_pixels(bpy, raw)[..., 3]


def _render_mask(bpy: Any, scene: Any, subject: Any, path: Path,
                 engine: str = "WORKBENCH") -> np.ndarray:
    """The subject's coverage thresholded at one half, written as a 0/255 PNG.

    Workbench by default; Cycles alpha where Workbench cannot render (no GPU context).
    """
    if "haze" in scene.objects:
        scene.objects["haze"].hide_render = True
    fmt = scene.render.image_settings
    fmt.file_format, fmt.color_mode, fmt.color_depth = "PNG", "RGB", "8"
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "mask.png"
        coverage = None
        if engine == "WORKBENCH":
            try:
                coverage = _workbench_mask(bpy, scene, subject, raw)
            except RuntimeError:
                coverage = None
        if coverage is None:
            coverage = _cycles_mask(bpy, scene, subject, raw)
    mask = coverage >= 0.5
    write_grey_png(path, np.where(mask, 255, 0).astype(np.uint8))
    return mask


# --------------------------------------------------------------------------- truth


def _light_truth(light: dict[str, Any], cam_rot: np.ndarray, sigma: float) -> dict[str, Any]:
    """One light's truth: shape, placement, direction (world and camera), colour, photometry."""
    d = light["dir_world"]
    out = {"type": light["type"], "size_m": float(light["size_m"]),
           "distance_m": float(light["distance_m"]),
           "azimuth_deg": float(light["azimuth_deg"]),
           "elevation_deg": float(light["elevation_deg"]),
           "dir_world": [float(x) for x in d], "dir_camera": [float(x) for x in cam_rot.T @ d],
           "position_world": [float(x) for x in light["position"]],
           "cct_K": float(light["cct_K"]), "power_W": float(light["power_W"]),
           "illuminance": float(light["illuminance"]),
           "haze_transmittance": float(math.exp(-sigma * light["distance_m"]))}
    if "spot_angle_deg" in light:
        out["spot_angle_deg"] = float(light["spot_angle_deg"])
    return out


def _bbox(mask: np.ndarray) -> list[int]:
    """[x0, y0, x1, y1] of the mask in pixels (x1, y1 exclusive), zeros if empty."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return [0, 0, 0, 0]
    return [int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1]


def _truth(i: int, seed: int, size: tuple[int, int], p: dict[str, Any],
           layout: dict[str, Any], lights: Sequence[dict[str, Any]], mask: np.ndarray,
           env: dict[str, Any]) -> dict[str, Any]:
    cam, centre = layout["camera"], layout["centre"]
    rot, sigma = cam[:3, :3], p["haze_density_per_m"]
    by_role = {role: [_light_truth(lt, rot, sigma) for lt in lights if lt["role"] == role]
               for role in ("key", "fill", "rim")}
    bbox = _bbox(mask)
    cam_dist = float(np.linalg.norm(cam[:3, 3] - centre))
    pitch = math.degrees(math.asin(-cam[2, 2]))
    return {
        "id": f"{i:03d}", "seed": int(seed), "size": [int(size[0]), int(size[1])],
        "shape": p["shape"], "albedo_rgb": [float(c) for c in p["albedo_rgb"]],
        "roughness": float(p["roughness"]), "focal_mm": float(p["focal_mm"]),
        "sensor_mm": [SENSOR_WIDTH_MM, SENSOR_WIDTH_MM * size[1] / size[0]],
        "camera_matrix_world": [[float(x) for x in row] for row in cam],
        "camera_pitch_deg": float(pitch), "camera_distance_m": cam_dist,
        "subject_center_world": [float(x) for x in centre],
        "subject_center_px": [float(x) for x in project(centre, cam, p["focal_mm"], size)],
        "subject_bbox_px": bbox, "subject_height_frac": (bbox[3] - bbox[1]) / size[1],
        "subject_yaw_deg": float(p["yaw_deg"]),
        "subject_height_m": float(2.0 * centre[2]),
        "floor": bool(p["floor"]), "floor_albedo": float(p["floor_albedo"]),
        "floor_z": float(env["floor_z"]) if p["floor"] else None,
        "wall": bool(p["wall"]), "wall_albedo": float(p["wall_albedo"]),
        "wall_distance_m": float(env["wall_gap"]) if p["wall"] else None,
        "floor_texture": p["floor_texture"] if p["floor"] else None,
        "wall_texture": p["wall_texture"] if p["wall"] else None,
        "world_rgb": [float(env["backdrop"])] * 3,
        "ambient_radiance": float(env["ambient"]),
        "key": by_role["key"][0], "fill": by_role["fill"][0],
        "key_fill_ratio": by_role["key"][0]["illuminance"] / by_role["fill"][0]["illuminance"],
        "rim": {"mode": p["rim"]["mode"], "lights": by_role["rim"]},
        "haze": {"density_per_m": float(sigma),
                 "transmittance_to_subject": float(math.exp(-sigma * cam_dist))},
        "render": {"engine": "CYCLES", "samples": int(env["samples"]),
                   "denoiser": env["denoiser"], "cycles_seed": CYCLES_SEED},
    }


# --------------------------------------------------------------------------- public API


def _spot_angle(light: dict[str, Any], radius: float) -> float:
    """A spot cone (deg) whose fully lit core covers the subject's bounding sphere."""
    half = math.degrees(math.atan(1.3 * radius / light["distance_m"]))
    return float(min(170.0, 2.0 * half / 0.9 + 10.0))


def _build(bpy: Any, p: dict[str, Any], size: tuple[int, int], samples: int
           ) -> tuple[Any, Any, dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """The whole Cycles scene of one still; returns (scene, subject, layout, lights, env)."""
    from mathutils import Matrix

    scene = _reset(bpy, size, samples)
    subject = _add_subject(bpy, scene, p)
    layout = _frame(bpy, subject, p, size)
    _add_camera(bpy, scene, p, layout, size)
    lights = _light_specs(p, layout)
    for n, light in enumerate(lights):
        if light["type"] == "spot":
            light["spot_angle_deg"] = _spot_angle(light, layout["radius"])
        _add_light(bpy, scene, f"{light['role']}{n}", light, layout["centre"],
                   light.get("spot_angle_deg", 60.0))
    e_key = lights[0]["illuminance"]
    env = {"floor_z": _floor_level(layout, lights), "wall_gap": 0.0,
           "backdrop": p["world_grey"], "ambient": p["ambient_frac"] * e_key / math.pi,
           "samples": samples, "denoiser": "OPENIMAGEDENOISE" if _has_oidn() else "none"}
    if p["floor"]:
        _add_plane(bpy, scene, "floor", p["floor_albedo"],
                   Matrix.Translation((0.0, 0.0, env["floor_z"])), texture=p["floor_texture"])
    if p["wall"]:
        yaw = math.radians(p["wall_yaw_deg"])
        normal = np.array([-math.sin(yaw), -math.cos(yaw), 0.0])  # faces the camera (-Y)
        env["wall_gap"] = _wall_gap(p, layout, normal, lights)
        origin = layout["centre"] - env["wall_gap"] * normal
        origin[2] = env["floor_z"] + 30.0
        upright = Matrix.Rotation(math.radians(90.0), 4, "X")
        _add_plane(bpy, scene, "wall", p["wall_albedo"],
                   Matrix.Translation(origin.tolist()) @ Matrix.Rotation(-yaw, 4, "Z") @ upright,
                   texture=p["wall_texture"])
    _world(bpy, scene, env["backdrop"], env["ambient"])
    if p["haze_density_per_m"] > 0:
        reach = max(np.linalg.norm(layout["camera"][:3, 3] - layout["centre"]),
                    *(np.linalg.norm(lt["position"] - layout["centre"]) + lt["size_m"]
                      for lt in lights))
        _add_haze(bpy, scene, p["haze_density_per_m"], layout["centre"], float(reach) + 2.0)
    return scene, subject, layout, lights, env


def render_still(out_dir: str | os.PathLike[str], i: int, seed: int = 0,
                 size: tuple[int, int] = (480, 270), samples: int = 32,
                 overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Render still ``i`` into ``out_dir`` (PNG, mask PNG, truth JSON); returns the truth.

    ``overrides`` replaces drawn parameters (keys of :func:`draw_params`, nested
    dicts merged), e.g. ``{"shape": "uv_sphere", "key": {"azimuth_deg": 90.0},
    "rim": {"mode": "none"}, "haze_density_per_m": 0.0}``.
    """
    import bpy

    p = _merge(draw_params(seed, i), overrides or {})
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    size = (int(size[0]), int(size[1]))
    name = f"{i:03d}"
    scene, subject, layout, lights, env = _build(bpy, p, size, samples)
    fmt = scene.render.image_settings
    fmt.file_format, fmt.color_mode, fmt.color_depth = "PNG", "RGB", "8"
    _render(bpy, scene, out / f"{name}.png")
    mask = _render_mask(bpy, scene, subject, out / f"{name}.mask.png")
    truth = _truth(i, seed, size, p, layout, lights, mask, env)
    (out / f"{name}.json").write_text(json.dumps(truth, indent=2, sort_keys=True) + "\n")
    return truth


def _normal_material(bpy: Any) -> Any:
    """Emission of the camera-space geometric normal, mapped from [-1, 1] to [0, 1]."""
    mat = _with_nodes(bpy.data.materials.new("normals"))
    tree = mat.node_tree
    for node in list(tree.nodes):
        tree.nodes.remove(node)
    geometry = tree.nodes.new("ShaderNodeNewGeometry")
    to_camera = tree.nodes.new("ShaderNodeVectorTransform")
    to_camera.vector_type, to_camera.convert_from, to_camera.convert_to = \
        "NORMAL", "WORLD", "CAMERA"
    half = tree.nodes.new("ShaderNodeVectorMath")
    half.operation = "MULTIPLY_ADD"
    half.inputs[1].default_value = half.inputs[2].default_value = (0.5, 0.5, 0.5)
    emission = tree.nodes.new("ShaderNodeEmission")
    output = tree.nodes.new("ShaderNodeOutputMaterial")
    tree.links.new(geometry.outputs["Normal"], to_camera.inputs["Vector"])
    tree.links.new(to_camera.outputs["Vector"], half.inputs[0])
    tree.links.new(half.outputs["Vector"], emission.inputs["Color"])
    tree.links.new(emission.outputs["Emission"], output.inputs["Surface"])
    return mat


def render_normals(out_dir: str | os.PathLike[str], i: int, seed: int = 0,
                   size: tuple[int, int] = (480, 270), samples: int = 8,
                   overrides: dict[str, Any] | None = None) -> np.ndarray:
    """The subject's own surface normals in still ``i``, written as ``<id>.normals.npy``.

    ``H x W x 3`` float32, rows top to bottom, in the camera frame of the truth's
    ``dir_camera`` (x right, y up, z toward the camera); zero where the subject is not.
    Cycles renders the subject alone with an emission of its geometric normal (only the
    subject renderable, a transparent film; ``samples`` anti-alias the edge, whose pixels
    are averaged then renormalised). For evaluating estimated normals and how far the light
    fit gets with exact ones (``bench/inverse_oracle.py``).
    """
    import bpy

    p = _merge(draw_params(seed, i), overrides or {})
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    scene, subject, _, _, _ = _build(bpy, p, (int(size[0]), int(size[1])), samples)
    for obj in scene.objects:
        if obj.type == "MESH" and obj.name != subject.name:
            obj.hide_render = True
    subject.data.materials.clear()
    subject.data.materials.append(_normal_material(bpy))
    cy = scene.cycles
    cy.samples, cy.use_denoising, cy.use_adaptive_sampling = int(samples), False, False
    scene.render.film_transparent = True
    fmt = scene.render.image_settings
    fmt.file_format, fmt.color_mode, fmt.color_depth = "OPEN_EXR", "RGBA", "32"
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "normals.exr"
        _render(bpy, scene, raw)
        px = _read_pixels(bpy, raw).astype(np.float64)
    alpha = px[..., 3:]
    normals = 2.0 * px[..., :3] - alpha  # premultiplied: alpha (2 c - 1)
    normals[..., 2] *= -1.0  # Cycles' camera space looks down +z; the truth's z faces the camera
    length = np.linalg.norm(normals, axis=-1, keepdims=True)
    normals = np.where((alpha >= 0.5) & (length > 1e-6), normals / np.maximum(length, 1e-12), 0.0)
    normals = normals.astype(np.float32)
    with atomic_output(out / f"{i:03d}.normals.npy") as tmp_path:
        np.save(tmp_path, normals)
    return normals


def generate(out_dir: str | os.PathLike[str], n: int, seed: int = 0,
             size: tuple[int, int] = (480, 270), samples: int = 32, start: int = 0,
             log: Any = None, normals: bool = False, fill: str = "convention",
             rim: str = "convention", room: str = "plain") -> list[dict[str, Any]]:
    """Render stills ``start .. start + n - 1`` into ``out_dir``; returns their truth dicts.

    ``normals``: also write each still's ``<id>.normals.npy`` (:func:`render_normals`).
    ``fill``, ``rim``: each one of :data:`PLACEMENTS`; ``room`` one of :data:`ROOMS`
    (:func:`variant_overrides`).
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    variant_overrides(seed, start, fill, rim, room)  # an unknown one fails before a render
    truths = []
    for i in range(start, start + n):
        t0 = time.perf_counter()
        overrides = variant_overrides(seed, i, fill, rim, room)
        truths.append(render_still(out_dir, i, seed, size, samples, overrides))
        if normals:
            render_normals(out_dir, i, seed, size, overrides=overrides)
        if log is not None:
            log(i, truths[-1], time.perf_counter() - t0)
    return truths


def light_meter(kind: str = "area_square", size_m: float = 0.5, distance_m: float = 2.0,
                power_W: float = 100.0, samples: int = 256, albedo: float = 0.8
                ) -> dict[str, float]:
    """Measure one light's irradiance with a white Lambertian card read back from a linear EXR.

    The card (diffuse BSDF, ``albedo``) faces the light at ``distance_m`` in a black
    world; an orthographic camera sees the card's central 5 cm. Returns the measured
    irradiance ``pi * radiance / albedo``, the formula's and their ratio.
    """
    import bpy
    from mathutils import Matrix

    scene = _reset(bpy, (16, 16), samples)
    scene.cycles.use_denoising = False
    scene.cycles.use_adaptive_sampling = False
    _world(bpy, scene, 0.0, 0.0)
    _add_plane(bpy, scene, "card", albedo, Matrix.Identity(4), half_size=0.1)
    light = {"type": kind, "size_m": size_m, "power_W": power_W, "cct_K": 0.0,
             "position": np.array([0.0, 0.0, distance_m])}
    _add_light(bpy, scene, "meter", light, np.zeros(3), spot_deg=30.0)
    cam_data = bpy.data.cameras.new("meter")
    cam_data.type, cam_data.ortho_scale = "ORTHO", 0.05
    cam = _link(bpy, scene, "meter", cam_data)
    cam.matrix_world = Matrix.Translation((0.0, 0.0, distance_m + 5.0))
    scene.camera = cam
    fmt = scene.render.image_settings
    fmt.file_format, fmt.color_mode, fmt.color_depth = "OPEN_EXR", "RGB", "32"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "meter.exr"
        _render(bpy, scene, path)
        radiance = float(_read_pixels(bpy, path)[..., :3].mean())
    measured = math.pi * radiance / albedo
    formula = power_W * irradiance_per_watt(kind, size_m, distance_m)
    return {"measured": measured, "formula": formula, "ratio": measured / formula}


# --------------------------------------------------------------------------- CLI


def _parse_size(text: str) -> tuple[int, int]:
    w, _, h = text.lower().partition("x")
    return int(w), int(h)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m moks_graph.hosts.blender.references --out DIR --n 60 --seed 1``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--n", type=int, default=60, help="number of stills")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--start", type=int, default=0, help="index of the first still")
    ap.add_argument("--size", type=_parse_size, default=(480, 270), help="WxH, e.g. 480x270")
    ap.add_argument("--samples", type=int, default=32)
    ap.add_argument("--normals", action="store_true",
                    help="also write each subject's own normals (<id>.normals.npy)")
    ap.add_argument("--fill", choices=PLACEMENTS, default="convention",
                    help="the fill near the lighting convention, or at any azimuth within "
                         "+-135 deg (free_fill)")
    ap.add_argument("--rim", choices=PLACEMENTS, default="convention",
                    help="the rims near the matcher's rim lobes, or spread wider: side "
                         "azimuth 100-178 deg, elevation 0-60 deg (free_rim)")
    ap.add_argument("--room", choices=ROOMS, default="plain",
                    help="a plain grey floor and wall, or procedurally textured ones "
                         "(textured_room)")
    args = ap.parse_args(argv)

    def log(i: int, truth: dict[str, Any], took: float) -> None:
        key = truth["key"]
        print(f"{truth['id']}  {took:5.1f} s  {truth['shape']:<13} key {key['type']:<11} "
              f"az {key['azimuth_deg']:7.1f} el {key['elevation_deg']:5.1f}  "
              f"ratio {truth['key_fill_ratio']:5.1f}  rim {truth['rim']['mode']:<12} "
              f"haze {truth['haze']['density_per_m']:.3f}", flush=True)

    t0 = time.perf_counter()
    truths = generate(args.out, args.n, args.seed, args.size, args.samples, args.start, log,
                      args.normals, args.fill, args.rim, args.room)
    took = time.perf_counter() - t0
    print(f"{len(truths)} stills in {took:.1f} s ({took / max(1, len(truths)):.2f} s each) "
          f"-> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
