"""The built-in forward model: a deterministic numpy preview renderer of a SceneScript.

The details (moved from this docstring): docs/inverse.md, "Module notes",
`nodes/inverse/render.py`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

import numpy as np

from moks_graph.nodes.atmosphere.phase import AtmosphereParams, smoothstep
from moks_graph.nodes.environment.sh import irradiance, project_hdri
from moks_graph.nodes.environment.skies import overcast_sky
from moks_graph.nodes.inverse.interfaces import PREVIEW_SIZE
from moks_graph.nodes.lights.photometry import LUMA_709, cct_to_rgb
from moks_graph.nodes.lights.placement import ground_frame, light_direction
from moks_graph.nodes.looks.stocks import (
    LOG2_EXPOSURE_RANGE,
    CurveParams,
    FilmStock,
    apply_stock,
    camera_density,
    display_from_density,
    get_stock,
)
from moks_graph.nodes.scenescript.compile import SENSOR_MM, framing
from moks_graph.nodes.scenescript.schema import SceneScript
from moks_graph.rng import stream_key

SUBJECT_ALBEDO: Final[float] = 0.45
"""Diffuse albedo of the subject proxy (skin-like)."""
GROUND_ALBEDO: Final[float] = 0.15
"""Diffuse albedo of the ground plane."""
BACKDROP: Final[float] = 0.005
"""Scene-linear level of the dark backdrop (key illuminance = 1)."""
BACKDROP_DISTANCE_M: Final[float] = 5.0
"""Distance of the backdrop behind the target (for the fog) [m]."""
FLOOR_RADIUS: Final[float] = 1.5
"""Radius of the studio floor disc around the subject, in subject heights."""
AMBIENT_IRRADIANCE: Final[float] = 0.06
"""Horizontal irradiance of the ambient dome relative to the key's illuminance."""
AIRLIGHT: Final[float] = 0.03
"""Scene-linear luminance of fully fogged air (key illuminance = 1)."""
SPECULAR: Final[float] = 0.04
"""Specular reflectance ``k_s`` (dielectric F0 of skin/plastic)."""
ROUGHNESS: Final[float] = 0.3
"""Surface roughness ``alpha`` before the source size is added."""
FILL_ELEVATION_DEG: Final[float] = 10.0
FILL_SIZE_M: Final[float] = 1.5
RIM_SIZE_M: Final[float] = 0.5
#: Rim azimuths and elevation per rim mode (as ``compile_scene`` places them).
RIM_LIGHTS: Final[dict[str, tuple[tuple[float, float], ...]]] = {
    "none": (),
    "camera_left": ((-150.0, 25.0),),
    "camera_right": ((150.0, 25.0),),
    "both": ((-150.0, 25.0), (150.0, 25.0)),
    "top": ((180.0, 60.0),),
}
_ATMOSPHERE = AtmosphereParams()
FOG_DENSITY_MAX: Final[float] = _ATMOSPHERE.fog_density_max
CLEAR_HAZE: Final[np.ndarray] = np.asarray(_ATMOSPHERE.clear_haze_color, dtype=np.float64)
FOG_COLOUR: Final[np.ndarray] = np.asarray(_ATMOSPHERE.fog_color, dtype=np.float64)
_LN2: Final[float] = math.log(2.0)

#: Subject proxies as ellipsoids ``(centre, radii)`` in units of the subject height.
PROXIES: Final[dict[str, tuple[tuple[tuple[float, float, float], tuple[float, float, float]],
                               ...]]] = {
    "person": (((0.0, 0.0, 0.93), (0.065, 0.065, 0.065)),
               ((0.0, 0.0, 0.70), (0.12, 0.075, 0.17)),
               ((0.0, 0.0, 0.28), (0.085, 0.07, 0.30))),
    "product": (((0.0, 0.0, 0.5), (0.5, 0.5, 0.5)),),
    "vehicle": (((0.0, 0.0, 0.5), (1.5, 0.7, 0.5)),),
    "crowd": (((0.0, 0.0, 0.5), (2.0, 0.5, 0.5)),),
    "landscape": (((0.0, 0.0, 0.0), (3.0, 3.0, 1.0)),),
}


