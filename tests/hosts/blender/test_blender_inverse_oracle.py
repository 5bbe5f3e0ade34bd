"""bench/inverse_oracle.py end to end on two tiny Cycles stills: the renderer's normals
cached, turned into the bench's key frame, and the three rows scored."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("bpy")

BENCH = Path(__file__).resolve().parents[3] / "bench" / "inverse_oracle.py"
_spec = importlib.util.spec_from_file_location("bench_inverse_oracle", BENCH)
oracle = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(oracle)
true_key = importlib.import_module("inverse_cycles").true_key  # on sys.path via the bench


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    cache = tmp_path_factory.mktemp("oracle")
    out = cache / "stats.json"
    argv = ["--n", "2", "--seed", "7", "--size", "160x90", "--samples", "8",
            "--cache", str(cache), "--json", str(out)]
    assert oracle.main(argv) == 0
    return cache / "seed7_160x90_s8", json.loads(out.read_text())


def test_three_rows_scored_and_normals_cached(run: tuple[Path, dict]) -> None:
    folder, stats = run
    assert set(stats) == set(oracle.ROWS)
    for row in stats.values():
        assert row["stills"] == 2
        assert 0.0 <= row["direction_deg_median"] <= 180.0
    # the exact normals agree with themselves; inflation does not
    assert stats["normals"]["normal_deg_median"] < 1.0
    assert stats["silhouette"]["normal_deg_median"] > 2.0
    for i in range(2):
        normals = np.load(folder / f"{i:03d}.normals.npy")
        assert normals.shape == (90, 160, 3)


def test_view_normals_use_the_bench_key_frame(run: tuple[Path, dict]) -> None:
    """A camera-frame direction goes where the bench puts the key: the truth's own
    ``dir_camera`` of the key lands on ``true_key``."""
    folder, _ = run
    for i in range(2):
        truth = json.loads((folder / f"{i:03d}.json").read_text())
        d = np.asarray(truth["key"]["dir_camera"], dtype=np.float64)[None, None, :]
        assert np.allclose(oracle.view_normals(d, truth)[0, 0], true_key(truth),
                           atol=1e-9)


def test_cached_normals_are_reused(run: tuple[Path, dict], tmp_path: Path) -> None:
    folder, _ = run
    before = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.normals.npy")}
    assert oracle.main(["--n", "2", "--seed", "7", "--size", "160x90", "--samples", "8",
                        "--cache", str(folder.parent), "--json", str(tmp_path / "s.json")]) == 0
    after = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.normals.npy")}
    assert before == after
