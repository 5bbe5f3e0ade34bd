"""Bypass (issue 18): a bypassed node passes its first same-typed input through, in headless
evaluation too; it is refused (MG117) where no input can feed an output; saved as
``"bypass": true`` and absent otherwise, so other graphs keep their bytes and cache keys."""

from __future__ import annotations

import json

import numpy as np
import pytest

import moks_graph as mg
from moks_graph.evaluate import Evaluator


def test_bypassed_gain_passes_its_input_through(chain_graph):
    before = Evaluator().evaluate(chain_graph)
    chain_graph.set_bypass("gain", True)
    after = Evaluator().evaluate(chain_graph)
    assert after.ok, after.problems
    merged = after["merge.channels"]
    for name in merged:
        np.testing.assert_array_equal(after["gain.channels"][name], merged[name])
    assert not np.array_equal(before["gain.channels"]["cam.ty"], after["gain.channels"]["cam.ty"])
    assert before.keys["gain"] != after.keys["gain"]  # the flag is part of the cache key
    assert before.keys["merge"] == after.keys["merge"]
    chain_graph.set_bypass("gain", False)
    again = Evaluator().evaluate(chain_graph)
    assert again.keys == before.keys
    np.testing.assert_array_equal(again["gain.channels"]["cam.ty"],
                                  before["gain.channels"]["cam.ty"])


def test_merge_bypass_passes_the_first_input(chain_graph):
    chain_graph.set_bypass("merge", True)
    result = Evaluator().evaluate(chain_graph)
    assert set(result["merge.channels"]) == set(result["osc_a.channels"])


def test_bypass_refused_without_an_input_of_the_output_type(chain_graph):
    with pytest.raises(mg.GraphEditError) as e:
        chain_graph.set_bypass("osc_a", True)
    assert e.value.code == "MG117"
    assert "'channels'" in str(e.value) and "osc_a" in str(e.value)
    assert not chain_graph.nodes["osc_a"].bypass


def test_bypass_with_nothing_connected_is_a_compute_problem(chain_graph):
    chain_graph.set_bypass("gain", True)
    chain_graph.disconnect("gain.channels")
    result = Evaluator().evaluate(chain_graph, ["gain.channels"])
    assert "gain.channels" not in result.values
    assert any(p.code in ("MG102", "MG120") and p.node == "gain" for p in result.problems)


def test_bypass_saved_loaded_and_absent_when_off(chain_graph, tmp_path):
    plain = mg.mgraph.dumps(chain_graph)
    assert "bypass" not in plain
    chain_graph.set_bypass("gain", True)
    text = mg.mgraph.dumps(chain_graph)
    assert json.loads(text)["nodes"]["gain"]["bypass"] is True
    back = mg.mgraph.loads(text)
    assert back.nodes["gain"].bypass and not back.nodes["merge"].bypass
    assert mg.mgraph.dumps(back) == text
    assert back.copy().nodes["gain"].bypass
    chain_graph.set_bypass("gain", False)
    assert mg.mgraph.dumps(chain_graph) == plain


def test_bad_bypass_in_a_file_is_reported(chain_graph):
    doc = json.loads(mg.mgraph.dumps(chain_graph))
    doc["nodes"]["gain"]["bypass"] = "yes"
    with pytest.raises(mg.GraphFileError) as e:
        mg.mgraph.loads(json.dumps(doc), "bad.mgraph")
    assert "bypass" in str(e.value) and "gain" in str(e.value)
    doc["nodes"]["gain"]["bypass"] = False
    doc["nodes"]["osc_a"]["bypass"] = True  # loads, but validation names the node and field
    graph = mg.mgraph.loads(json.dumps(doc), "osc.mgraph")
    problems = [p for p in graph.validate() if p.code == "MG117"]
    assert [(p.node, p.field) for p in problems] == [("osc_a", "bypass")]
