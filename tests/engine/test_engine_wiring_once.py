"""Wiring is checked once: validation's WiringReport is what the evaluation plan wires."""

from __future__ import annotations

from pathlib import Path

from moks_graph import evaluate, mgraph, validation

GRAPH = Path(__file__).resolve().parents[2] / "graphs" / "dolly_push_in_dialogue.mgraph"


def test_evaluation_checks_no_edge_that_validation_checked(monkeypatch):
    graph = mgraph.load(GRAPH)
    calls: list[object] = []
    real = validation.check_edge

    def counting(*args, **kwargs):
        calls.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(validation, "check_edge", counting)
    assert graph.validate() == []
    checked = len(calls)
    assert 0 < checked <= len(graph.edges)
    result = graph.evaluate(frames=(1, 3))
    assert result.values and not result.problems
    assert len(calls) == checked  # the plan consumed the report, nothing re-checked


def test_the_plan_wires_exactly_the_edges_the_report_found_sound():
    graph = mgraph.load(GRAPH)
    report = validation.wiring_report(graph)
    live = validation.live_classes(graph)
    plan = evaluate.evaluation_plan(graph)
    wired = {(live[w.src], w.src_port, step.cls, w.port)
             for step in plan.values() for w in step.wires}
    assert wired == set(report.sound)
    assert len({(e.dst, e.dst_port) for e in graph.edges}) == sum(
        len(s.wires) for s in plan.values())
