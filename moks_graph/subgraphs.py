"""Subgraphs: a selection collapsed into one node with exposed ports, nested in the file.

Entry points: :func:`collapse`, :func:`dissolve`, :func:`expand_document`,
:func:`nest_document`.

Details (moved from this docstring, issue 15): docs/file-format.md#moks_graphsubgraphspy
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from moks_graph.errors import GraphEditError, GraphFileError, Problem, problem_path

if TYPE_CHECKING:
    from moks_graph.graph import Edge, Graph

#: The node type of a subgraph in the file.
SUBGRAPH_TYPE = "moks.subgraph"
SUBGRAPH_VERSION = 1
_SUB_KEYS = {"nodes", "edges", "inputs", "outputs"}


@dataclass
class Subgraph:
    """A collapsed group: its title, member node ids and editor ui (position)."""

    id: str
    title: str = ""
    members: tuple[str, ...] = ()
    ui: dict[str, Any] = field(default_factory=dict)

    def clone(self) -> Subgraph:
        return Subgraph(self.id, self.title, self.members, copy.deepcopy(self.ui))


# -- exposed ports ----------------------------------------------------------------------
def exposed_ports(graph: Graph, sub_id: str) -> tuple[dict[str, list[tuple[str, str]]],
                                                        dict[str, tuple[str, str]]]:
    """``(inputs, outputs)`` of a subgraph, derived from the edges crossing its boundary.

    One exposed input per outside source (named after the first inner input it feeds,
    ``_2``... on a clash); one exposed output per inner output read from outside (named
    after it, prefixed with its node on a clash). Deterministic: sorted by inner port.
    """
    members = set(graph.subgraphs[sub_id].members)
    by_source: dict[tuple[str, str], list[tuple[str, str]]] = {}
    outs: list[tuple[str, str]] = []
    for e in graph.edges:
        inside_src, inside_dst = e.src in members, e.dst in members
        if inside_dst and not inside_src:
            by_source.setdefault((e.src, e.src_port), []).append((e.dst, e.dst_port))
        elif inside_src and not inside_dst and (e.src, e.src_port) not in outs:
            outs.append((e.src, e.src_port))
    inputs: dict[str, list[tuple[str, str]]] = {}
    for targets in sorted(sorted(t) for t in by_source.values()):
        inputs[_free_name(targets[0][1], inputs)] = targets
    outputs: dict[str, tuple[str, str]] = {}
    for node, port in sorted(outs):
        name = port if port not in outputs else _free_name(f"{node}_{port}", outputs)
        outputs[name] = (node, port)
    return inputs, outputs


def _free_name(base: str, taken: dict[str, Any]) -> str:
    if base not in taken:
        return base
    n = 2
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}"


# -- edits --------------------------------------------------------------------------------
def collapse(graph: Graph, node_ids: list[str], sub_id: str | None = None,
             title: str = "") -> str:
    """Group ``node_ids`` into a new subgraph (nothing else changes); returns its id."""
    members = tuple(sorted(dict.fromkeys(node_ids)))
    problems = []
    grouped = {m for s in graph.subgraphs.values() for m in s.members}
    for n in members:
        if n not in graph.nodes:
            problems.append(Problem("MG108", f"no node {n!r}", problem_path("nodes", n), n))
        elif n in grouped:
            problems.append(Problem("MG110", f"node {n!r} is already in a subgraph",
                                    problem_path("nodes", n), n))
    if not members:
        problems.append(Problem("MG108", "select nodes to collapse into a subgraph"))
    sub_id = sub_id or _new_sub_id(graph)
    if sub_id in graph.nodes or sub_id in graph.subgraphs:
        problems.append(Problem("MG109", f"id {sub_id!r} already exists",
                                problem_path("nodes", sub_id), sub_id))
    if problems:
        raise GraphEditError(problems)
    ui = _proxy_ui(graph, members)
    graph.subgraphs[sub_id] = Subgraph(sub_id, title or sub_id, members, ui)
    return sub_id


def _proxy_ui(graph: Graph, members: tuple[str, ...]) -> dict[str, Any]:
    """Where the subgraph node goes: at its most upstream placed member (first in topological
    order), whose place the collapse frees, so it covers no other node and its pipes still
    run downstream (a mean of the members' positions can land on a node outside)."""
    order = {n: i for i, n in enumerate(graph.topological_order())}
    placed = [n for n in members if graph.nodes[n].ui.get("pos")]
    if not placed:
        return {}
    first = min(placed, key=lambda n: (order.get(n, len(order)), n))
    return {"pos": [round(v) for v in graph.nodes[first].ui["pos"]]}


def dissolve(graph: Graph, sub_id: str) -> Subgraph:
    """Remove a subgraph (its members stay in the graph, as before collapsing)."""
    if sub_id not in graph.subgraphs:
        raise GraphEditError(Problem("MG108", f"no subgraph {sub_id!r}"))
    return graph.subgraphs.pop(sub_id)


def _new_sub_id(graph: Graph) -> str:
    n = 1
    while f"subgraph{n}" in graph.nodes or f"subgraph{n}" in graph.subgraphs:
        n += 1
    return f"subgraph{n}"


# -- file ---------------------------------------------------------------------------------
def _bad(source: str, message: str, sub_id: str, *where: str) -> GraphFileError:
    return GraphFileError(Problem("MG110", f"subgraph {sub_id!r}: {message}",
                                  problem_path("nodes", sub_id, "subgraph", *where), sub_id,
                                  "subgraph"), source)


def _ref(value: Any) -> tuple[str, str] | None:
    if (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, str) for v in value)):
        return value[0], value[1]
    return None


