"""Preset promotion: match folder -> shareable classic-mode preset that loads and bakes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import moks_graph as mg
from moks_graph.hosts.bake import bake_graph
from moks_graph.hosts.inverse.promote import PromoteError, load_match, promote, promote_command
from moks_graph.nodes.inverse.interfaces import MatchResult
from moks_graph.nodes.scenescript.compile import compile_scene
from moks_graph.nodes.scenescript.schema import SceneScript
from moks_graph.shareable import check_file


def _script() -> SceneScript:
    s = SceneScript().with_slot("key", azimuth_deg=-62.0, elevation_deg=28.0, cct_K=3400.0)
    return s.with_slot("fill_rim", key_fill_ratio=6.0, rim="camera_right").with_slot(
        "atmosphere", phi=0.25)


def _result(matched: SceneScript, **kw: object) -> MatchResult:
    base = dict(image="/home/someone/refs/noir_still.png", key_azimuth_deg=-62.0,
                key_elevation_deg=28.0, key_fill_ratio=6.0, key_cct_K=3400.0, rim=True,
                rim_mode="camera_right", haze=0.25, film_stock="vision3_250d", iterations=2,
                residual=0.013, seconds=3.2, script=matched.model_dump(mode="json"))
    base.update(kw)
    return MatchResult.model_validate(base)


@pytest.fixture
def match_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "out" / "noir_still"
    folder.mkdir(parents=True)
    folder.joinpath("match.json").write_text(_result(_script()).model_dump_json(indent=2))
    mg.save(compile_scene(_script()), folder / "scene.mgraph")
    return folder


def test_promoted_preset_is_shareable_loads_and_bakes(match_dir: Path, tmp_path: Path) -> None:
    presets = tmp_path / "graphs" / "presets"
    path = promote(match_dir, "noir_left_key", presets)
    assert path == presets / "noir_left_key.mgraph" and path.is_file()
    assert check_file(path) == []  # Math-Over-Matter
    graph = mg.load(path)
    assert graph.validate() == []
    meta = graph.meta
    assert meta["preset"] == "noir_left_key"
    assert meta["match"]["key_azimuth_deg"] == -62.0 and meta["match"]["rim_mode"] == "camera_right"
    assert meta["match"]["reference"] == "noir_still"  # stem only: no path, no extension
    assert "seconds" not in meta["match"]
    assert SceneScript.model_validate(meta["scene_script"]) == _script()
    assert graph.nodes["key"].params["azimuth_deg"] == -62.0
    assert graph.nodes["fill"].params["key_fill_ratio"] == 6.0
    channels = bake_graph(graph)
    assert channels.finite()
    # the key sits on the camera's left (-X) at the subject, as the SceneScript says
    target_x = graph.nodes["camera_rig"].params["target"][0]
    assert np.all(channels["key.tx"] < target_x - 1.0)
    # same preset as compiling the script directly (plus meta)
    direct = compile_scene(_script())
    assert {n: r.params for n, r in graph.nodes.items()} == {
        n: r.params for n, r in direct.nodes.items()}


def test_promote_from_script_and_result(tmp_path: Path) -> None:
    path = promote((_script(), _result(_script(), image="")), "from_pair", tmp_path)
    assert check_file(path) == [] and "reference" not in mg.load(path).meta["match"]


def test_the_matched_ambient_comes_with_the_preset(tmp_path: Path) -> None:
    coeffs = [120.0, 118.0, 110.0] + [0.0] * 24
    result = _result(_script(), ambient={"coefficients": coeffs, "units": "nits"})
    graph = mg.load(promote((_script(), result), "with_ambient", tmp_path))
    assert graph.nodes["ambient"].type == "moks.lighting.sh_preset"
    assert graph.nodes["ambient"].params["coefficients"] == coeffs
    assert check_file(tmp_path / "with_ambient.mgraph") == []


@pytest.mark.parametrize("name", ["", "1st", "has space", "a-b", "../evil", "class", "naïve",
                                  "x.mgraph", None])
def test_refuses_names_that_are_not_identifiers(match_dir: Path, tmp_path: Path,
                                                 name: object) -> None:
    with pytest.raises(ValueError, match="name"):
        promote(match_dir, name, tmp_path)  # type: ignore[arg-type]
    assert list(tmp_path.glob("*.mgraph")) == []


def test_existing_preset_needs_overwrite(match_dir: Path, tmp_path: Path) -> None:
    path = promote(match_dir, "p", tmp_path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        promote(match_dir, "p", tmp_path)
    assert path.read_bytes() == before
    promote(match_dir, "p", tmp_path, overwrite=True, description="second take")
    assert mg.load(path).meta["description"] == "second take"


def test_unshareable_or_failed_match_writes_nothing(match_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(PromoteError, match="Math-Over-Matter"):
        promote(match_dir, "leaky", tmp_path, description="see /mnt/plates/ref.exr")
    failed = _result(_script(), status="failed", message="no exposure information")
    with pytest.raises(PromoteError, match="only a matched result"):
        promote((_script(), failed), "failed", tmp_path)
    assert list(tmp_path.glob("*.mgraph")) == []
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temp files left either


def test_match_json_without_script_uses_scene_mgraph(match_dir: Path) -> None:
    result = _result(_script(), script={})
    (match_dir / "match.json").write_text(result.model_dump_json())
    script, loaded = load_match(match_dir)
    assert script == _script() and loaded.key_fill_ratio == 6.0
    (match_dir / "match.json").write_text('{"image": 1}')
    with pytest.raises(PromoteError, match=r"not a valid match\.json"):
        load_match(match_dir)
    with pytest.raises(FileNotFoundError):
        load_match(match_dir / "nowhere")


def test_cli(match_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    presets = tmp_path / "presets"
    ok = runner.invoke(promote_command, [str(match_dir), "--name", "cli_preset",
                                         "--presets", str(presets)])
    assert ok.exit_code == 0, ok.output
    assert (presets / "cli_preset.mgraph").is_file() and "promoted" in ok.output
    bad = runner.invoke(promote_command, [str(match_dir), "--name", "bad name",
                                          "--presets", str(presets)])
    assert bad.exit_code == 2 and "--name" in bad.output
