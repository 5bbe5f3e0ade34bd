"""Procedural equirectangular skies for tests and lighting presets.

Entry points: :func:`sun_sky`, :func:`overcast_sky`, :func:`studio_sky`.

Details (moved from this docstring, issue 15): docs/measuring-stills.md#nodesenvironmentskiespy
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from moks_graph.nodes.environment.hdri import (
    check_height,
    equirect_angles,
    equirect_directions,
    equirect_row_solid_angles,
)

RGB = tuple[float, float, float]


def _rgb(value: Sequence[float], name: str) -> np.ndarray:
    c = np.asarray(value, dtype=np.float64)
    if c.shape != (3,) or not np.all(np.isfinite(c)) or np.any(c < 0):
        raise ValueError(f"{name} must be three finite non-negative floats, got {value!r}")
    return c


def _finite(value: float, name: str, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    v = float(value)
    if not np.isfinite(v) or (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ValueError(f"{name} must be finite and in [{lo}, {hi}], got {value!r}")
    return v


def direction_from_angles(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """Unit Z-up direction for an azimuth (from +X toward +Y) and elevation, degrees."""
    az = np.radians(_finite(azimuth_deg, "azimuth_deg"))
    el = np.radians(_finite(elevation_deg, "elevation_deg", -90.0, 90.0))
    return np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])


def _elevation_grid(height: int) -> np.ndarray:
    theta, _ = equirect_angles(height)
    return np.broadcast_to((np.pi / 2 - theta)[:, None], (height, 2 * height))


def _normalised_lobe(weight: np.ndarray, height: int, irradiance: float) -> np.ndarray:
    """Scale a non-negative per-pixel weight so that ``sum w dOmega = irradiance``."""
    total = float(np.sum(weight * equirect_row_solid_angles(height)[:, None]))
    return weight * (irradiance / total) if total > 0 else weight


def sun_sky(
    height: int = 128,
    *,
    sun_azimuth_deg: float = 30.0,
    sun_elevation_deg: float = 40.0,
    sun_irradiance: float = 1.0,
    sun_radius_deg: float = 2.0,
    aureole_deg: float = 25.0,
    aureole_fraction: float = 0.8,
    sun_rgb: RGB = (1.0, 0.95, 0.85),
    zenith_rgb: RGB = (0.25, 0.45, 0.95),
    horizon_rgb: RGB = (0.75, 0.85, 1.0),
    ground_rgb: RGB = (0.30, 0.27, 0.24),
) -> np.ndarray:
    """Sun + sky gradient.

    Sky above the horizon: ``horizon + (zenith - horizon) * sin(elevation)^0.5``.
    Ground below: uniform ``ground_rgb``. The sun adds ``sun_irradiance`` (at
    normal incidence, times ``sun_rgb``) split between a uniform disk of
    angular radius ``sun_radius_deg`` (at least the nearest pixel) and, with
    ``aureole_fraction`` of it, a circumsolar glow ``exp(-gamma / aureole_deg)``
    (gamma = angle to the sun). A tiny disk with no aureole and black sky
    approximates a distant point light.

    The defaults are a hazy sun (most of its light in a 25 deg aureole), soft
    enough for L=2 SH irradiance to stay within ~1 %; a clear-sky sun
    (``aureole_fraction=0``, radius 0.27 deg) is a sharp source with up to ~9 %
    SH irradiance error near its terminator.
    """
    h = check_height(height)
    dirs = equirect_directions(h)
    sun = direction_from_angles(sun_azimuth_deg, sun_elevation_deg)
    e_sun = _finite(sun_irradiance, "sun_irradiance", 0.0)
    radius = np.radians(_finite(sun_radius_deg, "sun_radius_deg", 0.0, 90.0))
    width = np.radians(_finite(aureole_deg, "aureole_deg", 1e-3, 180.0))
    frac = _finite(aureole_fraction, "aureole_fraction", 0.0, 1.0)
    gamma = np.arccos(np.clip(dirs @ sun, -1.0, 1.0))
    disk = (gamma <= radius).astype(np.float64)
    if not disk.any():
        disk.flat[np.argmin(gamma)] = 1.0
    lobe = _normalised_lobe(disk, h, (1.0 - frac) * e_sun)
    if frac > 0:
        lobe = lobe + _normalised_lobe(np.exp(-gamma / width), h, frac * e_sun)

    elev = _elevation_grid(h)
    zen, hor, gnd = (
        _rgb(zenith_rgb, "zenith_rgb"),
        _rgb(horizon_rgb, "horizon_rgb"),
        _rgb(ground_rgb, "ground_rgb"),
    )
    t = np.sqrt(np.clip(np.sin(elev), 0.0, 1.0))[..., None]
    sky = np.where(elev[..., None] >= 0, hor + (zen - hor) * t, gnd)
    return (sky + lobe[..., None] * _rgb(sun_rgb, "sun_rgb")).astype(np.float32)


def overcast_sky(
    height: int = 128,
    *,
    zenith_luminance: float = 1.0,
    sky_rgb: RGB = (1.0, 1.0, 1.0),
    ground_rgb: RGB = (0.2, 0.2, 0.2),
) -> np.ndarray:
    """CIE standard overcast sky ``L_z (1 + 2 cos theta) / 3`` over a uniform ground.

    ``theta`` is the angle from the zenith; below the horizon the radiance is
    ``ground_rgb`` (e.g. albedo times the sky's horizontal irradiance / pi).
    """
    h = check_height(height)
    lz = _finite(zenith_luminance, "zenith_luminance", 0.0)
    theta, _ = equirect_angles(h)
    profile = lz * (1.0 + 2.0 * np.cos(theta)) / 3.0
    sky = profile[:, None, None] * _rgb(sky_rgb, "sky_rgb")
    img = np.where((theta < np.pi / 2)[:, None, None], sky, _rgb(ground_rgb, "ground_rgb"))
    return np.broadcast_to(img, (h, 2 * h, 3)).astype(np.float32)


@dataclass(frozen=True)
class Softbox:
    """A rectangular area light seen from the subject, in angles (degrees).

    ``radiance`` is the box's RGB radiance; it covers
    ``|azimuth - azimuth_deg| <= width_deg / 2`` and
    ``|elevation - elevation_deg| <= height_deg / 2``.
    """

    azimuth_deg: float
    elevation_deg: float
    width_deg: float
    height_deg: float
    radiance: RGB


#: A soft three-point studio of large diffusion frames close to the subject:
#: key (front, +40 deg azimuth), fill (-60 deg) and a rim frame behind.
DEFAULT_SOFTBOXES: tuple[Softbox, ...] = (
    Softbox(azimuth_deg=40.0, elevation_deg=30.0, width_deg=100.0, height_deg=80.0,
            radiance=(1.5, 1.45, 1.4)),
    Softbox(azimuth_deg=-60.0, elevation_deg=10.0, width_deg=120.0, height_deg=80.0,
            radiance=(0.5, 0.5, 0.52)),
    Softbox(azimuth_deg=180.0, elevation_deg=40.0, width_deg=80.0, height_deg=60.0,
            radiance=(0.8, 0.8, 0.8)),
)  # fmt: skip


def studio_sky(
    height: int = 128,
    *,
    softboxes: Sequence[Softbox] = DEFAULT_SOFTBOXES,
    ambient_rgb: RGB = (0.3, 0.3, 0.3),
) -> np.ndarray:
    """Studio softboxes over a uniform ambient (white cyc / bounce), summed where they overlap.

    The defaults are large, soft sources; small hard boxes behave like the
    point-light case of :mod:`moks_graph.nodes.environment.sh` (up to ~9 % SH
    irradiance error).
    """
    h = check_height(height)
    theta, phi = equirect_angles(h)
    elev = np.degrees(np.pi / 2 - theta)[:, None]
    az = np.degrees(phi)[None, :]
    img = np.broadcast_to(_rgb(ambient_rgb, "ambient_rgb"), (h, 2 * h, 3)).copy()
    for i, box in enumerate(softboxes):
        if not isinstance(box, Softbox):
            raise TypeError(f"softboxes[{i}] must be a Softbox, got {type(box).__name__}")
        w = _finite(box.width_deg, f"softboxes[{i}].width_deg", 0.0, 360.0)
        hh = _finite(box.height_deg, f"softboxes[{i}].height_deg", 0.0, 180.0)
        daz = (az - _finite(box.azimuth_deg, f"softboxes[{i}].azimuth_deg") + 180.0) % 360.0
        inside = (np.abs(daz - 180.0) <= w / 2) & (
            np.abs(elev - _finite(box.elevation_deg, f"softboxes[{i}].elevation_deg")) <= hh / 2
        )
        img += inside[..., None] * _rgb(box.radiance, f"softboxes[{i}].radiance")
    return img.astype(np.float32)
