"""Graph edits, validation codes, evaluation, and cache invalidation counts."""

from __future__ import annotations

import numpy as np
import pytest

import moks_graph as mg
from moks_graph.evaluate import Evaluator


def codes(problems):
    return sorted(p.code for p in problems)


def test_valid_graph_evaluates(chain_graph):
    result = Evaluator().evaluate(chain_graph)
    assert result.ok
    ch = result["gain.channels"]
    assert set(ch) == {"cam.tx", "cam.ty"}
    assert len(ch.time) == 24
    np.testing.assert_allclose(ch["cam.ty"], 2.0 * result["osc_b.channels"]["cam.ty"])


def test_edit_refusals_name_code_and_path(chain_graph):
    g = chain_graph
    with pytest.raises(mg.GraphEditError) as e:
        g.add_node("no.such_type")
    assert e.value.code == "MG101"
    with pytest.raises(mg.GraphEditError) as e:
        g.add_node("moks.value.float", "osc_a")
    assert e.value.code == "MG109"
    with pytest.raises(mg.GraphEditError) as e:
        g.connect("gain.channels", "osc_a.nothing")
    assert e.value.code == "MG108"
    g.add_node("moks.value.float", "f")
    with pytest.raises(mg.GraphEditError) as e:
        g.connect("f.value", "merge.b")  # Float into Channels
    assert e.value.code == "MG103"
    g.add_node("moks.channels.merge", "m2")
    with pytest.raises(mg.GraphEditError) as e:
        g.connect("f.value", "m2.a")
    assert e.value.code == "MG103"
    g.connect("gain.channels", "m2.a")
    with pytest.raises(mg.GraphEditError) as e:
        g.connect("m2.channels", "merge.a")
    assert e.value.code == "MG114"  # merge.a is already connected
    g.disconnect("merge.a")
    with pytest.raises(mg.GraphEditError) as e:
        g.connect("m2.channels", "merge.a")  # gain -> m2 -> merge -> gain
    assert e.value.code == "MG104"
    assert "merge" in str(e.value) and "gain" in str(e.value)
    with pytest.raises(mg.GraphEditError) as e:
        g.set_param("gain", "gain", 1e9)
    assert e.value.code == "MG105"
    assert e.value.problems[0].path == "$.nodes.gain.params.gain"
    with pytest.raises(mg.GraphEditError) as e:
        g.set_param("gain", "wobble", 1.0)
    assert e.value.code == "MG115"
    with pytest.raises(mg.GraphEditError) as e:
        g.set_param("m2", "op", "divide")
    assert e.value.code == "MG115"
    g.add_node("moks.math.arithmetic", "ar")
    with pytest.raises(mg.GraphEditError) as e:
        g.set_param("ar", "op", "divide")
    assert e.value.code == "MG106"
    assert g.nodes["gain"].params == {"gain": 2.0}, "refused edits change nothing"


def test_validation_collects_every_problem(registry):
    doc = """{
      "schema_version": 2,
      "nodes": {
        "a": {"type": "moks.channels.oscillator", "type_version": 2,
              "params": {"frequency_hz": -3, "object": "o"}},
        "b": {"type": "moks.channels.merge", "type_version": 1},
        "c": {"type": "moks.channels.merge", "type_version": 1},
        "d": {"type": "vendor.unknown_node", "type_version": 4, "params": {"x": 1}},
        "e": {"type": "moks.value.float", "type_version": 1},
        "g": {"type": "moks.channels.gain", "type_version": 1},
        "ok": {"type": "moks.channels.oscillator", "type_version": 2},
        "ok_out": {"type": "moks.channels.gain", "type_version": 1},
        "lonely": {"type": "moks.channels.merge", "type_version": 1}
      },
      "edges": [
        {"from": ["b", "channels"], "to": ["c", "a"]},
        {"from": ["c", "channels"], "to": ["b", "a"]},
        {"from": ["e", "value"], "to": ["g", "channels"]},
        {"from": ["ghost", "value"], "to": ["c", "b"]},
        {"from": ["ok", "channels"], "to": ["ok_out", "channels"]}
      ]
    }"""
    g = mg.loads(doc, "inline.mgraph", registry)
    problems = g.validate()
    found = set(codes(problems))
    assert {"MG101", "MG102", "MG103", "MG104", "MG105", "MG108"} <= found
    cycle = next(p for p in problems if p.code == "MG104")
    assert "b" in cycle.message and "c" in cycle.message
    rng = next(p for p in problems if p.code == "MG105")
    assert rng.path == "$.nodes.a.params.frequency_hz" and rng.node == "a"
    # the valid branch still evaluates
    result = Evaluator().evaluate(g)
    assert "ok_out.channels" in result.values
    assert "c.channels" not in result.values and "a.channels" not in result.values


def test_changing_one_param_recomputes_only_downstream(chain_graph):
    ev = Evaluator()
    first = ev.evaluate(chain_graph)
    assert sorted(first.computed) == ["gain", "merge", "osc_a", "osc_b"]
    again = ev.evaluate(chain_graph)
    assert again.computed == [] and sorted(again.reused) == ["gain", "merge", "osc_a", "osc_b"]
    chain_graph.set_param("osc_b", "amplitude", 3.0)
    third = ev.evaluate(chain_graph)
    assert sorted(third.computed) == ["gain", "merge", "osc_b"]
    assert third.reused == ["osc_a"]
    chain_graph.set_param("gain", "gain", 5.0)
    fourth = ev.evaluate(chain_graph)
    assert fourth.computed == ["gain"]