def expand_document(doc: dict[str, Any], source: str) -> tuple[dict[str, Any],
                                                                   dict[str, Subgraph]]:
    """A schema-2 document with its subgraph nodes lifted out, and the subgraphs.

    Documents without subgraph nodes are returned unchanged (the same object).
    Raises :class:`~moks_graph.errors.GraphFileError` naming the subgraph and field.
    """
    nodes = doc.get("nodes")
    if not isinstance(nodes, dict) or not any(
            isinstance(n, dict) and n.get("type") == SUBGRAPH_TYPE for n in nodes.values()):
        return doc, {}
    out = dict(doc)
    flat: dict[str, Any] = {}
    subs: dict[str, Subgraph] = {}
    inner_edges: list[Any] = []
    port_in: dict[tuple[str, str], list[tuple[str, str]]] = {}
    port_out: dict[tuple[str, str], tuple[str, str]] = {}
    for sub_id, node in nodes.items():
        if not (isinstance(node, dict) and node.get("type") == SUBGRAPH_TYPE):
            flat.setdefault(sub_id, node)
            continue
        body = node.get("subgraph")
        if not isinstance(body, dict) or set(body) - _SUB_KEYS:
            raise _bad(source, f"'subgraph' must be an object with {sorted(_SUB_KEYS)}", sub_id)
        unknown = sorted(set(node) - {"type", "type_version", "params", "ui", "subgraph"})
        if unknown:
            raise _bad(source, f"unknown field(s) {unknown}", sub_id)
        if node.get("type_version") != SUBGRAPH_VERSION:
            raise _bad(source, f"type_version must be {SUBGRAPH_VERSION}", sub_id)
        params = node.get("params", {})
        title = params.get("title", "") if isinstance(params, dict) else None
        if not isinstance(title, str) or set(params) - {"title"}:
            raise _bad(source, "params must be {\"title\": text}", sub_id)
        members = body.get("nodes", {})
        if not isinstance(members, dict) or not members:
            raise _bad(source, "'nodes' must be a non-empty object", sub_id, "nodes")
        for inner_id, inner in members.items():
            if inner_id in nodes or inner_id in flat:
                raise GraphFileError(Problem(
                    "MG109", f"subgraph {sub_id!r}: inner node id {inner_id!r} is also used "
                    "outside it (or in another subgraph)",
                    problem_path("nodes", sub_id, "subgraph", "nodes", inner_id), inner_id),
                    source)
            if isinstance(inner, dict) and inner.get("type") == SUBGRAPH_TYPE:
                raise _bad(source, "nested subgraphs are not supported", sub_id, "nodes",
                           inner_id)
            flat[inner_id] = inner
        edges = body.get("edges", [])
        if not isinstance(edges, list):
            raise _bad(source, "'edges' must be a list", sub_id, "edges")
        inner_edges += edges
        inputs, outputs = body.get("inputs", {}), body.get("outputs", {})
        if not isinstance(inputs, dict) or not isinstance(outputs, dict):
            raise _bad(source, "'inputs' and 'outputs' must be objects", sub_id)
        for port, targets in inputs.items():
            refs = [_ref(t) for t in targets] if isinstance(targets, list) else [None]
            if not refs or None in refs or any(r[0] not in members for r in refs):  # type: ignore[index]
                raise _bad(source, f"input {port!r} must list [inner node, port] pairs of its "
                           "members", sub_id, "inputs", port)
            port_in[(sub_id, port)] = refs  # type: ignore[assignment]
        for port, target in outputs.items():
            ref = _ref(target)
            if ref is None or ref[0] not in members:
                raise _bad(source, f"output {port!r} must be [inner node, port] of a member",
                           sub_id, "outputs", port)
            port_out[(sub_id, port)] = ref
        ui = node.get("ui", {})
        subs[sub_id] = Subgraph(sub_id, title, tuple(sorted(members)),
                                dict(ui) if isinstance(ui, dict) else {})
    rewired: list[Any] = []
    for i, edge in enumerate(doc.get("edges", [])):
        src = _ref(edge.get("from")) if isinstance(edge, dict) else None
        dst = _ref(edge.get("to")) if isinstance(edge, dict) else None
        if src is None or dst is None:
            rewired.append(edge)  # the schema check words it
            continue
        if src[0] in subs:
            if src not in port_out:
                raise _bad(source, f"edge {i} reads output {src[1]!r}, which it does not "
                           "expose", src[0], "outputs")
            src = port_out[src]
        targets = [dst]
        if dst[0] in subs:
            if dst not in port_in:
                raise _bad(source, f"edge {i} feeds input {dst[1]!r}, which it does not "
                           "expose", dst[0], "inputs")
            targets = port_in[dst]
        rewired += [{"from": [src[0], src[1]], "to": [t[0], t[1]]} for t in targets]
    out["nodes"] = flat
    out["edges"] = rewired + inner_edges
    return out, subs


