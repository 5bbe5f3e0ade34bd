"""A track file becomes a graph's moving subject: what to add, rewire and remove.

Entry points: :func:`subject_wiring`, :func:`apply_subject_wiring`.

Details (moved from this docstring, issue 15): docs/moving-targets.md#hostssubject_wiringpy
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from moks_graph.graph import Graph
from moks_graph.types import CHANNELS

#: The node a track file becomes, the input it feeds and the scene merge type.
TRACK_TYPE = "moks.subject.track"
SUBJECT_PORT = "subject"
MERGE_TYPE = "moks.channels.merge_many"
#: Where the new node is drawn (left of the rigs, like the compiler's subject).
TRACK_POS = (-300.0, -320.0)


@dataclass(frozen=True)
class SubjectWiring:
    """The plan: the new node, the inputs to free first, the inputs it feeds, nodes to drop."""

    node_id: str
    params: dict[str, Any]
    disconnect: tuple[str, ...] = ()
    connect: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    pos: tuple[float, float] = field(default=TRACK_POS)


def free_id(graph: Graph, base: str) -> str:
    """``base``, or ``base_2``, ``base_3``... the first id the graph does not use."""
    node_id, n = base, 1
    while node_id in graph.nodes:
        n += 1
        node_id = f"{base}_{n}"
    return node_id


def subject_inputs(graph: Graph) -> list[str]:
    """``"node.subject"`` of every node with a Channels ``subject`` input."""
    out = []
    for node_id in sorted(graph.nodes):
        cls = graph.node_class(node_id)
        port = None if cls is None else cls.inputs.get(SUBJECT_PORT)
        if port is not None and port.type is CHANNELS:
            out.append(f"{node_id}.{SUBJECT_PORT}")
    return out


def free_merge_input(graph: Graph) -> str | None:
    """A free input of the scene merge (a ``merge_many`` that feeds nothing), or None."""
    for node_id in sorted(graph.nodes):
        if graph.nodes[node_id].type != MERGE_TYPE or graph.edges_from(node_id):
            continue
        taken = {e.dst_port for e in graph.edges_into(node_id)}
        cls = graph.node_class(node_id)
        free = [p for p in (cls.inputs if cls else {}) if p not in taken]
        if free:
            return f"{node_id}.{free[0]}"
    return None


def subject_wiring(graph: Graph, track_path: str | os.PathLike[str],
                   object_name: str = "subject", node_id: str = "scene_subject") -> SubjectWiring:
    """The plan that makes the track file ``track_path`` the subject of ``graph`` (module doc)."""
    old = {e.src for e in graph.edges if e.dst_port == SUBJECT_PORT}
    targets = set(subject_inputs(graph))
    targets |= {f"{e.dst}.{e.dst_port}" for e in graph.edges if e.src in old}
    merge = None if old else free_merge_input(graph)
    if merge:
        targets.add(merge)
    connected = {f"{e.dst}.{e.dst_port}" for e in graph.edges}
    kept = {e.src for e in graph.edges
            if e.src in old and f"{e.dst}.{e.dst_port}" not in targets}
    return SubjectWiring(free_id(graph, node_id),
                         {"path": os.fspath(track_path), "object_name": object_name},
                         tuple(sorted(targets & connected)), tuple(sorted(targets)),
                         tuple(sorted(old - kept)))


def apply_subject_wiring(graph: Graph, wiring: SubjectWiring) -> str:
    """Apply ``wiring`` to ``graph`` (add, free, connect, remove); returns the new node's id."""
    node_id = graph.add_node(TRACK_TYPE, wiring.node_id, wiring.params,
                             {"pos": list(wiring.pos)})
    for dst in wiring.disconnect:
        graph.disconnect(dst)
    for dst in wiring.connect:
        graph.connect(f"{node_id}.channels", dst)
    for gone in wiring.remove:
        graph.remove_node(gone)
    return node_id
