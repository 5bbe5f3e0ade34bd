"""The summaries of bench/inverse_cycles.py: the per-shape rows and ``--pool``."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench" / "inverse_cycles.py"
sys.path.insert(0, str(BENCH.parent))
_spec = importlib.util.spec_from_file_location("bench_inverse_cycles", BENCH)
assert _spec is not None and _spec.loader is not None
ic = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ic)


def _row(shape: str, direction: float, *, rim_true: bool = False, rim_fit: bool = False,
         matched: bool = False) -> dict:
    return {"shape": shape, "direction_deg": direction, "ratio_stops": direction / 10.0,
            "cct_K": 100.0, "iou": 0.9, "seconds": 1.0, "sigma_deg": 20.0,
            "rim_true": float(rim_true), "rim_fit": float(rim_fit), "matched": float(matched)}


def test_by_shape_splits_the_rows_and_scores_each_shape() -> None:
    rows = ([_row("cone", d) for d in (10.0, 30.0, 50.0)]
            + [_row("uv_sphere", 4.0, rim_true=True, rim_fit=True),
               _row("uv_sphere", 6.0, rim_true=True)])
    shapes = ic.by_shape(rows)
    assert list(shapes) == ["cone", "uv_sphere"]
    assert shapes["cone"]["stills"] == 3
    assert shapes["cone"]["direction_deg_median"] == pytest.approx(30.0)
    assert shapes["cone"]["direction_deg_p90"] == pytest.approx(46.0)
    assert shapes["uv_sphere"]["direction_deg_median"] == pytest.approx(5.0)
    assert shapes["uv_sphere"]["rim_f1"] == pytest.approx(2 / 3)
    assert shapes["uv_sphere"]["iou_mean"] == pytest.approx(0.9)


def test_pool_reports_every_seed_and_shape(tmp_path: Path, capsys) -> None:
    files = []
    for seed, shape in ((1, "torus"), (2, "capsule")):
        f = tmp_path / f"s{seed}.json"
        f.write_text(json.dumps({"seed": seed, "cutout": "none", "crashes": 0,
                                 "rows": [_row(shape, 10.0 * k) for k in range(1, 6)]}))
        files.append(f)
    assert ic.pooled(files) == 0
    out = capsys.readouterr().out
    assert "over 10 stills" in out
    assert "torus" in out and "capsule" in out
    stale = tmp_path / "old.json"
    stale.write_text(json.dumps({"seed": 3, "direction_deg_median": 1.0}))
    assert ic.pooled([files[0], stale]) == 2


def test_free_fill_stills_are_cached_apart_and_rendered_with_the_fill_moved(
        tmp_path: Path, monkeypatch) -> None:
    """``--fill free`` renders into a folder of its own (the convention's renders of the
    same seed are not reused) and asks the generator for the moved fill."""
    from moks_graph.hosts.blender import references

    calls = []

    def fake_generate(folder, n, *, seed, size, samples, start, fill, rim, room):
        calls.append((Path(folder).name, start, fill, rim, room))
        (Path(folder) / f"{start:03d}.json").write_text("{}")

    monkeypatch.setattr(references, "generate", fake_generate)
    (tmp_path / "seed7_32x18_s4").mkdir()
    (tmp_path / "seed7_32x18_s4" / "000.json").write_text("{}")
    folder = ic.ensure_stills(tmp_path, 1, 7, (32, 18), 4, "free")
    assert folder.name == "seed7_32x18_s4_free-fill"
    assert calls == [("seed7_32x18_s4_free-fill", 0, "free", "convention", "plain")]
    assert ic.ensure_stills(tmp_path, 1, 7, (32, 18), 4).name == "seed7_32x18_s4"
    assert len(calls) == 1  # the convention's still was cached
    assert ic.ensure_stills(tmp_path, 1, 7, (32, 18), 4, rim="free").name == \
        "seed7_32x18_s4_free-rim"
    assert ic.ensure_stills(tmp_path, 1, 7, (32, 18), 4, "free", "free").name == \
        "seed7_32x18_s4_free-fill_free-rim"
    assert ic.ensure_stills(tmp_path, 1, 7, (32, 18), 4, room="textured").name == \
        "seed7_32x18_s4_textured-room"
    assert calls[1:] == [("seed7_32x18_s4_free-rim", 0, "convention", "free", "plain"),
                         ("seed7_32x18_s4_free-fill_free-rim", 0, "free", "free", "plain"),
                         ("seed7_32x18_s4_textured-room", 0, "convention", "convention",
                          "textured")]
    args = ic.still_arguments(argparse.ArgumentParser()).parse_args(
        ["--fill", "free", "--rim", "free", "--room", "textured"])
    assert (args.fill, args.rim, args.room) == ("free", "free", "textured")


def test_the_bench_renders_matches_and_records_the_placements_end_to_end(
        tmp_path: Path, capsys) -> None:
    """``main`` with ``--fill free --rim free --room textured`` renders a real still with
    bpy, matches it, scores it against the truth and records the variants; ``--pool`` reads
    them back."""
    out = tmp_path / "one.json"
    rc = ic.main(["--n", "1", "--seed", "3", "--size", "96x54", "--samples", "4",
                  "--cache", str(tmp_path), "--fill", "free", "--rim", "free",
                  "--room", "textured", "--json", str(out)])
    record = json.loads(out.read_text())
    assert (record["fill"], record["rim"], record["room"], record["seed"]) == \
        ("free", "free", "textured", 3)
    assert rc == (1 if record["crashes"] else 0)
    assert len(record["rows"]) + record["crashes"] == 1
    folder = tmp_path / "seed3_96x54_s4_free-fill_free-rim_textured-room"
    truth = json.loads((folder / "000.json").read_text())
    for row in record["rows"]:
        assert row["shape"] == truth["shape"]
        assert 0.0 <= row["direction_deg"] <= 180.0
    capsys.readouterr()
    assert ic.pooled([out]) == rc
    assert "fill free, rim free, room textured" in capsys.readouterr().out
