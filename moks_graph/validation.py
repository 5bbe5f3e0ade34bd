"""Validation: every problem of a graph, each with a stable code and a JSON path.

The same check functions serve a file load (collect everything) and an edit
(refuse the edit when it adds a problem), so the editor and a headless load
can never disagree.
"""

from __future__ import annotations

import contextlib
import operator
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from moks_graph.errors import Problem, problem_path
from moks_graph.frames import work_problem
from moks_graph.registry import plugin_import_limit
from moks_graph.streams import stdout_to_stderr
from moks_graph.timelimit import ComputeTimeout, arm, disarm
from moks_graph.types import CHANNELS

if TYPE_CHECKING:
    from moks_graph.graph import Edge, Graph, NodeRecord
    from moks_graph.node import Node

Checked = tuple[BaseModel | None, list[Problem]]
"""A node's validated params (None when invalid) and its problems."""

_RANGE_ERRORS = {"less_than", "less_than_equal", "greater_than", "greater_than_equal"}
_ENUM_ERRORS = {"literal_error", "enum"}


def pydantic_problems(
    exc: PydanticValidationError, base: tuple[str | int, ...], node: str | None = None
) -> list[Problem]:
    """Map pydantic errors to problems with codes and JSON paths under ``base``."""
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        field = ".".join(str(p) for p in loc) or None
        kind = err["type"]
        if kind in _RANGE_ERRORS:
            code = "MG105"
        elif kind in _ENUM_ERRORS:
            code = "MG106"
        elif kind == "extra_forbidden":
            code = "MG115"
        else:
            code = "MG107"
        where = f"node {node!r} " if node else ""
        value = err.get("input")
        shown = "" if kind in ("missing", "extra_forbidden") else f" (got {value!r})"
        msg = f"{where}field {field!r}: {err['msg']}{shown}" if field else f"{where}{err['msg']}"
        problems.append(Problem(code, msg, problem_path(*base, *loc), node, field))
    return problems


def is_builtin(cls: type) -> bool:
    """A class of MOKS Graph itself (a built-in node), not a plugin's."""
    return cls.__module__.startswith("moks_graph.")


def plugin_check_limit(cls: type) -> float | None:
    """Seconds a plugin node's parameter validation may take: the plugin import limit
    (``MOKS_PLUGIN_IMPORT_LIMIT``, default 20 s); built-in nodes have none."""
    if is_builtin(cls):
        return None
    return plugin_import_limit()[0]


@contextlib.contextmanager
def plugin_guard(cls: type) -> Iterator[None]:
    """Run a node type's parameter validators or serializer (``cls``: the node or its
    ``Params``): a plugin's under :func:`plugin_check_limit` with what it prints sent to
    stderr (never into a command's JSON on stdout)."""
    if is_builtin(cls):
        yield
        return
    limit = plugin_check_limit(cls)
    with stdout_to_stderr():  # = with deadline(limit), less its generator
        armed = arm(limit) if limit is not None else None
        try:
            yield
        finally:
            if armed is not None:
                disarm(armed)


#: Core-schema types whose JSON serialization runs only pydantic-core's own code (no
#: function, enum, model subclass or ``Any`` inference that could reach a plugin's code).
_PLAIN_SCHEMA_TYPES = frozenset({
    "model-fields", "model-field", "default", "nullable", "none", "bool", "int", "float",
    "str", "literal", "list", "tuple", "set", "frozenset", "dict", "union"})
_PLAIN_LITERALS = (str, int, float, bool, type(None))
_PLAIN_SERIALIZERS: weakref.WeakKeyDictionary[type[BaseModel], bool] = (
    weakref.WeakKeyDictionary())


