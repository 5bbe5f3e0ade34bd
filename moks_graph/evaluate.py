"""Deterministic evaluation in topological order, through the content-addressed cache.

Entry points: :class:`Evaluator`, :func:`evaluation_plan`, :func:`default_evaluator`.

Details (moved from this docstring, issue 15): docs/determinism.md#moks_graphevaluatepy
"""

from __future__ import annotations

import hashlib
import math
import operator
import os
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from pydantic import BaseModel

from moks_graph import codec
from moks_graph.bypass import pass_through
from moks_graph.cache import DiskCache, MemoryCache
from moks_graph.channels import Channels
from moks_graph.errors import EvaluationError, Problem, problem_path
from moks_graph.frames import work_problem
from moks_graph.graph import Graph, NodeRecord, use_evaluator
from moks_graph.keyframes import keyed_params
from moks_graph.mgraph import paused_gc
from moks_graph.node import Node, NodeContext
from moks_graph.timebase import TimeArray, time_array
from moks_graph.timelimit import (  # re-exported: the engine's one deadline
    TIME_LIMIT_ENV,
    ComputeTimeout,
    arm,
    deadline,
    disarm,
    node_time_limit,
)
from moks_graph.types import PortType
from moks_graph.validation import (
    WiringReport,
    broken_nodes,
    channel_outputs,
    is_builtin,
    live_classes,
    validate,
    wiring_report,
)

__all__ = ["TIME_LIMIT_ENV", "ComputeTimeout", "EvalResult", "Evaluator", "deadline",
           "default_evaluator", "evaluation_plan", "file_fingerprint", "node_time_limit",
           "output_digests"]

Progress = Callable[[int, int, str], None]
_MISSING = object()


class _Wire(NamedTuple):
    """One connected input: where its value comes from and how it is keyed."""

    port: str
    src: str
    src_port: str
    tag: bytes
    coerce: Callable[[Any], Any] | None


class _Step(NamedTuple):
    """What evaluating one node needs, derived once per graph structure."""

    cls: type[Node]
    wires: tuple[_Wire, ...]
    sources: tuple[str, ...]
    defaults: dict[str, Any]
    reads: frozenset[str]
    outputs: tuple[tuple[str, PortType], ...]
    files: tuple[str, ...] = ()


_DST_PORT = operator.itemgetter(3)  # Edge.dst_port
_Link = tuple[bytes, "Callable[[Any], Any] | None"]


def _coercion(dst: PortType, src: PortType) -> Callable[[Any], Any] | None:
    return None if dst.name == src.name else (lambda v: dst.coerce(v, src))


def _link(src_cls: type[Node], src_port: str, cls: type[Node], dst_port: str) -> _Link:
    """Key tag and coercion of one edge that validation found sound."""
    return (f"|{dst_port}<{src_port}@".encode(),
            _coercion(cls.inputs[dst_port].type, src_cls.outputs[src_port].type))


#: Each graph's evaluation plan and the wiring report it was built from: reused while
#: validation hands back that same report (the graph's structure has not changed).
_PLANS: weakref.WeakKeyDictionary[Graph, tuple[WiringReport, dict[str, _Step]]] = (
    weakref.WeakKeyDictionary())


def evaluation_plan(graph: Graph, report: WiringReport | None = None) -> dict[str, _Step]:
    """Per valid node: its class, wires (sorted by port) and defaults, built from validation's
    :class:`~moks_graph.validation.WiringReport` (default: the graph's current one).

    The plan wires exactly the edges the report found sound: wiring is checked once, by
    validation. Everything that depends only on (class, ports) is derived once per distinct
    combination, so a graph of many nodes of few types costs a lookup per edge.
    """
    report = wiring_report(graph) if report is None else report
    cached = _PLANS.get(graph)
    if cached is not None and cached[0] is report:
        return cached[1]
    with paused_gc():  # bounded bookkeeping of acyclic tuples (see mgraph.paused_gc)
        plan = _build_plan(graph, report.sound)
    _PLANS[graph] = (report, plan)
    return plan


