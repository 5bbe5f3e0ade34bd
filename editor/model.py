"""The editor's document: a view-model over one engine :class:`~moks_graph.Graph`.

Entry points: :class:`EditorDocument`.

Details (moved from this docstring, issue 15): docs/editor.md#editormodelpy
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import moks_graph as mg
from moks_graph.editor.qtcompat import QtCore, QtGui
from moks_graph.errors import GraphEditError, Problem, problem_path
from moks_graph.graph import Edge, Graph, NodeRecord, Settings
from moks_graph.migrations import MERGE_MANY_TYPE, MERGE_TYPE, collapse_merge_chains
from moks_graph.registry import Registry

Pos = tuple[float, float]


def _as_pos(pos: Sequence[float]) -> list[float | int]:
    """Positions are stored rounded to whole scene units (clean diffs)."""
    return [round(float(pos[0])), round(float(pos[1]))]


def require(graph: Graph, node_id: str) -> NodeRecord:
    """The node's record, or GraphEditError MG108 (as the engine's own edits report it)."""
    rec = graph.nodes.get(node_id)
    if rec is None:
        raise GraphEditError(Problem("MG108", f"no node {node_id!r}",
                                     problem_path("nodes", node_id), node_id))
    return rec


def describe(problems: Iterable[Problem]) -> str:
    """One line per problem: ``MG103 type-mismatch: message``."""
    return "\n".join(f"{p.code} {p.name}: {p.message}" for p in problems)


# -- operations: one reversible engine edit each --------------------------------------
class Op:
    """One reversible edit. ``apply`` goes through the engine API (may raise GraphEditError)."""

    def apply(self, doc: EditorDocument) -> None:
        raise NotImplementedError

    def revert(self, doc: EditorDocument) -> None:
        raise NotImplementedError


class AddNodeOp(Op):
    """``graph.add_node(type_id, node_id, params, ui)``; revert removes it."""

    def __init__(self, type_id: str, node_id: str | None, params: dict[str, Any] | None,
                 pos: Pos | None) -> None:
        self.type_id, self.node_id, self.params = type_id, node_id, dict(params or {})
        self.ui: dict[str, Any] = {"pos": _as_pos(pos)} if pos is not None else {}

    def apply(self, doc: EditorDocument) -> None:
        self.node_id = doc.graph.add_node(self.type_id, self.node_id, self.params, self.ui)
        doc.node_added.emit(self.node_id)

    def revert(self, doc: EditorDocument) -> None:
        assert self.node_id is not None
        doc.graph.remove_node(self.node_id)
        doc.node_removed.emit(self.node_id)


class RemoveNodeOp(Op):
    """``graph.remove_node``; revert restores the exact record (placeholders too) and edges."""

    def __init__(self, node_id: str) -> None:
        self.node_id = node_id
        self.record: NodeRecord | None = None
        self.edges: list[tuple[int, Edge]] = []
        self.subgraph: Any = None  # the subgraph it belonged to, as it was

    def apply(self, doc: EditorDocument) -> None:
        g = doc.graph
        rec = require(g, self.node_id)
        self.record = rec.clone()
        self.subgraph = next((s.clone() for s in g.subgraphs.values()
                              if self.node_id in s.members), None)
        self.edges = [(i, e) for i, e in enumerate(g.edges) if self.node_id in (e.src, e.dst)]
        g.remove_node(self.node_id)
        for _, e in self.edges:
            doc.edge_removed.emit(e)
        doc.node_removed.emit(self.node_id)

    def revert(self, doc: EditorDocument) -> None:
        assert self.record is not None
        rec = self.record
        doc.graph.insert_node(rec.clone())
        if self.subgraph is not None:
            doc.graph.subgraphs[self.subgraph.id] = self.subgraph.clone()
        doc.node_added.emit(rec.id)
        restore_edges(doc, self.edges)


def restore_edges(doc: EditorDocument, edges: list[tuple[int, Edge]]) -> None:
    """Re-insert edges that were removed, each at its former index in ``graph.edges``."""
    g = doc.graph
    g.insert_edges(e for _, e in edges)
    for index, e in sorted(edges):
        g.edges.remove(e)
        g.edges.insert(min(index, len(g.edges)), e)
    for _, e in edges:
        doc.edge_added.emit(e)


class ConnectOp(Op):
    """``graph.connect("a.out", "b.in")`` (refused on type mismatch, cycle, ...)."""

    def __init__(self, src: str, dst: str) -> None:
        self.src, self.dst = src, dst
        self.edge: Edge | None = None

    def apply(self, doc: EditorDocument) -> None:
        self.edge = doc.graph.connect(self.src, self.dst)
        doc.edge_added.emit(self.edge)

    def revert(self, doc: EditorDocument) -> None:
        assert self.edge is not None
        for e in doc.graph.disconnect(self.edge.dst, self.edge.dst_port):
            doc.edge_removed.emit(e)


class DisconnectOp(Op):
    """``graph.disconnect("b.in")``; revert puts the edges back at their indices."""

    def __init__(self, dst: str) -> None:
        self.dst = dst
        self.edges: list[tuple[int, Edge]] = []

    def apply(self, doc: EditorDocument) -> None:
        g = doc.graph
        node, _, port = self.dst.rpartition(".")
        self.edges = [(i, e) for i, e in enumerate(g.edges) if (e.dst, e.dst_port) == (node, port)]
        for e in g.disconnect(self.dst):
            doc.edge_removed.emit(e)

    def revert(self, doc: EditorDocument) -> None:
        restore_edges(doc, self.edges)


class SetParamsOp(Op):
    """``graph.set_params(node, params)``; revert restores the previous raw params exactly."""

    def __init__(self, node_id: str, params: dict[str, Any], field: str | None = None) -> None:
        self.node_id, self.params, self.field = node_id, params, field
        self.old: dict[str, Any] | None = None

    def apply(self, doc: EditorDocument) -> None:
        rec = require(doc.graph, self.node_id)
        self.old = copy.deepcopy(rec.params)
        doc.graph.set_params(self.node_id, copy.deepcopy(self.params))
        doc.params_changed.emit(self.node_id)

    def revert(self, doc: EditorDocument) -> None:
        rec = doc.graph.nodes[self.node_id]
        rec.params = copy.deepcopy(self.old or {})
        doc.graph.refresh(rec)  # the old params may have been invalid (as loaded): keep them
        doc.params_changed.emit(self.node_id)


class MoveOp(Op):
    """``graph.set_ui(node, pos=[x, y])`` for several nodes."""

    def __init__(self, moves: dict[str, tuple[Pos | None, Pos]]) -> None:
        self.moves = moves  # id -> (old, new)

    def _set(self, doc: EditorDocument, which: int) -> None:
        for node_id, positions in self.moves.items():
            rec = require(doc.graph, node_id)
            pos = positions[which]
            if pos is None:
                rec.ui.pop("pos", None)
            else:
                doc.graph.set_ui(node_id, pos=_as_pos(pos))
            doc.node_moved.emit(node_id)

    def apply(self, doc: EditorDocument) -> None:
        self._set(doc, 1)

    def revert(self, doc: EditorDocument) -> None:
        self._set(doc, 0)


class SettingsOp(Op):
    """Replace the graph settings (validated by the engine's Settings model)."""

    def __init__(self, changes: dict[str, Any]) -> None:
        self.changes = changes
        self.old: Settings | None = None

    def apply(self, doc: EditorDocument) -> None:
        from pydantic import ValidationError

        from moks_graph.validation import pydantic_problems

        self.old = doc.graph.settings
        data = {**self.old.model_dump(), **self.changes}
        try:
            doc.graph.settings = Settings.model_validate(data)
        except ValidationError as exc:
            raise GraphEditError(pydantic_problems(exc, ("settings",))) from None
        doc.settings_changed.emit()

    def revert(self, doc: EditorDocument) -> None:
        assert self.old is not None
        doc.graph.settings = self.old
        doc.settings_changed.emit()


# -- the undo command ------------------------------------------------------------------
_MERGE_ID = 0x4D4F4B53  # "MOKS": consecutive edits of one parameter merge (slider drags)


class EditCommand(QtGui.QUndoCommand):
    """Operations applied together; undo reverts them in reverse order."""

    def __init__(self, doc: EditorDocument, text: str, ops: list[Op],
                 merge_key: tuple[str, str] | None = None) -> None:
        super().__init__(text)
        self.doc, self.ops, self.merge_key = doc, ops, merge_key
        self._applied = True  # perform() applied the ops before pushing

    def id(self) -> int:
        return _MERGE_ID if self.merge_key is not None else -1

    def mergeWith(self, other: QtGui.QUndoCommand) -> bool:
        if not isinstance(other, EditCommand) or other.merge_key != self.merge_key:
            return False
        mine, theirs = self.ops[0], other.ops[0]
        assert isinstance(mine, SetParamsOp) and isinstance(theirs, SetParamsOp)
        mine.params = theirs.params  # keep our "old", take their "new"
        return True

    def redo(self) -> None:
        if self._applied:
            self._applied = False
            return
        with self.doc.batch():
            for op in self.ops:
                op.apply(self.doc)

    def undo(self) -> None:
        with self.doc.batch():
            for op in reversed(self.ops):
                op.revert(self.doc)


class _Batch:
    """Context manager: emits ``changed`` once when the outermost batch ends."""

    def __init__(self, doc: EditorDocument) -> None:
        self.doc = doc

    def __enter__(self) -> None:
        self.doc._depth += 1

    def __exit__(self, *exc: object) -> None:
        self.doc._depth -= 1
        if self.doc._depth == 0:
            if self.doc._quiet:
                self.doc._quiet = False
            else:
                self.doc.changed.emit()


class EditorDocument(QtCore.QObject):
    """One open graph: the engine Graph, its file path, undo stack and change signals."""

    #: a node was added / removed (id)
    node_added = QtCore.Signal(str)
    node_removed = QtCore.Signal(str)
    #: an edge was added / removed (:class:`~moks_graph.Edge`)
    edge_added = QtCore.Signal(object)
    edge_removed = QtCore.Signal(object)
    #: a node's params changed (id)
    params_changed = QtCore.Signal(str)
    #: a node's ui position changed (id)
    node_moved = QtCore.Signal(str)
    settings_changed = QtCore.Signal()
    #: a key of ``graph.meta`` changed (editor metadata such as backdrops)
    meta_changed = QtCore.Signal(str)
    #: after every edit, undo or redo (once per command)
    changed = QtCore.Signal()
    #: a new graph replaced the old one (new/open)
    reset = QtCore.Signal()
    #: an edit was refused: (message, problems)
    refused = QtCore.Signal(str, list)
    modified_changed = QtCore.Signal(bool)
    path_changed = QtCore.Signal(str)

    def __init__(self, graph: Graph | None = None, path: str | None = None,
                 registry: Registry | None = None, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.registry = registry if registry is not None else (
            graph.registry if graph is not None else mg.default_registry())
        self.graph: Graph = graph if graph is not None else Graph(registry=self.registry)
        self.path: str | None = path
        #: problems the graph itself cannot report: node plugins that failed to load (MG130)
        self.load_problems = self._plugin_problems()
        self.undo_stack = QtGui.QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._clean_changed)
        self._depth = 0
        self._quiet = False

    def _plugin_problems(self) -> list[Problem]:
        return [Problem("MG130", str(err)) for err in self.registry.errors]

    def _clean_changed(self, clean: bool) -> None:
        self.modified_changed.emit(not clean)

    # -- file ------------------------------------------------------------------------
    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def display_name(self) -> str:
        return Path(self.path).name if self.path else "untitled.mgraph"

    def new(self, settings: Settings | None = None) -> None:
        """An empty graph (settings default)."""
        self._replace(Graph(settings, self.registry), None)

    def adopt(self, graph: Graph) -> list[Problem]:
        """Show ``graph`` as a new, unsaved document (e.g. compiled from prose); its problems."""
        self._replace(graph, None)
        return self.problems()

    def open(self, path: str | Path) -> list[Problem]:
        """Load a file with the engine's loader; returns its problems (the graph opens anyway).

        Raises :class:`~moks_graph.GraphFileError` only when the file is not a graph at all.
        Unknown node types become placeholders that save back unchanged.
        """
        graph = mg.load(path, self.registry)
        self._replace(graph, str(path))
        return self.problems()

    def save(self, path: str | Path | None = None) -> None:
        """Write with the engine's canonical serializer (atomic); marks the document clean."""
        target = str(path) if path is not None else self.path
        if target is None:
            raise ValueError("path: the document has no file yet; give a path to save to")
        mg.save(self.graph, target)
        if target != self.path:
            self.path = target
            self.path_changed.emit(target)
        self.undo_stack.setClean()

    def _replace(self, graph: Graph, path: str | None) -> None:
        self.graph = graph
        self.path = path
        self.load_problems = self._plugin_problems()
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.reset.emit()
        self.path_changed.emit(path or "")
        self.modified_changed.emit(False)
        self.changed.emit()

    def problems(self) -> list[Problem]:
        """Plugin load failures plus everything :meth:`Graph.validate` reports."""
        return [*self.load_problems, *self.graph.validate()]

    # -- edits -----------------------------------------------------------------------
    def batch(self) -> _Batch:
        return _Batch(self)

    def perform(self, text: str, ops: list[Op], merge_key: tuple[str, str] | None = None) -> bool:
        """Apply ``ops`` through the engine; push one undo command, or refuse and roll back."""
        done: list[Op] = []
        with self.batch():
            try:
                for op in ops:
                    op.apply(self)
                    done.append(op)
            except GraphEditError as exc:
                for op in reversed(done):
                    op.revert(self)
                self._quiet = True
                self.refused.emit(f"{text} refused: {describe(exc.problems)}", exc.problems)
                return False
        self.undo_stack.push(EditCommand(self, text, ops, merge_key))
        return True

    def add_node(self, type_id: str, pos: Pos | None = None, params: dict[str, Any] | None = None,
                 node_id: str | None = None) -> str | None:
        """Add a node; returns its id, or None when refused."""
        op = AddNodeOp(type_id, node_id, params, pos)
        return op.node_id if self.perform(f"add {type_id}", [op]) else None

    def remove_nodes(self, node_ids: Iterable[str]) -> bool:
        ids = [n for n in node_ids if n in self.graph.nodes]
        if not ids:
            return False
        label = f"delete {ids[0]}" if len(ids) == 1 else f"delete {len(ids)} nodes"
        return self.perform(label, [RemoveNodeOp(n) for n in ids])

    def connect(self, src: str, dst: str) -> bool:
        """Connect ``"a.out"`` to ``"b.in"``; an input already connected is rewired."""
        ops: list[Op] = [DisconnectOp(dst)] if self._connected(dst) else []
        ops.append(ConnectOp(src, dst))
        return self.perform(f"connect {src} -> {dst}", ops)

    def rewire(self, disconnect: Iterable[str], connect: Iterable[tuple[str, str]]) -> bool:
        """Several disconnections and connections as one undoable step (a pipe dragged)."""
        pending = [d for d in dict.fromkeys(disconnect) if self._connected(d)]
        ops: list[Op] = [DisconnectOp(d) for d in pending]
        for src, dst in connect:
            if dst not in pending and self._connected(dst):
                ops.append(DisconnectOp(dst))
                pending.append(dst)
            ops.append(ConnectOp(src, dst))
        if not ops:
            return False
        pairs = list(connect)
        label = (f"connect {pairs[0][0]} -> {pairs[0][1]}" if len(pairs) == 1 else
                 "rewire" if pairs else "disconnect")
        return self.perform(label, ops)

    def _connected(self, dst: str) -> bool:
        node, _, port = dst.rpartition(".")
        return any(e.dst_port == port for e in self.graph.edges_into(node))

    def disconnect(self, dst: str) -> bool:
        if not self._connected(dst):
            return False
        return self.perform(f"disconnect {dst}", [DisconnectOp(dst)])

    def set_param(self, node_id: str, name: str, value: Any, merge: bool = False) -> bool:
        """Set one parameter (validated by the node's pydantic model)."""
        rec = self.graph.nodes.get(node_id)
        if rec is None:
            self.refused.emit(f"no node {node_id!r}", [])
            return False
        params = {**copy.deepcopy(rec.params), name: value}
        return self.perform(f"set {node_id}.{name}", [SetParamsOp(node_id, params, name)],
                            (node_id, name) if merge else None)

    def reset_param(self, node_id: str, name: str) -> bool:
        rec = self.graph.nodes.get(node_id)
        if rec is None or name not in rec.params:
            return False
        params = {k: v for k, v in rec.params.items() if k != name}
        return self.perform(f"reset {node_id}.{name}", [SetParamsOp(node_id, params, name)])

    def move_nodes(self, moves: dict[str, Pos]) -> bool:
        """Record new ui positions (the canvas has already drawn them)."""
        changes: dict[str, tuple[Pos | None, Pos]] = {}
        for node_id, pos in moves.items():
            rec = self.graph.nodes.get(node_id)
            if rec is None:
                continue
            old = rec.ui.get("pos")
            old_pos = (float(old[0]), float(old[1])) if old else None
            if old_pos is None or _as_pos(old_pos) != _as_pos(pos):
                changes[node_id] = (old_pos, pos)
        if not changes:
            return False
        label = f"move {next(iter(changes))}" if len(changes) == 1 else f"move {len(changes)} nodes"
        return self.perform(label, [MoveOp(changes)])

    def compact_merges(self) -> bool:
        """Collapse chains of two-input merges into ``moks.channels.merge_many`` nodes (one undo
        step; :func:`moks_graph.migrations.collapse_merge_chains`, the same channels)."""
        old = self.graph.nodes
        doc = collapse_merge_chains(mg.mgraph.to_document(self.graph))
        new = {n: r for n, r in doc["nodes"].items() if r.get("type") == MERGE_MANY_TYPE
               and (n not in old or old[n].type != MERGE_MANY_TYPE)}
        gone = [n for n, r in old.items() if r.type == MERGE_TYPE
                and (n not in doc["nodes"] or n in new)]
        if not new:
            return False
        ops: list[Op] = [RemoveNodeOp(n) for n in gone]
        ops += [AddNodeOp(MERGE_MANY_TYPE, n, {}, r["ui"].get("pos")) for n, r in new.items()]
        ops += [ConnectOp(".".join(e["from"]), ".".join(e["to"])) for e in doc["edges"]
                if e["from"][0] in new or e["to"][0] in new]
        return self.perform(f"compact {len(gone)} merges", ops)

    def set_settings(self, **changes: Any) -> bool:
        return self.perform("graph settings", [SettingsOp(changes)])
