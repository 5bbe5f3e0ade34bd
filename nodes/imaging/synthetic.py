"""Analytic test images with known lighting: a Lambertian sphere under directional lights.

A sphere of radius ``r`` pixels centred at ``(cx, cy)`` (column, row) is seen in
orthographic projection. At pixel ``(x, y)`` inside it the unit normal in the camera frame
(``x`` right, ``y`` up, ``z`` towards the camera) is
``n = ((x - cx) / r, -(y - cy) / r, sqrt(1 - n_x^2 - n_y^2))``. A light at SceneScript
``(azimuth, elevation)`` (degrees; 0/0 = from the camera, +90 azimuth = from image right,
+90 elevation = overhead) has direction
``l = (sin az cos el, sin el, cos az cos el)`` and gives Lambertian radiance
``albedo * intensity * max(0, n . l)``. Radiance is ``ambient`` plus the sum over lights
inside the sphere and ``background`` outside. Pixels are point-sampled at their centres.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def light_direction(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """Camera-frame unit vector towards a light at SceneScript ``(azimuth, elevation)``."""
    az, el = np.radians(azimuth_deg), np.radians(elevation_deg)
    return np.array([np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)])


def lambertian_sphere(
    height: int,
    width: int,
    centre: tuple[float, float],
    radius: float,
    lights: Sequence[tuple[float, float, float]],
    *,
    albedo: float = 0.7,
    ambient: float = 0.05,
    background: float = 0.01,
) -> np.ndarray:
    """Luminance image (``height x width`` float64) of a Lambertian sphere.

    ``centre`` is ``(column, row)``; ``lights`` is a sequence of
    ``(azimuth_deg, elevation_deg, intensity)``. See the module docstring for the formula.
    """
    if height < 1 or width < 1 or radius <= 0:
        raise ValueError("height, width and radius must be positive")
    rows, cols = np.indices((height, width), dtype=np.float64)
    nx = (cols - centre[0]) / radius
    ny = -(rows - centre[1]) / radius
    rho2 = nx**2 + ny**2
    nz = np.sqrt(np.clip(1.0 - rho2, 0.0, 1.0))
    shade = np.full((height, width), float(ambient))
    for azimuth, elevation, intensity in lights:
        lx, ly, lz = light_direction(azimuth, elevation)
        shade += albedo * intensity * np.maximum(nx * lx + ny * ly + nz * lz, 0.0)
    return np.where(rho2 < 1.0, shade, float(background))


def grey_rgb(luminance: np.ndarray) -> np.ndarray:
    """Replicate a luminance image into a neutral float32 ``H x W x 3`` linear RGB image."""
    lum = np.asarray(luminance, dtype=np.float32)
    return np.repeat(lum[:, :, None], 3, axis=2)