def _build_plan(graph: Graph, sound: frozenset[tuple[Any, ...]]) -> dict[str, _Step]:
    """The steps of every runnable node, wiring only the edges in ``sound``."""
    plan = {}
    live = live_classes(graph)
    links: dict[tuple[Any, ...], _Link] = {}
    shapes: dict[tuple[Any, ...], tuple[dict[str, Any], tuple[tuple[str, PortType], ...]]] = {}
    for node_id, cls in live.items():
        if cls is None:
            continue
        wires: list[_Wire] = []
        shape_key: list[Any] = [cls]
        for src, src_port, _, dst_port in sorted(graph.edges_into(node_id), key=_DST_PORT):
            link = (live.get(src), src_port, cls, dst_port)
            if link not in sound:
                continue  # invalid wiring: validation reported it, the node is not evaluated
            known = links.get(link)
            if known is None:
                known = links[link] = _link(*link)
            wires.append(_Wire(dst_port, src, src_port, *known))
            shape_key.append(dst_port)
        shape_id = tuple(shape_key)
        shape = shapes.get(shape_id)
        if shape is None:
            connected = set(shape_id[1:])  # a subset of the class's inputs
            shape = shapes[shape_id] = (
                {p: spec.default for p, spec in cls.inputs.items() if p not in connected},
                tuple((p, s.type) for p, s in cls.outputs.items()))
        plan[node_id] = _Step(cls, tuple(wires), tuple([w.src for w in wires]), shape[0],
                              cls.reads, shape[1], cls.file_params)
    return plan


@dataclass(frozen=True)
class _Context:
    """The context parts a cache key may include."""

    frame: bytes
    fps: bytes
    seed: int


@dataclass
class _WarmKeys:
    """An evaluator's cache keys of one graph's nodes, for one evaluation context.

    ``keys[node] = (node revision, key)``: a node whose record, inputs and files are unchanged
    keeps its key without hashing again.
    """

    context: _Context
    keys: dict[str, tuple[int, bytes]] = field(default_factory=dict)


@dataclass
class EvalResult:
    """Output values by ``"node.port"``, problems, and what was computed vs reused."""

    values: dict[str, Any]
    problems: list[Problem]
    computed: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    digests: dict[str, bytes] = field(default_factory=dict)

    @property
    def keys(self) -> dict[str, str]:
        """Each evaluated node's cache key (hex)."""
        return {node: key.hex() for node, key in self.digests.items()}

    def __getitem__(self, ref: str) -> Any:
        if ref not in self.values:
            related = [p for p in self.problems if p.node and ref.startswith(p.node + ".")]
            raise EvaluationError(related or [Problem("MG120", f"no value for {ref!r}")])
        return self.values[ref]

    @property
    def ok(self) -> bool:
        return not self.problems


def _all_finite(a: np.ndarray) -> bool:
    """No NaN or Inf in a float array: any would make the dot product non-finite.

    A finite ``a . a`` proves every element finite in one pass; a non-finite
    one (a NaN/Inf, or an overflow of values beyond 1e154) falls back to the
    element-wise test.
    """
    if a.ndim == 1 and a.dtype.kind == "f" and math.isfinite(np.dot(a, a)):
        return True
    return bool(np.isfinite(a).all())


def _non_finite(value: Any) -> str | None:
    """The name of the first non-finite part of a value, or None."""
    if isinstance(value, Channels):
        for name, arr in value.values.items():
            if not _all_finite(arr):
                return f"channel {name!r}"
        return None
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fc" and not _all_finite(value):
            return "array"
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return "value"
    if isinstance(value, Mapping):
        for k, v in value.items():
            bad = _non_finite(v)
            if bad:
                return f"{k!r} {bad}"
    return None


def _key(static_key: bytes, node_id: str, step: _Step, keys: dict[str, bytes],
         context: _Context) -> bytes:
    """A node's cache key: its static key, its upstream keys by port, its context variables."""
    h = hashlib.sha256(static_key)
    for w in step.wires:
        h.update(w.tag + keys[w.src])
    if "frame" in step.reads:
        h.update(context.frame)
    if "fps" in step.reads:
        h.update(context.fps)
    if "seed" in step.reads:
        h.update(f"seed:{context.seed}:{node_id}".encode())
    return h.digest()


#: Content digests of files by (path, size, mtime_ns, inode): a file is hashed again only
#: when it changes.
_FILE_DIGESTS: dict[tuple[str, int, int, int], bytes] = {}


def file_fingerprint(path: str) -> bytes:
    """SHA-256 of a file's content; ``b"unreadable:" + path`` when it cannot be read (the
    node's compute then reports the problem)."""
    try:
        st = os.stat(path)
        stamp = (os.path.abspath(path), st.st_size, st.st_mtime_ns, st.st_ino)
        digest = _FILE_DIGESTS.get(stamp)
        if digest is None:
            h = hashlib.sha256()
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
            digest = _FILE_DIGESTS[stamp] = h.digest()
        return digest
    except (OSError, ValueError):
        return b"unreadable:" + str(path).encode("utf-8", "surrogatepass")


