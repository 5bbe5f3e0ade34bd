"""The Blender forward model: a SceneScript rendered with real ``bpy`` (Cycles on the CPU).

The details (moved from this docstring): docs/inverse-hosts.md, "Module notes",
`hosts/blender/forward.py`.
"""

from __future__ import annotations

import math
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from moks_graph.nodes.inverse.interfaces import PREVIEW_SIZE
from moks_graph.nodes.inverse.render import (
    AIRLIGHT,
    AMBIENT_IRRADIANCE,
    BACKDROP,
    BACKDROP_DISTANCE_M,
    FLOOR_RADIUS,
    FOG_DENSITY_MAX,
    GROUND_ALBEDO,
    PROXIES,
    ROUGHNESS,
    SUBJECT_ALBEDO,
    haze_colour,
)
from moks_graph.nodes.lights.photometry import cct_to_rgb
from moks_graph.nodes.lights.placement import look_at_matrix, place_light
from moks_graph.nodes.looks.stocks import apply_stock
from moks_graph.nodes.scenescript.compile import SENSOR_MM, framing
from moks_graph.nodes.scenescript.schema import SceneScript
from moks_graph.rng import stream_key
from moks_graph.rotations import matrix_to_euler_xyz

__all__ = [
    "BlenderRenderer",
    "LightSpec",
    "RenderSpec",
    "light_distance",
    "proxy_ellipsoids",
    "render_spec",
]

#: Proxy sphere radius as a fraction of the frame height at the subject.
PROXY_FRAME_FRACTION = 0.3
#: Icosphere subdivisions of a proxy ellipsoid (20 * 4**n faces).
ICOSPHERE_SUBDIVISIONS = 4
#: Segments of the floor disc.
FLOOR_SEGMENTS = 128
#: Fill and rim placement, as in :func:`moks_graph.nodes.scenescript.compile.compile_scene`.
FILL_ELEVATION_DEG = 10.0
RIM_AZIMUTHS: dict[str, tuple[float, ...]] = {
    "none": (), "camera_left": (-150.0,), "camera_right": (150.0,), "top": (180.0,),
    "both": (-150.0, 150.0),
}
FILL_SIZE_M, RIM_SIZE_M = 1.5, 0.5

Proxy = Literal["figure", "sphere"]
Ellipsoid = tuple[tuple[float, float, float], tuple[float, float, float]]


@dataclass(frozen=True)
class LightSpec:
    """One area light: name, position [m], Euler XYZ [deg], power [W], linear colour, size [m]."""

    name: str
    position: tuple[float, float, float]
    rotation_deg: tuple[float, float, float]
    power_w: float
    color: tuple[float, float, float]
    size_m: float


@dataclass(frozen=True)
class RenderSpec:
    """Everything the Blender scene needs, computed from the SceneScript without ``bpy``."""

    size: tuple[int, int]
    camera_position: tuple[float, float, float]
    camera_rotation_deg: tuple[float, float, float]
    focal_mm: float
    shift: tuple[float, float]
    target: tuple[float, float, float]
    ellipsoids: tuple[Ellipsoid, ...]
    floor_radius_m: float
    lights: tuple[LightSpec, ...]
    light_rgb: tuple[float, float, float]
    dome_zenith: tuple[float, float, float]
    fog_density: float
    airlight: tuple[float, float, float]
    backdrop: tuple[float, float, float]


def _t3(v: np.ndarray) -> tuple[float, float, float]:
    return (float(v[0]), float(v[1]), float(v[2]))


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    if (not isinstance(size, tuple | list) or len(size) != 2
            or not all(isinstance(v, int | np.integer) and 16 <= int(v) <= 4096 for v in size)):
        raise ValueError(f"size must be (width, height) integers in [16, 4096], got {size!r}")
    return int(size[0]), int(size[1])


def light_distance(script: SceneScript) -> float:
    """Light distance [m] of the compiled graph: ``clip(3 * height / 1.75, 1.2, 60)``."""
    scale = max(script.subject.height_m / 1.75, 0.2)
    return min(max(3.0 * scale, 1.2), 60.0)


def _light_color(cct_K: float) -> tuple[tuple[float, float, float], float]:
    """Blender colour ``c / max(c)`` and ``max(c)``, folded into the power (``c``: luminance 1)."""
    rgb = np.asarray(cct_to_rgb(cct_K), dtype=np.float64)
    peak = float(rgb.max())
    return _t3(rgb / peak), peak


