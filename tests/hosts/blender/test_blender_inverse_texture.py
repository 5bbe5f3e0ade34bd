"""The subject found in a real Cycles render of a textured room (a cube in front of a
checker wall, still 20 of design seed 53 with ``--room textured``): every checker square is
enclosed by edges, and before ``TEXTURE_CELLS`` the closed outline they make took the wall
for the subject (IoU 0.18). The figures over the whole set are in
docs/inverse-evaluation.md ("A textured floor and wall")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("bpy")

from moks_graph.hosts.blender import references as refs
from moks_graph.hosts.inverse.match import coverage, load_reference
from moks_graph.nodes.inverse.estimate import to_working
from moks_graph.nodes.inverse.silhouette import edge_lines, find_silhouette, textured
from moks_graph.nodes.inverse.subject import matte_mask


def test_the_cube_is_found_in_front_of_a_checker_wall(tmp_path: Path) -> None:
    import imageio.v3 as iio

    truth = refs.generate(tmp_path, 1, seed=53, size=(320, 180), samples=24, start=20,
                          room="textured")[0]
    assert truth["wall_texture"]["kind"] == "checker"
    rgb = to_working(load_reference(tmp_path / "020.png"))
    subject = matte_mask(coverage(iio.imread(tmp_path / "020.mask.png")), rgb.shape[:2])
    lines = edge_lines(rgb)
    wall = np.zeros_like(subject)
    wall[: rgb.shape[0] // 2] = True
    assert textured(wall & ~subject, lines) and not textured(subject, lines)
    found, reason = find_silhouette(rgb)
    assert found is not None, reason
    assert (found & subject).sum() / (found | subject).sum() > 0.8