# --------------------------------------------------------------------------- geometry


@dataclass(frozen=True)
class Geometry:
    """What a camera sees of the proxy scene; depends only on the subject and shot slots.

    ``surface``: flat pixel indices (row-major) of pixels that hit the subject or the ground;
    the per-surface arrays ``normal``, ``view`` (unit, towards the camera), ``albedo``,
    ``distance`` (camera to point, metres) and ``ambient`` (SH irradiance of the dome at the
    normal, key = 1) are indexed like it. ``subject``: the subject's silhouette (H x W).
    ``forward``/``right``: the ground frame of the light placement; ``camera_axes``: rows
    are the camera's right, up and backward (towards the viewer) axes in world space, so
    ``camera_axes @ w`` is ``w`` in the metric extractor's camera frame.
    """

    height: int
    width: int
    surface: np.ndarray
    subject: np.ndarray
    normal: np.ndarray
    view: np.ndarray
    albedo: np.ndarray
    distance: np.ndarray
    ambient: np.ndarray
    background_distance: float
    forward: np.ndarray
    right: np.ndarray
    camera_axes: np.ndarray
    light_distance: float


def _ray_ellipsoid(origin: np.ndarray, dirs: np.ndarray, centre: np.ndarray,
                   radii: np.ndarray) -> np.ndarray:
    """Nearest positive hit distance of unit rays on an ellipsoid (``inf`` on a miss)."""
    o = (origin - centre) / radii
    d = dirs / radii
    a = np.einsum("ij,ij->i", d, d)
    b = 2.0 * (d @ o)
    c = float(o @ o) - 1.0
    disc = b * b - 4.0 * a * c
    root = np.sqrt(np.maximum(disc, 0.0))
    t_near = (-b - root) / (2.0 * a)
    t_far = (-b + root) / (2.0 * a)
    t = np.where(t_near > 1e-6, t_near, t_far)
    return np.where((disc > 0.0) & (t > 1e-6), t, np.inf)


@lru_cache(maxsize=1)
def _dome_sh() -> np.ndarray:
    """SH coefficients of the overcast dome with unit horizontal irradiance (neutral)."""
    sky = overcast_sky(32, zenith_luminance=9.0 / (7.0 * math.pi), ground_rgb=(0.0, 0.0, 0.0))
    return project_hdri(sky)


def camera_rays(script: SceneScript, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray,
                                                                       np.ndarray]:
    """Camera position, unit ray directions ``(H*W, 3)`` (row-major) and camera axes ``(3, 3)``.

    Pinhole: with ``f`` the focal length [mm], the frame spans ``SENSOR_MM[1]`` (24 mm)
    vertically and ``24 * W / H`` mm horizontally; pixel centre ``(col, row)`` has image
    coordinates ``x = (col + 0.5) / W - 0.5 - screen_x`` and ``y = 0.5 - (row + 0.5) / H -
    screen_y`` (frame units) and ray ``forward + x (24 W / H / f) right + y (24 / f) up``.
    The dutch roll turns ``right``/``up`` about ``forward``.
    """
    width, height = _check_size(size)
    frame = framing(script)
    target, cam = frame["target"], frame["camera"]
    fwd = target - cam
    fwd = fwd / np.linalg.norm(fwd)
    side = np.cross(fwd, np.array([0.0, 0.0, 1.0]))
    if np.linalg.norm(side) < 1e-9:
        side = np.array([1.0, 0.0, 0.0])
    side = side / np.linalg.norm(side)
    up = np.cross(side, fwd)
    roll = math.radians(frame["roll"])
    side, up = side * math.cos(roll) + up * math.sin(roll), up * math.cos(roll) - side * math.sin(
        roll)
    focal = float(frame["focal"])
    sensor_h = SENSOR_MM[1]
    sensor_w = sensor_h * width / height
    xs = ((np.arange(width) + 0.5) / width - 0.5 - script.shot.screen_x) * (sensor_w / focal)
    ys = (0.5 - (np.arange(height) + 0.5) / height - script.shot.screen_y) * (sensor_h / focal)
    dirs = (fwd[None, None, :] + xs[None, :, None] * side[None, None, :]
            + ys[:, None, None] * up[None, None, :]).reshape(-1, 3)
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    return cam, dirs, np.stack([side, up, -fwd])


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ValueError(f"size: expected (width, height), got {size!r}") from None
    if not (8 <= width <= 8192 and 8 <= height <= 8192):
        raise ValueError(f"size: width and height must be 8..8192 pixels, got {size!r}")
    return width, height


