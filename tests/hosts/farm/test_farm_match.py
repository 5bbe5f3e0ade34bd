"""Farm match on Dask: stand-in per-image functions, and the default, inverse cinematography
written as ``moks match`` folders that ``moks promote`` accepts."""

from __future__ import annotations

import json
import sys

import cloudpickle
import imageio.v3 as iio
import numpy as np
import pytest

import moks_graph as mg
from moks_graph.hosts.farm.match import farm_match

# workers import functions by module name; this test module is not importable there
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def mean_level(image: str, *, gain: float = 1.0) -> dict[str, object]:
    """Stand-in: mean pixel level (0-1) times gain, and the image shape."""
    pixels = iio.imread(image).astype(np.float64) / 255.0
    return {"mean": gain * float(pixels.mean()), "shape": np.array(pixels.shape)}


def seeded_graph(image: str) -> mg.Graph:
    """Stand-in returning a graph: the demo graph seeded by the image's mean level."""
    graph = mg.load(mg.__file__.replace("__init__.py", "data/demo.mgraph"))
    graph.settings.seed = int(iio.imread(image).mean())
    return graph


@pytest.fixture
def images(tmp_path):
    folder = tmp_path / "refs"
    folder.mkdir()
    paths = []
    for level in (0, 64, 128, 255):
        path = folder / f"ref_{level:03d}.png"
        iio.imwrite(path, np.full((6, 8, 3), level, dtype=np.uint8))
        paths.append(path)
    return paths


def test_batch_results_match_the_function(tmp_path, images, farm_client):
    report = farm_match(images, tmp_path / "out", match_fn=mean_level, options={"gain": 2.0},
                        scheduler=farm_client, progress=False, timeout=120)
    assert report.ok and [r.status for r in report.images] == ["done"] * 4
    for path in images:
        doc = json.loads((tmp_path / "out" / f"{path.stem}.match.json").read_text())
        level = int(path.stem.split("_")[1])
        assert doc["image"] == str(path)
        assert doc["result"]["mean"] == pytest.approx(2.0 * level / 255.0, abs=1e-12)
        assert doc["result"]["shape"] == [6, 8, 3]
    again = farm_match(images, tmp_path / "out", match_fn=mean_level, options={"gain": 2.0},
                       scheduler=farm_client, progress=False, timeout=120)
    assert [r.status for r in again.images] == ["reused"] * 4
    changed = farm_match(images[:1], tmp_path / "out", match_fn=mean_level,
                         options={"gain": 3.0}, scheduler=farm_client, progress=False)
    assert changed.images[0].status == "done"   # other options: a new key


def test_failures_are_per_image(tmp_path, images, farm_client):
    corrupt = tmp_path / "refs" / "corrupt.png"
    corrupt.write_bytes(b"not a png")
    missing = tmp_path / "refs" / "missing.png"
    report = farm_match([images[0], corrupt, missing, images[1]], tmp_path / "out",
                        match_fn=mean_level, scheduler=farm_client, progress=False,
                        timeout=120)
    status = [r.status for r in report.images]
    assert status == ["done", "failed", "failed", "done"]
    assert str(corrupt) in str(report.images[1].error)
    assert "no such image" in str(report.images[2].error)
    assert "2/4 images" in str(report.table().caption)


def test_graph_results_are_saved_as_mgraph(tmp_path, images, farm_client):
    report = farm_match(images[1:3], tmp_path / "out", match_fn=seeded_graph,
                        scheduler=farm_client, progress=False, timeout=120)
    assert report.ok
    for path in images[1:3]:
        graph = mg.load(tmp_path / "out" / f"{path.stem}.mgraph")
        assert graph.settings.seed == int(path.stem.split("_")[1])
        doc = json.loads((tmp_path / "out" / f"{path.stem}.match.json").read_text())
        assert doc["graph"] == f"{path.stem}.mgraph" and doc["result"] is None


def test_real_inverse_cinematography_on_the_farm(tmp_path, farm_client):
    """The default is the real matcher, writing the folders of ``moks match``; ``moks
    promote`` takes them (issue 13, defect 6: a match.json with ``graph: null`` it refused)."""
    from moks_graph.hosts.farm.match import match_one
    from moks_graph.hosts.inverse.promote import load_match, promote
    from moks_graph.nodes.inverse.render import BuiltinRenderer
    from moks_graph.nodes.scenescript.vocabulary import parse_prose

    refs = tmp_path / "refs"
    refs.mkdir()
    paths = []
    for name, prose in (("split", "split light medium"), ("rim", "medium, rim from camera right")):
        path = refs / f"{name}.npy"
        np.save(path, BuiltinRenderer().render(parse_prose(prose), (128, 72)))
        paths.append(path)
    options = {"max_iterations": 1, "alternatives": 0}
    report = farm_match(paths, tmp_path / "out", options=options, scheduler=farm_client,
                        progress=False, timeout=300)
    assert report.ok, [r.error for r in report.images]
    folder = tmp_path / "out" / "split"
    assert {p.name for p in folder.iterdir()} == {"match.json", "scene.mgraph", "preview.png",
                                                 "compare.png", "task.json"}
    split = json.loads((folder / "match.json").read_text())
    assert split["status"] == "matched" and abs(split["key_azimuth_deg"] - 90.0) < 10.0
    script, result = load_match(folder)
    assert result.status == "matched" and script.key.azimuth_deg == result.key_azimuth_deg
    preset = promote(folder, "farm_split", tmp_path / "presets")
    assert mg.load(preset).meta["match"]["reference"] == "split"
    # the same folder as moks match: match_one (its task) writes it in this process too
    local = match_one(str(paths[0]), "split", str(tmp_path / "local"), options)
    mine = json.loads((tmp_path / "local" / "split" / "match.json").read_text())
    assert local.status == "matched"
    assert {k: v for k, v in mine.items() if k != "seconds"} == {
        k: v for k, v in split.items() if k != "seconds"}
    again = farm_match(paths, tmp_path / "out", options=options, scheduler=farm_client,
                       progress=False, timeout=300)
    assert [r.status for r in again.images] == ["reused", "reused"]
