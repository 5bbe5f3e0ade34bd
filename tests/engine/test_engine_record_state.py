"""A node's record is what the file says; what the graph derives from it is a :class:`NodeState`.

* :class:`~moks_graph.graph.NodeRecord` has exactly the fields a saved node has (its id, the
  keys of its JSON, and the placeholder's raw record): no validated params, problems,
  revision or static key on it;
* the graph keeps those per node id, replaced by every edit of the record and dropped with
  the node;
* a saved graph loads and saves back byte for byte, with the same cache keys.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from moks_graph import mgraph
from moks_graph.evaluate import Evaluator
from moks_graph.graph import NodeRecord, NodeState

STARTERS = sorted((Path(__file__).resolve().parents[2] / "graphs").glob("*.mgraph"))


def test_the_record_has_only_what_the_file_stores():
    record = NodeRecord("n", "moks.channels.gain", 1, {"gain": 2.0}, {"pos": [0, 0]},
                        bypass=True, keys={"gain": {"interp": "linear", "keys": [[1, 1.0]]}})
    saved = set(record.to_json())  # every optional part set, so every key is written
    assert {f.name for f in dataclasses.fields(NodeRecord)} == saved | {"id", "raw"}
    for derived in ("validated", "problems", "revision", "static_key", "_static_key"):
        assert not hasattr(record, derived), derived


def test_editing_params_replaces_the_graphs_state(chain_graph):
    g = chain_graph
    before = g.state("gain")
    assert isinstance(before, NodeState) and g.validated("gain").gain == 2.0
    key = g.static_key("gain")
    g.set_param("gain", "gain", 3.5)
    assert g.validated("gain").gain == 3.5 and g.problems("gain") == []
    assert g.state("gain").revision > before.revision
    assert g.static_key("gain") not in (b"", key)
    g.set_param("gain", "gain", 2.0)
    assert g.static_key("gain") == key  # the key is the params', not the edit history's


def test_a_record_edited_in_place_is_checked_again_by_refresh(chain_graph):
    """The editor's undo writes the old (possibly invalid) params back and refreshes."""
    g = chain_graph
    record = g.nodes["gain"]
    record.params = {"gain": "loud"}
    g.refresh(record)
    assert g.validated("gain") is None and g.static_key("gain") == b""
    assert [p.code for p in g.problems("gain")] == ["MG107"]
    assert g.problems("gain")[0] in g.validate()


def test_rewiring_bumps_the_revision_not_the_static_key(chain_graph):
    g = chain_graph
    revision, key = g.state("gain").revision, g.static_key("gain")
    g.disconnect("gain.channels")
    assert g.state("gain").revision > revision and g.static_key("gain") == key
    g.remove_node("gain")
    with pytest.raises(KeyError):
        g.state("gain")


@pytest.mark.parametrize("path", STARTERS, ids=lambda p: p.stem)
def test_a_saved_graph_round_trips_byte_identical(path, tmp_path):
    graph = mgraph.load(path)
    out = tmp_path / path.name
    mgraph.save(graph, out)
    assert out.read_bytes() == path.read_bytes()
    again = mgraph.load(out)
    assert {n: again.static_key(n) for n in again.nodes} == {
        n: graph.static_key(n) for n in graph.nodes}
    assert Evaluator().evaluate(again).keys == Evaluator().evaluate(graph.copy()).keys
