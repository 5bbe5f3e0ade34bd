"""Keyable parameters (issue 18): a float param driven by [frame, value] keys, linear or
smooth, evaluated per sample by the engine, stored in the .mgraph, checked on load."""

from __future__ import annotations

import json

import numpy as np
import pytest

import moks_graph as mg
from moks_graph.evaluate import Evaluator
from moks_graph.keyframes import sample, value_at, with_key


def test_linear_and_smooth_curves():
    frames = np.array([0.0, 1.0, 5.5, 10.0, 20.0, 30.0])
    linear = {"interp": "linear", "keys": [[1, 0.0], [10, 9.0], [20, 9.0]]}
    np.testing.assert_array_equal(sample(linear, frames), [0.0, 0.0, 4.5, 9.0, 9.0, 9.0])
    smooth = {"interp": "smooth", "keys": [[0, 0.0], [10, 10.0]]}
    got = sample(smooth, np.array([0.0, 2.5, 5.0, 7.5, 10.0, 11.0]))
    np.testing.assert_allclose(got, [0.0, 10 * (3 * .0625 - 2 * .015625), 5.0,
                                     10 * (3 * .5625 - 2 * .421875), 10.0, 10.0])
    assert value_at({"keys": [[3, 2.5]]}, 100) == 2.5
    spec = with_key(linear, 10, 1.0)
    assert spec["keys"] == [[1, 0.0], [10, 1.0], [20, 9.0]]
    assert with_key(None, 5, 2.0) == {"interp": "linear", "keys": [[5, 2.0]]}


def test_keyed_gain_is_evaluated_per_frame(chain_graph):
    still = Evaluator().evaluate(chain_graph)
    curve = {"interp": "linear", "keys": [[1, 0.0], [24, 23.0]]}
    chain_graph.set_keys("gain", "gain", curve)
    keyed = Evaluator().evaluate(chain_graph)
    assert keyed.ok, keyed.problems
    merged = keyed["merge.channels"]
    frames = merged.time.frames
    for name in merged:
        np.testing.assert_allclose(keyed["gain.channels"][name], merged[name] * (frames - 1.0))
    assert keyed.keys["gain"] != still.keys["gain"]
    # another frame range: another cache key (the curve's samples differ)
    part = Evaluator().evaluate(chain_graph, frames=(5, 8))
    np.testing.assert_allclose(part["gain.channels"]["cam.ty"],
                               part["merge.channels"]["cam.ty"] * np.array([4., 5., 6., 7.]))
    chain_graph.set_keys("gain", "gain", None)
    assert Evaluator().evaluate(chain_graph).keys == still.keys


def test_keys_saved_loaded_and_absent_when_none(chain_graph):
    plain = mg.mgraph.dumps(chain_graph)
    assert '"keys"' not in plain
    chain_graph.set_keys("osc_a", "amplitude", {"interp": "smooth", "keys": [[1, 0.5], [12, 2]]})
    text = mg.mgraph.dumps(chain_graph)
    back = mg.mgraph.loads(text)
    assert back.nodes["osc_a"].keys == {"amplitude": {"interp": "smooth",
                                                      "keys": [[1, 0.5], [12, 2]]}}
    assert mg.mgraph.dumps(back) == text and back.validate() == []
    np.testing.assert_array_equal(Evaluator().evaluate(back)["osc_a.channels"]["cam.tx"],
                                  Evaluator().evaluate(chain_graph)["osc_a.channels"]["cam.tx"])


def test_bad_keys_are_refused_and_reported(chain_graph):
    with pytest.raises(mg.GraphEditError) as e:
        chain_graph.set_keys("merge", "gain", {"keys": [[1, 1.0]]})
    assert e.value.code == "MG107" and "not keyable" in str(e.value)
    with pytest.raises(mg.GraphEditError) as e:
        chain_graph.set_keys("gain", "gain", {"keys": [[1, 1.0], [1, 2.0]]})
    assert "increase strictly" in str(e.value)
    with pytest.raises(mg.GraphEditError) as e:
        chain_graph.set_keys("gain", "gain", {"keys": [[1, 1.0], [5, 1e9]]})
    assert e.value.code == "MG105" and "key 1" in str(e.value)
    with pytest.raises(mg.GraphEditError) as e:
        chain_graph.set_keys("gain", "gain", {"interp": "cubic", "keys": [[1, 1.0]]})
    assert e.value.code == "MG106"
    assert chain_graph.nodes["gain"].keys == {}
    doc = json.loads(mg.mgraph.dumps(chain_graph))
    doc["nodes"]["gain"]["keys"] = {"gain": {"keys": [[1, "x"]]}}
    graph = mg.mgraph.loads(json.dumps(doc), "bad.mgraph")
    (problem,) = [p for p in graph.validate() if p.node == "gain"]
    assert problem.code == "MG110" and problem.path.endswith("keys.gain.keys")
    assert problem.field == "keys.gain"
    doc["nodes"]["gain"]["keys"] = [1, 2]
    with pytest.raises(mg.GraphFileError) as e:
        mg.mgraph.loads(json.dumps(doc), "bad.mgraph")
    assert "keys" in str(e.value) and "gain" in str(e.value)
