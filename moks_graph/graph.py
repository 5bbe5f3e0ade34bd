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
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx
from pydantic import BaseModel, ConfigDict, Field, model_validator

from moks_graph import validation
from moks_graph.codec import canonical_json
from moks_graph.errors import GraphEditError, Problem, problem_path
from moks_graph.registry import Registry, default_registry

if TYPE_CHECKING:
    from moks_graph.evaluate import EvalResult
    from moks_graph.node import Node

_NODE_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


class Settings(BaseModel):
    """Graph settings: frame rate, frame range, sub-frame samples, seed."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    fps: float = Field(24.0, gt=0, le=1000, description="frames per second")
    frame_start: int = Field(1, ge=-1_000_000, le=10_000_000, description="first frame")
    frame_end: int = Field(240, ge=-1_000_000, le=10_000_000, description="last frame (inclusive)")
    subframes: int = Field(1, ge=1, le=64, description="samples per frame (motion blur)")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="graph seed for every random stream")

    @model_validator(mode="after")
    def _range(self) -> Settings:
        if self.frame_end < self.frame_start:
            raise ValueError(f"frame_end {self.frame_end} is before frame_start {self.frame_start}")
        return self


@dataclass(frozen=True)
class Edge:
    """``src.src_port -> dst.dst_port``."""

    src: str
    src_port: str
    dst: str
    dst_port: str

    def __str__(self) -> str:
        return f"{self.src}.{self.src_port} -> {self.dst}.{self.dst_port}"

    def to_json(self) -> dict[str, list[str]]:
        return {"from": [self.src, self.src_port], "to": [self.dst, self.dst_port]}


@dataclass
class NodeRecord:
    """One node as stored: type, version, raw params (as written), ui data.

    ``raw`` holds the node's whole original record for placeholders (unknown
    types, newer versions), which save back unchanged.
    """

    id: str
    type: str
    type_version: int = 1
    params: dict[str, Any] = field(default_factory=dict)
    ui: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] | None = None
    # derived, kept current by Graph
    validated: BaseModel | None = None
    static_key: bytes = b""
    problems: list[Problem] = field(default_factory=list)

    @property
    def is_placeholder(self) -> bool:
        return self.raw is not None

    def to_json(self) -> dict[str, Any]:
        if self.raw is not None:
            return self.raw
        return {"params": self.params, "type": self.type, "type_version": self.type_version,
                "ui": self.ui}


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
        self.topology = nx.MultiDiGraph()
        self.source: str | None = None

    # -- queries -----------------------------------------------------------
    def node_class(self, node_id: str) -> type[Node] | None:
        return self.registry.get(self.nodes[node_id].type)

    def edges_into(self, node_id: str) -> list[Edge]:
        return [d["edge"] for *_, d in self.topology.in_edges(node_id, data=True)]

    def edges_from(self, node_id: str) -> list[Edge]:
        return [d["edge"] for *_, d in self.topology.out_edges(node_id, data=True)]

    def downstream(self, node_id: str) -> set[str]:
        return set(nx.descendants(self.topology, node_id))

    def validate(self) -> list[Problem]:
        """Every problem of the graph (see :mod:`moks_graph.validation`)."""
        return validation.validate(self)

    def new_id(self, base: str) -> str:
        stem = re.sub(r"[^A-Za-z0-9_]", "_", base.rsplit(".", 1)[-1]) or "node"
        if stem[0].isdigit():
            stem = "n_" + stem
        n = 1
        while f"{stem}{n}" in self.nodes:
            n += 1
        return f"{stem}{n}"

    # -- low-level inserts used by the loader (no refusal) --------------------
    def insert_node(self, record: NodeRecord) -> None:
        self.nodes[record.id] = record
        self.topology.add_node(record.id)
        self.refresh(record)

    def insert_edge(self, edge: Edge) -> None:
        self.edges.append(edge)
        for n in (edge.src, edge.dst):
            if n not in self.topology:
                self.topology.add_node(n)  # dangling: reported by validation
        self.topology.add_edge(edge.src, edge.dst, key=(edge.src_port, edge.dst_port), edge=edge)

    def refresh(self, record: NodeRecord) -> None:
        """Recompute a node's own problems, validated params and static cache key."""
        cls = self.registry.get(record.type)
        record.problems = validation.check_node(self, record)
        record.validated = None
        record.static_key = b""
        if cls is not None and not record.problems:
            model, _ = validation.check_params(record.id, cls, record.params)
            record.validated = model
            assert model is not None
            text = canonical_json(
                {"t": record.type, "v": record.type_version, "p": model.model_dump(mode="json")}
            )
            record.static_key = hashlib.sha256(text.encode()).digest()

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
        if node_id in self.nodes:
            raise GraphEditError(Problem("MG109", f"node id {node_id!r} already exists",
                                         problem_path("nodes", node_id), node_id))
        record = NodeRecord(node_id, type_id, cls.type_version, dict(params or {}), dict(ui or {}))
        problems = validation.check_node(self, record)
        if problems:
            raise GraphEditError(problems)
        self.insert_node(record)
        return node_id

    def remove_node(self, node_id: str) -> None:
        self._require(node_id)
        self.edges = [e for e in self.edges if node_id not in (e.src, e.dst)]
        self.topology.remove_node(node_id)
        del self.nodes[node_id]

    def connect(self, src: str, dst: str, src_port: str | None = None,
                dst_port: str | None = None) -> Edge:
        """Connect ``"a.out"`` to ``"b.in"`` (or ids plus port names)."""
        if src_port is None:
            src, src_port = _split_port(src)
        if dst_port is None:
            dst, dst_port = _split_port(dst)
        edge = Edge(src, src_port, dst, dst_port)
        problems = validation.check_edge(self, len(self.edges), edge)
        if not problems and any(e.dst == dst and e.dst_port == dst_port for e in self.edges):
            problems = [Problem("MG114", f"input {dst}.{dst_port} is already connected",
                                problem_path("nodes", dst), dst, dst_port)]
        if not problems and (src == dst or nx.has_path(self.topology, dst, src)):
            path = nx.shortest_path(self.topology, dst, src) if src != dst else [src]
            problems = [Problem("MG104", "edge would close the cycle: "
                                + " -> ".join([*path, dst]), problem_path("edges"), dst)]
        if problems:
            raise GraphEditError(problems)
        self.insert_edge(edge)
        return edge

    def disconnect(self, dst: str, dst_port: str | None = None) -> list[Edge]:
        """Remove the edges into ``"b.in"``; returns what was removed."""
        if dst_port is None:
            dst, dst_port = _split_port(dst)
        gone = [e for e in self.edges if e.dst == dst and e.dst_port == dst_port]
        for e in gone:
            self.edges.remove(e)
            self.topology.remove_edge(e.src, e.dst, key=(e.src_port, e.dst_port))
        return gone

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        """Set one parameter; refused (and nothing changed) if the value is invalid."""
        self.set_params(node_id, {**self._require(node_id).params, name: value})

    def reset_param(self, node_id: str, name: str) -> None:
        """Back to the default value (the param is no longer written to the file)."""
        params = dict(self._require(node_id).params)
        params.pop(name, None)
        self.set_params(node_id, params)

    def set_params(self, node_id: str, params: dict[str, Any]) -> None:
        record = self._require(node_id)
        cls = self.registry.get(record.type)
        if cls is None:
            raise GraphEditError(Problem("MG101", f"node {node_id!r} is a placeholder of unknown "
                                         f"type {record.type!r}; it cannot be edited",
                                         problem_path("nodes", node_id), node_id))
        _, problems = validation.check_params(node_id, cls, params)
        if problems:
            raise GraphEditError(problems)
        record.params = dict(params)
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
            g.insert_node(NodeRecord(rec.id, rec.type, rec.type_version, copy.deepcopy(rec.params),
                                     copy.deepcopy(rec.ui), copy.deepcopy(rec.raw)))
        for e in self.edges:
            g.insert_edge(e)
        g.source = self.source
        return g

    def evaluate(self, outputs: Iterable[str] | None = None, **options: Any) -> EvalResult:
        """Evaluate with the process-wide cache (see :class:`moks_graph.evaluate.Evaluator`)."""
        from moks_graph.evaluate import default_evaluator

        return default_evaluator().evaluate(self, outputs, **options)

    def __repr__(self) -> str:
        return f"<Graph {len(self.nodes)} nodes, {len(self.edges)} edges>"