def _plain_schema(schema: dict[str, Any], top: bool = False) -> bool:
    """Whether a core schema (``top``: the model's own) serializes with no callable in it."""
    kind = schema.get("type")
    if kind == "model":
        if not top or schema.get("root_model"):  # a nested model may be a subclass's
            return False
    elif kind not in _PLAIN_SCHEMA_TYPES:
        return False
    if "serialization" in schema or schema.get("computed_fields"):
        return False
    if kind == "literal" and any(type(v) not in _PLAIN_LITERALS
                                 for v in schema.get("expected", ())):
        return False
    return all(key in ("metadata", "cls") or _plain_value(value)
               for key, value in schema.items())


def _plain_value(value: Any) -> bool:
    if isinstance(value, dict):
        return _plain_schema(value) if isinstance(value.get("type"), str) else all(
            _plain_value(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(_plain_value(v) for v in value)
    return not callable(value)


def _is_core_serializer(serializer: Any) -> bool:
    """pydantic-core's ``SchemaSerializer`` (not imported: the engine imports pydantic only)."""
    kind = type(serializer)
    return kind.__name__ == "SchemaSerializer" and kind.__module__.startswith("pydantic_core")


def plain_serializer(model: type[BaseModel]) -> bool:
    """Whether pydantic serializes ``model`` to JSON without running any code of its author:
    plain fields (numbers, text, literals, containers of them), no serializer functions,
    computed fields, ``exclude_if`` or nested models. Kept per class."""
    plain = _PLAIN_SERIALIZERS.get(model)
    if plain is None:
        schema = model.__dict__.get("__pydantic_core_schema__")
        serializer = model.__dict__.get("__pydantic_serializer__")
        plain = _PLAIN_SERIALIZERS[model] = (
            _is_core_serializer(serializer) and isinstance(schema, dict)
            and schema.get("cls") is model and _plain_schema(schema, top=True))
    return plain


def check_params(node_id: str, cls: type[Node], params: dict[str, Any]) -> Checked:
    """Validate raw params against the node's model: the model, or the problems.

    A plugin's validator runs under :func:`plugin_check_limit` (a validator that loops is
    MG116, not a hung command)."""
    try:
        with plugin_guard(cls):
            return cls.Params.model_validate(params), []
    except ComputeTimeout:
        path = problem_path("nodes", node_id, "params")
        return None, [Problem("MG116", f"node {node_id!r} ({cls.type_id}): its parameter "
                              f"validation did not finish in {plugin_check_limit(cls):g} s "
                              "(MOKS_PLUGIN_IMPORT_LIMIT)", path, node_id, "params")]
    except PydanticValidationError as exc:
        return None, pydantic_problems(exc, ("nodes", node_id, "params"), node_id)
    except (ValueError, TypeError) as exc:  # a model_validator raising directly
        path = problem_path("nodes", node_id, "params")
        return None, [Problem("MG116", f"node {node_id!r}: {exc}", path, node_id)]
    except BaseException as exc:  # a plugin validator: contained, reported
        path = problem_path("nodes", node_id, "params")
        return None, [Problem("MG116", f"node {node_id!r} ({cls.type_id}): its parameter "
                              f"validation raised {type(exc).__name__}: {str(exc)[:500]}",
                              path, node_id, "params")]


def check_node(graph: Graph, record: NodeRecord) -> Checked:
    """Type known and supported, params valid: the validated params, or the problems."""
    cls = graph.registry.get(record.type)
    if cls is None:
        path = problem_path("nodes", record.id, "type")
        failed = graph.registry.failed_plugin_for(record.type)
        if failed is not None:  # its plugin failed to import: name the file, not "unknown"
            return None, [Problem("MG130", f"node {record.id!r} has type {record.type!r}, whose "
                                  f"plugin {failed.source} failed to load: {failed.message}",
                                  path, record.id, "type")]
        return None, [Problem("MG101", f"node {record.id!r} has unknown type {record.type!r}",
                              path, record.id, "type")]
    if record.type_version > cls.type_version:
        path = problem_path("nodes", record.id, "type_version")
        msg = (f"node {record.id!r} is {record.type} version {record.type_version}; this "
               f"installation has version {cls.type_version} (upgrade the plugin)")
        return None, [Problem("MG113", msg, path, record.id, "type_version")]
    validated, problems = check_params(record.id, cls, record.params)
    if record.bypass:
        from moks_graph.bypass import bypass_problems

        problems = [*problems, *bypass_problems(record.id, cls)]
    if record.keys:
        from moks_graph.keyframes import key_problems

        problems = [*problems, *key_problems(record.id, cls, record.params, record.keys)]
    return validated, problems


_LIST_ADAPTERS: weakref.WeakKeyDictionary[type[BaseModel], TypeAdapter[list[Any]]] = (
    weakref.WeakKeyDictionary())


def _list_adapter(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    adapter = _LIST_ADAPTERS.get(model)
    if adapter is None:
        adapter = _LIST_ADAPTERS[model] = TypeAdapter(list[model])  # type: ignore[valid-type]
    return adapter


def check_nodes(graph: Graph, records: Sequence[NodeRecord]) -> list[Checked]:
    """:func:`check_node` for many records, the params of each node type in one pydantic call.

    A type whose batch fails is checked node by node, which words the problems.
    """
    results: list[Checked | None] = [None] * len(records)
    groups: dict[type[Node], list[int]] = {}
    for i, record in enumerate(records):
        cls = graph.registry.get(record.type)
        if (cls is None or record.type_version > cls.type_version or record.bypass
                or record.keys):
            results[i] = check_node(graph, record)
        else:
            groups.setdefault(cls, []).append(i)
    for cls, indices in groups.items():
        try:
            with plugin_guard(cls):
                models = _list_adapter(cls.Params).validate_python(
                    [records[i].params for i in indices])
        except BaseException:  # checked node by node, which words it
            for i in indices:
                results[i] = check_params(records[i].id, cls, records[i].params)
            continue
        for i, model in zip(indices, models, strict=True):
            results[i] = (model, [])
    return results  # type: ignore[return-value]


Live = dict[str, "type[Node] | None"]


def live_classes(graph: Graph, only: tuple[str, ...] | None = None) -> Live:
    """Each node's class if it can run; None for placeholders (unknown or newer types)."""
    get, nodes = graph.registry.get, graph.nodes
    if only is None:
        return {n: None if r.raw is not None else get(r.type) for n, r in nodes.items()}
    ids = [n for n in only if n in nodes]
    return {n: None if nodes[n].raw is not None else get(nodes[n].type) for n in ids}


def check_edge(graph: Graph, index: int, edge: Edge, live: Live | None = None) -> list[Problem]:
    """Both ends exist and the types are compatible."""
    live = live_classes(graph, (edge.src, edge.dst)) if live is None else live
    if edge.src not in live or edge.dst not in live:
        end, node_id = ("from", edge.src) if edge.src not in live else ("to", edge.dst)
        return [Problem("MG108", f"edge {edge} '{end}' names missing node {node_id!r}",
                        f"$.edges[{index}]", edge.dst if end == "from" else None)]
    src_cls, dst_cls = live[edge.src], live[edge.dst]
    if src_cls is None or dst_cls is None:
        return []  # placeholder end: reported by check_node, its edges are kept as they are
    out = src_cls.outputs.get(edge.src_port)
    if out is None:
        msg = (f"edge {edge}: node {edge.src!r} ({src_cls.type_id}) has no output "
               f"{edge.src_port!r}; outputs are {sorted(src_cls.outputs)}")
        return [Problem("MG108", msg, f"$.edges[{index}]", edge.dst, edge.dst_port)]
    inp = dst_cls.inputs.get(edge.dst_port)
    if inp is None:
        msg = (f"edge {edge}: node {edge.dst!r} ({dst_cls.type_id}) has no input "
               f"{edge.dst_port!r}; inputs are {sorted(dst_cls.inputs)}")
        return [Problem("MG108", msg, f"$.edges[{index}]", edge.dst, edge.dst_port)]
    if inp.type is not out.type and not inp.type.accepts_from(out.type):
        msg = (f"edge {edge}: cannot connect {out.type} output to {inp.type} input "
               f"{edge.dst}.{edge.dst_port}")
        return [Problem("MG103", msg, f"$.edges[{index}]", edge.dst, edge.dst_port)]
    return []


def check_inputs(graph: Graph, record: NodeRecord, live: Live | None = None) -> list[Problem]:
    """Required inputs connected, no input connected twice."""
    cls = (live_classes(graph, (record.id,)) if live is None else live)[record.id]
    if cls is None:
        return []
    problems = []
    connected: dict[str, int] = {}
    for edge in graph.edges_into(record.id):
        connected[edge.dst_port] = connected.get(edge.dst_port, 0) + 1
    for port, spec in cls.inputs.items():
        path = f"$.nodes.{record.id}"
        if spec.required and port not in connected:
            problems.append(Problem("MG102", f"node {record.id!r} input {port!r} ({spec.type}) "
                                    "is required but not connected", path, record.id, port))
        if connected.get(port, 0) > 1:
            problems.append(Problem("MG114", f"node {record.id!r} input {port!r} has "
                                    f"{connected[port]} incoming edges; one is allowed",
                                    path, record.id, port))
    return problems


def find_cycles(graph: Graph) -> list[Problem]:
    """One problem per cycle (strongly connected component), naming its nodes."""
    problems = []
    dag = graph.topology
    for comp in nx.strongly_connected_components(dag):
        if len(comp) == 1:
            (only,) = comp
            if not dag.has_edge(only, only):
                continue
        cycle = nx.find_cycle(dag.subgraph(comp))
        names = [u for u, *_ in cycle] + [cycle[0][0]]
        first = sorted(comp)[0]
        problems.append(Problem("MG104", "cycle: " + " -> ".join(names),
                                problem_path("nodes", first), first))
    return problems


@dataclass(frozen=True)
class WiringReport:
    """What validating one structure of a graph found: its problems, the edges found sound,
    and each runnable node's number of Channels outputs (what the work budget counts).

    ``sound`` holds ``(source class, source port, destination class, destination port)`` of
    every edge whose ends exist and whose types connect; the evaluation plan wires exactly
    those (:func:`moks_graph.evaluate.evaluation_plan`), so wiring is checked once, here.
    ``revision`` is the graph's ``structure_revision`` the report describes.
    """

    problems: list[Problem]
    sound: frozenset[tuple[Any, ...]]
    channel_outputs: Mapping[str, int] = field(default_factory=dict)
    revision: int = -1
    #: totals of :func:`channel_outputs` asked so far, by node set (None: every node)
    counted: dict[frozenset[str] | None, int] = field(default_factory=dict, compare=False,
                                                       repr=False)


_DST, _DST_PORT = operator.itemgetter(2), operator.itemgetter(3)  # Edge.dst, Edge.dst_port


def check_wiring(graph: Graph) -> WiringReport:
    """Edges, inputs and cycles (independent of param values), as a :class:`WiringReport`.

    The inputs are checked node by node only when a count over all edges finds an input
    connected twice or a required one unconnected: the problems are those (and in the order)
    of checking every edge, then every node, in turn."""
    problems: list[Problem] = []
    live = live_classes(graph)
    edges, ends_of = graph.edges, live.get
    sound: set[tuple[Any, ...]] = set()  # (classes, ports) of edges already found sound
    for index, edge in enumerate(edges):
        src, src_port, dst, dst_port = edge
        ends = (ends_of(src), src_port, ends_of(dst), dst_port)
        if ends in sound:
            continue
        found = check_edge(graph, index, edge, live)
        if found:
            problems += found
        elif ends[0] is not None and ends[2] is not None:
            sound.add(ends)
    # per class: its required inputs and its number of Channels outputs (the work budget's)
    need: dict[type[Node] | None, frozenset[str]] = {None: frozenset()}
    count: dict[type[Node] | None, int] = {None: 0}
    for cls in set(live.values()) - {None}:
        need[cls] = frozenset(p for p, s in cls.inputs.items() if s.required)
        count[cls] = sum(1 for s in cls.outputs.values() if s.type is CHANNELS)
    # each runnable node's Channels outputs (none: left out), in node order
    counts = {node_id: n for node_id, cls in live.items() if (n := count[cls])}
    # no (node, input) connected twice, and as many edges into a required input of their
    # node as there are required inputs: then each is connected once
    dsts, dst_ports = list(map(_DST, edges)), list(map(_DST_PORT, edges))
    twice = len(set(zip(dsts, dst_ports, strict=True))) < len(edges)
    required = sum(len(need[cls]) for cls in live.values())
    into_required = sum(map(operator.contains, map(need.__getitem__, map(ends_of, dsts)),
                            dst_ports))
    if twice or into_required != required:
        for node_id, cls in live.items():
            if cls is None:
                continue
            ports = [port for _, _, _, port in graph.edges_into(node_id)]
            if len(ports) == len(set(ports)) and need[cls].issubset(ports):
                continue  # every required input connected, none twice
            problems += check_inputs(graph, graph.nodes[node_id], live)
    if len(graph.topological_order()) < len(graph.nodes):
        problems += find_cycles(graph)
    return WiringReport(problems, frozenset(sound), counts, graph.structure_revision)


#: The latest wiring report of each graph (replaced when its structure changes).
_REPORTS: weakref.WeakKeyDictionary[Graph, WiringReport] = weakref.WeakKeyDictionary()


def wiring_report(graph: Graph) -> WiringReport:
    """:func:`check_wiring` of the graph's current structure (computed once per structure)."""
    report = _REPORTS.get(graph)
    if report is None or report.revision != graph.structure_revision:
        report = _REPORTS[graph] = check_wiring(graph)
    return report


def structural_problems(graph: Graph) -> list[Problem]:
    """Problems of the wiring: edges, inputs, cycles (independent of param values)."""
    return wiring_report(graph).problems


def channel_outputs(graph: Graph, only: frozenset[str] | set[str] | None = None,
                    report: WiringReport | None = None) -> int:
    """How many Channels outputs the graph's runnable nodes (or those of ``only``) have."""
    report = wiring_report(graph) if report is None else report
    wanted = None if only is None else frozenset(only)  # a frozenset is its own copy
    total = report.counted.get(wanted)
    if total is None:
        counts = report.channel_outputs
        total = sum(counts.values()) if wanted is None else sum(
            counts.get(n, 0) for n in wanted)
        if len(report.counted) >= 64:
            report.counted.clear()
        report.counted[wanted] = total
    return total


def budget_problems(graph: Graph, report: WiringReport | None = None) -> list[Problem]:
    """MG131 when the graph's own frame range, fps or work is over the work budget."""
    s = graph.settings
    found = work_problem(s.frame_start, s.frame_end, s.fps, s.subframes,
                         channel_outputs(graph, report=report))
    return [found] if found is not None else []


def validate(graph: Graph, report: WiringReport | None = None) -> list[Problem]:
    """Every problem of the graph: nodes and params, then edges, inputs and cycles (``report``,
    default the graph's current :func:`wiring_report`), then the work budget of its settings."""
    report = wiring_report(graph) if report is None else report
    problems: list[Problem] = []
    for state in graph.states():
        if state.problems:
            problems += state.problems
    return problems + report.problems + budget_problems(graph, report)


def broken_nodes(graph: Graph, problems: list[Problem]) -> set[str]:
    """Nodes that cannot evaluate: those with problems, on cycles, and everything downstream."""
    bad = {p.node for p in problems if p.node and p.node in graph.nodes}
    for p in problems:
        if p.code == "MG104":
            for comp in nx.strongly_connected_components(graph.topology):
                if p.node in comp:
                    bad |= comp
    out = set(bad)
    for n in bad:
        out |= graph.downstream(n)
    return out
