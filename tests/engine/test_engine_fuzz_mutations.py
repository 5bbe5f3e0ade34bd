"""Mutation fuzzing of the starter graphs (issue 14): a valid ``.mgraph`` with values, types and
keys changed, fields deleted and numbers made huge goes through load, validate and a small
bake. Whatever happens is either a clean result or a coded MG error: never another
exception, never a partial output file, never a leftover temp file.

Bounded: 100 examples, each baking at most three frames.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from moks_graph import mgraph
from moks_graph.errors import MoksError
from moks_graph.hosts.bake import bake

GRAPHS = Path(__file__).resolve().parents[2] / "graphs"
STARTERS = {p.name: json.loads(p.read_text()) for p in sorted(GRAPHS.glob("*.mgraph"))}

HUGE = (10**30, -(10**30), 2**63, 1e308, -1e308, 5e-324, math.inf, -math.inf, math.nan)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.sampled_from(HUGE),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["", "moks.rig.dolly", "\ud800", "../../etc/passwd"]),
    st.integers(1000, 5000).map(lambda n: "x" * n),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=6)
OPS = ("replace", "delete", "rename", "add", "wrap", "stringify", "scale")


def paths(doc: Any, here: tuple = ()) -> list[tuple]:
    """Every place in ``doc``: the root and each dict value / list item, recursively."""
    found = [here]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += paths(value, (*here, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += paths(value, (*here, i))
    return found


def mutate(doc: Any, path: tuple, op: str, value: Any, name: str) -> Any:
    """``doc`` with the item at ``path`` changed by ``op`` (in place; returns the new root)."""
    if not path:
        return value if op == "replace" else doc
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    key = path[-1]
    old = parent[key]
    if op == "delete":
        del parent[key]
    elif op == "rename" and isinstance(parent, dict):
        parent[name] = parent.pop(key)
    elif op == "add" and isinstance(old, dict):
        old[name] = value
    elif op == "add" and isinstance(old, list):
        old.append(value)
    elif op == "wrap":
        parent[key] = [old]
    elif op == "stringify":
        parent[key] = json.dumps(old)
    elif op == "scale" and isinstance(old, int | float) and not isinstance(old, bool):
        parent[key] = old * 1e12
    else:
        parent[key] = value
    return doc


@st.composite
def mutated_starters(draw: st.DrawFn) -> str:
    doc = json.loads(json.dumps(STARTERS[draw(st.sampled_from(sorted(STARTERS)))]))
    for _ in range(draw(st.integers(1, 3))):
        places = paths(doc)
        values = [p for p in places if p[:1] == ("settings",) or (len(p) > 2 and p[0] == "nodes"
                                                                  and p[2] == "params")]
        if values and draw(st.integers(0, 3)):  # mostly the values a user edits
            places = values
        path = places[draw(st.integers(0, len(places) - 1))]
        doc = mutate(doc, path, draw(st.sampled_from(OPS)), draw(VALUES),
                     draw(st.text(min_size=1, max_size=8)))
    return json.dumps(doc, allow_nan=True)


def _coded(exc: MoksError) -> None:
    assert exc.problems and all(p.code.startswith("MG") for p in exc.problems), exc


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_starters())
def test_mutated_starters_validate_and_bake_or_give_coded_errors(text):
    try:
        graph = mgraph.loads(text, "fuzz.mgraph")
    except MoksError as exc:
        _coded(exc)
        event(f"load refused {exc.code}")
        return
    problems = graph.validate()
    assert all(p.code.startswith("MG") for p in problems)
    start = graph.settings.frame_start
    frames = (start, min(graph.settings.frame_end, start + 2))
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "shot.ma"
        written: list[str] = []
        try:
            result = bake(graph, "maya", out, frames=frames)
        except MoksError as exc:
            _coded(exc)
            event(f"bake refused {exc.code}")
            assert not out.exists()
        else:
            event("baked")
            assert out.stat().st_size > 0
            written = sorted(["shot.ma", *(p.name for p in result.side_files)])
        assert sorted(p.name for p in Path(folder).iterdir()) == written  # no temp files
