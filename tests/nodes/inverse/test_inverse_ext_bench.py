"""The scoring of bench/inverse_blender.py (great-circle error, wrapped azimuth, stops, F1)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

from moks_graph.nodes.inverse.interfaces import MatchResult
from moks_graph.nodes.scenescript.schema import SceneScript

BENCH = Path(__file__).resolve().parents[3] / "bench" / "inverse_blender.py"
_spec = importlib.util.spec_from_file_location("bench_inverse_blender", BENCH)
assert _spec is not None and _spec.loader is not None
ib = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ib)


def test_great_circle() -> None:
    assert ib.great_circle_deg(0.0, 0.0, 90.0, 0.0) == pytest.approx(90.0)
    assert ib.great_circle_deg(10.0, 90.0, -170.0, 90.0) == pytest.approx(0.0, abs=1e-6)
    assert ib.great_circle_deg(0.0, 0.0, 180.0, 0.0) == pytest.approx(180.0)
    assert ib.great_circle_deg(0.0, 30.0, 0.0, 40.0) == pytest.approx(10.0)
    # key at +90 (camera right) points along +X with the camera on -Y
    assert ib.key_direction(90.0, 0.0) == pytest.approx([1.0, 0.0, 0.0], abs=1e-12)


def test_score_and_f1() -> None:
    truth = SceneScript().with_slot("key", azimuth_deg=179.0, elevation_deg=10.0,
                                    cct_K=3200.0).with_slot("fill_rim", key_fill_ratio=4.0,
                                                            rim="top")
    fit = MatchResult(image="x", key_azimuth_deg=-179.0, key_elevation_deg=10.0,
                      key_fill_ratio=8.0, key_cct_K=3400.0, rim=True, rim_mode="both",
                      haze=0.0, film_stock="vision3_250d", iterations=2, residual=0.1,
                      seconds=1.0)
    row = ib.score(truth, fit)
    assert row["azimuth_deg"] == pytest.approx(2.0)
    assert row["key_deg"] == pytest.approx(2.0 * math.cos(math.radians(10.0)), rel=1e-3)
    assert row["ratio_stops"] == pytest.approx(1.0) and row["cct_K"] == pytest.approx(200.0)
    assert row["rim_true"] and row["rim_fit"] and not row["rim_mode_ok"] and row["stock_ok"]
    assert ib.f1([True, True, False, False], [True, False, True, False]) == pytest.approx(0.5)
    assert ib.f1([False], [False]) == 1.0
    summary = ib.summarise([row, {**row, "key_deg": 10.0}])
    assert summary["key_deg_median"] == pytest.approx((row["key_deg"] + 10.0) / 2)
    assert "| key direction, median" in ib.table(summary)


def test_truth_set_is_deterministic_and_in_range() -> None:
    a, b = ib.truth_scripts(10, 7), ib.truth_scripts(10, 7)
    assert a == b and a != ib.truth_scripts(10, 8)
    assert all(-120 <= s.key.azimuth_deg <= 120 and 0 <= s.key.elevation_deg <= 55
               and 2 <= s.fill_rim.key_fill_ratio <= 16 for s in a)
    assert {s.fill_rim.rim for s in a} == set(ib.RIM_MODES)
    with pytest.raises(ValueError, match="n must"):
        ib.truth_scripts(0, 7)


def test_a_failed_match_is_counted_and_the_run_goes_on(monkeypatch, tmp_path, capsys) -> None:
    """A failed result (null lights) is counted, the other images are still scored, and
    the run exits 1."""
    import numpy as np

    monkeypatch.setattr(ib, "render_truth", lambda scripts, out, samples: [
        (np.full((8, 8, 3), 0.5), 1.0) for _ in scripts])
    good = MatchResult(image="x", key_azimuth_deg=30.0, key_elevation_deg=20.0,
                       key_fill_ratio=4.0, key_cct_K=5600.0, rim=False, rim_mode="none",
                       haze=0.0, film_stock="vision3_250d", iterations=1, residual=0.1,
                       seconds=1.0)
    failed = MatchResult(image="x", status="failed", message="no exposure information",
                         iterations=0, residual=0.0, seconds=0.1)
    results = iter([failed, good, good])
    monkeypatch.setattr(ib, "match_one", lambda image, name: next(results))
    out = tmp_path / "rows.json"
    assert ib.main(["--n", "3", "--out", str(tmp_path), "--json", str(out)]) == 1
    summary = __import__("json").loads(out.read_text())["summary"]
    assert summary["failed"] == 1 and summary["n"] == 3 and summary["matched"] == 2
    assert "1 of 3 images failed" in capsys.readouterr().err
