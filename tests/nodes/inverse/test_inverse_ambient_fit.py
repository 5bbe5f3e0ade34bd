"""The SH ambient read from a subject's shading (nodes/inverse/ambient_fit.py), and its way
into the compiled scene."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import ndimage

from moks_graph.nodes.environment.ambient import sh_environment
from moks_graph.nodes.environment.sh import irradiance
from moks_graph.nodes.inverse.ambient_fit import (
    CAMERA_TO_WORLD,
    ambient_sh,
    ambient_sides,
    fit_sh_irradiance,
    sky_atoms,
)
from moks_graph.nodes.inverse.lightfit import direction, fit_lights
from moks_graph.nodes.inverse.subject import SubjectEstimate
from moks_graph.nodes.scenescript.compile import compile_scene
from moks_graph.nodes.scenescript.schema import SceneScript


def _sphere(h: int = 120, w: int = 200, r: float = 40.0) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:h, 0:w] + 0.5
    nx, ny = (xx - w / 2) / r, -(yy - h / 2) / r
    inside = nx**2 + ny**2 < 1.0
    n = np.stack([nx, ny, np.sqrt(np.clip(1.0 - nx**2 - ny**2, 0.0, 1.0))], axis=-1)
    n[~inside] = 0.0
    return inside, n


def _sky(a: float, b: float) -> np.ndarray:
    """SH radiance of ``L(w) = a + b w_z`` (grey): a sky brighter than the ground."""
    c = np.zeros((9, 3))
    c[0] = a * 2.0 * math.sqrt(math.pi)
    c[2] = b * 2.0 * math.sqrt(math.pi / 3.0)
    return c


def test_the_camera_frame_maps_to_the_compiled_scenes_world():
    up, toward_camera, right = (CAMERA_TO_WORLD @ v for v in np.eye(3)[[1, 2, 0]])
    assert up == pytest.approx([0.0, 0.0, 1.0])
    assert toward_camera == pytest.approx([0.0, -1.0, 0.0])  # the camera stands on -Y
    assert right == pytest.approx([1.0, 0.0, 0.0])
    assert np.linalg.det(CAMERA_TO_WORLD) == pytest.approx(1.0)


def _all_round(count: int = 500, seed: int = 3) -> np.ndarray:
    normals = np.random.default_rng(seed).normal(size=(count, 3))
    return normals / np.linalg.norm(normals, axis=1, keepdims=True)


def test_a_sky_of_the_atoms_is_recovered_from_every_direction():
    normals = _all_round()
    mix = np.random.default_rng(4).random((27, 3)) * (np.random.default_rng(5).random((27, 1))
                                                      < 0.3)
    truth = sky_atoms().T @ mix
    got = fit_sh_irradiance(normals, irradiance(truth, normals, clamp=False), np.ones(500))
    assert got == pytest.approx(truth, abs=1e-6)


def test_whatever_the_shading_the_ambient_is_a_sky_a_dome_can_show():
    """Fitted to noise (light no sky gives), the ambient still has a non-negative radiance
    map: the hosts' environment image (``sh_environment``) refuses any other."""
    rng = np.random.default_rng(6)
    for trial in range(5):
        normals = _all_round(300, trial)[:, :]
        values = rng.normal(0.2, 0.3, size=(300, 3))
        coeffs = fit_sh_irradiance(normals, values, rng.random(300))
        assert sh_environment(coeffs, 16).min() >= 0.0


def test_a_sky_seen_on_the_camera_side_reads_brighter_above():
    mask, n = _sphere()
    cam = n[mask]
    sky = _sky(0.2, 0.1)
    values = irradiance(sky, cam @ CAMERA_TO_WORLD.T) * 0.5  # albedo / pi = 0.5
    got = ambient_sides(ambient_sh(cam, values, np.ones(len(cam)), key_level=0.5))
    want = ambient_sides(sky)
    assert got["above"] > 1.5 * got["below"]
    for side in ("above", "below", "front"):  # the sides the camera sees
        assert got[side] == pytest.approx(want[side], rel=0.15)


def test_too_few_pixels_or_no_key_give_no_ambient():
    normals = np.tile([0.0, 0.0, 1.0], (10, 1))
    assert ambient_sh(normals, np.ones((10, 3)), np.ones(10), 1.0) is None
    normals = np.tile([0.0, 0.0, 1.0], (100, 1))
    assert ambient_sh(normals, np.ones((100, 3)), np.ones(100), 0.0) is None


def test_fit_lights_reads_a_uniform_ambient_beside_the_key():
    mask, n = _sphere()
    contour = mask & ~ndimage.binary_erosion(mask, border_value=1)
    subject = SubjectEstimate(mask, True, n, contour, (0.0, 0.0), 0.67, "")
    key = direction(50.0, 30.0)
    level = 0.25  # the ambient's irradiance over the key's, on every side
    shade = np.clip(n @ key, 0.0, None) + level
    img = np.full((*mask.shape, 3), 0.03)
    img[mask] = 0.5 * shade[mask, None]
    fit = fit_lights(img, subject)
    assert fit.ambient_sh is not None
    sides = ambient_sides(fit.ambient_sh)
    for side in ("above", "below", "front"):
        assert sides[side] == pytest.approx(level, rel=0.15)


def test_compile_scene_adds_the_ambient_and_checks_its_size():
    coeffs = [float(v) for v in (_sky(100.0, 40.0)).ravel()]
    graph = compile_scene(SceneScript(), ambient=coeffs)
    node = graph.nodes["ambient"]
    assert node.type == "moks.lighting.sh_preset"
    assert node.params["coefficients"] == coeffs
    assert "ambient" not in compile_scene(SceneScript()).nodes
    with pytest.raises(ValueError, match="27 SH coefficients"):
        compile_scene(SceneScript(), ambient=coeffs[:9])
