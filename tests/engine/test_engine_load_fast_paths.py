"""The loader's fast paths agree with their reference paths.

jiter parses, ``_plain_model`` stands in for pydantic's pass over a plain
document, ``check_nodes`` validates params per type in bulk, the evaluator's
finiteness test uses a dot product: each must give what the slower reference
gives, on random and mutated input.
"""

from __future__ import annotations

import gc
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import moks_graph as mg
from moks_graph import mgraph, validation
from moks_graph.errors import MoksError
from moks_graph.evaluate import _all_finite, evaluation_plan
from moks_graph.graph import NodeRecord

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=6),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=5), c, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_jiter_parse_equals_the_standard_library(value):
    text = json.dumps(value, indent=2)
    parsed = mgraph.parse_json(text, "x.mgraph")
    assert parsed == json.loads(text)
    assert repr(parsed) == repr(json.loads(text))  # same float bits, ints stay ints
    assert mgraph.parse_json(text.encode(), "x.mgraph") == parsed


@pytest.mark.parametrize("text", [
    '{"a": "\\ud800"}',  # a lone surrogate: jiter refuses, the standard library accepts
    "[" * 300 + "]" * 300,  # deeper than jiter nests: the standard library reads it
    "[" * 100_000 + "]" * 100_000,  # deeper than either nests: MG111
    '{"a": [' * 50,  # unterminated: both refuse
])
def test_what_jiter_refuses_goes_to_the_standard_library(text):
    try:
        expected = json.loads(text)
    except (ValueError, RecursionError):
        with pytest.raises(MoksError) as e:
            mgraph.parse_json(text, "x.mgraph")
        assert e.value.code == "MG111"
        return
    assert mgraph.parse_json(text, "x.mgraph") == expected


def test_duplicate_keys_keep_their_json_path():
    with pytest.raises(MoksError) as e:
        mgraph.parse_json('{"nodes": {"a": {}, "b": {"x": 1, "x": 2}}}', "d.mgraph")
    assert e.value.code == "MG109"
    assert e.value.problems[0].path == "$.nodes.b.x"


def test_bytes_that_are_not_utf8_are_named():
    with pytest.raises(MoksError) as e:
        mgraph.loads(b'{"schema_version": 2, "meta": {"a": "\xff"}}', "b.mgraph")
    assert e.value.code == "MG111" and "UTF-8" in str(e.value)


def _base_doc() -> dict:
    g = mg.Graph()
    g.add_node("moks.channels.oscillator", "osc", {"amplitude": 2.0}, {"pos": [1.0, 2.0]})
    g.add_node("moks.channels.gain", "gain", {"gain": 0.5})
    g.connect("osc.channels", "gain.channels")
    return json.loads(mgraph.dumps(g))


_PLAIN = _base_doc()
_ODD = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(-2, 2),
                 st.text(max_size=4), st.just([]), st.just({}), st.just(["a", "b"]),
                 st.just(["a"]), st.just("moks.x"), st.just("Bad.Type"), st.just(1.0))


@st.composite
def mutated_docs(draw):
    """The plain document with one value somewhere replaced or one key added/removed."""
    doc = json.loads(json.dumps(_PLAIN))
    paths = []

    def walk(obj, path):
        for k, v in (obj.items() if isinstance(obj, dict) else enumerate(obj)):
            paths.append((*path, k))
            if isinstance(v, dict | list):
                walk(v, (*path, k))

    walk(doc, ())
    path = draw(st.sampled_from(paths))
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    action = draw(st.sampled_from(["replace", "delete", "add"]))
    if action == "replace":
        parent[path[-1]] = draw(_ODD)
    elif action == "delete" and isinstance(parent, dict):
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[draw(st.sampled_from(["extra", "params", "ui", "type", "from"]))] = draw(_ODD)
    return doc