def test_cache_key_covers_only_declared_context(chain_graph):
    ev = Evaluator()
    ev.evaluate(chain_graph)
    chain_graph.settings.seed = 99  # the oscillators read seed; merge/gain only via upstream
    r = ev.evaluate(chain_graph)
    assert sorted(r.computed) == ["gain", "merge", "osc_a", "osc_b"]
    chain_graph.add_node("moks.value.float", "const", {"value": 2.0})
    ev.evaluate(chain_graph)
    chain_graph.settings.seed = 100
    r = ev.evaluate(chain_graph, ["const.value"])
    assert r.computed == [] and r.reused == ["const"], "a node that reads no seed ignores it"


def test_seed_changes_noise_and_nothing_else(chain_graph):
    a = Evaluator().evaluate(chain_graph)
    chain_graph.settings.seed = 4
    b = Evaluator().evaluate(chain_graph)
    assert not np.array_equal(a["osc_a.channels"]["cam.tx"], b["osc_a.channels"]["cam.tx"])
    np.testing.assert_array_equal(a["osc_b.channels"]["cam.ty"], b["osc_b.channels"]["cam.ty"])


def test_chunked_evaluation_is_bit_identical(chain_graph):
    whole = Evaluator().evaluate(chain_graph, ["gain.channels"], frames=(1, 24), subframes=4)
    parts = [Evaluator().evaluate(chain_graph, ["gain.channels"], frames=(s, e), subframes=4)
             for s, e in ((1, 8), (8, 17), (17, 24))]
    full = whole["gain.channels"]
    for part in parts:
        ch = part["gain.channels"]
        idx = np.searchsorted(full.time.frames, ch.time.frames)
        for name in full:
            assert np.array_equal(full[name][idx], ch[name]), name


def test_undeclared_context_is_an_error(registry):
    class Sneaky(mg.Node):
        """Reads time without declaring it."""

        type_id = "test.sneaky"
        outputs = {"time": mg.Output(mg.TIME)}

        def compute(self, ctx, params):
            return {"time": ctx.time}

    reg = mg.Registry()
    reg.register(Sneaky)
    g = mg.Graph(registry=reg)
    g.add_node("test.sneaky", "s")
    result = Evaluator().evaluate(g)
    assert codes(result.problems) == ["MG120"]
    assert "does not declare" in result.problems[0].message


def test_non_finite_output_is_reported_not_passed_on(registry):
    @mg.node("test.nan", outputs={"value": mg.FLOAT})
    def make_nan(*, scale: float = mg.Param(1.0)):
        """Returns NaN."""
        return float("nan") * scale

    reg = mg.Registry()
    reg.register(make_nan)
    g = mg.Graph(registry=reg)
    g.add_node("test.nan", "n")
    result = Evaluator().evaluate(g)
    assert codes(result.problems) == ["MG121"]
    with pytest.raises(mg.MoksError):
        result["n.value"]


def test_decorator_node_in_a_dozen_lines():
    @mg.node("studio.exposure_offset", inputs={"base": mg.FLOAT}, outputs={"ev": mg.FLOAT},
             category="Studio")
    def exposure_offset(base, *, stops: float = mg.Param(1.0, ge=-10, le=10, unit="EV")):
        """Adds a stop offset."""
        return base + stops

    reg = mg.Registry()
    reg.register(exposure_offset)
    from moks_graph.nodes.utility.value_nodes import FloatValue

    reg.register(FloatValue)
    g = mg.Graph(registry=reg)
    g.add_node("moks.value.float", "base", {"value": 2.5})
    g.add_node("studio.exposure_offset", "plus", {"stops": -1.0})
    g.connect("base.value", "plus.base")
    assert Evaluator().evaluate(g)["plus.ev"] == 1.5
    assert exposure_offset.Params.model_json_schema()["properties"]["stops"]["unit"] == "EV"
    with pytest.raises(mg.GraphEditError):
        g.set_param("plus", "stops", 11)


def test_malformed_node_class_is_refused():
    class NoOutputs(mg.Node):
        type_id = "Bad Id"

        def compute(self, ctx, params):
            return {}

    with pytest.raises(TypeError) as e:
        mg.Registry().register(NoOutputs)
    assert "type_id" in str(e.value) and "output" in str(e.value)


def test_problem_text_has_a_json_path_only_where_one_exists():
    from moks_graph.errors import NO_PATH, MoksError, Problem

    in_graph = Problem("MG105", "speed too high", "$.nodes.dolly.params.speed")
    assert str(in_graph) == "MG105 param-out-of-range at $.nodes.dolly.params.speed: speed too high"
    output = Problem("MG141", "folder 'x' does not exist", NO_PATH)
    assert str(output) == "MG141 output-unwritable: folder 'x' does not exist"
    assert MoksError(output, "x/shot.ma").describe() == (
        "x/shot.ma: MG141 output-unwritable: folder 'x' does not exist")
    option = Problem("MG141", "folder 'x' does not exist", NO_PATH, field="--out")
    assert str(option) == "MG141 output-unwritable, field --out: folder 'x' does not exist"