def proxy_ellipsoids(script: SceneScript, proxy: Proxy = "figure") -> tuple[Ellipsoid, ...]:
    """``(centre, radii)`` [m] of the subject proxy's ellipsoids (module doc)."""
    if proxy == "figure":
        h = script.subject.height_m
        return tuple((_t3(np.asarray(c) * h), _t3(np.asarray(r) * h))
                     for c, r in PROXIES[script.subject.kind])
    if proxy == "sphere":
        frame = framing(script)
        frame_h = float(frame["distance"]) * SENSOR_MM[1] / float(frame["focal"])
        r = min(PROXY_FRAME_FRACTION * frame_h, 0.25 * light_distance(script))
        return ((_t3(np.asarray(frame["target"], float)), (r, r, r)),)
    raise ValueError(f"proxy must be 'figure' or 'sphere', got {proxy!r}")


def render_spec(script: SceneScript, size: tuple[int, int] = PREVIEW_SIZE,
                proxy: Proxy = "figure") -> RenderSpec:
    """The camera, proxy, lights and mist of ``script`` (formulas in the module doc)."""
    if not isinstance(script, SceneScript):
        raise TypeError(f"script must be a SceneScript, got {type(script).__name__}")
    ellipsoids = proxy_ellipsoids(script, proxy)
    width, height = _check_size(size)
    frame = framing(script)
    cam, tgt = np.asarray(frame["camera"], float), np.asarray(frame["target"], float)
    rot = look_at_matrix(cam, tgt)[0]
    roll = math.radians(float(frame["roll"]))
    if roll:
        c, s = math.cos(roll), math.sin(roll)
        rot = rot @ np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    cam_euler = matrix_to_euler_xyz(rot[None])[0]
    d = light_distance(script)

    key, fr = script.key, script.fill_rim
    color, peak = _light_color(key.cct_K)
    # A white card facing the key renders to c (luminance 1): power x colour = pi^2 d^2 c.
    base = math.pi**2 * d**2 * peak
    fill_az = -0.6 * key.azimuth_deg if abs(key.azimuth_deg) > 1.0 else -30.0
    roles: list[tuple[str, float, float, float, float]] = [
        ("key", key.azimuth_deg, key.elevation_deg, 1.0, 0.3 + 1.7 * key.softness),
        ("fill", fill_az, FILL_ELEVATION_DEG, 1.0 / fr.key_fill_ratio, FILL_SIZE_M),
    ]
    rims = RIM_AZIMUTHS[fr.rim]
    for i, az in enumerate(rims):
        name = "rim" if len(rims) == 1 else f"rim_{i}"
        roles.append((name, az, 60.0 if fr.rim == "top" else 25.0, 2.0**fr.rim_ev, RIM_SIZE_M))
    lights = []
    for name, az, el, relative, light_size in roles:
        pos, euler = place_light(cam, tgt, az, el, d)
        lights.append(LightSpec(name, _t3(pos[0]), _t3(euler[0]), base * relative, color,
                                float(light_size)))

    rgb = np.asarray(cct_to_rgb(key.cct_K), dtype=np.float64)
    phi = script.atmosphere.phi
    sigma = FOG_DENSITY_MAX * phi * phi
    airlight = AIRLIGHT * rgb * haze_colour(phi)
    t_back = math.exp(-sigma * (float(frame["distance"]) + BACKDROP_DISTANCE_M))
    return RenderSpec(
        size=(width, height), camera_position=_t3(cam), camera_rotation_deg=_t3(cam_euler),
        focal_mm=float(frame["focal"]),
        shift=(-script.shot.screen_x, -script.shot.screen_y * height / width),
        target=_t3(tgt), ellipsoids=ellipsoids,
        floor_radius_m=FLOOR_RADIUS * script.subject.height_m, lights=tuple(lights),
        light_rgb=_t3(rgb), dome_zenith=_t3(9.0 / 7.0 * AMBIENT_IRRADIANCE * rgb),
        fog_density=sigma, airlight=_t3(airlight),
        backdrop=_t3(t_back * BACKDROP * rgb + (1.0 - t_back) * airlight))


# --------------------------------------------------------------------------- bpy side

_BPY_LOCK = threading.Lock()


