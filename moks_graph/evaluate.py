"""Deterministic evaluation in topological order, through the content-addressed cache.

Each node's cache key is ``SHA-256(static key, (input port, upstream key,
upstream port)..., declared context variables)``, where the static key covers
type id, type version and validated params (:meth:`Graph.refresh`). A node that
declares ``seed`` also keys on its node id, since its random streams do.
Editing one parameter therefore changes the keys of that node and its
descendants only: everything else is a cache hit.

Outputs whose branch is valid evaluate even when another branch is invalid;
the problems of the invalid branch are returned with the result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from moks_graph import codec
from moks_graph.cache import DiskCache, MemoryCache
from moks_graph.channels import Channels
from moks_graph.errors import EvaluationError, Problem, problem_path
from moks_graph.graph import Graph
from moks_graph.node import Node, NodeContext
from moks_graph.timebase import TimeArray, time_array
from moks_graph.validation import broken_nodes, validate

Progress = Callable[[int, int, str], None]


@dataclass
class EvalResult:
    """Output values by ``"node.port"``, problems, and what was computed vs reused."""

    values: dict[str, Any]
    problems: list[Problem]
    computed: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, ref: str) -> Any:
        if ref not in self.values:
            related = [p for p in self.problems if p.node and ref.startswith(p.node + ".")]
            raise EvaluationError(related or [Problem("MG120", f"no value for {ref!r}")])
        return self.values[ref]

    @property
    def ok(self) -> bool:
        return not self.problems


def _non_finite(value: Any) -> str | None:
    """The name of the first non-finite part of a value, or None."""
    if isinstance(value, Channels):
        for name, arr in value.values.items():
            if not np.isfinite(arr).all():
                return f"channel {name!r}"
        return None
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fc" and not np.isfinite(value).all():
            return "array"
        return None
    if isinstance(value, float) and not np.isfinite(value):
        return "value"
    if isinstance(value, Mapping):
        for k, v in value.items():
            bad = _non_finite(v)
            if bad:
                return f"{k!r} {bad}"
    return None


class Evaluator:
    """Evaluates graphs through a memory cache and an optional shared disk cache."""

    def __init__(self, cache: MemoryCache | None = None, disk: DiskCache | None = None) -> None:
        self.cache = cache if cache is not None else MemoryCache()
        self.disk = disk
        self._instances: dict[type[Node], Node] = {}

    def _instance(self, cls: type[Node]) -> Node:
        inst = self._instances.get(cls)
        if inst is None:
            inst = self._instances[cls] = cls()
        return inst

    def evaluate(
        self,
        graph: Graph,
        outputs: Iterable[str] | None = None,
        *,
        frames: tuple[int, int] | None = None,
        subframes: int | None = None,
        progress: Progress | None = None,
        problems: list[Problem] | None = None,
    ) -> EvalResult:
        """Evaluate ``outputs`` (``"node.port"``; default: every output of every node)."""
        s = graph.settings
        start, end = frames if frames is not None else (s.frame_start, s.frame_end)
        sub = subframes if subframes is not None else s.subframes
        try:
            time = time_array(start, end, s.fps, sub)
        except ValueError as exc:
            raise EvaluationError(Problem("MG131", str(exc), problem_path("settings"))) from exc
        problems = validate(graph) if problems is None else problems
        broken = broken_nodes(graph, problems)
        wanted, missing = self._targets(graph, outputs)
        problems = problems + missing
        needed: set[str] = set()
        for node_id in wanted:
            needed.add(node_id)
            needed |= nx.ancestors(graph.topology, node_id)
        order = [n for n in nx.lexicographical_topological_sort(graph.topology.subgraph(
            needed - broken)) if n in graph.nodes]
        context_parts = {
            "frame": f"frame:{start}:{end}:{sub}:{s.fps!r}".encode(),
            "fps": f"fps:{s.fps!r}".encode(),
        }
        result = EvalResult({}, problems)
        keys: dict[str, bytes] = {}
        values: dict[str, Mapping[str, Any]] = {}
        for i, node_id in enumerate(order):
            if progress is not None:
                progress(i, len(order), node_id)
            outs = self._run_node(graph, node_id, time, context_parts, keys, values, result)
            if outs is None:
                continue
            values[node_id] = outs
        if progress is not None:
            progress(len(order), len(order), "")
        for node_id, outs in values.items():
            result.keys[node_id] = keys[node_id].hex()
            for port, value in outs.items():
                result.values[f"{node_id}.{port}"] = value
        if outputs is not None:
            requested = set(outputs)
            result.values = {k: v for k, v in result.values.items() if k in requested}
        return result

    def _targets(
        self, graph: Graph, outputs: Iterable[str] | None
    ) -> tuple[set[str], list[Problem]]:
        if outputs is None:
            return set(graph.nodes), []
        wanted, problems = set(), []
        for ref in outputs:
            node_id, _, port = ref.rpartition(".")
            cls = graph.node_class(node_id) if node_id in graph.nodes else None
            if node_id not in graph.nodes:
                problems.append(Problem("MG108", f"output {ref!r}: no node {node_id!r}", "$.nodes"))
            elif cls is not None and port not in cls.outputs:
                problems.append(Problem("MG108", f"output {ref!r}: node {node_id!r} has no output "
                                        f"{port!r}; outputs are {sorted(cls.outputs)}",
                                        problem_path("nodes", node_id), node_id))
            else:
                wanted.add(node_id)
        return wanted, problems

    def _run_node(
        self,
        graph: Graph,
        node_id: str,
        time: TimeArray,
        context_parts: dict[str, bytes],
        keys: dict[str, bytes],
        values: dict[str, Mapping[str, Any]],
        result: EvalResult,
    ) -> Mapping[str, Any] | None:
        record = graph.nodes[node_id]
        cls = graph.registry.get(record.type)
        assert cls is not None and record.validated is not None
        h = hashlib.sha256(record.static_key)
        inputs: dict[str, Any] = {}
        for edge in sorted(graph.edges_into(node_id), key=lambda e: e.dst_port):
            upstream = values.get(edge.src)
            if upstream is None:  # upstream failed while computing
                return None
            h.update(f"|{edge.dst_port}<{edge.src_port}@".encode() + keys[edge.src])
            src_cls = graph.registry.get(graph.nodes[edge.src].type)
            assert src_cls is not None
            src_type = src_cls.outputs[edge.src_port].type
            inputs[edge.dst_port] = cls.inputs[edge.dst_port].type.coerce(
                upstream[edge.src_port], src_type)
        for port, spec in cls.inputs.items():
            if port not in inputs:
                inputs[port] = spec.default
        for var in ("frame", "fps"):
            if var in cls.reads:
                h.update(context_parts[var])
        if "seed" in cls.reads:
            h.update(f"seed:{graph.settings.seed}:{node_id}".encode())
        key = h.digest()
        keys[node_id] = key
        outs = self.cache.get(key)
        if outs is None and self.disk is not None:
            outs = self.disk.get(key)
            if outs is not None:
                self.cache.put(key, outs)
        if outs is not None:
            result.reused.append(node_id)
            return outs
        ctx = NodeContext(node_id, cls.reads, time, graph.settings.seed)
        path = problem_path("nodes", node_id)
        try:
            outs = dict(self._instance(cls).compute(ctx, record.validated, **inputs))
        except Exception as exc:
            result.problems.append(Problem("MG120", f"node {node_id!r} ({cls.type_id}) failed: "
                                           f"{type(exc).__name__}: {exc}", path, node_id))
            return None
        for port, spec in cls.outputs.items():
            if port not in outs or not spec.type.check(outs[port]):
                got = type(outs.get(port)).__name__ if port in outs else "nothing"
                result.problems.append(Problem("MG120", f"node {node_id!r} output {port!r} "
                                               f"should be {spec.type}, got {got}",
                                               path, node_id, port))
                return None
            bad = _non_finite(outs[port])
            if bad:
                result.problems.append(Problem("MG121", f"node {node_id!r} output {port!r}: "
                                               f"{bad} contains NaN or Inf", path, node_id, port))
                return None
        outs = {p: outs[p] for p in cls.outputs}
        self.cache.put(key, outs)
        if self.disk is not None:
            self.disk.put(key, outs)
        result.computed.append(node_id)
        return outs


_DEFAULT: Evaluator | None = None


def default_evaluator() -> Evaluator:
    """The process-wide evaluator (memory cache; ``MOKS_CACHE_DIR`` adds a disk cache)."""
    import os

    global _DEFAULT
    if _DEFAULT is None:
        folder = os.environ.get("MOKS_CACHE_DIR")
        _DEFAULT = Evaluator(disk=DiskCache(folder) if folder else None)
    return _DEFAULT


def output_digests(result: EvalResult) -> dict[str, str]:
    """Canonical SHA-256 of every output value: equal across machines and processes."""
    return {ref: codec.digest(v) for ref, v in sorted(result.values.items())}
