"""check_wiring's count over all edges gives the report of checking every node in turn
(issue 15): the same problems in the same order, the same sound edges and Channels counts.

The reference below is check_wiring as it was before it counted the inputs over all edges
(and the Channels outputs in a pass of its own); random rewirings of the starters (edges added
twice, to missing nodes, to ports that do not exist, between types that do not connect, into
cycles; edges dropped; nodes made placeholders) must agree with it.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from moks_graph import mgraph, validation
from moks_graph.graph import Edge, Graph, NodeRecord
from moks_graph.types import CHANNELS

GRAPHS = sorted((Path(__file__).resolve().parents[2] / "graphs").glob("*.mgraph"))


def reference(graph: Graph) -> tuple[list[Any], frozenset[Any], dict[str, int]]:
    """Every edge, then every node, checked in turn (check_wiring before issue 15's count)."""
    problems: list[Any] = []
    live = validation.live_classes(graph)
    sound: set[tuple[Any, ...]] = set()
    for index, edge in enumerate(graph.edges):
        src, src_port, dst, dst_port = edge
        ends = (live.get(src), src_port, live.get(dst), dst_port)
        if ends in sound:
            continue
        found = validation.check_edge(graph, index, edge, live)
        if found:
            problems += found
        elif ends[0] is not None and ends[2] is not None:
            sound.add(ends)
    counts: dict[str, int] = {}
    for node_id, cls in live.items():
        if cls is None:
            continue
        need = frozenset(p for p, s in cls.inputs.items() if s.required)
        count = sum(1 for s in cls.outputs.values() if s.type is CHANNELS)
        if count:
            counts[node_id] = count
        ports = [port for _, _, _, port in graph.edges_into(node_id)]
        if len(ports) == len(set(ports)) and need.issubset(ports):
            continue
        problems += validation.check_inputs(graph, graph.nodes[node_id], live)
    if len(graph.topological_order()) < len(graph.nodes):
        problems += validation.find_cycles(graph)
    return problems, frozenset(sound), counts


def agree(graph: Graph) -> list[Any]:
    report = validation.check_wiring(graph)
    problems, sound, counts = reference(graph)
    assert report.problems == problems
    assert report.sound == sound
    assert report.channel_outputs == counts and list(report.channel_outputs) == list(counts)
    return problems


@pytest.mark.parametrize("path", GRAPHS, ids=lambda p: p.stem)
def test_the_starters_agree(path):
    assert agree(mgraph.load(path)) == []


def _rewired(path: Path, seed: int) -> Graph:
    rng = random.Random(seed)
    graph = mgraph.load(path)
    ids = list(graph.nodes)
    ports = sorted({p for n in ids if (c := graph.node_class(n)) for p in (*c.inputs,
                                                                           *c.outputs)})
    for _ in range(rng.randint(1, 4)):
        what = rng.choice(["copy", "random", "ports", "missing", "drop", "placeholder"])
        if what == "copy" and graph.edges:  # an input connected twice (or an edge twice)
            edge = rng.choice(graph.edges)
            graph.insert_edges([edge if rng.random() < 0.5 else Edge(
                rng.choice(ids), edge.src_port, edge.dst, edge.dst_port)])
        elif what == "random":  # wrong ports, types that do not connect, cycles
            graph.insert_edges([Edge(rng.choice(ids), rng.choice(ports), rng.choice(ids),
                                     rng.choice(ports))])
        elif what == "ports":  # a real output into a real input: types may not connect
            src, dst = rng.choice(ids), rng.choice(ids)
            outs, ins = graph.node_class(src), graph.node_class(dst)
            if outs and ins and outs.outputs and ins.inputs:
                graph.insert_edges([Edge(src, rng.choice(sorted(outs.outputs)), dst,
                                         rng.choice(sorted(ins.inputs)))])
        elif what == "missing":
            ends = [rng.choice(ids), "ghost"]
            rng.shuffle(ends)
            graph.insert_edges([Edge(ends[0], "channels", ends[1], "channels")])
        elif what == "drop" and graph.edges:  # a required input left unconnected
            graph._drop_edge(rng.choice(graph.edges))
        elif what == "placeholder":
            node_id = rng.choice(ids)
            record = graph.nodes[node_id]
            raw = {"type": record.type, "type_version": 99, "params": {}, "ui": {}}
            graph.nodes[node_id] = NodeRecord(node_id, record.type, 99, {}, {}, raw)
    return graph


@pytest.mark.parametrize("seed", range(60))
def test_rewired_starters_agree(seed):
    graph = _rewired(GRAPHS[seed % len(GRAPHS)], seed)
    agree(graph)


def test_the_rewirings_reach_every_branch():
    """Not vacuous: the random rewirings give edge, type, input and cycle problems."""
    codes = set()
    for seed in range(60):
        codes |= {p.code for p in agree(_rewired(GRAPHS[seed % len(GRAPHS)], seed))}
    assert {"MG102", "MG103", "MG104", "MG108", "MG114"} <= codes
