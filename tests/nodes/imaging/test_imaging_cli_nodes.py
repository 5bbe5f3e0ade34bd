"""`moks metrics` and the image nodes, on real files."""

from __future__ import annotations

import json

import imageio.v3 as iio
import numpy as np
import pytest
from click.testing import CliRunner
from skimage import data

import moks_graph as mg
from moks_graph.cli import main
from moks_graph.evaluate import Evaluator
from moks_graph.nodes.imaging.metrics import METRICS


@pytest.fixture(scope="module")
def stills(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stills")
    coffee = data.coffee()
    files = {
        "rgb8": folder / "coffee.png",
        "grey16": folder / "camera16.png",
        "rgba": folder / "coffee_rgba.png",
        "jpeg": folder / "coffee.jpg",
    }
    iio.imwrite(files["rgb8"], coffee)
    iio.imwrite(files["grey16"], data.camera().astype(np.uint16) * 257)
    iio.imwrite(files["rgba"], np.dstack([coffee, np.full(coffee.shape[:2], 200, np.uint8)]))
    iio.imwrite(files["jpeg"], coffee)
    (folder / "not_an_image.png").write_text("hello")
    files["bad"] = folder / "not_an_image.png"
    return files


def test_metrics_json_for_every_input_kind(stills):
    paths = [str(stills[k]) for k in ("rgb8", "grey16", "rgba", "jpeg")]
    result = CliRunner().invoke(main, ["metrics", "--json", *paths])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    for path in paths:
        metrics = report[path]["metrics"]
        assert set(metrics) == set(METRICS)
        for name, value in metrics.items():
            assert np.isfinite(value) and METRICS[name].lo <= value <= METRICS[name].hi
        assert report[path]["betti"]["label"] in ("none", "machined", "organic", "mixed")
    # RGBA alpha is dropped: same metrics as the RGB file
    assert report[paths[2]]["metrics"] == report[paths[0]]["metrics"]
    assert report[paths[1]]["metrics"]["saturation"] == pytest.approx(0.0, abs=1e-6)


def test_metrics_bad_files_exit_1_and_name_the_file(stills):
    result = CliRunner().invoke(main, ["metrics", str(stills["bad"]), str(stills["rgb8"])])
    assert result.exit_code == 1
    assert "not_an_image.png" in result.output and "not a readable image" in result.output
    assert "== " + str(stills["rgb8"]) in result.output  # the good file is still measured


def test_image_nodes_in_a_graph(stills):
    g = mg.Graph()
    g.add_node("moks.image.load", "still", {"path": str(stills["rgb8"])})
    nodes = (("moks.image.metrics", "metrics"), ("moks.image.lotus_point", "lotus"),
             ("moks.image.betti", "betti"))
    for node_type, node_id in nodes:
        g.add_node(node_type, node_id)
        g.connect("still.image", f"{node_id}.image")
    r = Evaluator().evaluate(g)
    assert r.problems == []
    assert r["metrics.metrics"]["cct"] > 1000
    x, y, _ = r["lotus.point"]
    assert 0 <= x < 600 and 0 <= y < 400
    assert r["betti.label"] in ("none", "machined", "organic", "mixed")


def test_missing_image_is_a_compute_problem_not_a_crash():
    g = mg.Graph()
    g.add_node("moks.image.load", "still", {"path": "/nonexistent.png"})
    r = Evaluator().evaluate(g)
    assert [p.code for p in r.problems] == ["MG120"] and "no such file" in r.problems[0].message
