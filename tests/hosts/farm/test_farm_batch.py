"""Batching chunks into Dask tasks: sizes, bit identity across batch sizes, progress, failures."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from moks_graph import codec
from moks_graph.hosts.farm.bake import (
    MAX_AUTO_BATCH,
    ChunkResult,
    batch_size,
    batches,
    farm_bake,
    merge_graph,
    run_batch,
)
from moks_graph.hosts.farm.cli import farm
from moks_graph.hosts.farm.cluster import FarmEvent
from moks_graph.hosts.farm.framesets import chunks
from moks_graph.hosts.farm.jobs import create_job, read_chunk
from moks_graph.hosts.farm.writer import read_npz


@pytest.mark.parametrize(("n_chunks", "workers", "expected"), [
    (24, 2, 3),      # 2400 frames / 100: 8 tasks of 3 chunks, 4 per worker
    (24, 1, 6),
    (7, 2, 1),       # too few chunks to batch without starving a worker
    (1, 8, 1),
    (400, 2, MAX_AUTO_BATCH),  # capped: 16 chunks per task
    (64, 2, 8),
])
def test_automatic_batch_size(n_chunks, workers, expected):
    assert batch_size(n_chunks, workers) == expected
    # the rule in words: >= 4 tasks per worker unless capped at 16 chunks per task
    tasks = -(-n_chunks // expected)
    assert tasks >= min(n_chunks, 4 * workers) or expected == MAX_AUTO_BATCH


def test_explicit_batch_size_and_bad_values():
    assert batch_size(24, 2, 5) == 5
    assert batch_size(3, 2, 100) == 100
    for bad in (0, -1, 2.0, True, "3"):
        with pytest.raises(ValueError, match="batch"):
            batch_size(10, 2, bad)
    with pytest.raises(ValueError, match="workers"):
        batch_size(10, 0)


def test_batches_are_consecutive_and_cover_every_chunk_once():
    spans = chunks("1-1000", 100)
    groups = batches(spans, 3)
    assert groups == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert batches(spans, 1) == [[i] for i in range(10)]
    assert batches(spans, 50) == [list(range(10))]
    assert batches([], 4) == []
    with pytest.raises(ValueError, match="size"):
        batches(spans, 0)


def test_run_batch_without_dask_writes_each_chunk_and_reuses_it(tmp_path, make_graph,
                                                                 reference_bake):
    path = make_graph("loop", seed=9, end=90, subframes=3)
    job = create_job([path], tmp_path / "out", chunk=20)
    g = job.graph("loop")
    first = run_batch(str(job.root), "loop", g.chunks[:3])
    assert [(r.start, r.end, r.status) for r in first] == [
        (1, 20, "done"), (21, 40, "done"), (41, 60, "done")]
    again = run_batch(str(job.root), "loop", g.chunks)   # a retry of a wider batch
    assert [r.status for r in again] == ["reused"] * 3 + ["done"] * 2
    merged = merge_graph(str(job.root), "loop", [first, again[3:]])  # nested batch lists
    assert merged.ok, merged.error
    assert [(c.start, c.end) for c in merged.chunks] == list(g.chunks)
    assert all(isinstance(c, ChunkResult) for c in merged.chunks)
    assert merged.digest == codec.digest(reference_bake(path))


def test_batch_sizes_give_identical_results_and_chunk_files(tmp_path, make_graph,
                                                            reference_bake, farm_client):
    paths = [make_graph("p", seed=31, end=230, subframes=4),
             make_graph("q", seed=32, start=-15, end=140, subframes=2)]
    plan = {"p": chunks("1-230", 10), "q": chunks("-15-140", 10)}
    runs = {}
    for batch in (1, 3, None):
        events: list[FarmEvent] = []
        report = farm_bake(paths, None, 10, "npz", tmp_path / f"out{batch}",
                           scheduler=farm_client, progress=events.append, timeout=120,
                           batch=batch)
        assert report.ok, report.failures
        runs[batch] = report
        # one item event per chunk, each chunk exactly once, then one group event per graph
        items = sorted((e.group, e.index) for e in events if e.kind == "item")
        assert items == sorted((n, i) for n, cs in plan.items() for i in range(len(cs)))
        assert sorted(e.group for e in events if e.kind == "group") == ["p", "q"]
        for name, spans in plan.items():
            assert [(c.start, c.end) for c in report.graphs[name].chunks] == spans
            assert {c.status for c in report.graphs[name].chunks} == {"done"}
    # 23 and 16 chunks on 2 workers: automatic = 23 // 8 = 2 and 16 // 8 = 2 chunks per task
    assert runs[None].batches == {"p": 2, "q": 2}
    assert runs[3].batches == {"p": 3, "q": 3} and runs[1].batches == {"p": 1, "q": 1}
    for path in paths:
        truth = codec.digest(reference_bake(path))
        digests = {b: r.graphs[path.stem].digest for b, r in runs.items()}
        assert set(digests.values()) == {truth}, digests
        merged = [read_npz(r.graphs[path.stem].output) for r in runs.values()]
        assert len({codec.digest(m) for m in merged}) == 1
        # the same chunk files (names carry the content key) with the same contents
        files = []
        for r in runs.values():
            g = r.job.graph(path.stem)
            folder = r.job.graph_dir(path.stem) / "chunks"
            names = sorted(f.name for f in folder.glob("*.npz"))
            assert names == sorted(r.job.chunk_path(g, a, b).name for a, b in g.chunks)
            contents = [codec.digest(read_chunk(r.job.chunk_path(g, a, b),
                                                r.job.chunk_key(g, a, b)))
                        for a, b in g.chunks]
            files.append((names, contents))
        assert files[0] == files[1] == files[2]


def test_failures_in_a_batch_name_each_chunk(tmp_path, make_graph, reference_bake, farm_client):
    good = make_graph("fine", seed=3, end=120)
    failing = make_graph("bad", end=120, edit=lambda g: g.set_param("sway", "kind", "bogus"))
    events: list[FarmEvent] = []
    report = farm_bake([failing, good], None, 20, "npz", tmp_path / "out", scheduler=farm_client,
                       progress=events.append, timeout=120, batch=4)
    assert report.graphs["fine"].digest == codec.digest(reference_bake(good))
    bad = report.graphs["bad"]
    assert not bad.ok and "6 chunk(s) failed (1-20, 21-40, 41-60, 61-80, 81-100, 101-120)" in str(
        bad.error)
    assert str(failing.resolve()) in str(bad.error) and "frames 1-20" in str(bad.error)
    errors = [c.error for c in bad.chunks]
    assert all(f"frames {a}-{b}" in str(e) for (a, b), e in zip(chunks("1-120", 20), errors,
                                                                 strict=True))
    assert sum(e.kind == "item" for e in events) == 12


def test_cli_batch_option(tmp_path, make_graph, reference_bake, farm_client):
    path = make_graph("cli", seed=5, end=100)
    result = CliRunner().invoke(farm, [str(a) for a in (
        "bake", path, "--chunk", "10", "--batch", "4", "--host", "npz", "--out", tmp_path / "o",
        "--scheduler", farm_client.scheduler.address, "--no-progress")])
    assert result.exit_code == 0, result.output
    assert codec.digest(read_npz(tmp_path / "o" / "cli.npz")) == codec.digest(
        reference_bake(path))
    bad = CliRunner().invoke(farm, ["bake", str(path), "--batch", "0", "--out", str(tmp_path)])
    assert bad.exit_code == 2 and "--batch" in bad.output
