"""The TargetLink light node and the Math-Over-Matter node, through the engine."""

from __future__ import annotations

import json

import numpy as np
import pytest

import moks_graph as mg
from moks_graph.evaluate import Evaluator
from moks_graph.nodes.camera.lookat import euler_xyz_to_matrix


@pytest.fixture
def sweep():
    g = mg.Graph(mg.Settings(frame_end=96, subframes=2, fps=24))
    g.add_node("moks.geometry.target_mesh", "head", {"center": [0, 0, 1.6], "size": 0.12})
    g.add_node("moks.light.surface_link", "link",
               {"start": [0.3, 0.0, 1.7], "end": [-0.3, 0.0, 1.7], "offset_m": 0.4,
                "duration_s": 3.0})
    g.connect("head.mesh", "link.mesh")
    return g


def test_light_rides_the_surface_and_looks_at_it(sweep):
    ch = Evaluator().evaluate(sweep)["link.channels"]
    pos = np.stack([ch[f"surface_light.t{a}"] for a in "xyz"], 1)
    rot = euler_xyz_to_matrix(np.stack([ch[f"surface_light.r{a}"] for a in "xyz"], 1))
    centre = np.array([0, 0, 1.6])
    # 0.12 m sphere + 0.4 m stand-off (icosphere facets: within 1%)
    np.testing.assert_allclose(np.linalg.norm(pos - centre, axis=1), 0.52, rtol=0.01)
    aim = -rot[:, :, 2]  # local -Z
    to_centre = (centre - pos) / np.linalg.norm(centre - pos, axis=1, keepdims=True)
    assert np.all(np.sum(aim * to_centre, axis=1) > 0.995)
    assert pos[:, 2].max() > 2.1, "the path goes over the top"
    steps = np.abs(np.diff(np.stack([ch[f"surface_light.r{a}"] for a in "xyz"], 1), axis=0))
    assert steps.max() < 10.0, "continuous rotation channels (no flip over the pole)"


def test_chunks_are_bit_identical(sweep):
    whole = Evaluator().evaluate(sweep, frames=(1, 96))["link.channels"]
    part = Evaluator().evaluate(sweep, frames=(40, 60))["link.channels"]
    idx = np.searchsorted(whole.time.frames, part.time.frames)
    for name in whole:
        assert np.array_equal(whole[name][idx], part[name]), name


def test_degenerate_path_is_refused(sweep):
    with pytest.raises(mg.GraphEditError) as e:
        sweep.set_param("link", "end", [0.3, 0.0, 1.7])
    assert e.value.problems[0].node == "link"


def test_shareable_check_node(tmp_path):
    bad = tmp_path / "preset.json"
    bad.write_text(json.dumps({"sky": "C:/hdri/studio.exr"}))
    g = mg.Graph()
    g.add_node("moks.check.shareable", "check", {"path": str(bad)})
    r = Evaluator().evaluate(g)
    assert r["check.violations"] == 2 and "MOM001" in r["check.report"]
