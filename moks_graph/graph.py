"""The graph model: nodes by stable id, typed edges, settings; topology in networkx.

Every edit runs the checks of :mod:`moks_graph.validation` that a file load
runs, and is refused with :class:`~moks_graph.errors.GraphEditError` when it
would add a problem. The one exception is a required input that is not yet
connected: that is the normal state of a graph being built, and is reported by
:meth:`Graph.validate`.
"""

from __future__ import annotations

import copy
import hashlib
import heapq
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import networkx as nx
from pydantic import BaseModel, ConfigDict, Field, model_validator

from moks_graph import validation
from moks_graph.errors import GraphEditError, MoksError, Problem, problem_path
from moks_graph.frames import FRAME_MAX, FRAME_MIN, MIN_FPS
from moks_graph.registry import Registry, default_registry
from moks_graph.timelimit import ComputeTimeout

if TYPE_CHECKING:
    from moks_graph.evaluate import EvalResult
    from moks_graph.node import Node
    from moks_graph.subgraphs import Subgraph

_NODE_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


class Settings(BaseModel):
    """Graph settings: frame rate, frame range, sub-frame samples, seed."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    fps: float = Field(24.0, ge=MIN_FPS, le=1000, description="frames per second")
    frame_start: int = Field(1, ge=FRAME_MIN, le=FRAME_MAX, description="first frame")
    frame_end: int = Field(240, ge=FRAME_MIN, le=FRAME_MAX, description="last frame (inclusive)")
    subframes: int = Field(1, ge=1, le=64, description="samples per frame (motion blur)")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="graph seed for every random stream")

    @model_validator(mode="after")
    def _range(self) -> Settings:
        if self.frame_end < self.frame_start:
            raise ValueError(f"frame_end {self.frame_end} is before frame_start {self.frame_start}")
        return self


class Edge(NamedTuple):
    """``src.src_port -> dst.dst_port``."""

    src: str
    src_port: str
    dst: str
    dst_port: str

    def __str__(self) -> str:
        return f"{self.src}.{self.src_port} -> {self.dst}.{self.dst_port}"

    def to_json(self) -> dict[str, list[str]]:
        return {"from": [self.src, self.src_port], "to": [self.dst, self.dst_port]}


@dataclass(slots=True)
class NodeRecord:
    """One node as stored: type, version, raw params (as written), ui data; exactly what the
    file holds (what the graph derives from it is its :class:`NodeState`).

    ``raw`` holds the node's whole original record for placeholders (unknown
    types, newer versions), which save back unchanged.
    """

    id: str
    type: str
    type_version: int = 1
    params: dict[str, Any] = field(default_factory=dict)
    ui: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] | None = None
    #: passes its first same-typed input through instead of computing (:mod:`moks_graph.bypass`)
    bypass: bool = False
    #: param -> ``{"interp", "keys": [[frame, value], ...]}`` (:mod:`moks_graph.keyframes`)
    keys: dict[str, Any] = field(default_factory=dict)

    @property
    def is_placeholder(self) -> bool:
        return self.raw is not None

    def to_json(self) -> dict[str, Any]:
        if self.raw is not None:
            return self.raw
        out = {"params": self.params, "type": self.type, "type_version": self.type_version,
               "ui": self.ui}
        if self.bypass:
            out["bypass"] = True
        if self.keys:
            out["keys"] = self.keys
        return out

    def clone(self, node_id: str | None = None) -> NodeRecord:
        """A deep copy of what is stored (params, ui, raw, bypass), optionally under a new id."""
        return NodeRecord(self.id if node_id is None else node_id, self.type, self.type_version,
                          copy.deepcopy(self.params), copy.deepcopy(self.ui),
                          copy.deepcopy(self.raw), self.bypass, copy.deepcopy(self.keys))


@dataclass(slots=True)
class NodeState:
    """What the graph derives from one node's record, replaced whenever the record is checked
    again (:meth:`Graph.refresh`): the validated params (None when invalid), the node's own
    problems, the revision its cache key was last invalidated at (params, bypass, keys or
    inputs changed) and its static key (computed on first use, :meth:`Graph.static_key`)."""

    validated: BaseModel | None
    problems: list[Problem]
    revision: int
    static_key: bytes = b""


def _static_key(record: NodeRecord, model: BaseModel) -> bytes:
    """SHA-256 of type, version and validated params: the node's own part of its cache key."""
    # the params as pydantic serializes the validated model: fields in declaration order,
    # the same bytes in every process for one node type version
    h = hashlib.sha256(f"{record.type}\0{record.type_version}\0".encode())
    if record.bypass:  # absent when off: keys of graphs without bypass are unchanged
        h.update(b"bypass\0")
    if record.keys:  # likewise for keyed params
        h.update(b"keys\0" + json.dumps(record.keys, sort_keys=True).encode())
    started = time.monotonic()
    cls = type(model)
    try:  # = model_dump_json(); a plugin's serializer may raise or loop
        if validation.plain_serializer(cls) or validation.is_builtin(cls):  # no plugin code
            h.update(cls.__pydantic_serializer__.to_json(model))
        else:
            with validation.plugin_guard(cls):
                h.update(cls.__pydantic_serializer__.to_json(model))
    except BaseException as exc:  # contained and reported
        limit = validation.plugin_check_limit(cls)
        late = limit is not None and time.monotonic() - started >= limit
        why = (f"did not finish in {limit:g} s (MOKS_PLUGIN_IMPORT_LIMIT)"
               if isinstance(exc, ComputeTimeout) or late  # pydantic wraps it
               else f"{type(exc).__name__}: {str(exc)[:500]}")
        raise MoksError(Problem(
            "MG116", f"node {record.id!r} ({record.type}): its parameters cannot be "
            f"serialized: {why}",
            problem_path("nodes", record.id, "params"), record.id, "params")) from None
    return h.digest()