def _has_oidn() -> bool:
    try:
        import _cycles  # ships with bpy's Cycles add-on
    except ImportError:
        return False
    return bool(getattr(_cycles, "with_openimagedenoise", False))


def _fog_material(bpy: Any, name: str, albedo: float, spec: RenderSpec,
                  analytic_normal: bool = False) -> Any:
    """Principled BSDF mixed toward the airlight emission by ``1 - exp(-sigma * ray_length)``.

    ``analytic_normal``: shade with the normal of the unit sphere in object space
    carried to world space as a normal (exact for a scaled sphere).
    """
    mat = bpy.data.materials.new(name)
    tree = mat.node_tree
    bsdf = tree.nodes["Principled BSDF"]
    bsdf.inputs["Base Color"].default_value = (albedo, albedo, albedo, 1.0)
    bsdf.inputs["Roughness"].default_value = math.sqrt(ROUGHNESS)  # GGX alpha = roughness^2
    if analytic_normal:
        coords = tree.nodes.new("ShaderNodeTexCoord")
        to_world = tree.nodes.new("ShaderNodeVectorTransform")
        to_world.vector_type = "NORMAL"
        to_world.convert_from, to_world.convert_to = "OBJECT", "WORLD"
        unit = tree.nodes.new("ShaderNodeVectorMath")
        unit.operation = "NORMALIZE"
        tree.links.new(coords.outputs["Object"], to_world.inputs["Vector"])
        tree.links.new(to_world.outputs["Vector"], unit.inputs[0])
        tree.links.new(unit.outputs["Vector"], bsdf.inputs["Normal"])
    if spec.fog_density <= 0.0:
        return mat
    out = tree.nodes["Material Output"]
    path = tree.nodes.new("ShaderNodeLightPath")
    optical = tree.nodes.new("ShaderNodeMath")
    optical.operation = "MULTIPLY"
    optical.inputs[1].default_value = -spec.fog_density
    tree.links.new(path.outputs["Ray Length"], optical.inputs[0])
    trans = tree.nodes.new("ShaderNodeMath")
    trans.operation = "EXPONENT"
    tree.links.new(optical.outputs[0], trans.inputs[0])
    fac = tree.nodes.new("ShaderNodeMath")
    fac.operation = "SUBTRACT"
    fac.inputs[0].default_value = 1.0
    tree.links.new(trans.outputs[0], fac.inputs[1])
    glow = tree.nodes.new("ShaderNodeEmission")
    glow.inputs["Color"].default_value = (*spec.airlight, 1.0)
    glow.inputs["Strength"].default_value = 1.0
    mix = tree.nodes.new("ShaderNodeMixShader")
    tree.links.new(fac.outputs[0], mix.inputs["Fac"])
    tree.links.new(bsdf.outputs["BSDF"], mix.inputs[1])
    tree.links.new(glow.outputs["Emission"], mix.inputs[2])
    tree.links.new(mix.outputs["Shader"], out.inputs["Surface"])
    return mat


def _world(bpy: Any, spec: RenderSpec) -> Any:
    """Camera rays see the backdrop; every other ray the overcast dome (module doc)."""
    world = bpy.data.worlds.new("MOKS world")
    tree = world.node_tree
    out = next(n for n in tree.nodes if n.bl_idname == "ShaderNodeOutputWorld")
    dome = tree.nodes["Background"]
    dome.inputs["Color"].default_value = (*spec.dome_zenith, 1.0)
    coords = tree.nodes.new("ShaderNodeTexCoord")  # "Generated" = the ray direction
    axes = tree.nodes.new("ShaderNodeSeparateXYZ")
    tree.links.new(coords.outputs["Generated"], axes.inputs["Vector"])
    gradient = tree.nodes.new("ShaderNodeMath")  # (1 + 2 z) / 3
    gradient.operation = "MULTIPLY_ADD"
    gradient.inputs[1].default_value = 2.0 / 3.0
    gradient.inputs[2].default_value = 1.0 / 3.0
    tree.links.new(axes.outputs["Z"], gradient.inputs[0])
    above = tree.nodes.new("ShaderNodeMath")
    above.operation = "GREATER_THAN"
    above.inputs[1].default_value = 0.0
    tree.links.new(axes.outputs["Z"], above.inputs[0])
    strength = tree.nodes.new("ShaderNodeMath")
    strength.operation = "MULTIPLY"
    tree.links.new(gradient.outputs[0], strength.inputs[0])
    tree.links.new(above.outputs[0], strength.inputs[1])
    tree.links.new(strength.outputs[0], dome.inputs["Strength"])
    backdrop = tree.nodes.new("ShaderNodeBackground")
    backdrop.inputs["Color"].default_value = (*spec.backdrop, 1.0)
    backdrop.inputs["Strength"].default_value = 1.0
    path = tree.nodes.new("ShaderNodeLightPath")
    mix = tree.nodes.new("ShaderNodeMixShader")
    tree.links.new(path.outputs["Is Camera Ray"], mix.inputs["Fac"])
    tree.links.new(dome.outputs["Background"], mix.inputs[1])
    tree.links.new(backdrop.outputs["Background"], mix.inputs[2])
    tree.links.new(mix.outputs["Shader"], out.inputs["Surface"])
    return world


