"""Graph fragments: a selection of nodes and the edges among them, as ``.mgraph`` text.

Entry points: :func:`extract`, :func:`dumps`, :func:`loads`, :func:`paste_plan`.

Details (moved from this docstring, issue 15): docs/file-format.md#moks_graphfragmentspy
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from moks_graph import mgraph
from moks_graph.graph import Edge, Graph, NodeRecord
from moks_graph.registry import Registry
from moks_graph.subgraphs import Subgraph

#: The key of ``meta`` that marks a document as a fragment.
FRAGMENT_KEY = "fragment"
#: The clipboard MIME type of a fragment (the text is also offered as plain text).
FRAGMENT_MIME = "application/x-moks-mgraph-fragment"

_TRAILING_DIGITS = re.compile(r"\d+$")


def extract(graph: Graph, node_ids: Iterable[str]) -> Graph:
    """A new graph holding copies of ``node_ids`` and the edges among them (same settings)."""
    wanted = [n for n in dict.fromkeys(node_ids) if n in graph.nodes]
    if not wanted:
        raise ValueError("nothing to copy: no node of the graph is selected")
    part = Graph(graph.settings.model_copy(), graph.registry,
                 {FRAGMENT_KEY: {"nodes": len(wanted)}})
    keep = set(wanted)
    part.insert_nodes([graph.nodes[n].clone() for n in wanted])
    part.insert_edges(e for e in graph.edges if e.src in keep and e.dst in keep)
    part.subgraphs = {sub_id: sub.clone() for sub_id, sub in graph.subgraphs.items()
                      if set(sub.members) <= keep}  # whole subgraphs travel collapsed
    return part


def dumps(graph: Graph, node_ids: Iterable[str]) -> str:
    """The canonical ``.mgraph`` text of the fragment :func:`extract` makes."""
    return mgraph.dumps(extract(graph, node_ids))


def loads(text: str | bytes, registry: Registry | None = None,
          source: str = "<clipboard>") -> Graph:
    """Read a fragment (or a whole ``.mgraph`` document) with the file loader.

    Raises :class:`~moks_graph.errors.GraphFileError` when the text is not a graph.
    """
    return mgraph.loads(text, source, registry)


def is_fragment_text(text: str) -> bool:
    """Whether ``text`` looks like ``.mgraph`` JSON (cheap test before :func:`loads`)."""
    head = text.lstrip()[:4096]
    return head.startswith("{") and '"nodes"' in text and "schema_version" in text


@dataclass(frozen=True)
class PastePlan:
    """What pasting a fragment inserts: records (new ids, offset positions) and edges."""

    records: tuple[NodeRecord, ...]
    edges: tuple[Edge, ...]
    ids: Mapping[str, str]  # fragment id -> id in the target graph
    subgraphs: tuple[Subgraph, ...] = ()  # with new ids, members renamed, offset


def unique_id(node_id: str, taken: set[str]) -> str:
    """``node_id`` if free, else its stem (trailing digits dropped) with the first free number."""
    if node_id not in taken:
        return node_id
    stem = _TRAILING_DIGITS.sub("", node_id) or "node"
    n = 1
    while f"{stem}{n}" in taken:
        n += 1
    return f"{stem}{n}"


def paste_plan(fragment: Graph, taken: Iterable[str],
               offset: tuple[float, float] = (40.0, 40.0)) -> PastePlan:
    """Records, edges and subgraphs to insert ``fragment`` into a graph whose node and
    subgraph ids are ``taken``."""
    used = set(taken)
    ids: dict[str, str] = {}
    records = []
    for old in sorted(fragment.nodes):
        new = unique_id(old, used)
        used.add(new)
        ids[old] = new
        rec = fragment.nodes[old].clone(new)
        pos = rec.ui.get("pos")
        if isinstance(pos, list | tuple) and len(pos) == 2:
            rec.ui["pos"] = [round(float(pos[0]) + offset[0]), round(float(pos[1]) + offset[1])]
        records.append(rec)
    edges = tuple(Edge(ids[e.src], e.src_port, ids[e.dst], e.dst_port) for e in fragment.edges
                  if e.src in ids and e.dst in ids)
    subs = []
    for old in sorted(fragment.subgraphs):
        new = unique_id(old, used)
        used.add(new)
        sub = fragment.subgraphs[old].clone()
        sub.id, sub.members = new, tuple(sorted(ids[m] for m in sub.members if m in ids))
        pos = sub.ui.get("pos")
        if isinstance(pos, list | tuple) and len(pos) == 2:
            sub.ui["pos"] = [round(float(pos[0]) + offset[0]), round(float(pos[1]) + offset[1])]
        subs.append(sub)
    return PastePlan(tuple(records), edges, ids, tuple(subs))
