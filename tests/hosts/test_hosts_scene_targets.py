"""A moving target from a host scene by selector (issue 17): ``moks track`` samples a USD
prim's, a Blender object's or a Maya node's animated world position into a track file, and a
``moks.subject.track`` node drives rigs and lights from it.

The round trip: a moving-subject starter is baked to each host; its actor (the ``subject``
null) is read back from the host file by selector; the shot rebuilt from that track (the
starter with its walk node replaced by a track node) gives the starter's own numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import moks_graph as mg
from moks_graph.cli import main
from moks_graph.hosts.bake import bake, bake_graph
from moks_graph.hosts.scene_targets import host_of, scene_track
from moks_graph.nodes.subject.track import load_track

GRAPHS = Path(__file__).resolve().parents[2] / "graphs"
STARTER = GRAPHS / "tripod_walk_to_mark.mgraph"
SUFFIX = {"usd": ".usda", "blender": ".blend", "maya": ".ma"}
#: float32 storage of USD/Blender transforms (metres up to ~3).
ATOL = {"usd": 1e-12, "blender": 1e-6, "maya": 1e-12}


def _retargeted(track: Path) -> mg.Graph:
    """The starter with its walk node replaced by a track node of the same id."""
    graph = mg.load(STARTER)
    outgoing = [e for e in graph.edges if e.src == "subject"]
    pos = graph.nodes["subject"].ui
    graph.remove_node("subject")
    graph.add_node("moks.subject.track", "subject", {"path": str(track)}, ui=pos)
    for e in outgoing:
        graph.connect(f"subject.{e.src_port}", f"{e.dst}.{e.dst_port}")
    return graph


@pytest.mark.parametrize("host", sorted(SUFFIX))
def test_a_host_scene_actor_drives_the_shot(tmp_path, host):
    if host == "usd":
        pytest.importorskip("pxr")
    if host == "blender":
        pytest.importorskip("bpy")
    graph = mg.load(STARTER)
    want = bake_graph(graph)
    scene = bake(graph, host, tmp_path / f"layout{SUFFIX[host]}").path
    out = tmp_path / "actor.json"
    result = CliRunner().invoke(main, ["track", str(scene), "--select", "name:subject",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    track = load_track(out)
    assert track.select == "name:subject" and len(track.seconds) == len(want.time)
    np.testing.assert_allclose(track.seconds, want.time.seconds, rtol=1e-12)
    got = bake_graph(_retargeted(out))
    assert sorted(got) == sorted(want)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-6, atol=ATOL[host],
                                   err_msg=name)


def test_selectors_by_path_and_tag_and_clear_errors(tmp_path):
    pytest.importorskip("pxr")
    from pxr import Usd

    scene = bake(mg.load(STARTER), "usd", tmp_path / "layout.usda").path
    by_path = scene_track(scene, "name:/World/subject")
    stage = Usd.Stage.Open(str(scene))
    stage.GetPrimAtPath("/World/subject").SetCustomDataByKey("moks:tags", "hero, actor")
    stage.GetRootLayer().Save()
    by_tag = scene_track(scene, "tag:hero")
    np.testing.assert_array_equal(by_tag.positions, by_path.positions)
    assert by_tag.object == "subject"
    with pytest.raises(ValueError, match=r"matches no object.*subject"):
        scene_track(scene, "name:nobody")
    with pytest.raises(ValueError, match="not a scene file"):
        host_of(tmp_path / "layout.fbx")


def test_track_file_errors_are_named(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "moks.track", "version": 1, "seconds": [0, 0],
                               "positions": [[0, 0, 0], [1, 0, 0]]}))
    with pytest.raises(ValueError, match="increase strictly"):
        load_track(bad)
    graph = _retargeted(tmp_path / "missing.json")
    result = graph.evaluate(["subject.channels"])
    assert result.problems and "moks track" in result.problems[0].message
