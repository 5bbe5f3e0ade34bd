"""Graph fragments (issue 18): a selection and the edges among it as ``.mgraph`` text,
read back through the file loader, pasted with new unique ids, offset positions and
re-wired internal edges."""

from __future__ import annotations

import json

import pytest

import moks_graph as mg
from moks_graph import fragments


def test_fragment_keeps_selection_and_internal_edges_only(chain_graph):
    chain_graph.set_ui("merge", pos=[100, 50])
    chain_graph.set_bypass("gain", True)
    text = fragments.dumps(chain_graph, ["merge", "gain", "osc_a", "nope"])
    doc = json.loads(text)
    assert doc["schema_version"] == mg.mgraph.SCHEMA_VERSION
    assert doc["meta"] == {"fragment": {"nodes": 3}}
    assert sorted(doc["nodes"]) == ["gain", "merge", "osc_a"]
    edges = {(e["from"][0], e["to"][0]) for e in doc["edges"]}
    assert edges == {("osc_a", "merge"), ("merge", "gain")}  # osc_b -> merge left out
    back = fragments.loads(text)
    assert back.nodes["gain"].bypass and back.nodes["gain"].params == {"gain": 2.0}
    with pytest.raises(ValueError):
        fragments.extract(chain_graph, ["nope"])


def test_paste_plan_renames_taken_ids_offsets_and_rewires(chain_graph):
    chain_graph.set_ui("merge", pos=[100, 50])
    part = fragments.loads(fragments.dumps(chain_graph, ["osc_a", "merge", "gain"]))
    plan = fragments.paste_plan(part, chain_graph.nodes, offset=(30, -20))
    assert dict(plan.ids) == {"gain": "gain1", "merge": "merge1", "osc_a": "osc_a1"}
    moved = {r.id: r.ui.get("pos") for r in plan.records}
    assert moved[plan.ids["merge"]] == [130, 30]
    assert set(plan.edges) == {mg.Edge(plan.ids["osc_a"], "channels", plan.ids["merge"], "a"),
                               mg.Edge(plan.ids["merge"], "channels", plan.ids["gain"], "channels")}
    # into an empty graph the ids are kept
    fresh = fragments.paste_plan(part, [])
    assert dict(fresh.ids) == {"gain": "gain", "merge": "merge", "osc_a": "osc_a"}


def test_unique_id_drops_trailing_digits():
    assert fragments.unique_id("key", set()) == "key"
    assert fragments.unique_id("key", {"key"}) == "key1"
    assert fragments.unique_id("osc2", {"osc2", "osc1"}) == "osc3"


def test_fragment_text_is_checked_like_a_file():
    with pytest.raises(mg.GraphFileError) as e:
        fragments.loads('{"schema_version": 2, "nodes": {"a": {"type": "x"}}}')
    assert "<clipboard>" in str(e.value)
    assert fragments.is_fragment_text('{"nodes": {}, "schema_version": 2}')
    assert not fragments.is_fragment_text("hello")


def test_whole_subgraphs_travel_collapsed(chain_graph):
    from moks_graph import subgraphs

    sub_id = subgraphs.collapse(chain_graph, ["merge", "gain"], title="tail")
    text = fragments.dumps(chain_graph, ["osc_a", "merge", "gain"])
    assert json.loads(text)["nodes"][sub_id]["type"] == "moks.subgraph"
    part = fragments.loads(text)
    plan = fragments.paste_plan(part, [*chain_graph.nodes, *chain_graph.subgraphs])
    (sub,) = plan.subgraphs
    assert sub.id == "subgraph2" and sub.title == "tail"
    assert sub.members == ("gain1", "merge1")
    # a subgraph only partly selected is left out (its selected nodes come flat)
    part = fragments.loads(fragments.dumps(chain_graph, ["gain"]))
    assert part.subgraphs == {}