def preview_size(shape: tuple[int, ...], width: int = PREVIEW_SIZE[0]) -> tuple[int, int]:
    """``(width, height)`` of the preview for a reference of ``shape`` (same aspect)."""
    h, w = int(shape[0]), int(shape[1])
    return width, int(np.clip(round(width * h / w), 16, 4 * width))


def resample(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-resample (anti-aliased bilinear) ``image`` to ``size = (width, height)``."""
    width, height = size
    if image.shape[:2] == (height, width):
        return np.ascontiguousarray(image, dtype=np.float32)
    from skimage.transform import resize

    out = resize(image.astype(np.float64), (height, width, 3), order=1, mode="edge",
                 anti_aliasing=image.shape[0] > height or image.shape[1] > width)
    return np.maximum(out, 0.0).astype(np.float32)


ANALYSIS_SIDE: Final[int] = 2048
"""Longest side a reference is analysed at; larger stills are area-averaged down first."""


def area_reduce(image: np.ndarray, side: int = ANALYSIS_SIDE) -> np.ndarray:
    """``image`` averaged over ``k x k`` blocks, ``k`` the least integer bringing its longest
    side to ``side`` or under (the last ``< k`` rows and columns dropped); unchanged when it
    already fits. Area averaging in linear light is the physical reduction, and it keeps a
    24-megapixel photograph's match within seconds (the analysis grids are 240-512 px)."""
    h, w = image.shape[:2]
    k = -(-max(h, w) // side)
    if k <= 1:
        return image
    blocks = image[:h - h % k, :w - w % k].reshape(h // k, k, w // k, k, -1)
    return blocks.mean(axis=(1, 3), dtype=np.float64).astype(image.dtype).reshape(
        h // k, w // k, *image.shape[2:])


def scene_geometry(script: SceneScript, size: tuple[int, int] = PREVIEW_SIZE) -> Geometry:
    """The cached :class:`Geometry` of the subject and shot slots of ``script``."""
    key = (script.subject.model_dump_json(), script.shot.model_dump_json(), *_check_size(size))
    return _geometry(*key)


@lru_cache(maxsize=64)
def _geometry(subject_json: str, shot_json: str, width: int, height: int) -> Geometry:
    script = SceneScript.model_validate_json(
        f'{{"subject": {subject_json}, "shot": {shot_json}}}')
    cam, dirs, axes = camera_rays(script, (width, height))
    h_subject = script.subject.height_m
    best = np.full(dirs.shape[0], np.inf)
    normal = np.zeros_like(dirs)
    for centre_u, radii_u in PROXIES[script.subject.kind]:
        centre = np.asarray(centre_u) * h_subject
        radii = np.asarray(radii_u) * h_subject
        t = _ray_ellipsoid(cam, dirs, centre, radii)
        closer = t < best
        if closer.any():
            p = cam + t[closer, None] * dirs[closer]
            n = (p - centre) / radii**2
            normal[closer] = n / np.linalg.norm(n, axis=1, keepdims=True)
            best[closer] = t[closer]
    subject = np.isfinite(best)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_ground = np.where(dirs[:, 2] < -1e-9, -cam[2] / dirs[:, 2], np.inf)
    hit = cam + np.where(np.isfinite(t_ground), t_ground, 0.0)[:, None] * dirs
    on_floor = np.hypot(hit[:, 0], hit[:, 1]) <= FLOOR_RADIUS * h_subject
    ground = ~subject & np.isfinite(t_ground) & (t_ground > 0) & on_floor
    best = np.where(ground, t_ground, best)
    normal[ground] = (0.0, 0.0, 1.0)
    surface = np.flatnonzero(subject | ground)
    albedo = np.where(subject[surface], SUBJECT_ALBEDO, GROUND_ALBEDO)
    n_surf = normal[surface]
    ambient = AMBIENT_IRRADIANCE * irradiance(_dome_sh(), n_surf)[:, 1]
    frame = framing(script)
    forward, right = ground_frame(frame["camera"][None, :], frame["target"][None, :])
    scale = max(h_subject / 1.75, 0.2)
    return Geometry(
        height=height, width=width, surface=surface,
        subject=subject.reshape(height, width), normal=n_surf, view=-dirs[surface],
        albedo=albedo, distance=best[surface], ambient=ambient,
        background_distance=float(frame["distance"]) + BACKDROP_DISTANCE_M,
        forward=forward[0], right=right[0], camera_axes=axes,
        light_distance=min(max(3.0 * scale, 1.2), 60.0),
    )


# --------------------------------------------------------------------------- scene quantities


@dataclass(frozen=True)
class Scene:
    """Scene quantities of a SceneScript: the lights, their colour, the fog, the look.

    ``directions`` ``(n, 3)`` world unit vectors subject -> light; ``levels`` illuminance
    relative to the key; ``sin_radius`` the sine of each source's angular radius;
    ``shininess`` the Blinn-Phong exponent; ``roles`` ``key``/``fill``/``rim``;
    ``light_rgb`` the lights' colour (luminance 1); ``fog_sigma`` extinction [1/m];
    ``airlight_rgb`` the fully fogged air; ``exposure_ev``, ``stock``, ``grain``.
    """

    directions: np.ndarray
    levels: np.ndarray
    sin_radius: np.ndarray
    shininess: np.ndarray
    roles: tuple[str, ...]
    light_rgb: np.ndarray
    fog_sigma: float
    airlight_rgb: np.ndarray
    exposure_ev: float
    stock: str
    grain: float


def _source(size_m: float, distance_m: float) -> tuple[float, float]:
    """``(sin of angular radius, Blinn-Phong exponent)`` of a source of ``size_m`` at a distance."""
    half = 0.5 * size_m
    s = max(half / math.hypot(distance_m, half), 1e-3)
    alpha2 = ROUGHNESS**2 + s * s
    return s, 2.0 / alpha2 - 2.0


def fill_azimuth(key_azimuth_deg: float) -> float:
    """Fill azimuth of ``compile_scene``: ``-0.6 * key`` (``-30`` for a key within 1 deg)."""
    return -0.6 * key_azimuth_deg if abs(key_azimuth_deg) > 1.0 else -30.0


def haze_colour(phi: float) -> np.ndarray:
    """Haze colour of the phase model at ``phi``, normalised to luminance 1."""
    hz = CLEAR_HAZE + smoothstep(phi) * (FOG_COLOUR - CLEAR_HAZE)
    return hz / float(hz @ LUMA_709)


def scene_quantities(script: SceneScript, geometry: Geometry) -> Scene:
    """The :class:`Scene` of a script (formulas in the module docstring)."""
    key, fr = script.key, script.fill_rim
    fwd, right = geometry.forward[None, :], geometry.right[None, :]
    d = geometry.light_distance
    lights = [("key", key.azimuth_deg, key.elevation_deg, 1.0, 0.3 + 1.7 * key.softness),
              ("fill", fill_azimuth(key.azimuth_deg), FILL_ELEVATION_DEG,
               1.0 / fr.key_fill_ratio, FILL_SIZE_M)]
    lights += [("rim", az, el, 2.0**fr.rim_ev, RIM_SIZE_M) for az, el in RIM_LIGHTS[fr.rim]]
    dirs = np.concatenate([light_direction(fwd, right, np.array([az]), np.array([el]))
                           for _, az, el, _, _ in lights])
    sources = [_source(size, d) for *_, size in lights]
    rgb = cct_to_rgb(key.cct_K)
    phi = script.atmosphere.phi
    return Scene(
        directions=dirs, levels=np.array([lv for *_, lv, _ in lights]),
        sin_radius=np.array([s for s, _ in sources]), shininess=np.array([k for _, k in sources]),
        roles=tuple(r for r, *_ in lights), light_rgb=rgb,
        fog_sigma=FOG_DENSITY_MAX * phi * phi, airlight_rgb=AIRLIGHT * rgb * haze_colour(phi),
        exposure_ev=script.look.exposure_ev, stock=script.look.stock, grain=script.look.grain,
    )


# --------------------------------------------------------------------------- shading


def smooth_cosine(c: np.ndarray, s: float) -> tuple[np.ndarray, np.ndarray]:
    """``F(c; s)`` and ``dF/dc`` (the area-ish clamped cosine of the module docstring).

    With ``q = clip((c + s) / (2 s), 0, 1)``: ``F = c`` for ``c >= s``, else ``s q^2``
    (``= (c + s)^2 / (4 s)`` in the band, 0 below it); ``F' = 1`` or ``q``.
    """
    q = np.clip((c + s) / (2.0 * s), 0.0, 1.0)
    above = c >= s
    return np.where(above, c, s * q * q), np.where(above, 1.0, q)


@dataclass
class Shading:
    """Per-light buffers of one shaded frame, kept for tangents (surface pixels only)."""

    cos: list[np.ndarray] = field(default_factory=list)
    diffuse: list[np.ndarray] = field(default_factory=list)
    diffuse_slope: list[np.ndarray] = field(default_factory=list)
    n_dot_h: list[np.ndarray] = field(default_factory=list)
    half: list[np.ndarray] = field(default_factory=list)
    half_norm: list[np.ndarray] = field(default_factory=list)
    specular: list[np.ndarray] = field(default_factory=list)
    energy: np.ndarray | None = None  # the bracket of L (scalar per surface pixel)
    transmission: np.ndarray | None = None
    background_transmission: float = 1.0


def shade(geometry: Geometry, scene: Scene) -> tuple[np.ndarray, Shading]:
    """Scene-linear radiance ``(H, W, 3)`` float64 (before exposure) and its buffers."""
    g = geometry
    buf = Shading()
    energy = g.albedo * g.ambient
    for i in range(len(scene.roles)):
        l_i = scene.directions[i]
        c = g.normal @ l_i
        diff, slope = smooth_cosine(c, float(scene.sin_radius[i]))
        hv = g.view + l_i
        hn = np.linalg.norm(hv, axis=1)
        hn = np.maximum(hn, 1e-9)
        h = hv / hn[:, None]
        nh = np.maximum(np.einsum("ij,ij->i", g.normal, h), 0.0)
        k = float(scene.shininess[i])
        spec = SPECULAR * (k + 8.0) / 8.0 * nh**k * diff
        energy = energy + scene.levels[i] * (g.albedo * diff + spec)
        buf.cos.append(c)
        buf.diffuse.append(diff)
        buf.diffuse_slope.append(slope)
        buf.n_dot_h.append(nh)
        buf.half.append(h)
        buf.half_norm.append(hn)
        buf.specular.append(spec)
    trans = np.exp(-scene.fog_sigma * g.distance)
    t_bg = math.exp(-scene.fog_sigma * g.background_distance)
    buf.energy, buf.transmission, buf.background_transmission = energy, trans, t_bg
    out = np.empty((g.height * g.width, 3))
    out[:] = t_bg * BACKDROP * scene.light_rgb + (1.0 - t_bg) * scene.airlight_rgb
    out[g.surface] = (trans[:, None] * energy[:, None] * scene.light_rgb
                      + (1.0 - trans)[:, None] * scene.airlight_rgb)
    return out.reshape(g.height, g.width, 3), buf


@dataclass(frozen=True)
class SceneTangent:
    """A perturbation of the continuous :class:`Scene` quantities (same shapes)."""

    directions: np.ndarray
    levels: np.ndarray
    light_rgb: np.ndarray
    fog_sigma: float
    airlight_rgb: np.ndarray
    exposure_ev: float

    @classmethod
    def zero(cls, scene: Scene) -> SceneTangent:
        return cls(np.zeros_like(scene.directions), np.zeros_like(scene.levels),
                   np.zeros(3), 0.0, np.zeros(3), 0.0)


def shade_jvp(geometry: Geometry, scene: Scene, buf: Shading,
              tangent: SceneTangent) -> np.ndarray:
    """Directional derivative of :func:`shade` along ``tangent`` (``(H, W, 3)``, analytic).

    With ``c_i = n . l_i``: ``dE_i = F'(c_i) n . dl_i``; ``dh_i = (dl_i - h_i (h_i . dl_i)) /
    |l_i + v|``; ``dS_i = k_s (k+8)/8 [k (n.h)^(k-1) (n . dh_i) E_i + (n.h)^k dE_i]``;
    ``dL = dT (L_s - A) + T dL_s + (1 - T) dA`` with ``dT = -d sigma * distance * T``.
    """
    g = geometry
    d_energy = np.zeros(g.surface.shape[0])
    for i in range(len(scene.roles)):
        dl = tangent.directions[i]
        dlev = float(tangent.levels[i])
        level = float(scene.levels[i])
        if dlev != 0.0:
            d_energy += dlev * (g.albedo * buf.diffuse[i] + buf.specular[i])
        if np.any(dl != 0.0):
            k = float(scene.shininess[i])
            d_diff = buf.diffuse_slope[i] * (g.normal @ dl)
            h = buf.half[i]
            dh = (dl[None, :] - h * (h @ dl)[:, None]) / buf.half_norm[i][:, None]
            n_dh = np.einsum("ij,ij->i", g.normal, dh)
            nh = buf.n_dot_h[i]
            norm = SPECULAR * (k + 8.0) / 8.0
            d_spec = norm * (k * nh ** (k - 1.0) * n_dh * buf.diffuse[i] + nh**k * d_diff)
            d_energy += level * (g.albedo * d_diff + d_spec)
    assert buf.energy is not None and buf.transmission is not None
    trans, energy = buf.transmission, buf.energy
    surf_lin = energy[:, None] * scene.light_rgb
    d_surf = d_energy[:, None] * scene.light_rgb + energy[:, None] * tangent.light_rgb
    d_trans = -tangent.fog_sigma * g.distance * trans
    out = np.empty((g.height * g.width, 3))
    t_bg = buf.background_transmission
    dt_bg = -tangent.fog_sigma * g.background_distance * t_bg
    out[:] = (dt_bg * (BACKDROP * scene.light_rgb - scene.airlight_rgb)
              + t_bg * BACKDROP * tangent.light_rgb + (1.0 - t_bg) * tangent.airlight_rgb)
    out[g.surface] = (d_trans[:, None] * (surf_lin - scene.airlight_rgb) + trans[:, None] * d_surf
                      + (1.0 - trans)[:, None] * tangent.airlight_rgb)
    return out.reshape(g.height, g.width, 3)


# --------------------------------------------------------------------------- film


def _rise_slope(x: np.ndarray, params: CurveParams) -> np.ndarray:
    """``dP/dx`` of :func:`moks_graph.nodes.looks.stocks.curve_rise` (closed form).

    ``y = gamma toe softplus((x - speed) / toe)``, ``dy/dx = gamma sigmoid((x - speed) /
    toe)``; ``m(y) = softmin(y, R)``, ``dm/dy = sigmoid((R - y) / w)``; ``P = R (m - m0) /
    (R - m0)``.
    """
    gamma, dmin, dmax, speed = params.arrays()
    span = dmax - dmin
    w = params.shoulder
    u = (x - speed) / params.toe
    y = gamma * params.toe * np.logaddexp(0.0, u)
    dy = gamma * 0.5 * (1.0 + np.tanh(0.5 * u))
    dm = 0.5 * (1.0 + np.tanh(0.5 * (span - y) / w))
    m0 = -w * np.logaddexp(0.0, -span / w)
    return span / (span - m0) * dm * dy


def film_slope_exact(exposed: np.ndarray, stock: str | FilmStock) -> np.ndarray:
    """``d display / d exposed`` per pixel and film layer (analytic; 0 outside the latitude).

    ``exposed`` is scene-linear times ``2**exposure_ev`` ``(..., 3)``; the result has
    shape ``(..., 3)`` for colour stocks and ``(..., 1)`` (derivative with respect to the
    Rec.709 luminance the layer sees) for black-and-white ones. With ``x = log10 H``:
    reversal ``out = 10**-(D - dmin)``, ``D = dmax - P_c(x)`` so ``dout/dH = out P_c'(x) /
    H``; negative ``out = 10**-P_p(-D)``, ``D = dmin + P_c(x)`` so ``dout/dH = out
    P_p'(-D) P_c'(x) / H``.
    """
    s = get_stock(stock)
    rgb = np.asarray(exposed, dtype=np.float64)
    if s.monochrome:
        rgb = (rgb @ np.asarray((0.2126, 0.7152, 0.0722)))[..., None]
    lo, hi = 2.0 ** LOG2_EXPOSURE_RANGE[0], 2.0 ** LOG2_EXPOSURE_RANGE[1]
    inside = (rgb > lo) & (rgb < hi)
    h = np.clip(rgb, lo, hi)
    x = np.log10(h)
    density = camera_density(x, s)
    pc = _rise_slope(x, s.camera)
    if s.print_curve is None:
        out = np.power(10.0, -(density - np.asarray(s.camera.dmin, dtype=np.float64)))
        slope = out * pc / h
    else:
        from moks_graph.nodes.looks.stocks import characteristic_curve

        pd = characteristic_curve(-density, s.print_curve)
        out = np.power(10.0, -(pd - s.print_curve.dmin))
        slope = out * _rise_slope(-density, s.print_curve) * pc / h
    return np.where(inside, slope, 0.0)


FILM_STEPS_PER_STOP: Final[int] = 256
"""Samples per stop of the tabulated film curves (:func:`film`, :func:`film_slope`)."""


@lru_cache(maxsize=8)
def _film_table(stock: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log2 exposures over the latitude, display values and ``d display / d log2 H``."""
    lo, hi = LOG2_EXPOSURE_RANGE
    x = np.linspace(lo, hi, round((hi - lo) * FILM_STEPS_PER_STOP) + 1)
    s = get_stock(stock)
    layers = 1 if s.monochrome else 3
    h = np.repeat((2.0**x)[:, None], layers, axis=1)
    out = display_from_density(camera_density(np.log10(h), s), s)
    inner = 2.0 ** np.clip(x, lo + 1e-9, hi - 1e-9)  # the end nodes' one-sided slopes
    grey = np.repeat(inner[:, None], 3, axis=1)
    slope = film_slope_exact(grey, s) * inner[:, None] * _LN2  # d out / d log2 H
    return x, out, slope


def _layers(exposed: np.ndarray, stock: FilmStock) -> np.ndarray:
    rgb = np.asarray(exposed, dtype=np.float64)
    if stock.monochrome:
        return (rgb @ np.asarray((0.2126, 0.7152, 0.0722)))[..., None]
    return rgb


def film(exposed: np.ndarray, stock: str | FilmStock) -> np.ndarray:
    """:func:`~moks_graph.nodes.looks.stocks.apply_stock` without grain, tabulated.

    The film's 1-D curve per layer, sampled :data:`FILM_STEPS_PER_STOP` times per stop of
    log2 exposure over the latitude and interpolated linearly (a few milliseconds per
    frame instead of tens; within 2e-6 of ``apply_stock``). ``exposed``: scene-linear
    times ``2**exposure_ev``; returns float32 display-linear ``(..., 3)``.
    """
    s = get_stock(stock)
    x, table, _ = _film_table(s.name)
    lo, hi = LOG2_EXPOSURE_RANGE
    log2h = np.log2(np.clip(_layers(exposed, s), 2.0**lo, 2.0**hi))
    out = np.stack([np.interp(log2h[..., c], x, table[:, c]) for c in range(table.shape[1])],
                   axis=-1)
    if s.monochrome:
        out = np.repeat(out, 3, axis=-1)
    return out.astype(np.float32)


def film_slope(exposed: np.ndarray, stock: str | FilmStock) -> np.ndarray:
    """``d display / d exposed`` (:func:`film_slope_exact`, tabulated like :func:`film`).

    ``(..., 3)`` for colour stocks, ``(..., 1)`` (with respect to the Rec.709 luminance)
    for black-and-white ones; 0 outside the latitude.
    """
    s = get_stock(stock)
    x, _, table = _film_table(s.name)
    lo, hi = LOG2_EXPOSURE_RANGE
    h = _layers(exposed, s)
    inside = (h > 2.0**lo) & (h < 2.0**hi)
    hc = np.clip(h, 2.0**lo, 2.0**hi)
    log2h = np.log2(hc)
    per_log = np.stack([np.interp(log2h[..., c], x, table[:, c])
                        for c in range(table.shape[1])], axis=-1)
    return np.where(inside, per_log / (hc * _LN2), 0.0)


# --------------------------------------------------------------------------- the renderer


@dataclass
class RenderState:
    """Everything of one render that tangents need: geometry, scene, buffers, images."""

    script: SceneScript
    geometry: Geometry
    scene: Scene
    shading: Shading
    linear: np.ndarray
    display: np.ndarray
    _slope: np.ndarray | None = None

    @property
    def slope(self) -> np.ndarray:
        """Film slope at this frame's exposure (computed on first use)."""
        if self._slope is None:
            exposed = self.linear * 2.0**self.scene.exposure_ev
            self._slope = film_slope(exposed, self.scene.stock)
        return self._slope

    def display_jvp(self, tangent: SceneTangent) -> np.ndarray:
        """Directional derivative of the display image along a scene tangent (analytic).

        ``X = 2**ev L``: ``dX = 2**ev (dL + ln2 dev L)``; ``dDisplay = slope * dX`` (colour)
        or ``slope * (dX . Y709)`` replicated (black and white).
        """
        d_lin = shade_jvp(self.geometry, self.scene, self.shading, tangent)
        gain = 2.0**self.scene.exposure_ev
        d_exp = gain * (d_lin + _LN2 * tangent.exposure_ev * self.linear)
        slope = self.slope
        if slope.shape[-1] == 1:
            d = slope[..., 0] * (d_exp @ np.asarray((0.2126, 0.7152, 0.0722)))
            return np.repeat(d[..., None], 3, axis=2)
        return slope * d_exp


class BuiltinRenderer:
    """The built-in :class:`~moks_graph.nodes.inverse.interfaces.ForwardModel` ("builtin").

    ``grain``: render the script's film grain (seeded by ``seed``); off by default, as the
    loop's previews are grain-free.
    """

    name = "builtin"

    def __init__(self, *, grain: bool = False, seed: int = 0) -> None:
        self.grain = bool(grain)
        self.seed = int(seed)

    def render_state(self, script: SceneScript,
                     size: tuple[int, int] = PREVIEW_SIZE) -> RenderState:
        """Render and keep the intermediate quantities (for tangents)."""
        if not isinstance(script, SceneScript):
            raise TypeError(f"script: expected a SceneScript, got {type(script).__name__}")
        geometry = scene_geometry(script, size)
        scene = scene_quantities(script, geometry)
        linear, buf = shade(geometry, scene)
        if self.grain and scene.grain > 0:
            key = stream_key(self.seed, "inverse.preview", "grain")
            display = apply_stock(linear, scene.stock, grain_key=key,
                                  grain_strength=scene.grain, exposure_ev=scene.exposure_ev)
        else:
            display = film(linear * 2.0**scene.exposure_ev, scene.stock)
        return RenderState(script, geometry, scene, buf, linear, display)

    def render(self, script: SceneScript, size: tuple[int, int] = PREVIEW_SIZE) -> np.ndarray:
        """Display-referred linear float32 ``H x W x 3`` preview of ``script``."""
        return self.render_state(script, size).display
