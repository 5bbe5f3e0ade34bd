"""Compact merge (issue 18): ``moks.channels.merge_many`` (eight optional inputs) and the
migration that collapses chains of two-input merges into it, bit for bit; the left-to-right
layout (:mod:`moks_graph.layout`) of the starters with it."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from moks_graph import mgraph
from moks_graph.graph import Graph
from moks_graph.hosts.bake import bake_graph
from moks_graph.layout import columns_of, estimated_size, layered_layout, tidy_graph
from moks_graph.migrations import MERGE_MANY_TYPE, MERGE_TYPE, collapse_merge_chains
from moks_graph.nodes.scenescript.scenarios import STARTERS as SCENARIOS
from moks_graph.nodes.scenescript.scenarios import starter_graph

GRAPHS = Path(__file__).resolve().parents[2] / "graphs"
STARTERS = sorted(GRAPHS.glob("*.mgraph"))


def oscillators(n: int, same_name: bool = False) -> Graph:
    """``n`` oscillators on one object, attributes ``a0..``; all ``tx`` when ``same_name``."""
    g = Graph()
    g.settings.frame_end = 12
    for i in range(n):
        g.add_node("moks.channels.oscillator", f"o{i}", {
            "object": "cam", "kind": "camera", "attribute": "tx" if same_name else f"a{i}",
            "offset": float(i), "frequency_hz": 0.3 + i, "amplitude": 0.5})
    return g


def chain(g: Graph, n: int) -> None:
    """``scene = merge(...merge(merge(o0, o1), o2)..., o{n-1})`` as two-input merges."""
    previous = "o0"
    for i in range(1, n):
        name = "scene" if i == n - 1 else f"m{i}"
        g.add_node(MERGE_TYPE, name)
        g.connect(f"{previous}.channels", f"{name}.a")
        g.connect(f"o{i}.channels", f"{name}.b")
        previous = name


def scene(g: Graph) -> dict[str, np.ndarray]:
    out = g.evaluate(["scene.channels"])["scene.channels"]
    return {k: np.asarray(out[k]) for k in out}


def collapsed(g: Graph) -> Graph:
    return mgraph.loads(mgraph.canonical_text(collapse_merge_chains(mgraph.to_document(g))))


def test_merge_many_is_the_chain_and_a_later_input_wins():
    g = oscillators(3, same_name=True)
    g.add_node(MERGE_MANY_TYPE, "scene")
    g.connect("o0.channels", "scene.in_1")
    g.connect("o1.channels", "scene.in_5")  # gaps are skipped
    g.connect("o2.channels", "scene.in_8")
    assert g.validate() == []
    tx = scene(g)["cam.tx"]
    np.testing.assert_array_equal(tx, g.evaluate(["o2.channels"])["o2.channels"]["cam.tx"])
    cls = g.node_class("scene")
    assert list(cls.inputs) == [f"in_{i}" for i in range(1, 9)]
    assert [p.required for p in cls.inputs.values()] == [True] + [False] * 7


def test_merge_many_needs_its_first_input():
    g = oscillators(1)
    g.add_node(MERGE_MANY_TYPE, "scene")
    g.connect("o0.channels", "scene.in_2")
    problems = g.validate()
    assert problems and any("in_1" in p.message for p in problems), problems


@pytest.mark.parametrize("n", [2, 5, 8, 9, 20])
def test_a_chain_collapses_into_merge_many_bit_for_bit(n: int):
    g = oscillators(n, same_name=n % 2 == 1)
    chain(g, n)
    before = mgraph.to_document(g)
    frozen = copy.deepcopy(before)
    tidy = collapsed(g)
    assert before == frozen  # pure: the input is not touched
    assert tidy.validate() == []
    types = sorted(r.type for r in tidy.nodes.values() if r.type.startswith("moks.channels.m"))
    if n == 2:  # one merge is no chain
        assert types == [MERGE_TYPE]
    else:  # eight inputs, then seven more per node (the first takes the previous node)
        assert types == [MERGE_MANY_TYPE] * (1 + (n - 2) // 7)
    assert "scene" in tidy.nodes
    want, got = scene(g), scene(tidy)
    assert sorted(want) == sorted(got)
    for name in want:
        np.testing.assert_array_equal(got[name], want[name])


def test_chains_that_cannot_collapse_are_left_alone():
    g = oscillators(3)
    chain(g, 3)
    doc = mgraph.to_document(g)
    doc["nodes"]["m1"]["bypass"] = True  # a bypassed merge passes 'a' through: not a merge
    assert collapse_merge_chains(doc)["nodes"] == doc["nodes"]
    g.disconnect("m1", "a")  # the chain's first input unconnected (an invalid graph)
    doc = mgraph.to_document(g)
    assert collapse_merge_chains(doc) == doc


def test_a_merge_feeding_two_nodes_ends_its_chain():
    g = oscillators(4)
    chain(g, 4)  # o0,o1 -> m1; m1,o2 -> m2; m2,o3 -> scene
    g.add_node("moks.channels.gain", "tap")
    g.connect("m1.channels", "tap.channels")  # m1 is used twice: kept, its own chain of one
    tidy = collapsed(g)
    assert tidy.nodes["m1"].type == MERGE_TYPE
    assert tidy.nodes["scene"].type == MERGE_MANY_TYPE and "m2" not in tidy.nodes
    assert [e.src for e in tidy.edges_into("scene")] == ["m1", "o2", "o3"]
    np.testing.assert_array_equal(scene(tidy)["cam.a3"], scene(g)["cam.a3"])


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_every_starter_tidies_to_one_merge_with_the_same_bake(scenario):
    """The compiler's graph (a chain of two-input merges) against its tidied form."""
    path = GRAPHS / f"{scenario.name}.mgraph"
    graph = starter_graph(scenario)
    assert sum(r.type == MERGE_TYPE for r in graph.nodes.values()) >= 3
    text = mgraph.dumps(graph)
    tidy = tidy_graph(graph)
    assert mgraph.dumps(graph) == text  # the input graph is not touched
    assert mgraph.dumps(tidy) == path.read_text()  # what the committed starter holds
    assert tidy.validate() == []
    merges = [n for n, r in tidy.nodes.items() if r.type in (MERGE_TYPE, MERGE_MANY_TYPE)]
    assert merges == ["scene"] and tidy.nodes["scene"].type == MERGE_MANY_TYPE
    kept = {n for n, r in graph.nodes.items() if r.type not in (MERGE_TYPE, MERGE_MANY_TYPE)}
    assert set(tidy.nodes) == kept | {"scene"}
    want, got = bake_graph(graph), bake_graph(tidy)
    assert sorted(want) == sorted(got) and want.kinds == got.kinds
    for name in want:
        np.testing.assert_array_equal(got[name], want[name])
    json.loads(mgraph.dumps(tidy))  # saves


@pytest.mark.parametrize("path", STARTERS, ids=lambda p: p.stem)
def test_layout_reads_left_to_right_without_overlaps(path: Path):
    graph = tidy_graph(mgraph.load(path))
    pos = {n: r.ui["pos"] for n, r in graph.nodes.items()}
    assert pos == {n: list(p) for n, p in layered_layout(graph).items()}
    for edge in graph.edges:
        w, _ = estimated_size(graph, edge.src)
        assert pos[edge.src][0] + w < pos[edge.dst][0], edge  # every wire runs left to right
    boxes = {n: (*pos[n], *estimated_size(graph, n)) for n in graph.nodes}
    for a in boxes:
        for b in boxes:
            ax, ay, aw, ah = boxes[a]
            bx, by, bw, bh = boxes[b]
            if a < b:
                assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, (a, b)
    # the film look feeds no node (the bake writes it beside the host file): last column
    cols = columns_of(graph)
    assert cols["look"] == cols["scene"] == max(cols.values())
