"""Undoable document operations for the everyday tools (issue 18): paste, bypass, meta.

Each is an :class:`~moks_graph.editor.model.Op` applied through the engine's edit API
(validated, refused with the engine's message) and reverted exactly.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from moks_graph.editor.model import EditorDocument, Op, require
from moks_graph.graph import NodeRecord


class InsertRecordOp(Op):
    """Add a node as a whole record (params, ui, bypass) under its id; placeholders verbatim."""

    def __init__(self, record: NodeRecord) -> None:
        self.record = record

    def apply(self, doc: EditorDocument) -> None:
        rec, g = self.record, doc.graph
        if rec.raw is not None or g.registry.get(rec.type) is None:
            if rec.id in g.nodes:
                g.add_node(rec.type, rec.id)  # raises the engine's duplicate-id refusal
            g.insert_node(rec.clone())  # unknown type: kept and saved back unchanged
        else:
            g.add_node(rec.type, rec.id, copy.deepcopy(rec.params), copy.deepcopy(rec.ui))
            if rec.bypass:
                g.set_bypass(rec.id, True)
        doc.node_added.emit(rec.id)

    def revert(self, doc: EditorDocument) -> None:
        doc.graph.remove_node(self.record.id)
        doc.node_removed.emit(self.record.id)


class BypassOp(Op):
    """``graph.set_bypass`` on several nodes (refused with MG117 where it cannot pass through)."""

    def __init__(self, node_ids: list[str], bypass: bool) -> None:
        self.node_ids, self.bypass = node_ids, bypass
        self.old: dict[str, bool] = {}

    def apply(self, doc: EditorDocument) -> None:
        for node_id in self.node_ids:
            self.old[node_id] = require(doc.graph, node_id).bypass
        for node_id in self.node_ids:
            doc.graph.set_bypass(node_id, self.bypass)
            doc.params_changed.emit(node_id)

    def revert(self, doc: EditorDocument) -> None:
        for node_id, was in self.old.items():
            rec = doc.graph.nodes[node_id]
            rec.bypass = was
            doc.graph.refresh(rec)
            doc.params_changed.emit(node_id)


class SetMetaOp(Op):
    """Replace one key of ``graph.meta`` (None removes it); revert restores the old value."""

    def __init__(self, key: str, value: Any) -> None:
        self.key, self.value = key, copy.deepcopy(value)
        self.old: Any = None
        self.had = False

    def apply(self, doc: EditorDocument) -> None:
        meta = doc.graph.meta
        self.had, self.old = self.key in meta, copy.deepcopy(meta.get(self.key))
        if self.value is None:
            meta.pop(self.key, None)
        else:
            meta[self.key] = copy.deepcopy(self.value)
        doc.meta_changed.emit(self.key)

    def revert(self, doc: EditorDocument) -> None:
        if self.had:
            doc.graph.meta[self.key] = copy.deepcopy(self.old)
        else:
            doc.graph.meta.pop(self.key, None)
        doc.meta_changed.emit(self.key)


class SetKeysOp(Op):
    """``graph.set_keys(node, param, curve)`` (None removes the keys); revert restores them."""

    def __init__(self, node_id: str, param: str, curve: dict[str, Any] | None) -> None:
        self.node_id, self.param, self.curve = node_id, param, copy.deepcopy(curve)
        self.old: dict[str, Any] | None = None

    def apply(self, doc: EditorDocument) -> None:
        self.old = copy.deepcopy(require(doc.graph, self.node_id).keys.get(self.param))
        doc.graph.set_keys(self.node_id, self.param, copy.deepcopy(self.curve))
        doc.params_changed.emit(self.node_id)

    def revert(self, doc: EditorDocument) -> None:
        rec = doc.graph.nodes[self.node_id]
        rec.keys = {k: v for k, v in rec.keys.items() if k != self.param}
        if self.old is not None:
            rec.keys[self.param] = copy.deepcopy(self.old)
        doc.graph.refresh(rec)
        doc.params_changed.emit(self.node_id)


class CollapseOp(Op):
    """:func:`moks_graph.subgraphs.collapse` a selection; revert dissolves it. ``place``
    (given the new subgraph's id) returns the ui its node gets instead of the engine's."""

    def __init__(self, node_ids: list[str], title: str = "",
                 place: Callable[[str], dict[str, Any]] | None = None) -> None:
        self.node_ids, self.title, self.place = node_ids, title, place
        self.sub_id: str | None = None

    def apply(self, doc: EditorDocument) -> None:
        from moks_graph import subgraphs

        self.sub_id = subgraphs.collapse(doc.graph, self.node_ids, self.sub_id, self.title)
        if self.place is not None:
            sub = doc.graph.subgraphs[self.sub_id]
            sub.ui = {**sub.ui, **self.place(self.sub_id)}

    def revert(self, doc: EditorDocument) -> None:
        assert self.sub_id is not None
        doc.graph.subgraphs.pop(self.sub_id, None)


class DissolveOp(Op):
    """Expand a subgraph back into its nodes; revert collapses it again (same id, title, ui)."""

    def __init__(self, sub_id: str) -> None:
        self.sub_id = sub_id
        self.old: Any = None

    def apply(self, doc: EditorDocument) -> None:
        from moks_graph import subgraphs

        self.old = subgraphs.dissolve(doc.graph, self.sub_id)

    def revert(self, doc: EditorDocument) -> None:
        doc.graph.subgraphs[self.sub_id] = self.old.clone()


class SubgraphUiOp(Op):
    """Set a subgraph's ui (its node's position on the canvas)."""

    def __init__(self, sub_id: str, ui: dict[str, Any]) -> None:
        self.sub_id, self.ui = sub_id, copy.deepcopy(ui)
        self.old: dict[str, Any] = {}

    def apply(self, doc: EditorDocument) -> None:
        sub = doc.graph.subgraphs[self.sub_id]
        self.old, sub.ui = sub.ui, copy.deepcopy(self.ui)

    def revert(self, doc: EditorDocument) -> None:
        doc.graph.subgraphs[self.sub_id].ui = copy.deepcopy(self.old)


class AddSubgraphOp(Op):
    """Insert a subgraph as it is (pasted: members already added); revert removes it."""

    def __init__(self, sub: Any) -> None:
        self.sub = sub

    def apply(self, doc: EditorDocument) -> None:
        from moks_graph import subgraphs

        subgraphs.collapse(doc.graph, list(self.sub.members), self.sub.id, self.sub.title)
        doc.graph.subgraphs[self.sub.id].ui = copy.deepcopy(self.sub.ui)

    def revert(self, doc: EditorDocument) -> None:
        doc.graph.subgraphs.pop(self.sub.id, None)
