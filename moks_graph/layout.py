"""Left-to-right layered layout of a graph (the editor's Layout graph, and starters headless).

Columns are the longest path from a source, so every edge runs left to right; nodes with
no edges at all (a starter's film ``look``, read by the bake beside the channels) join the
last column, beside the outputs. Within a column nodes are ordered by the mean row of their
inputs (fewer crossings) and stacked by their heights, so no two overlap. Heights and
widths come from ``size`` (the editor passes the drawn nodes' sizes) or, headless, from
:func:`estimated_size`, which follows the editor's drawing (NodeGraphQt's port pitch).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from moks_graph.graph import Graph

#: Gaps between columns and between nodes of one column (scene units).
GAP_X, GAP_Y = 60.0, 36.0
#: The editor's node drawing: title band, port pitch, width (scene units at 1:1).
NODE_HEAD, PORT_PITCH, NODE_WIDTH = 26.0, 23.1, 180.0

Size = Callable[[str], tuple[float, float]]


def estimated_size(graph: Graph, node_id: str) -> tuple[float, float]:
    """Width and height the editor draws a node at: its title band plus one row per port."""
    cls = graph.node_class(node_id)
    ports = max(len(cls.inputs), len(cls.outputs), 1) if cls is not None else 2
    return NODE_WIDTH, max(60.0, NODE_HEAD + PORT_PITCH * ports)


def columns_of(graph: Graph) -> dict[str, int]:
    """Each node's column: the longest path from a source; isolated nodes in the last."""
    order = graph.topological_order()
    rank: dict[str, int] = {}
    for n in order:
        rank[n] = max((rank.get(e.src, 0) + 1 for e in graph.edges_into(n)), default=0)
    for n in graph.nodes:
        rank.setdefault(n, 0)  # nodes on a cycle
    last = max(rank.values(), default=0)
    for n in graph.nodes:
        if not graph.edges_into(n) and not graph.edges_from(n):
            rank[n] = last
    return rank


def layered_layout(graph: Graph, only: Iterable[str] | None = None,
                   size: Size | None = None) -> dict[str, tuple[float, float]]:
    """Top-left positions of ``only`` (default: every node), column by column, centred on y=0."""
    measure = size or (lambda n: estimated_size(graph, n))
    rank = columns_of(graph)
    topo = {n: i for i, n in enumerate(graph.topological_order())}
    wanted = set(graph.nodes if only is None else only)
    columns: dict[int, list[str]] = defaultdict(list)
    for n in sorted(wanted, key=lambda n: (rank[n], topo.get(n, -1), n)):
        columns[rank[n]].append(n)
    out: dict[str, tuple[float, float]] = {}
    centre: dict[str, float] = {}
    x = 0.0
    for col in range(max(columns, default=-1) + 1):
        ids = columns.get(col, [])
        ids.sort(key=lambda n: (_mean_row(graph, n, centre), topo.get(n, -1), n))
        sizes = [measure(n) for n in ids]
        y = -(sum(h for _, h in sizes) + GAP_Y * (len(ids) - 1)) / 2.0
        for n, (_, h) in zip(ids, sizes, strict=True):
            out[n] = (round(x), round(y))
            centre[n] = y + h / 2.0
            y += h + GAP_Y
        x += max((w for w, _ in sizes), default=0.0) + GAP_X if ids else 0.0
    return out


def _mean_row(graph: Graph, node_id: str, centre: dict[str, float]) -> float:
    rows = [centre[e.src] for e in graph.edges_into(node_id) if e.src in centre]
    return sum(rows) / len(rows) if rows else 0.0


def tidy_graph(graph: Graph) -> Graph:
    """A copy of ``graph`` with its merge chains collapsed
    (:func:`~moks_graph.migrations.collapse_merge_chains`) and laid out by
    :func:`layered_layout`: the same channels, bit for bit, read left to right."""
    from moks_graph import mgraph
    from moks_graph.migrations import collapse_merge_chains

    doc = collapse_merge_chains(mgraph.to_document(graph))
    tidy = mgraph.loads(mgraph.canonical_text(doc), graph.source or "<tidy>", graph.registry)
    for node_id, (x, y) in layered_layout(tidy).items():
        tidy.nodes[node_id].ui["pos"] = [x, y]
    tidy.source = graph.source
    return tidy
