"""Layout helpers (issue 18): long chains pack their columns into FIT_WIDTH, and a new node
(a collapsed subgraph) is moved clear of the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from moks_graph import mgraph
from moks_graph.layout import (
    FIT_WIDTH,
    GAP_X,
    GAP_Y,
    MIN_GAP_X,
    clear_place,
    column_gap,
    columns_of,
    estimated_size,
    layered_layout,
)

GRAPHS = Path(__file__).resolve().parents[2] / "graphs"


def test_column_gap_shrinks_only_past_the_fit_width() -> None:
    assert column_gap([180.0] * 5) == GAP_X  # 5 x 180 + 4 x 60 = 1140 fits
    six = column_gap([180.0] * 6)
    assert MIN_GAP_X <= six < GAP_X and 6 * 180 + 5 * six == pytest.approx(FIT_WIDTH)
    assert column_gap([180.0] * 12) == MIN_GAP_X  # never closer than that
    assert column_gap([180.0]) == GAP_X


@pytest.mark.parametrize("name", ["dolly_walk_and_talk", "handheld_follow_walk_away"])
def test_a_six_column_starter_spans_at_most_the_fit_width(name: str) -> None:
    graph = mgraph.load(GRAPHS / f"{name}.mgraph")
    assert max(columns_of(graph).values()) == 5
    pos = layered_layout(graph)
    right = max(pos[n][0] + estimated_size(graph, n)[0] for n in pos)
    left = min(x for x, _ in pos.values())
    assert right - left <= FIT_WIDTH + 1  # (positions are rounded)


def overlaps(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def test_clear_place_keeps_a_free_spot_and_moves_off_a_covered_one() -> None:
    others = [(240.0, -50.0, 160.0, 95.0), (480.0, -270.0, 180.0, 72.0)]
    assert clear_place((0.0, -36.0, 160.0, 72.0), others) == (0.0, -36.0)  # clear already
    wide = (0.0, -36.0, 420.0, 72.0)  # reaches over the first
    x, y = clear_place(wide, others)
    assert x == 0.0 and not any(overlaps((x, y, 420.0, 72.0), o) for o in others)
    assert y == -50.0 + 95.0 + GAP_Y  # just below it (117 down; above it is 122 up)
    wider = (0.0, -36.0, 700.0, 72.0)  # over both: above the higher or below the lower
    x, y = clear_place(wider, others)
    assert not any(overlaps((x, y, 700.0, 72.0), o) for o in others)
    assert y in (-270.0 - GAP_Y - 72.0, -50.0 + 95.0 + GAP_Y)