@dataclass(slots=True)
class StructureCache:
    """What the graph derives from one structure (nodes and edges, not params), computed on
    first use; the next structural edit starts an empty one."""

    revision: int
    topo: list[str] | None = None
    networkx: nx.MultiDiGraph | None = None
    ancestors: dict[frozenset[str], frozenset[str]] = field(default_factory=dict)


#: What :meth:`Graph.evaluate` calls: the process-wide evaluator, installed by
#: :mod:`moks_graph.evaluate` with :func:`use_evaluator` (the model never imports its evaluator).
_EVALUATOR: Callable[..., EvalResult] | None = None


def use_evaluator(evaluate: Callable[..., EvalResult]) -> None:
    """Make ``evaluate(graph, outputs, **options)`` what :meth:`Graph.evaluate` runs."""
    global _EVALUATOR
    _EVALUATOR = evaluate


#: Ancestor sets kept per structure (the editor asks for a few output sets at a time).
_MAX_ANCESTOR_SETS = 64


def _split_port(ref: str) -> tuple[str, str]:
    node_id, dot, port = ref.rpartition(".")
    if not dot or not node_id or not port:
        raise GraphEditError(Problem("MG108", f"{ref!r} is not 'node.port'"))
    return node_id, port


class Graph:
    """A MOKS graph: settings, nodes, edges, and the registry that gives them meaning."""

    def __init__(
        self,
        settings: Settings | None = None,
        registry: Registry | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.registry = registry if registry is not None else default_registry()
        self.meta: dict[str, Any] = meta or {}
        self.nodes: dict[str, NodeRecord] = {}
        self.edges: list[Edge] = []
        #: collapsed groups by id (:mod:`moks_graph.subgraphs`); the nodes stay in ``nodes``
        self.subgraphs: dict[str, Subgraph] = {}
        self.source: str | None = None
        self._in: dict[str, list[Edge]] = {}
        self._out: dict[str, list[Edge]] = {}
        self._clock = 0
        #: bumped by every change of nodes or edges (not params): what derived caches key on
        #: (this graph's :class:`StructureCache`, validation's report, the evaluation plan)
        self.structure_revision = 0
        self._derived = StructureCache(0)
        #: each node's derived state, replaced by :meth:`refresh` (every record edit)
        self._states: dict[str, NodeState] = {}

    # -- queries -----------------------------------------------------------
    def node_class(self, node_id: str) -> type[Node] | None:
        return self.registry.get(self.nodes[node_id].type)

    def edges_into(self, node_id: str) -> list[Edge]:
        return self._in.get(node_id, [])

    def edges_from(self, node_id: str) -> list[Edge]:
        return self._out.get(node_id, [])

    def state(self, node_id: str) -> NodeState:
        """What the graph derives from the node's record (kept current by every edit)."""
        return self._states[node_id]

    def states(self) -> Iterator[NodeState]:
        """Every node's :class:`NodeState`, in node order."""
        return map(self._states.__getitem__, self.nodes)

    def validated(self, node_id: str) -> BaseModel | None:
        """The node's validated params model; None when its params (or type) are invalid."""
        return self._states[node_id].validated

    def problems(self, node_id: str) -> list[Problem]:
        """The node's own problems (type, version, params, bypass, keys; not its wiring)."""
        return self._states[node_id].problems

    def static_key(self, node_id: str) -> bytes:
        """The node's own part of its cache key (type, version, validated params, bypass,
        keys); empty when its params are invalid. MG116 when a plugin's params cannot be
        serialized."""
        state = self._states[node_id]
        if not state.static_key and state.validated is not None:
            state.static_key = _static_key(self.nodes[node_id], state.validated)
        return state.static_key

    def _structure(self) -> StructureCache:
        """The derived values of the current structure."""
        if self._derived.revision != self.structure_revision:
            self._derived = StructureCache(self.structure_revision)
        return self._derived

    def topological_order(self) -> list[str]:
        """Nodes in a stable topological order (ties by id); nodes on cycles are left out."""
        derived = self._structure()
        if derived.topo is None:
            derived.topo = self._topological_order()
        return derived.topo

    def _topological_order(self) -> list[str]:
        nodes, out = self.nodes, self._out
        indegree = dict.fromkeys(nodes, 0)
        for src, _, dst, _ in self.edges:
            if dst in indegree and src in nodes:
                indegree[dst] += 1
        ready = sorted(n for n, d in indegree.items() if d == 0)  # a sorted list is a heap
        order = []
        pop, push = heapq.heappop, heapq.heappush
        while ready:
            n = pop(ready)
            order.append(n)
            for _, _, dst, _ in out.get(n, ()):
                left = indegree.get(dst)
                if left is not None:
                    indegree[dst] = left - 1
                    if left == 1:
                        push(ready, dst)
        return order

    def ancestors(self, node_ids: Iterable[str]) -> frozenset[str]:
        """The nodes and everything upstream of them (kept per structure)."""
        wanted = frozenset(node_ids)
        known = self._structure().ancestors
        found = known.get(wanted)
        if found is None:
            if len(known) >= _MAX_ANCESTOR_SETS:
                known.clear()
            found = known[wanted] = frozenset(self._reach(wanted, self._in, lambda e: e.src))
        return found

    def _touch(self) -> None:
        self.structure_revision += 1

    def tick(self) -> int:
        self._clock += 1
        return self._clock

    @property
    def topology(self) -> nx.MultiDiGraph:
        """The wiring as a networkx multigraph (built on demand, kept per structure)."""
        derived = self._structure()
        if derived.networkx is None:
            derived.networkx = self._networkx()
        return derived.networkx

    def _networkx(self) -> nx.MultiDiGraph:
        dag = nx.MultiDiGraph()
        dag.add_nodes_from(self.nodes)
        dag.add_edges_from((e.src, e.dst, (e.src_port, e.dst_port), {"edge": e})
                           for e in self.edges)
        return dag

    def downstream(self, node_id: str) -> set[str]:
        """Every node fed (directly or not) by ``node_id``."""
        return self._reach([node_id], self._out, lambda e: e.dst) - {node_id}

    def path_between(self, src: str, dst: str) -> list[str] | None:
        """A path of node ids from ``src`` to ``dst`` along edges, or None."""
        parent: dict[str, str | None] = {src: None}
        stack = [src]
        while stack:
            n = stack.pop()
            if n == dst:
                path = [n]
                while parent[path[-1]] is not None:
                    path.append(parent[path[-1]])  # type: ignore[arg-type]
                return path[::-1]
            for e in self._out.get(n, []):
                if e.dst not in parent:
                    parent[e.dst] = n
                    stack.append(e.dst)
        return None

    @staticmethod
    def _reach(start: Iterable[str], adjacency: dict[str, list[Edge]],
               step: Callable[[Edge], str]) -> set[str]:
        seen = set(start)
        stack = list(seen)
        while stack:
            for e in adjacency.get(stack.pop(), []):
                nxt = step(e)
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    def validate(self) -> list[Problem]:
        """Every problem of the graph (see :mod:`moks_graph.validation`)."""
        return validation.validate(self)

    def new_id(self, base: str) -> str:
        stem = re.sub(r"[^A-Za-z0-9_]", "_", base.rsplit(".", 1)[-1]) or "node"
        if stem[0].isdigit():
            stem = "n_" + stem
        n = 1
        while f"{stem}{n}" in self.nodes or f"{stem}{n}" in self.subgraphs:
            n += 1
        return f"{stem}{n}"

    # -- low-level inserts used by the loader (no refusal) --------------------
    def insert_node(self, record: NodeRecord) -> None:
        self.nodes[record.id] = record
        self.refresh(record)
        self._touch()

    def insert_nodes(self, records: Sequence[NodeRecord]) -> None:
        """:meth:`insert_node` for many records (params validated per node type in bulk)."""
        stamp = self.tick()
        for record, checked in zip(records, validation.check_nodes(self, records), strict=True):
            self.nodes[record.id] = record
            self._states[record.id] = NodeState(*checked, stamp)
        self._touch()

    def insert_edge(self, edge: Edge) -> None:
        self.insert_edges([edge])

    def insert_edges(self, edges: Iterable[Edge]) -> None:
        stamp = self.tick()
        states, into, out_of = self._states, self._in, self._out
        for edge in edges:
            self.edges.append(edge)
            src, _, dst, _ = edge
            into.setdefault(dst, []).append(edge)
            out_of.setdefault(src, []).append(edge)
            state = states.get(dst)
            if state is not None:
                state.revision = stamp
        self._touch()

    def _rewired(self, node_id: str) -> None:
        """A node's inputs changed: its cache key (and its memo) must be recomputed."""
        if node_id in self._states:
            self._states[node_id].revision = self.tick()
        self._touch()

    def _drop_edge(self, edge: Edge) -> None:
        self.edges.remove(edge)
        self._in[edge.dst].remove(edge)
        self._out[edge.src].remove(edge)
        self._rewired(edge.dst)

    def refresh(self, record: NodeRecord) -> None:
        """Recompute a node's own problems and validated params (its :class:`NodeState`) after
        its record changed; bump its revision."""
        self._states[record.id] = NodeState(*validation.check_node(self, record), self.tick())

    # -- edits (validated, refused on new problems) ---------------------------
    def add_node(
        self,
        type_id: str,
        node_id: str | None = None,
        params: dict[str, Any] | None = None,
        ui: dict[str, Any] | None = None,
    ) -> str:
        """Add a node of a registered type; returns its id."""
        cls = self.registry.get(type_id)
        if cls is None:
            raise GraphEditError(Problem("MG101", f"unknown node type {type_id!r}",
                                         problem_path("nodes")))
        node_id = node_id or self.new_id(type_id)
        if not _NODE_ID.match(node_id):
            raise GraphEditError(Problem("MG110", f"node id {node_id!r} must be an identifier",
                                         problem_path("nodes", node_id), node_id))
        if node_id in self.nodes or node_id in self.subgraphs:
            raise GraphEditError(Problem("MG109", f"node id {node_id!r} already exists",
                                         problem_path("nodes", node_id), node_id))
        record = NodeRecord(node_id, type_id, cls.type_version, dict(params or {}), dict(ui or {}))
        _, problems = validation.check_node(self, record)
        if problems:
            raise GraphEditError(problems)
        self.insert_node(record)
        return node_id

    def remove_node(self, node_id: str) -> None:
        self._require(node_id)
        for e in [e for e in self.edges if node_id in (e.src, e.dst)]:
            self._drop_edge(e)
        self._in.pop(node_id, None)
        self._out.pop(node_id, None)
        del self.nodes[node_id]
        del self._states[node_id]
        for sub_id, sub in list(self.subgraphs.items()):
            if node_id in sub.members:
                sub.members = tuple(m for m in sub.members if m != node_id)
                if not sub.members:
                    del self.subgraphs[sub_id]
        self._touch()

    def connect(self, src: str, dst: str, src_port: str | None = None,
                dst_port: str | None = None) -> Edge:
        """Connect ``"a.out"`` to ``"b.in"`` (or ids plus port names)."""
        if src_port is None:
            src, src_port = _split_port(src)
        if dst_port is None:
            dst, dst_port = _split_port(dst)
        edge = Edge(src, src_port, dst, dst_port)
        problems = validation.check_edge(self, len(self.edges), edge)
        if not problems and any(e.dst_port == dst_port for e in self.edges_into(dst)):
            problems = [Problem("MG114", f"input {dst}.{dst_port} is already connected",
                                problem_path("nodes", dst), dst, dst_port)]
        loop = self.path_between(dst, src) if not problems else None
        if loop is not None:
            problems = [Problem("MG104", "edge would close the cycle: "
                                + " -> ".join([*loop, dst]), problem_path("edges"), dst)]
        if problems:
            raise GraphEditError(problems)
        self.insert_edge(edge)
        return edge

    def disconnect(self, dst: str, dst_port: str | None = None) -> list[Edge]:
        """Remove the edges into ``"b.in"``; returns what was removed."""
        if dst_port is None:
            dst, dst_port = _split_port(dst)
        gone = [e for e in self.edges_into(dst) if e.dst_port == dst_port]
        for e in gone:
            self._drop_edge(e)
        return gone

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        """Set one parameter; refused (and nothing changed) if the value is invalid."""
        self.set_params(node_id, {**self._require(node_id).params, name: value})

    def reset_param(self, node_id: str, name: str) -> None:
        """Back to the default value (the param is no longer written to the file)."""
        params = dict(self._require(node_id).params)
        params.pop(name, None)
        self.set_params(node_id, params)

    def _known(self, node_id: str, verb: str) -> tuple[NodeRecord, type]:
        """The node's record and class; MG101 when it is a placeholder of an unknown type
        (it cannot be ``verb``: edited, bypassed, keyed)."""
        record = self._require(node_id)
        cls = self.registry.get(record.type)
        if cls is None:
            raise GraphEditError(Problem("MG101", f"node {node_id!r} is a placeholder of unknown "
                                         f"type {record.type!r}; it cannot be {verb}",
                                         problem_path("nodes", node_id), node_id))
        return record, cls

    def set_params(self, node_id: str, params: dict[str, Any]) -> None:
        record, cls = self._known(node_id, "edited")
        _, problems = validation.check_params(node_id, cls, params)
        if problems:
            raise GraphEditError(problems)
        record.params = dict(params)
        self.refresh(record)

    def set_bypass(self, node_id: str, bypass: bool) -> None:
        """Turn a node's bypass on or off; refused (MG117) when no input can feed an output."""
        record, cls = self._known(node_id, "bypassed")
        if bypass:
            from moks_graph.bypass import bypass_problems

            problems = bypass_problems(node_id, cls)
            if problems:
                raise GraphEditError(problems)
        record.bypass = bool(bypass)
        self.refresh(record)

    def set_keys(self, node_id: str, param: str, curve: dict[str, Any] | None) -> None:
        """Drive ``param`` by keys (None: remove them); refused when the curve is invalid."""
        from moks_graph.keyframes import key_problems

        record, cls = self._known(node_id, "keyed")
        keys = {k: v for k, v in record.keys.items() if k != param}
        if curve is not None:
            keys[param] = copy.deepcopy(curve)
            problems = key_problems(node_id, cls, record.params, {param: keys[param]})
            if problems:
                raise GraphEditError(problems)
        record.keys = keys
        self.refresh(record)

    def set_ui(self, node_id: str, **ui: Any) -> None:
        self._require(node_id).ui.update(ui)

    def _require(self, node_id: str) -> NodeRecord:
        if node_id not in self.nodes:
            raise GraphEditError(Problem("MG108", f"no node {node_id!r}",
                                         problem_path("nodes", node_id), node_id))
        return self.nodes[node_id]

    # -- convenience --------------------------------------------------------
    def copy(self) -> Graph:
        g = Graph(self.settings.model_copy(), self.registry, copy.deepcopy(self.meta))
        for rec in self.nodes.values():
            g.insert_node(rec.clone())
        for e in self.edges:
            g.insert_edge(e)
        g.subgraphs = {k: s.clone() for k, s in self.subgraphs.items()}
        g.source = self.source
        return g

    def evaluate(self, outputs: Iterable[str] | None = None, **options: Any) -> EvalResult:
        """Evaluate with the process-wide cache (see :class:`moks_graph.evaluate.Evaluator`)."""
        if _EVALUATOR is None:  # moks_graph/__init__ loads the evaluator with the graph
            raise RuntimeError("import moks_graph.evaluate before evaluating a graph")
        return _EVALUATOR(self, outputs, **options)

    def __repr__(self) -> str:
        return f"<Graph {len(self.nodes)} nodes, {len(self.edges)} edges>"
