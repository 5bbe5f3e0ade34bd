"""Left-to-right layered layout of a graph (the editor's Layout graph, and starters headless).

Columns are the longest path from a source, so every edge runs left to right; nodes with
no edges at all (a starter's film ``look``, read by the bake beside the channels) join the
last column, beside the outputs. Within a column nodes are ordered by the mean row of their
inputs (fewer crossings) and stacked by their heights, so no two overlap. Columns are
:data:`GAP_X` apart, closer (down to :data:`MIN_GAP_X`) when that keeps the graph within
:data:`FIT_WIDTH`, so a six-column starter still opens whole and legible. Heights and
widths come from ``size`` (the editor passes the drawn nodes' sizes) or, headless, from
:func:`estimated_size`, which follows the editor's drawing (NodeGraphQt's port pitch).
:func:`clear_place` finds a spot for a new node (a collapsed subgraph) clear of the others.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from moks_graph.graph import Graph

#: Gaps between columns and between nodes of one column (scene units).
GAP_X, GAP_Y = 60.0, 36.0
#: Closest columns get when a long chain would not fit :data:`FIT_WIDTH` otherwise.
MIN_GAP_X = 24.0
#: Widest graph the editor frames whole with 9-pt text >= 9 px (zoom 0.75) in its default
#: window: a 1600 x 1000 window leaves the graph view ~970 px wide, i.e. ~1290 scene units,
#: less the framing margins (scene units).
FIT_WIDTH = 1200.0
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
    sizes_of = {n: measure(n) for n in wanted}
    widths = [max(sizes_of[n][0] for n in ids) for _, ids in sorted(columns.items())]
    gap = column_gap(widths)
    out: dict[str, tuple[float, float]] = {}
    centre: dict[str, float] = {}
    x = 0.0
    for col in range(max(columns, default=-1) + 1):
        ids = columns.get(col, [])
        ids.sort(key=lambda n: (_mean_row(graph, n, centre), topo.get(n, -1), n))
        sizes = [sizes_of[n] for n in ids]
        y = -(sum(h for _, h in sizes) + GAP_Y * (len(ids) - 1)) / 2.0
        for n, (_, h) in zip(ids, sizes, strict=True):
            out[n] = (round(x), round(y))
            centre[n] = y + h / 2.0
            y += h + GAP_Y
        x += max((w for w, _ in sizes), default=0.0) + gap if ids else 0.0
    return out


def column_gap(widths: list[float]) -> float:
    """The gap between columns of these widths: :data:`GAP_X`, or less (not under
    :data:`MIN_GAP_X`) so that the columns span at most :data:`FIT_WIDTH`."""
    if len(widths) < 2:
        return GAP_X
    room = (FIT_WIDTH - sum(widths)) / (len(widths) - 1)
    return max(MIN_GAP_X, min(GAP_X, room))


Box = tuple[float, float, float, float]  # x, y, width, height


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def clear_place(box: Box, others: Iterable[Box]) -> tuple[float, float]:
    """Top-left of ``box`` moved up or down (x kept) as little as it takes to overlap none of
    ``others``, :data:`GAP_Y` from the nodes it would touch; ``box``'s own if already clear."""
    x, y, w, h = box
    padded = [(o[0], o[1] - GAP_Y, o[2], o[3] + 2 * GAP_Y) for o in others]
    tries = [y] + [o[1] - h for o in padded] + [o[1] + o[3] for o in padded]
    clear = [t for t in tries if not any(_overlaps((x, t, w, h), o) for o in padded)]
    return x, min(clear, key=lambda t: (abs(t - y), t))


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
