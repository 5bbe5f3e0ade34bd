"""The engine's walk: validation's report feeds the evaluation plan; no scratchpad, no circle.

* graph, evaluate, mgraph and validation import one another without a circle, and no engine
  module is on one (every import, at the top or inside a function; ``if TYPE_CHECKING:``
  blocks are annotations only);
* the graph keeps no string-keyed scratchpad: its derived values are a typed
  :class:`~moks_graph.graph.StructureCache`, validation's is a :class:`WiringReport`, the
  evaluation plan is built from that report and kept while the report is current.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

import moks_graph
from moks_graph import evaluate, mgraph, validation
from moks_graph.graph import StructureCache

ENGINE = Path(moks_graph.__file__).parent
WALK = ("graph", "evaluate", "mgraph", "validation")
GRAPH = Path(__file__).resolve().parents[2] / "graphs" / "dolly_push_in_dialogue.mgraph"


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def engine_imports(source: str) -> set[str]:
    """The ``moks_graph`` modules a module's source imports at run time."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    return {name.split(".")[1] for name in found
            if name.startswith("moks_graph.") and len(name.split(".")) > 1}


def walk_imports() -> nx.DiGraph:
    dag = nx.DiGraph()
    dag.add_nodes_from(WALK)
    for module in WALK:
        text = (ENGINE / f"{module}.py").read_text(encoding="utf-8")
        dag.add_edges_from((module, other) for other in engine_imports(text)
                           if other in WALK and other != module)
    return dag


def test_no_import_circle_among_graph_evaluate_mgraph_validation() -> None:
    dag = walk_imports()
    assert ("evaluate", "graph") in dag.edges and ("graph", "validation") in dag.edges
    assert nx.is_directed_acyclic_graph(dag), list(nx.simple_cycles(dag))


def test_no_import_circle_in_the_engine() -> None:
    """Nor through any other engine module (the registry's deadline comes from timelimit)."""
    modules = sorted(p.stem for p in ENGINE.glob("*.py") if p.stem != "__init__")
    dag = nx.DiGraph()
    dag.add_nodes_from(modules)
    for module in modules:
        text = (ENGINE / f"{module}.py").read_text(encoding="utf-8")
        dag.add_edges_from((module, other) for other in engine_imports(text)
                           if other in modules and other != module)
    assert nx.is_directed_acyclic_graph(dag), list(nx.simple_cycles(dag))[:5]


def test_the_import_check_sees_a_circle() -> None:
    """Not vacuous: a function-level import back into the evaluator counts."""
    source = "def f():\n    from moks_graph.evaluate import deadline\n"
    assert engine_imports(source) == {"evaluate"}
    typed = ("from typing import TYPE_CHECKING\n"
             "if TYPE_CHECKING:\n    from moks_graph import graph\n")
    assert engine_imports(typed) == set()


def test_the_graph_has_no_scratchpad() -> None:
    graph = mgraph.load(GRAPH)
    assert not hasattr(graph, "memo") and not hasattr(graph, "_memo")
    graph.topological_order()
    graph.ancestors(["scene"])
    assert isinstance(graph._derived, StructureCache)
    assert graph._derived.topo is not None and frozenset({"scene"}) in graph._derived.ancestors


def test_plan_is_built_from_the_report_and_kept_while_it_is_current() -> None:
    graph = mgraph.load(GRAPH)
    report = validation.wiring_report(graph)
    plan = evaluate.evaluation_plan(graph)
    assert validation.wiring_report(graph) is report and evaluate.evaluation_plan(graph) is plan
    assert report.revision == graph.structure_revision
    graph.set_param("key", "cct_K", 4300.0)  # params are not structure
    assert validation.wiring_report(graph) is report and evaluate.evaluation_plan(graph) is plan
    graph.disconnect("fill.key")
    fresh = validation.wiring_report(graph)
    assert fresh is not report and fresh.revision == graph.structure_revision
    replanned = evaluate.evaluation_plan(graph)
    assert replanned is not plan and len(replanned["fill"].wires) == len(plan["fill"].wires) - 1


def test_work_budget_counts_channels_from_the_report() -> None:
    graph = mgraph.load(GRAPH)
    report = validation.wiring_report(graph)
    live = validation.live_classes(graph)
    by_class = sum(1 for cls in live.values() if cls is not None
                   for spec in cls.outputs.values() if spec.type.name == "Channels")
    assert validation.channel_outputs(graph) == by_class == sum(report.channel_outputs.values())
    assert validation.channel_outputs(graph, {"look"}) == 0
    assert validation.channel_outputs(graph, {"scene", "key"}) == 2
    # totals are kept on the report (an evaluation asks once per call with the same set)
    assert report.counted == {None: by_class, frozenset({"look"}): 0,
                              frozenset({"scene", "key"}): 2}
    graph.disconnect("fill.key")
    assert validation.wiring_report(graph).counted == {}  # a new structure counts afresh


def test_graph_evaluate_runs_the_process_evaluator() -> None:
    graph = mgraph.load(GRAPH)
    via_graph = graph.evaluate(["scene.channels"], frames=(1, 4))
    direct = evaluate.Evaluator().evaluate(graph, ["scene.channels"], frames=(1, 4))
    assert via_graph.ok and evaluate.output_digests(via_graph) == evaluate.output_digests(direct)