def _with_files(key: bytes, record: NodeRecord, validated: BaseModel | None,
                names: tuple[str, ...]) -> bytes:
    """``key`` with the fingerprints of the files a node's params name folded in."""
    h = hashlib.sha256(key)
    for name in names:
        value = getattr(validated, name, None) if validated is not None \
            else record.params.get(name)
        if isinstance(value, str) and value:
            h.update(name.encode() + b"=" + file_fingerprint(value))
    return h.digest()


class Evaluator:
    """Evaluates graphs through a memory cache and an optional shared disk cache."""

    def __init__(self, cache: MemoryCache | None = None, disk: DiskCache | None = None,
                 time_limit: float | None = None) -> None:
        self.cache = cache if cache is not None else MemoryCache()
        self.disk = disk
        #: per-node compute limit in seconds; None: ``MOKS_NODE_TIME_LIMIT`` (unset: no limit)
        self.time_limit = time_limit
        self._instances: dict[type[Node], Node] = {}
        self._warm: weakref.WeakKeyDictionary[Graph, _WarmKeys] = weakref.WeakKeyDictionary()

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
    ) -> EvalResult:
        """Evaluate ``outputs`` (``"node.port"``; default: every output of every node)."""
        s = graph.settings
        start, end = frames if frames is not None else (s.frame_start, s.frame_end)
        sub = subframes if subframes is not None else s.subframes
        outputs = list(outputs) if outputs is not None else None
        wanted, missing = self._targets(graph, outputs)
        needed = graph.ancestors(wanted)
        over = work_problem(start, end, s.fps, sub, channel_outputs(graph, needed))
        if over is not None:  # refused before anything is allocated or computed
            raise EvaluationError(over)
        try:
            time = time_array(start, end, s.fps, sub)
        except ValueError as exc:
            raise EvaluationError(Problem("MG131", str(exc), problem_path("settings"))) from exc
        # the settings' own budget is checked above for the range actually evaluated
        report = wiring_report(graph)
        problems = [p for p in validate(graph) if not (p.code == "MG131" and p.node is None)]
        broken = broken_nodes(graph, problems) if problems else set()
        problems = problems + missing
        order = [n for n in graph.topological_order() if n in needed and n not in broken]
        context = _Context(
            frame=f"frame:{start}:{end}:{sub}:{s.fps!r}".encode(),
            fps=f"fps:{s.fps!r}".encode(),
            seed=s.seed,
        )
        warm = self._warm.get(graph)
        if warm is None or warm.context != context:
            warm = self._warm[graph] = _WarmKeys(context)
        known = warm.keys
        plan = evaluation_plan(graph, report)
        cache = self.cache
        result = EvalResult({}, problems)
        keys: dict[str, bytes] = {}
        values: dict[str, Mapping[str, Any]] = {}
        stale: set[str] = set()
        nodes, disk = graph.nodes, self.disk
        # MOKS_NODE_TIME_LIMIT read once an evaluation; the limit by "is a plugin" and by class
        limits: dict[bool | type[Node], float | None] = {}
        for i, node_id in enumerate(order):
            if progress is not None:
                progress(i, len(order), node_id)
            record, state = nodes[node_id], graph.state(node_id)
            step = plan[node_id]
            seen = known.get(node_id)
            if (seen is not None and seen[0] == state.revision and not step.files
                    and stale.isdisjoint(step.sources)):
                key = seen[1]
            else:
                key = _key(graph.static_key(node_id), node_id, step, keys, context)
                if step.files:
                    key = _with_files(key, record, state.validated, step.files)
                if record.keys:  # a curve's samples depend on the frame range
                    key = hashlib.sha256(key + context.frame).digest()
                known[node_id] = (state.revision, key)
                if seen is None or seen[1] != key:
                    stale.add(node_id)
            keys[node_id] = key
            outs = cache.get(key)
            if outs is None and disk is not None:
                outs = self._from_disk(key)
            if outs is not None:
                result.reused.append(node_id)
            else:
                outs = self._compute(graph, record, step, values, time, result, limits)
                if outs is None:
                    stale.add(node_id)
                    continue
                cache.put(key, outs)
                if disk is not None:
                    disk.put(key, outs)
                result.computed.append(node_id)
            values[node_id] = outs
        if progress is not None:
            progress(len(order), len(order), "")
        requested = set(outputs) if outputs is not None else None
        result.digests = {node_id: keys[node_id] for node_id in values}
        for node_id, outs in values.items():
            for port, value in outs.items():
                ref = f"{node_id}.{port}"
                if requested is None or ref in requested:
                    result.values[ref] = value
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

    def _from_disk(self, key: bytes) -> Mapping[str, Any] | None:
        assert self.disk is not None
        outs = self.disk.get(key)
        if outs is not None:
            self.cache.put(key, outs)
        return outs

    def _compute(
        self,
        graph: Graph,
        record: NodeRecord,
        step: _Step,
        values: dict[str, Mapping[str, Any]],
        time: TimeArray,
        result: EvalResult,
        limits: dict[bool | type[Node], float | None],
    ) -> Mapping[str, Any] | None:
        """``limits``: this evaluation's time limits by "is a plugin" (read when first needed)
        and by node class."""
        node_id, cls = record.id, step.cls
        inputs = dict(step.defaults) if step.defaults else {}
        for w in step.wires:
            upstream = values.get(w.src)
            if upstream is None:  # upstream failed while computing
                return None
            value = upstream[w.src_port]
            inputs[w.port] = value if w.coerce is None else w.coerce(value)
        if record.bypass:
            return _passed_through(record, cls, inputs, result)
        ctx = NodeContext(node_id, step.reads, time, graph.settings.seed)
        node = self._instances.get(cls) or self._instance(cls)
        limit = self.time_limit
        if limit is None:
            limit = limits.get(cls, _MISSING)
            if limit is _MISSING:  # the first node of its class this evaluation
                plugin = not is_builtin(cls)
                if plugin not in limits:
                    limits[plugin] = node_time_limit(plugin=plugin)
                limit = limits[cls] = limits[plugin]
        validated = graph.validated(node_id)
        params = (validated if not record.keys
                  else keyed_params(validated, record.keys, time.frames))
        try:
            if limit is None:
                outs = node.compute(ctx, params, **inputs)
            else:  # = with deadline(limit), less the generator
                armed = arm(limit)
                try:
                    outs = node.compute(ctx, params, **inputs)
                finally:
                    disarm(armed)
            checked = {port: outs[port] for port, _ in step.outputs if port in outs}
        except ComputeTimeout:
            result.problems.append(Problem("MG120", f"node {node_id!r} ({cls.type_id}) ran past "
                                           f"the time limit of {limit:g} s ({TIME_LIMIT_ENV})",
                                           problem_path("nodes", node_id), node_id))
            return None
        except BaseException as exc:  # SystemExit, KeyboardInterrupt too: reported, contained
            result.problems.append(Problem("MG120", f"node {node_id!r} ({cls.type_id}) failed: "
                                           f"{type(exc).__name__}: {exc}",
                                           problem_path("nodes", node_id), node_id))
            return None
        for port, port_type in step.outputs:
            value = checked.get(port, _MISSING)
            if value is _MISSING or not port_type.check(value):
                got = "nothing" if value is _MISSING else type(value).__name__
                result.problems.append(Problem("MG120", f"node {node_id!r} output {port!r} "
                                               f"should be {port_type}, got {got}",
                                               problem_path("nodes", node_id), node_id, port))
                return None
            bad = _non_finite(value)
            if bad:
                result.problems.append(Problem("MG121", f"node {node_id!r} output {port!r}: "
                                               f"{bad} contains NaN or Inf",
                                               problem_path("nodes", node_id), node_id, port))
                return None
        return checked


def _passed_through(record: NodeRecord, cls: type[Node], inputs: dict[str, Any],
                    result: EvalResult) -> Mapping[str, Any] | None:
    """A bypassed node's outputs: each its first same-typed input (:mod:`moks_graph.bypass`)."""
    outs = {}
    for port, source in pass_through(cls).items():
        value = inputs.get(source) if source is not None else None
        if value is None:
            result.problems.append(Problem(
                "MG120", f"node {record.id!r} ({cls.type_id}) is bypassed but its input "
                f"{source!r} is not connected: nothing to pass through to {port!r}",
                problem_path("nodes", record.id), record.id, "bypass"))
            return None
        outs[port] = value
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


def _evaluate_with_default(graph: Graph, outputs: Iterable[str] | None = None,
                           **options: Any) -> EvalResult:
    return default_evaluator().evaluate(graph, outputs, **options)


use_evaluator(_evaluate_with_default)  # Graph.evaluate runs the process-wide evaluator


def output_digests(result: EvalResult) -> dict[str, str]:
    """Canonical SHA-256 of every output value: equal across machines and processes."""
    return {ref: codec.digest(v) for ref, v in sorted(result.values.items())}
