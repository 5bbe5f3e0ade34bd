"""A straight-sided subject stands on its base: no normal there turns down (issue 13)."""

from __future__ import annotations

import numpy as np
from skimage.draw import polygon

from moks_graph.nodes.inverse.subject import (
    inflate_normals,
    level_base,
    matte_subject,
    straight_sided,
)

SHAPE = (120, 200)


def _poly(rows: list[float], cols: list[float]) -> np.ndarray:
    mask = np.zeros(SHAPE, dtype=bool)
    rr, cc = polygon(rows, cols, SHAPE)
    mask[rr, cc] = True
    return mask


def _ellipse(a: float, b: float) -> np.ndarray:
    yy, xx = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    return ((xx - 100.0) / a) ** 2 + ((yy - 60.0) / b) ** 2 <= 1.0


def test_cylinders_cones_and_tilted_boxes_have_straight_sides():
    assert straight_sided(_poly([15, 15, 105, 105], [80, 120, 120, 80]))  # cylinder
    assert straight_sided(_poly([10, 105, 105], [100, 130, 70]))  # cone
    t = np.radians(20.0)  # a cylinder leaning 20 degrees
    corners = np.array([[-45, -18], [-45, 18], [45, 18], [45, -18]]) @ np.array(
        [[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])
    assert straight_sided(_poly(list(60 + corners[:, 0]), list(100 + corners[:, 1])))


def test_round_shapes_have_no_straight_sides():
    assert not straight_sided(_ellipse(40.0, 40.0))
    assert not straight_sided(_ellipse(25.0, 50.0))
    yy, xx = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    bust = _ellipse(22.0, 22.0) & (yy < 60) | (((xx - 100) / 45.0) ** 2
                                              + ((yy - 95) / 22.0) ** 2 <= 1.0)
    assert not straight_sided(bust)


def test_the_base_is_levelled_and_the_rest_kept():
    mask = _poly([15, 15, 105, 105], [80, 120, 120, 80])
    normals, _ = inflate_normals(mask)
    assert (normals[mask][:, 1] < -0.3).any()  # inflation turns the base down
    level = level_base(normals, mask)
    assert (level[mask][:, 1] >= 0.0).all()
    assert np.allclose(np.linalg.norm(level[mask], axis=-1), 1.0)
    up = mask & (normals[..., 1] >= 0.0)
    assert np.array_equal(level[up], normals[up])


def test_a_matte_of_a_cylinder_is_levelled_a_disc_is_not():
    cylinder = _poly([15, 15, 105, 105], [80, 120, 120, 80]).astype(float)
    assert (matte_subject(cylinder, SHAPE).normals[..., 1] >= 0.0).all()
    disc = matte_subject(_ellipse(40.0, 40.0).astype(float), SHAPE)
    assert (disc.normals[disc.mask][:, 1] < -0.5).any()
