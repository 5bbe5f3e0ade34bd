"""``moks match`` (click), the batch on Dask, and the inverse nodes."""

from __future__ import annotations

import json
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from click.testing import CliRunner

from moks_graph.hosts.farm.match import match_batch, unique_stems
from moks_graph.hosts.inverse.cli import match
from moks_graph.node import NodeContext, check_node_class
from moks_graph.nodes.imaging.colorimetry import srgb_encode
from moks_graph.nodes.inverse import inverse_nodes as N
from moks_graph.nodes.inverse.render import BuiltinRenderer
from moks_graph.nodes.scenescript.schema import SceneScript
from moks_graph.timebase import TimeArray

FAST = ["--iterations", "0", "--rounds", "0"]


def _png(path: Path, script: SceneScript) -> Path:
    image = BuiltinRenderer().render(script, (256, 144))
    iio.imwrite(path, (srgb_encode(np.clip(image, 0, 1)) * 255 + 0.5).astype(np.uint8))
    return path


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("refs")
    a = _png(folder / "a.png", SceneScript().with_slot("key", azimuth_deg=60.0))
    b = _png(folder / "b.png", SceneScript().with_slot("key", azimuth_deg=-45.0)
             .with_slot("look", stock="tri_x"))
    bad = folder / "broken.png"
    bad.write_bytes(b"\x89PNG not really")
    return [a, b, bad]


def test_cli_matches_and_reports_failures(images: list[Path], tmp_path: Path) -> None:
    result = CliRunner().invoke(match, [*map(str, images), "--out", str(tmp_path),
                                        "--no-progress", *FAST])
    assert result.exit_code == 1, result.output
    assert "2/3 matched, 0 approximate, 1 failed" in result.output
    for stem in ("a", "b"):
        data = json.loads((tmp_path / stem / "match.json").read_text())
        assert data["status"] == "matched" and data["iterations"] == 0
        assert (tmp_path / stem / "scene.mgraph").is_file()
    assert not (tmp_path / "broken").exists()
    ok = CliRunner().invoke(match, [str(images[0]), "--out", str(tmp_path / "one"),
                                    "--no-progress", *FAST])
    assert ok.exit_code == 0, ok.output
    bad = CliRunner().invoke(match, [str(images[0]), "--out", str(tmp_path),
                                     "--forward", "povray"])
    assert bad.exit_code == 2


def test_dask_results_do_not_depend_on_worker_count(images: list[Path],
                                                    tmp_path: Path) -> None:
    ticks: list[tuple[int, int, str]] = []
    one = match_batch(images, tmp_path / "w1", workers=1, max_iterations=1, alternatives=0,
                      progress=lambda d, n, item: ticks.append((d, n, item.status)))
    two = match_batch(images, tmp_path / "w2", workers=2, max_iterations=1, alternatives=0,
                      progress=False)
    assert [t[:2] for t in ticks] == [(1, 3), (2, 3), (3, 3)]
    assert [i.status for i in one.items] == [i.status for i in two.items] == [
        "matched", "matched", "failed"]
    assert "broken.png" in two.failures[0].message
    for stem in ("a", "b"):
        r1 = json.loads((tmp_path / "w1" / stem / "match.json").read_text())
        r2 = json.loads((tmp_path / "w2" / stem / "match.json").read_text())
        r1.pop("seconds")
        r2.pop("seconds")
        assert r1 == r2
    assert "2/3 matched" in str(two.table().caption)
    with pytest.raises(ValueError, match="images"):
        match_batch([], tmp_path)
    with pytest.raises(ValueError, match="workers"):
        match_batch(images, tmp_path, workers=0)


def test_unique_stems() -> None:
    assert unique_stems(["x/a.png", "y/a.jpg", "b c.png"]) == ["a", "a-2", "b_c"]


def test_inverse_nodes_compute() -> None:
    for cls in (N.Analyse, N.Fuse, N.RenderPreview, N.Calibrate):
        assert check_node_class(cls) == []
    ctx = NodeContext("n", frozenset({"seed"}), TimeArray(np.array([1]), 24.0), 7)
    truth = SceneScript().with_slot("key", azimuth_deg=70.0, elevation_deg=20.0)
    preview = N.RenderPreview().compute(ctx, N.RenderPreview.Params(width=256, height=144),
                                        script=truth.model_dump())["image"]
    assert preview.shape == (144, 256, 3) and preview.dtype == np.float32
    metrics = N.Analyse().compute(ctx, N.Analyse.Params(), image=preview)["metrics"]
    assert "key_azimuth" in metrics and "cue_subject_top" in metrics
    script = N.Fuse().compute(ctx, N.Fuse.Params(), metrics=metrics)["script"]
    assert isinstance(script, SceneScript)
    out = N.Calibrate().compute(ctx, N.Calibrate.Params(iterations=1), image=preview,
                                script=script)
    assert isinstance(out["script"], SceneScript) and out["iterations"] <= 1
    assert out["residual"] >= 0.0
