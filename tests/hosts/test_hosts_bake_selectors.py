"""Selectors in a bake: ``graph.meta["selectors"]`` parsing, resolution against the baked objects
and a scene map, and proxy nulls ``MISSING_TARGET_<selector>`` written by every host (read back
with read_usd / read_ma / read_blend) instead of failing the bake."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import moks_graph as mg
from moks_graph.errors import MoksError
from moks_graph.hosts.bake import (
    ChainResolver,
    TargetSpec,
    apply_targets,
    bake_channels,
    bake_file,
    bake_graph,
    channels_resolver,
    graph_targets,
    kind_tags,
    load_scene_map,
    scene_map_resolver,
)
from moks_graph.hosts.selectors import MappingResolver, Selector

GRAPH = Path(__file__).resolve().parents[2] / "graphs" / "handheld_chase.mgraph"
#: The selectors the end-to-end tests put in the graph (see the module docstring of hosts.bake).
SELECTORS = {
    "hero": {"select": "tag:hero", "at": "camera_rig.target"},  # unresolved: proxy at the target
    "prop": {"select": "tag:prop", "at": [0.5, -1.0, 0.25]},  # unresolved: proxy at a point
    "villain": "tag:villain",  # unresolved: proxy at the origin, no channels
    "table": {"select": "name:set_table", "at": [9.0, 9.0, 9.0]},  # in the scene map
    "key": "name:key",  # a baked object
    "lamp": "tag:light",  # first baked light (sorted): "fill"
}
SCENE_MAP = {"objects": {"set_table": ["furniture"], "chair": ["furniture"]}}
PROXIES = {"hero": "MISSING_TARGET_tag_hero", "prop": "MISSING_TARGET_tag_prop",
           "villain": "MISSING_TARGET_tag_villain"}


def with_selectors(selectors: object) -> mg.Graph:
    graph = mg.load(GRAPH)
    graph.meta["selectors"] = selectors
    return graph


@pytest.fixture
def graph_file(tmp_path) -> Path:
    path = tmp_path / "chase.mgraph"
    mg.save(with_selectors(SELECTORS), path)
    return path


@pytest.fixture
def scene_map(tmp_path) -> Path:
    path = tmp_path / "layout.json"
    path.write_text(json.dumps(SCENE_MAP), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def rig_target() -> np.ndarray:
    graph = mg.load(GRAPH)
    return np.asarray(graph.evaluate(["camera_rig.target"])["camera_rig.target"])


# ------------------------------------------------------------------------------ parsing


def test_graph_targets_parses_both_forms():
    specs = graph_targets(with_selectors(SELECTORS))
    assert [s.role for s in specs] == sorted(SELECTORS)
    by_role = {s.role: s for s in specs}
    assert by_role["hero"] == TargetSpec("hero", Selector("tag", "hero"), "camera_rig.target")
    assert by_role["prop"].at == (0.5, -1.0, 0.25)
    assert by_role["villain"] == TargetSpec("villain", Selector("tag", "villain"), None)
    assert graph_targets(mg.load(GRAPH)) == ()  # no selectors: nothing to resolve


@pytest.mark.parametrize(("selectors", "path", "message"), [
    (["tag:hero"], "$.meta.selectors", "must be an object"),
    ({"hero": "hero"}, "$.meta.selectors.hero", "must look like"),
    ({"hero": "path:/a"}, "$.meta.selectors.hero", "selector kind"),
    ({"hero": 3}, "$.meta.selectors.hero", "must be a string like"),
    ({"hero": {"at": [0, 0, 0]}}, "$.meta.selectors.hero", "has no 'select'"),
    ({"hero": {"select": "tag:hero", "where": 1}}, "$.meta.selectors.hero", "unknown key"),
    ({"hero": {"select": "tag:hero", "at": "camera_rig.nope"}}, "$.meta.selectors.hero.at",
     "not an output"),
    ({"hero": {"select": "tag:hero", "at": "scene.channels"}}, "$.meta.selectors.hero.at",
     "expected Vec3"),
    ({"hero": {"select": "tag:hero", "at": [0, 0]}}, "$.meta.selectors.hero.at", r"\[x, y, z\]"),
    ({"hero": {"select": "tag:hero", "at": [0, True, 1]}}, "$.meta.selectors.hero.at",
     r"\[x, y, z\]"),
    ({"hero": {"select": "tag:hero", "at": [0, float("nan"), 1]}},
     "$.meta.selectors.hero.at", r"\[x, y, z\]"),
])
def test_bad_selectors_are_reported_with_their_path(selectors, path, message):
    with pytest.raises(MoksError, match=message) as exc:
        graph_targets(with_selectors(selectors))
    assert exc.value.code == "MG110"
    assert exc.value.problems[0].path == path


def test_bad_selectors_stop_the_bake_before_writing(tmp_path):
    path = tmp_path / "bad.mgraph"
    mg.save(with_selectors({"hero": "hero"}), path)
    with pytest.raises(MoksError, match="must look like"):
        bake_file(str(path), "maya", str(tmp_path / "x.ma"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.mgraph"]


# ------------------------------------------------------------------------------ resolvers


def test_baked_objects_resolve_by_name_and_kind_tag():
    channels = bake_graph(mg.load(GRAPH))
    resolver = channels_resolver(channels)
    assert resolver.resolve(Selector("name", "key")) == "key"
    assert resolver.resolve(Selector("name", "hero")) is None
    assert resolver.resolve(Selector("tag", "camera")) == "camera"
    assert resolver.resolve(Selector("tag", "light")) == "fill"  # fill, key: first sorted
    assert resolver.resolve(Selector("tag", "light.area")) == "fill"
    assert resolver.resolve(Selector("tag", "atmosphere")) == "atmosphere"
    assert kind_tags("light.spot") == ("light", "light.spot")
    assert kind_tags("null") == ("null",)


def test_scene_map_and_chain():
    resolver = scene_map_resolver(SCENE_MAP)
    assert resolver.resolve(Selector("name", "chair")) == "chair"
    assert resolver.resolve(Selector("tag", "furniture")) == "chair"
    chain = ChainResolver((MappingResolver(names=frozenset({"chair_v2"}),
                                           tags={"furniture": ["chair_v2"]}), resolver))
    assert chain.resolve(Selector("tag", "furniture")) == "chair_v2"  # first resolver wins
    assert chain.resolve(Selector("name", "set_table")) == "set_table"
    assert chain.resolve(Selector("name", "sofa")) is None


@pytest.mark.parametrize(("data", "message"), [
    ([], "must be an object"), ({"objects": []}, "must be an object"),
    ({"objects": {"a": "hero"}}, "tags of 'a' must be a list"),
    ({"objects": {"": []}}, "non-empty strings"),
])
def test_scene_map_errors(data, message):
    with pytest.raises(ValueError, match=message):
        scene_map_resolver(data)


def test_load_scene_map_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{nope", encoding="utf-8")
    with pytest.raises(ValueError, match="is not JSON"):
        load_scene_map(bad)
    with pytest.raises(FileNotFoundError):
        load_scene_map(tmp_path / "missing.json")


def test_apply_targets_places_proxies(rig_target):
    graph = with_selectors(SELECTORS)
    channels, targets = bake_channels(graph, resolver=scene_map_resolver(SCENE_MAP))
    engine = bake_graph(mg.load(GRAPH))
    assert targets.targets == {"hero": PROXIES["hero"], "prop": PROXIES["prop"],
                               "villain": PROXIES["villain"], "table": "set_table",
                               "key": "key", "lamp": "fill"}
    assert targets.proxies == tuple(PROXIES[r] for r in ("hero", "prop", "villain"))
    assert len(targets.warnings) == 3
    assert all("matched no scene object" in w for w in targets.warnings)
    assert targets.selectors["hero"] == "tag:hero"
    for name in PROXIES.values():
        assert channels.kinds[name] == "null"
    hero = np.stack([channels[f"{PROXIES['hero']}.t{a}"] for a in "xyz"], -1)
    np.testing.assert_array_equal(hero, np.tile(rig_target, (len(channels.time), 1)))
    np.testing.assert_array_equal(channels[f"{PROXIES['prop']}.ty"], -1.0)
    assert channels.of(PROXIES["villain"]) == {}
    for name in engine:  # the engine's own channels are untouched
        np.testing.assert_array_equal(channels[name], engine[name])
    assert set(channels) - set(engine) == {f"{p}.t{a}" for p in PROXIES.values() if p !=
                                           PROXIES["villain"] for a in "xyz"}


def test_per_sample_at_and_bad_shapes():
    channels = bake_graph(mg.load(GRAPH), (1, 4))
    n = len(channels.time)
    path = np.column_stack([np.arange(n), np.zeros(n), np.ones(n)]).astype(float)
    spec = TargetSpec("hero", Selector("tag", "hero"), "rig.path")
    out, _ = apply_targets(channels, [spec], None, {"rig.path": path})
    np.testing.assert_array_equal(out["MISSING_TARGET_tag_hero.tx"], np.arange(n))
    with pytest.raises(MoksError, match="has shape"):
        apply_targets(channels, [spec], None, {"rig.path": path[:2]})
    same, targets = apply_targets(channels, [], None)
    assert same is channels and targets.targets == {}


# ------------------------------------------------------------------------------ end to end


def _check_proxies(got, rig_target: np.ndarray) -> None:
    for name in PROXIES.values():
        assert got.kinds[name] == "null"
    assert "set_table" not in got.kinds  # resolved: it lives in the layout, not in the bake
    hero = np.stack([got[f"{PROXIES['hero']}.t{a}"] for a in "xyz"], -1)
    np.testing.assert_allclose(hero, np.tile(rig_target, (len(got.time), 1)), rtol=1e-6)
    np.testing.assert_allclose(got[f"{PROXIES['prop']}.tz"], 0.25, rtol=1e-6)
    assert got.of(PROXIES["villain"]) == {}
    engine = bake_graph(mg.load(GRAPH))
    np.testing.assert_allclose(got["camera.tx"], engine["camera.tx"], rtol=1e-6)


def test_usd_proxies_are_xform_prims(tmp_path, graph_file, scene_map, rig_target):
    pytest.importorskip("pxr")
    from pxr import Usd, UsdGeom

    from moks_graph.hosts.usd.reader import read_usd

    out = bake_file(str(graph_file), "usd", str(tmp_path / "x.usda"), scene_map=str(scene_map))
    _check_proxies(read_usd(out), rig_target)
    stage = Usd.Stage.Open(str(out))
    for name in PROXIES.values():
        prim = stage.GetPrimAtPath(f"/World/{name}")
        assert prim.IsA(UsdGeom.Xform) and prim.GetCustomDataByKey("moks:proxy") is True


def test_maya_proxies_are_locators(tmp_path, graph_file, scene_map, rig_target):
    from moks_graph.hosts.maya.ma_parser import parse_ma_text, read_ma

    out = bake_file(str(graph_file), "maya", str(tmp_path / "x.ma"), scene_map=str(scene_map))
    _check_proxies(read_ma(out), rig_target)
    nodes = {n.name: n.node_type for n in parse_ma_text(out.read_text("utf-8")).nodes}
    for name in PROXIES.values():
        assert nodes[name] == "transform" and nodes[f"{name}Shape"] == "locator"


def test_blender_proxies_are_empties(tmp_path, graph_file, scene_map, rig_target):
    bpy = pytest.importorskip("bpy")
    from moks_graph.hosts.blender.reader import read_blend

    out = bake_file(str(graph_file), "blender", str(tmp_path / "x.blend"),
                    scene_map=str(scene_map))
    _check_proxies(read_blend(out), rig_target)  # read_blend leaves the file open in bpy
    for name in PROXIES.values():
        assert bpy.data.objects[name].type == "EMPTY"


def test_cli_warns_and_lists_proxies_in_the_summary(tmp_path, graph_file):
    pytest.importorskip("pxr")
    out = tmp_path / "x.usdc"
    proc = subprocess.run(
        [sys.executable, "-m", "moks_graph.cli", "bake", str(graph_file), "--host", "usd",
         "--out", str(out)], capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "COLUMNS": "400", "NO_COLOR": "1"})
    assert proc.returncode == 0, proc.stderr
    assert out.is_file()
    text = re.sub(r"[ \t]+", " ", proc.stdout)
    # no scene map on the command line: name:set_table is a fourth proxy
    for selector in ("tag:hero", "tag:prop", "tag:villain", "name:set_table"):
        proxy = "MISSING_TARGET_" + selector.replace(":", "_")
        assert f"warning selector '{selector}' matched no scene object: wrote proxy null " \
               f"'{proxy}'" in text
        assert re.search(rf"{selector} .*{proxy} \(proxy null\)", text)
    assert re.search(r"\bkey .*name:key .*\bkey\b", text)
    assert "(9 objects, 4 proxy nulls)" in text  # camera, key, fill, atmosphere, subject, proxies
