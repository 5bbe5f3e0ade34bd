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
