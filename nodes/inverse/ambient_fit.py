"""The ambient light a subject's shading shows, as L=2 spherical harmonics.

Details: docs/inverse.md, "Module notes", `nodes/inverse/ambient_fit.py`.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from scipy.optimize import nnls

from moks_graph.nodes.environment.sh import BAND_OF_COEFF, COSINE_LOBE, irradiance, sh_basis
from moks_graph.nodes.imaging.colorimetry import LUMINANCE_WEIGHTS

CAMERA_TO_WORLD: Final[np.ndarray] = np.array([[1.0, 0.0, 0.0],
                                               [0.0, 0.0, -1.0],
                                               [0.0, 1.0, 0.0]])
"""The matcher's camera frame (x right, y up, z toward the camera) in the world of the scene
it compiles (Z up, the camera on -Y looking along +Y): ``world = CAMERA_TO_WORLD @ camera``."""
MIN_PIXELS: Final[int] = 30
SIDES: Final[dict[str, tuple[float, float, float]]] = {
    "above": (0.0, 0.0, 1.0), "below": (0.0, 0.0, -1.0),
    "front": (0.0, -1.0, 0.0), "back": (0.0, 1.0, 0.0)}
"""World normals the summary reads the ambient's irradiance on (front faces the camera)."""


def _cosine_lobe() -> np.ndarray:
    """``A_l`` of each of the nine coefficients (the clamped cosine's SH factors)."""
    return np.array([COSINE_LOBE[band] for band in BAND_OF_COEFF])


def irradiance_columns(normals_world: np.ndarray) -> np.ndarray:
    """``(N, 9)``: the irradiance at each normal of each unit SH radiance coefficient
    (Ramamoorthi and Hanrahan 2001: ``E(n) = sum_k A_l(k) c_k Y_k(n)``)."""
    return sh_basis(normals_world) * _cosine_lobe()


def lobe_directions() -> np.ndarray:
    """The 26 unit directions of a cube's faces, edges and corners seen from its centre."""
    grid = np.stack(np.meshgrid(*[np.array([-1.0, 0.0, 1.0])] * 3, indexing="ij"), -1)
    d = grid.reshape(-1, 3)
    d = d[np.any(d != 0.0, axis=1)]
    return d / np.linalg.norm(d, axis=1, keepdims=True)


def sky_atoms() -> np.ndarray:
    """``(27, 9)``: SH radiance coefficients of the skies an ambient is built from: a uniform
    one, and a clamped-cosine lobe ``max(0, w.d)`` toward each :func:`lobe_directions`
    (its coefficients ``A_l Y_lm(d)``). Every non-negative mixture of them is a sky with
    no negative radiance anywhere, which a host's dome can show."""
    uniform = np.zeros(9)
    uniform[0] = 1.0 / sh_basis(np.array([0.0, 0.0, 1.0]))[0]  # radiance 1: 4 pi Y00 = 1/Y00
    return np.vstack([uniform, sh_basis(lobe_directions()) * _cosine_lobe()])


def fit_sh_irradiance(normals_world: np.ndarray, values: np.ndarray,
                      weights: np.ndarray) -> np.ndarray:
    """SH radiance coefficients ``(9, 3)`` of the non-negative mixture of
    :func:`sky_atoms` whose irradiance fits ``values`` ``(N, 3)`` at ``normals_world``
    ``(N, 3)`` best (weighted non-negative least squares, per channel): a sky that exists.
    What the normals do not see gets no light."""
    atoms = sky_atoms()
    cols = irradiance_columns(normals_world) @ atoms.T * np.sqrt(weights)[:, None]
    mix = np.stack([nnls(cols, values[:, ch] * np.sqrt(weights), maxiter=50 * cols.shape[1])[0]
                    for ch in range(values.shape[1])], axis=1)
    return atoms.T @ mix


def ambient_sh(normals_cam: np.ndarray, ambient_rgb: np.ndarray, weights: np.ndarray,
               key_level: float) -> np.ndarray | None:
    """The ambient's SH radiance ``(9, 3)`` in the compiled scene's world, per unit of the
    key's illuminance.

    ``ambient_rgb``: what is left of each subject pixel when the fitted key, fill and rims
    are taken away (albedo times irradiance over pi, as the fit's terms); ``key_level``:
    the key term's coefficient (albedo times the key's illuminance over pi), so their ratio
    is the ambient's irradiance over the key's whatever the albedo. ``None`` where too few
    pixels are usable, the key lights nothing or nothing is left for an ambient.
    """
    usable = weights > 0.0
    if np.count_nonzero(usable) < MIN_PIXELS or not key_level > 0.0:
        return None
    world = normals_cam[usable] @ CAMERA_TO_WORLD.T
    coeffs = fit_sh_irradiance(world, ambient_rgb[usable] / key_level, weights[usable])
    return coeffs if float(coeffs[0] @ LUMINANCE_WEIGHTS) > 0.0 else None


def ambient_sides(coeffs: np.ndarray) -> dict[str, float]:
    """The ambient's irradiance (luminance, per unit of the key's) on a surface facing
    each of :data:`SIDES`, clamped at zero as the truncated series can dip below it."""
    normals = np.array(list(SIDES.values()))
    lum = irradiance(coeffs, normals) @ np.asarray(LUMINANCE_WEIGHTS)
    return {side: float(v) for side, v in zip(SIDES, lum, strict=True)}