def _add_ellipsoid(bpy: Any, scene: Any, name: str, ellipsoid: Ellipsoid,
                   material: Any) -> Any:
    """A flat-shaded unit icosphere scaled to ``radii`` at ``centre`` (normals: the material)."""
    import bmesh

    centre, radii = ellipsoid
    mesh = bpy.data.meshes.new(name)
    bm = bmesh.new()
    bmesh.ops.create_icosphere(bm, subdivisions=ICOSPHERE_SUBDIVISIONS, radius=1.0)
    bm.to_mesh(mesh)
    bm.free()
    mesh.materials.append(material)
    obj = bpy.data.objects.new(name, mesh)
    obj.location = centre
    obj.scale = radii
    scene.collection.objects.link(obj)
    return obj


def _build(bpy: Any, spec: RenderSpec, samples: int, denoise: bool, seed: int,
           threads: int) -> Any:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    r = scene.render
    r.engine = "CYCLES"
    r.resolution_x, r.resolution_y = spec.size
    r.resolution_percentage = 100
    r.threads_mode = "FIXED"
    r.threads = threads
    r.film_transparent = False
    cy = scene.cycles
    cy.device = "CPU"
    cy.samples = samples
    cy.use_adaptive_sampling = False
    cy.seed = seed
    cy.use_animated_seed = False
    cy.use_denoising = denoise
    if denoise:
        cy.denoiser = "OPENIMAGEDENOISE"
    cy.max_bounces, cy.diffuse_bounces, cy.glossy_bounces = 3, 2, 1
    cy.transmission_bounces = cy.volume_bounces = cy.transparent_max_bounces = 0
    cy.caustics_reflective = cy.caustics_refractive = False
    scene.world = _world(bpy, spec)

    cam_data = bpy.data.cameras.new("MOKS camera")
    cam_data.lens = spec.focal_mm
    cam_data.sensor_width, cam_data.sensor_height = SENSOR_MM
    cam_data.sensor_fit = "VERTICAL"
    cam_data.shift_x, cam_data.shift_y = spec.shift
    cam_data.clip_start, cam_data.clip_end = 0.01, 10_000.0
    cam = bpy.data.objects.new("MOKS camera", cam_data)
    cam.location = spec.camera_position
    cam.rotation_euler = tuple(math.radians(a) for a in spec.camera_rotation_deg)
    scene.collection.objects.link(cam)
    scene.camera = cam

    skin = _fog_material(bpy, "MOKS subject", SUBJECT_ALBEDO, spec, analytic_normal=True)
    for i, ellipsoid in enumerate(spec.ellipsoids):
        _add_ellipsoid(bpy, scene, f"MOKS subject {i}", ellipsoid, skin)
    ground = _fog_material(bpy, "MOKS floor", GROUND_ALBEDO, spec)
    angles = np.linspace(0.0, 2.0 * math.pi, FLOOR_SEGMENTS, endpoint=False)
    rim = spec.floor_radius_m * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    mesh = bpy.data.meshes.new("MOKS floor")
    mesh.from_pydata([(0.0, 0.0, 0.0), *((float(x), float(y), 0.0) for x, y in rim)], [],
                     [(0, 1 + i, 1 + (i + 1) % FLOOR_SEGMENTS) for i in range(FLOOR_SEGMENTS)])
    mesh.materials.append(ground)
    scene.collection.objects.link(bpy.data.objects.new("MOKS floor", mesh))

    for light in spec.lights:
        data = bpy.data.lights.new(light.name, "AREA")
        data.shape = "SQUARE"
        data.size = light.size_m
        data.energy = light.power_w
        data.color = light.color
        obj = bpy.data.objects.new(light.name, data)
        obj.location = light.position
        obj.rotation_euler = tuple(math.radians(a) for a in light.rotation_deg)
        scene.collection.objects.link(obj)
    return scene


