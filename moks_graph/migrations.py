"""Migrations: pure functions from one schema version of ``.mgraph`` to the next.

``SCHEMA_MIGRATIONS[v]`` upgrades a raw document of schema ``v`` to ``v + 1``.
Per-node-type migrations live on the node class (``Node.migrations``) and run
after the schema is current. Every migration has a fixture test in
``tests/fixtures``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

SCHEMA_VERSION = 2

Document = dict[str, Any]


def _v1_to_v2(doc: Document) -> Document:
    """Schema 1 (prototype) -> 2.

    Schema 1 kept settings at the top level (``fps``, ``range: [start, end]``,
    ``seed``), nodes as a list of ``{id, type, version, params, pos}``, and
    edges as strings ``"a.out -> b.in"``. Schema 2 nests ``settings``, keys
    nodes by id, and writes edges as ``{from: [node, port], to: [node, port]}``.
    """
    old = copy.deepcopy(doc)
    start, end = old.get("range", [1, 240])
    settings = {"fps": old.get("fps", 24.0), "frame_start": start, "frame_end": end,
                "seed": old.get("seed", 0), "subframes": old.get("subframes", 1)}
    nodes: dict[str, Any] = {}
    for item in old.get("nodes", []):
        ui = {"pos": item["pos"]} if "pos" in item else {}
        nodes[item["id"]] = {"type": item["type"], "type_version": item.get("version", 1),
                             "params": item.get("params", {}), "ui": ui}
    edges = []
    for text in old.get("connections", []):
        src, dst = (part.strip() for part in text.split("->"))
        s_node, s_port = src.rsplit(".", 1)
        d_node, d_port = dst.rsplit(".", 1)
        edges.append({"from": [s_node, s_port], "to": [d_node, d_port]})
    out: Document = {"schema_version": 2, "settings": settings, "nodes": nodes, "edges": edges}
    if "meta" in old:
        out["meta"] = old["meta"]
    return out


SCHEMA_MIGRATIONS: dict[int, Callable[[Document], Document]] = {1: _v1_to_v2}


def schema_version_of(doc: Document) -> Any:
    """Schema 1 files called the field ``version``."""
    if "schema_version" in doc:
        return doc["schema_version"]
    return doc.get("version")


def migrate_document(doc: Document) -> Document:
    """Upgrade a raw document to :data:`SCHEMA_VERSION` (caller checks the version is known)."""
    version = schema_version_of(doc)
    while version < SCHEMA_VERSION:
        doc = SCHEMA_MIGRATIONS[version](doc)
        version = doc["schema_version"]
    return doc


def migrate_params(
    migrations: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] | Any,
    from_version: int,
    to_version: int,
    params: dict[str, Any],
) -> dict[str, Any]:
    """Run a node type's param migrations ``from_version -> to_version``."""
    out = copy.deepcopy(params)
    for v in range(from_version, to_version):
        step = migrations.get(v)
        if step is None:
            raise KeyError(f"no migration from version {v} to {v + 1}")
        out = step(out)
    return out


MERGE_TYPE = "moks.channels.merge"
MERGE_MANY_TYPE = "moks.channels.merge_many"
#: Inputs of one ``moks.channels.merge_many`` node.
MERGE_MANY_INPUTS = 8


def _merge_chains(doc: Document) -> list[list[str]]:
    """Chains of two-input merges, first to last: each but the last feeds only the next's ``a``."""
    nodes, edges = doc.get("nodes", {}), doc.get("edges", [])
    merges = {n for n, rec in nodes.items() if isinstance(rec, dict)
              and rec.get("type") == MERGE_TYPE and not rec.get("bypass")}
    users: dict[str, list[Any]] = {n: [] for n in merges}
    for e in edges:
        if e["from"][0] in users:
            users[e["from"][0]].append(e["to"])
    after = {n: to[0][0] for n, to in users.items()
             if len(to) == 1 and to[0][0] in merges and to[0][1] == "a" and to[0][0] != n}
    before = {v: k for k, v in after.items()}
    chains = []
    for last in sorted(merges - set(after)):
        chain = [last]
        while chain[0] in before:
            chain.insert(0, before[chain[0]])
        if len(chain) > 1:
            chains.append(chain)
    return chains


def collapse_merge_chains(doc: Document) -> Document:
    """A schema-2 document with each chain of two-input ``moks.channels.merge`` nodes replaced
    by ``moks.channels.merge_many`` nodes (eight inputs each) computing the same channels.

    ``merge(merge(a, b), c)`` is ``merge_many(a, b, c)`` exactly (the same merges in the same
    order). The chain's last node keeps its id, ui and outgoing edges; the others go. A chain
    with more inputs than one node has becomes several, each feeding the next's ``in_1``.
    Chains whose first ``a`` is unconnected, bypassed merges and merges inside subgraph nodes
    are left as they are. Pure: the input is not modified.
    """
    out = copy.deepcopy(doc)
    nodes, edges = out.get("nodes", {}), out.get("edges", [])
    source = {(e["to"][0], e["to"][1]): e["from"] for e in edges}
    for chain in _merge_chains(out):
        feeds = [source.get((chain[0], "a"))]
        feeds += [source[(m, "b")] for m in chain if (m, "b") in source]
        if feeds[0] is None:
            continue
        gone = set(chain)
        edges[:] = [e for e in edges if e["to"][0] not in gone
                    and (e["from"][0] not in gone or e["from"][0] == chain[-1])]
        for m in chain[:-1]:
            del nodes[m]
        last = chain[-1]
        groups, previous = [], None
        while feeds:  # the earlier merge_many nodes are named after the chain's last
            take = MERGE_MANY_INPUTS - (previous is not None)
            groups.append(([previous] if previous else []) + feeds[:take])
            feeds = feeds[take:]
            previous = [f"{last}_{len(groups)}", "channels"] if feeds else None
        for k, group in enumerate(groups):
            node_id = last if k == len(groups) - 1 else f"{last}_{k + 1}"
            ui = nodes[last].get("ui", {}) if node_id == last else {}
            nodes[node_id] = {"params": {}, "type": MERGE_MANY_TYPE, "type_version": 1,
                              "ui": copy.deepcopy(ui)}
            edges += [{"from": list(src), "to": [node_id, f"in_{i}"]}
                      for i, src in enumerate(group, 1)]
    return out
