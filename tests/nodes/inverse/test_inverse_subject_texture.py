"""The subject in front of a textured floor or wall (silhouette.py: ``TEXTURE_CELLS``,
``texture_cells``), on drawn frames. The Cycles figures are in docs/inverse-evaluation.md
("A textured floor and wall")."""

from __future__ import annotations

import numpy as np

from moks_graph.nodes.inverse.lightfit import direction
from moks_graph.nodes.inverse.silhouette import (
    _edges,
    closed_outline,
    edge_lines,
    features,
    texture_cells,
    textured,
)

H, W = 135, 240


def _checker(cell: int, dark: float = 0.08, light: float = 0.22) -> np.ndarray:
    yy, xx = np.mgrid[0:H, 0:W]
    tone = np.where(((yy // cell) + (xx // cell)) % 2 == 0, dark, light)
    return np.repeat(tone[..., None], 3, axis=-1) * np.array([1.0, 0.95, 0.85])


def _ball(img: np.ndarray, cx: float, cy: float, r: float) -> tuple[np.ndarray, np.ndarray]:
    """``img`` with a matte ball lit from the upper left, and its mask."""
    yy, xx = np.mgrid[0:H, 0:W] + 0.5
    nx, ny = (xx - cx) / r, -(yy - cy) / r
    inside = nx**2 + ny**2 < 1.0
    normals = np.stack([nx, ny, np.sqrt(np.clip(1.0 - nx**2 - ny**2, 0.0, 1.0))], axis=-1)
    shade = np.clip(normals @ direction(-50.0, 35.0), 0.0, None) * 0.8 + 0.04
    out = img.copy()
    out[inside] = shade[inside, None] * np.array([0.85, 0.6, 0.45])
    return out, inside


def test_a_checker_is_a_textured_patch_and_a_shaded_ball_is_not() -> None:
    img, ball = _ball(_checker(9), 150.0, 70.0, 32.0)
    lines = edge_lines(img)
    patch = np.zeros((H, W), dtype=bool)
    patch[10:60, 10:100] = True  # checker only, away from the ball
    assert textured(patch, lines)
    assert not textured(ball, lines)


def test_texture_cells_cover_a_checker_and_leave_a_shaded_ball() -> None:
    """The checker's squares are small, many and close together: texture; the ball's
    outline makes one large cell, and a panel of three squares is too few to be one."""
    img = np.full((H, W, 3), 0.12)
    img[10:125, 10:110] = _checker(9)[10:125, 10:110]
    img[20:29, 200:227] = _checker(9)[20:29, 200:227]  # three squares alone
    img, ball = _ball(img, 165.0, 80.0, 28.0)
    texture = texture_cells(edge_lines(img))
    assert texture[15:120, 15:105].mean() > 0.7
    assert not texture[ball].any()
    assert not texture[15:35, 195:232].any()
    alone, _ = _ball(np.full((H, W, 3), 0.12), 120.0, 67.0, 40.0)
    assert not texture_cells(edge_lines(alone)).any()


def test_a_closed_outline_is_the_subject_not_a_larger_textured_panel() -> None:
    """A checker panel on a plain wall, larger than a ball beside it: every square is
    enclosed by edges, and the panel is the largest region they close; the ball is."""
    img = np.full((H, W, 3), 0.12)
    img[20:115, 15:120] = _checker(8)[20:115, 15:120]
    img, ball = _ball(img, 180.0, 68.0, 26.0)
    lines = edge_lines(img)
    panel = np.zeros((H, W), dtype=bool)
    panel[20:115, 15:120] = True
    assert textured(panel, lines)
    found = closed_outline(lines, features(img)[..., 0], _edges(img))
    assert found is not None
    assert (found & ball).sum() / (found | ball).sum() > 0.85
