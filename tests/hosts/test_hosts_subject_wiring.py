"""``moks scene --subject-track`` and the wiring plan it shares with the editor (issue 17): a
``moks track`` file of a host scene's actor becomes the subject that the camera and the lights
follow, replacing the prose walk; with ``--bake ... --link-to-target`` the lights are written
as children of that subject in the host file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import moks_graph as mg
from moks_graph.cli import main
from moks_graph.hosts.bake import bake, bake_graph
from moks_graph.hosts.commands.scene import prose_graph
from moks_graph.hosts.subject_wiring import apply_subject_wiring, subject_wiring

STARTER = Path(__file__).resolve().parents[2] / "graphs" / "tripod_walk_to_mark.mgraph"


def test_plan_replaces_the_prose_walk():
    graph, _ = prose_graph("handheld medium shot, actor walks in", frames=(1, 24))
    fed = sorted(f"{e.dst}.{e.dst_port}" for e in graph.edges if e.src == "subject")
    plan = subject_wiring(graph, "actor.json")
    assert plan.node_id == "scene_subject" and plan.remove == ("subject",)
    assert list(plan.connect) == fed and plan.disconnect == plan.connect
    assert any(d.startswith("scene.in_") for d in fed)  # the null is still merged, baked
    apply_subject_wiring(graph, plan)
    assert "subject" not in graph.nodes
    assert sorted(f"{e.dst}.{e.dst_port}" for e in graph.edges
                  if e.src == "scene_subject") == fed


def test_plan_on_a_still_shot_feeds_every_subject_input_and_a_free_merge_input():
    graph, _ = prose_graph("tripod medium shot", frames=(1, 24))
    plan = subject_wiring(graph, "actor.json")
    assert plan.remove == () and plan.disconnect == ()
    merged = [d for d in plan.connect if d.startswith("scene.in_")]
    assert len(merged) == 1
    assert {"camera_rig.subject", "key.subject", "fill.subject"} <= set(plan.connect)
    graph.add_node("moks.subject.track", "scene_subject", {})  # the id is taken: a new one
    assert subject_wiring(graph, "actor.json").node_id == "scene_subject_2"


def test_moks_scene_subject_track_follows_a_host_scene_actor(tmp_path, monkeypatch):
    pxr = pytest.importorskip("pxr")
    monkeypatch.chdir(tmp_path)
    starter = mg.load(STARTER)
    want = bake_graph(starter)
    bake(starter, "usd", tmp_path / "layout.usda")  # a layout whose actor walks
    runner = CliRunner()
    made = runner.invoke(main, ["track", "layout.usda", "--select", "name:subject", "--out",
                                "actor.json"])
    assert made.exit_code == 0, made.output
    first, last = int(want.time.frames[0]), int(want.time.frames[0]) + 47
    made = runner.invoke(main, ["scene", "handheld medium shot, actor walks in", "--frames",
                                f"{first}-{last}", "--subject-track", "actor.json", "--out",
                                "shot.mgraph", "--bake", "usd", "--bake-out", "shot.usda",
                                "--link-to-target"])
    assert made.exit_code == 0, made.output
    graph = mg.load(tmp_path / "shot.mgraph")
    assert graph.nodes["scene_subject"].params["path"] == "actor.json"
    assert "subject" not in graph.nodes
    got = bake_graph(graph)
    n = len(got.time)
    for axis in "xyz":  # the layout's actor, sample for sample
        np.testing.assert_allclose(got[f"subject.t{axis}"], want[f"subject.t{axis}"][:n],
                                   atol=1e-9)
    assert np.ptp(got["subject.tx"]) + np.ptp(got["subject.ty"]) > 0.5  # it walks
    stage = pxr.Usd.Stage.Open(str(tmp_path / "shot.usda"))
    keys = [p for p in stage.Traverse() if p.GetName() == "key"]
    assert [p.GetParent().GetName() for p in keys] == ["subject"]  # linked to the actor
    bad = runner.invoke(main, ["scene", "tripod medium shot", "--link-to-target"])
    assert bad.exit_code == 2 and "--link-to-target goes with --bake" in bad.output
