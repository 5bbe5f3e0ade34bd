"""Subgraphs (issue 18): a selection collapsed into one node with exposed ports, nested in
the .mgraph, flat in memory, so a starter with part collapsed bakes bit-identical keys;
inner nodes go through node-type migrations; bad subgraphs name file, subgraph, field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import moks_graph as mg
from moks_graph import codec, subgraphs
from moks_graph.evaluate import Evaluator
from moks_graph.hosts.bake import bake_graph

STARTER = Path(__file__).resolve().parents[2] / "graphs" / "handheld_chase.mgraph"
LIGHTS = ["atmosphere", "key", "fill"]


def test_collapsed_starter_saves_nested_and_bakes_bit_identical(tmp_path):
    graph = mg.load(STARTER)
    before = bake_graph(graph, frames=(1, 12))
    keys = Evaluator().evaluate(graph, frames=(1, 12)).keys
    sub_id = subgraphs.collapse(graph, LIGHTS, title="lights")
    inputs, outputs = subgraphs.exposed_ports(graph, sub_id)
    assert inputs == {"camera": [("atmosphere", "camera"), ("fill", "camera"), ("key", "camera")],
                      "target": [("atmosphere", "target"), ("fill", "target"),
                                 ("key", "target")],
                      "subject": [("fill", "subject"), ("key", "subject")]}  # the chased actor
    assert set(outputs) == {"channels", "fill_channels", "key_channels"}
    path = tmp_path / "collapsed.mgraph"
    mg.save(graph, path)
    doc = json.loads(path.read_text())
    assert sorted(doc["nodes"]) == ["camera_rig", "camera_weather", "look", "scene", sub_id,
                                    "subject"]  # one merge_many, 'scene' (issue 18)
    body = doc["nodes"][sub_id]["subgraph"]
    assert doc["nodes"][sub_id]["type"] == "moks.subgraph"
    assert sorted(body["nodes"]) == sorted(LIGHTS)
    assert {"from": ["camera_rig", "channels"], "to": [sub_id, "camera"]} in doc["edges"]
    assert not any(set(LIGHTS) & {e["from"][0], e["to"][0]} for e in doc["edges"])
    back = mg.load(path)
    assert back.validate() == []
    assert set(back.nodes) == set(graph.nodes) and set(back.edges) == set(graph.edges)
    assert back.subgraphs[sub_id].members == tuple(sorted(LIGHTS))
    assert back.subgraphs[sub_id].title == "lights"
    assert mg.mgraph.dumps(back) == path.read_text()  # round trip
    after = bake_graph(back, frames=(1, 12))
    assert codec.digest(after) == codec.digest(before)
    assert Evaluator().evaluate(back, frames=(1, 12)).keys == keys
    # dissolving brings the flat document back (edges are a set: their order may differ)
    subgraphs.dissolve(back, sub_id)
    flat, starter = (json.loads(mg.mgraph.dumps(g)) for g in (back, mg.load(STARTER)))
    assert sorted(map(json.dumps, flat.pop("edges"))) == sorted(
        map(json.dumps, starter.pop("edges")))
    assert flat == starter


def test_inner_nodes_are_migrated_and_saved_current():
    doc = {"schema_version": 2, "settings": {"frame_start": 1, "frame_end": 4},
           "nodes": {
               "grp": {"type": "moks.subgraph", "type_version": 1,
                       "params": {"title": "osc group"},
                       "subgraph": {
                           "nodes": {"osc": {"type": "moks.channels.oscillator",
                                             "type_version": 1,
                                             "params": {"freq": 2.0, "object": "cam",
                                                        "kind": "camera"}}},
                           "edges": [], "inputs": {},
                           "outputs": {"channels": ["osc", "channels"]}}},
               "gain": {"type": "moks.channels.gain", "type_version": 1}},
           "edges": [{"from": ["grp", "channels"], "to": ["gain", "channels"]}]}
    graph = mg.mgraph.loads(json.dumps(doc), "old.mgraph")
    assert graph.nodes["osc"].params["frequency_hz"] == 2.0
    assert graph.nodes["osc"].type_version == 2
    assert [str(e) for e in graph.edges] == ["osc.channels -> gain.channels"]
    assert graph.evaluate(["gain.channels"]).ok
    saved = json.loads(mg.mgraph.dumps(graph))
    inner = saved["nodes"]["grp"]["subgraph"]["nodes"]["osc"]
    assert inner["type_version"] == 2 and "freq" not in inner["params"]


def _doc_with(**body_changes):
    body = {"nodes": {"osc": {"type": "moks.channels.oscillator", "type_version": 2}},
            "edges": [], "inputs": {}, "outputs": {"channels": ["osc", "channels"]}}
    body.update(body_changes)
    return {"schema_version": 2, "nodes": {
        "grp": {"type": "moks.subgraph", "type_version": 1, "params": {}, "subgraph": body},
        "gain": {"type": "moks.channels.gain", "type_version": 1}},
        "edges": [{"from": ["grp", "channels"], "to": ["gain", "channels"]}]}


@pytest.mark.parametrize(("doc", "code", "words"), [
    (_doc_with(nodes={"gain": {"type": "moks.channels.gain", "type_version": 1}}), "MG109",
     "also used outside"),
    (_doc_with(outputs={}), "MG110", "does not expose"),
    (_doc_with(outputs={"channels": ["nobody", "channels"]}), "MG110", "of a member"),
    (_doc_with(extra=1), "MG110", "'subgraph' must be an object"),
    (_doc_with(nodes={}), "MG110", "non-empty"),
])
def test_bad_subgraphs_name_file_and_subgraph(doc, code, words):
    with pytest.raises(mg.GraphFileError) as e:
        mg.mgraph.loads(json.dumps(doc), "bad.mgraph")
    text = str(e.value)
    assert e.value.code == code and words in text and "bad.mgraph" in text and "grp" in text


def test_collapse_refusals(chain_graph):
    sub_id = subgraphs.collapse(chain_graph, ["merge", "gain"])
    with pytest.raises(mg.GraphEditError):
        subgraphs.collapse(chain_graph, ["gain"])  # already grouped
    with pytest.raises(mg.GraphEditError):
        subgraphs.collapse(chain_graph, ["nope"])
    with pytest.raises(mg.GraphEditError):
        chain_graph.add_node("moks.channels.merge", sub_id)  # the id is taken
    assert chain_graph.copy().subgraphs[sub_id].members == ("gain", "merge")
    chain_graph.remove_node("gain")
    assert chain_graph.subgraphs[sub_id].members == ("merge",)


def test_published_schema_names_the_new_node_fields():
    props = mg.mgraph.json_schema()["$defs"]["NodeModel"]["properties"]
    assert {"bypass", "keys", "subgraph"} <= set(props)
    assert "moks.subgraph" in props["subgraph"]["description"]