def _render_pixels(bpy: Any, scene: Any) -> np.ndarray:
    """Render, write a 32-bit OpenEXR to a temp folder, read it back as ``H x W x 3`` float32."""
    settings = scene.render.image_settings
    settings.file_format = "OPEN_EXR"
    settings.color_depth = "32"
    settings.exr_codec = "ZIP"
    width, height = scene.render.resolution_x, scene.render.resolution_y
    with tempfile.TemporaryDirectory(prefix="moks_blender_") as tmp:
        path = str(Path(tmp) / "preview.exr")
        scene.render.filepath = path
        bpy.ops.render.render(write_still=True)
        image = bpy.data.images.load(path)
        try:
            flat = np.empty(width * height * 4, dtype=np.float32)
            image.pixels.foreach_get(flat)
        finally:
            bpy.data.images.remove(image)
    # Blender stores rows bottom-up.
    return np.ascontiguousarray(flat.reshape(height, width, 4)[::-1, :, :3])


class BlenderRenderer:
    """:class:`ForwardModel` rendering a SceneScript with Blender Cycles on the CPU.

    ``samples`` (1-64) path-traced samples per pixel; ``denoise`` True / False
    or None (OpenImageDenoise where this build has it); ``proxy`` "figure"
    (the built-in preview's proxy of the subject kind) or "sphere"; ``seed``
    the Cycles seed and the grain key; ``threads`` the Cycles thread count
    (fixed, for reproducible timing); ``look`` whether to apply the look
    slot's film stock (False gives the scene-linear render).
    """

    name = "blender"

    def __init__(self, samples: int = 16, *, denoise: bool | None = None,
                 proxy: Proxy = "figure", seed: int = 0, threads: int = 2,
                 look: bool = True) -> None:
        if not isinstance(samples, int) or not 1 <= samples <= 64:
            raise ValueError(f"samples must be an integer in [1, 64], got {samples!r}")
        if proxy not in ("figure", "sphere"):
            raise ValueError(f"proxy must be 'figure' or 'sphere', got {proxy!r}")
        if not isinstance(seed, int) or not 0 <= seed < 2**31:
            raise ValueError(f"seed must be an integer in [0, 2**31), got {seed!r}")
        if not isinstance(threads, int) or not 1 <= threads <= 256:
            raise ValueError(f"threads must be an integer in [1, 256], got {threads!r}")
        self.samples = samples
        self.denoise = denoise
        self.proxy: Proxy = proxy
        self.seed = seed
        self.threads = threads
        self.look = look

    def __repr__(self) -> str:
        return (f"BlenderRenderer(samples={self.samples}, denoise={self.denoise}, "
                f"proxy={self.proxy!r}, seed={self.seed})")

    def render_linear(self, script: SceneScript,
                      size: tuple[int, int] = PREVIEW_SIZE) -> np.ndarray:
        """The scene-linear Cycles render (``H x W x 3`` float32, before the film look)."""
        from moks_graph.hosts.blender.writer import import_bpy, quiet_blender

        spec = render_spec(script, size, self.proxy)
        bpy = import_bpy()
        denoise = _has_oidn() if self.denoise is None else bool(self.denoise)
        with _BPY_LOCK, quiet_blender():
            scene = _build(bpy, spec, self.samples, denoise, self.seed, self.threads)
            pixels = _render_pixels(bpy, scene)
        if not np.isfinite(pixels).all():
            raise RuntimeError("Blender returned non-finite pixels")
        return np.maximum(pixels, 0.0)

    def render(self, script: SceneScript, size: tuple[int, int] = PREVIEW_SIZE) -> np.ndarray:
        """Render ``script`` at ``size`` = (width, height): linear float32 ``H x W x 3``."""
        linear = self.render_linear(script, size)
        if not self.look:
            return linear
        look = script.look
        grain = stream_key(self.seed, "blender_forward", "grain") if look.grain > 0 else None
        return apply_stock(linear, look.stock, grain_key=grain, grain_strength=look.grain,
                           exposure_ev=look.exposure_ev)