def nest_document(doc: dict[str, Any], graph: Graph) -> dict[str, Any]:
    """The saved form of a flat document: each subgraph's members nested in its node."""
    if not graph.subgraphs:
        return doc
    nodes = dict(doc["nodes"])
    owner: dict[str, str] = {}
    bodies: dict[str, dict[str, Any]] = {}
    for sub_id, sub in sorted(graph.subgraphs.items()):
        members = [m for m in sub.members if m in nodes]
        if not members:
            continue
        inputs, outputs = exposed_ports(graph, sub_id)
        body = {"nodes": {m: nodes.pop(m) for m in members}, "edges": [],
                "inputs": {p: [list(t) for t in ts] for p, ts in inputs.items()},
                "outputs": {p: list(t) for p, t in outputs.items()}}
        for m in members:
            owner[m] = sub_id
        bodies[sub_id] = body
        nodes[sub_id] = {"params": {"title": sub.title}, "subgraph": body,
                         "type": SUBGRAPH_TYPE, "type_version": SUBGRAPH_VERSION, "ui": sub.ui}
    edges: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str, str]] = set()
    for e in graph.edges:
        s_sub, d_sub = owner.get(e.src), owner.get(e.dst)
        if s_sub is not None and s_sub == d_sub:
            bodies[s_sub]["edges"].append(e.to_json())
            continue
        src = [e.src, e.src_port] if s_sub is None else [s_sub, _port_of_output(
            bodies[s_sub], e)]
        dst = [e.dst, e.dst_port] if d_sub is None else [d_sub, _port_of_input(
            bodies[d_sub], e)]
        if (src[0], src[1], dst[0], dst[1]) not in seen:
            seen.add((src[0], src[1], dst[0], dst[1]))
            edges.append({"from": src, "to": dst})
    return {**doc, "nodes": nodes, "edges": edges}


def _port_of_output(body: dict[str, Any], e: Edge) -> str:
    return next(p for p, t in body["outputs"].items() if t == [e.src, e.src_port])


def _port_of_input(body: dict[str, Any], e: Edge) -> str:
    return next(p for p, ts in body["inputs"].items() if [e.dst, e.dst_port] in ts)