@settings(max_examples=400, deadline=None)
@given(mutated_docs())
def test_the_plain_fast_path_accepts_only_what_the_schema_accepts_unchanged(doc):
    fast = mgraph._plain_model(doc)
    if fast is None:
        return  # the reference path decides (and words the errors)
    model = mgraph.GraphFileModel.model_validate(doc)
    assert fast.settings == model.settings
    assert fast.meta == model.meta
    assert fast.nodes == model.nodes
    assert [{k: list(v) for k, v in e.items()} for e in model.edges] == fast.edges


def test_the_plain_fast_path_takes_a_saved_file():
    assert mgraph._plain_model(_PLAIN) is not None
    assert mgraph._plain_model({**_PLAIN, "schema_version": True}) is None


def test_bulk_param_checks_equal_node_by_node_checks():
    g = mg.Graph()
    records = [
        NodeRecord("a", "moks.channels.gain", 1, {"gain": 2.0}),
        NodeRecord("b", "moks.channels.gain", 1, {"gain": "loud"}),  # fails: whole type redone
        NodeRecord("c", "moks.channels.gain", 1, {}),
        NodeRecord("d", "moks.channels.oscillator", 2, {"amplitude": 1.0, "nope": 1}),
        NodeRecord("e", "moks.no.such_type", 1, {}),
        NodeRecord("f", "moks.channels.oscillator", 99, {}),
    ]
    bulk = validation.check_nodes(g, records)
    one_by_one = [validation.check_node(g, r) for r in records]
    assert [(m.model_dump() if m else None, [str(p) for p in ps]) for m, ps in bulk] == [
        (m.model_dump() if m else None, [str(p) for p in ps]) for m, ps in one_by_one]
    assert [bool(ps) for _, ps in bulk] == [False, True, False, True, True, True]


def test_loading_restores_the_garbage_collector_state(tmp_path):
    path = tmp_path / "g.mgraph"
    mg.save(mg.Graph(), path)
    assert gc.isenabled()
    mg.load(path)
    assert gc.isenabled()
    gc.disable()
    try:
        mg.load(path)
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(MoksError):
        mgraph.loads("{", "broken.mgraph")
    assert gc.isenabled()


@pytest.mark.parametrize(("values", "finite"), [
    ([1.0, -2.0, 3.5], True),
    ([1e200, -1e200, 3.0], True),  # the dot product overflows: the element test decides
    ([1.0, np.nan], False),
    ([np.inf, 1.0], False),
    ([-np.inf, np.inf], False),
    ([], True),
])
def test_finiteness_test(values, finite):
    a = np.asarray(values, dtype=np.float64)
    assert _all_finite(a) is finite
    assert _all_finite(a.reshape(-1, 1)) is finite  # not 1-D: the element test


STARTERS = sorted((Path(__file__).parents[2] / "graphs").glob("*.mgraph"))


@pytest.mark.parametrize("path", STARTERS, ids=lambda p: p.stem)
def test_static_key_hashes_the_models_json(path):
    """The serializer call behind static keys gives exactly ``model_dump_json``'s bytes."""
    graph = mg.load(path)
    for record in graph.nodes.values():
        validated = graph.validated(record.id)
        if validated is None:
            continue
        expected = hashlib.sha256(f"{record.type}\0{record.type_version}\0".encode()
                                  + validated.model_dump_json().encode()).digest()
        assert graph.static_key(record.id) == expected, record.id


@pytest.mark.parametrize("path", STARTERS, ids=lambda p: p.stem)
def test_evaluation_plan_matches_the_wiring(path):
    """Shared per-(class, ports) plan parts give every node its own wiring and defaults."""
    graph = mg.load(path)
    plan = evaluation_plan(graph)
    for node_id, step in plan.items():
        cls = graph.node_class(node_id)
        edges = sorted(graph.edges_into(node_id), key=lambda e: e.dst_port)
        assert [(w.port, w.src, w.src_port) for w in step.wires] == [
            (e.dst_port, e.src, e.src_port) for e in edges]
        assert step.sources == tuple(e.src for e in edges)
        connected = {e.dst_port for e in edges}
        assert step.defaults == {p: s.default for p, s in cls.inputs.items()
                                 if p not in connected}
        assert step.outputs == tuple((p, s.type) for p, s in cls.outputs.items())
