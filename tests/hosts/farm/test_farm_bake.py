"""Farm bakes on a real Dask LocalCluster (processes): bit identity, failures, reuse, cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import moks_graph as mg
from moks_graph import codec
from moks_graph.errors import HostError
from moks_graph.hosts.farm.bake import concat_chunks, evaluate_chunk, farm_bake
from moks_graph.hosts.farm.cluster import FarmEvent
from moks_graph.hosts.farm.framesets import chunks
from moks_graph.hosts.farm.writer import read_npz


def assert_identical(got, truth) -> None:
    assert list(got) == list(truth) and got.kinds == truth.kinds
    assert np.array_equal(got.time.frames, truth.time.frames)
    for name in truth:
        assert np.array_equal(got[name], truth[name]), name
    assert codec.digest(got) == codec.digest(truth)


@pytest.mark.parametrize("size", [1, 7, 64, 100, 1000])
@pytest.mark.parametrize("subframes", [1, 3])
def test_chunked_evaluation_is_bit_identical(make_graph, reference_bake, size, subframes):
    """No Dask: the chunk rule alone (evaluate [a, b+1], drop the last sample) is exact."""
    import moks_graph as mg

    path = make_graph("g", seed=11, start=-20, end=250, subframes=subframes)
    truth = reference_bake(path)
    graph = mg.load(path)
    plan = chunks("-20-250", size)
    parts = [evaluate_chunk(graph, a, b, final=(b == 250)) for a, b in plan]
    assert_identical(concat_chunks(parts), truth)
    # the naive rule (evaluate [a, b] per chunk) would lose the sub-frames between chunks
    if subframes > 1 and len(plan) > 1:
        naive = concat_chunks([evaluate_chunk(graph, a, b, final=True) for a, b in plan])
        assert len(naive.time) < len(truth.time)


@pytest.mark.parametrize("size", [1, 13, 100, 1000])
def test_farm_bake_equals_single_process(tmp_path, make_graph, reference_bake, farm_client, size):
    paths = [make_graph("a", seed=1, end=240), make_graph("b", seed=2, start=-30, end=170,
                                                             subframes=2)]
    events: list[FarmEvent] = []
    report = farm_bake(paths, None, size, "npz", tmp_path / "out", scheduler=farm_client,
                       progress=events.append, timeout=120)
    assert report.ok, report.failures
    for path in paths:
        truth = reference_bake(path)
        result = report.graphs[path.stem]
        assert result.digest == codec.digest(truth)
        assert_identical(read_npz(result.output), truth)
    n_chunks = len(chunks("1-240", size)) + len(chunks("-30-170", size))
    assert len(report.chunks) == n_chunks
    assert sum(e.kind == "item" for e in events) == n_chunks
    assert sorted(e.group for e in events if e.kind == "group") == ["a", "b"]
    assert report.retries == 0 and report.wall_s > 0 and report.compute_s > 0


def test_one_and_two_workers_give_the_same_bits(tmp_path, make_graph, reference_bake,
                                                farm_client):
    paths = [make_graph(f"s{i}", seed=20 + i, end=300, subframes=4) for i in range(3)]
    two = farm_bake(paths, "1-300", 40, "npz", tmp_path / "two", scheduler=farm_client,
                    progress=False, timeout=120)
    one = farm_bake(paths, "1-300", 40, "npz", tmp_path / "one", workers=1, progress=False,
                    timeout=120)
    assert two.ok and one.ok
    assert len({c.pid for c in one.chunks if c.status == "done"}) == 1
    for path in paths:
        a, b = read_npz(one.graphs[path.stem].output), read_npz(two.graphs[path.stem].output)
        assert_identical(a, b)
        assert_identical(a, reference_bake(path, (1, 300)))


def test_one_failing_graph_does_not_stop_the_others(tmp_path, make_graph, reference_bake,
                                                     farm_client):
    good = make_graph("good", seed=3, end=120)
    failing = make_graph("failing", end=120, edit=lambda g: g.set_param("sway", "kind", "bogus"))
    broken = tmp_path / "broken.mgraph"
    broken.write_text("[]")
    report = farm_bake([failing, broken, good], None, 50, "npz", tmp_path / "out",
                       scheduler=farm_client, progress=False, timeout=120)
    assert not report.ok
    assert report.graphs["good"].digest == codec.digest(reference_bake(good))
    error = str(report.graphs["failing"].error)
    assert str(failing.resolve()) in error and "frames 1-50" in error
    assert "bogus" in error and "MG120" in error
    assert sorted(f.graph for f in report.failures) == ["broken", "failing"]
    assert "MG110" in str(report.graphs["broken"].error)
    assert not (tmp_path / "out" / "failing.npz").exists()
    assert sum(c.status == "failed" for c in report.chunks) == 3
    table = report.table()
    assert table.row_count == 3 and "1/3 graphs" in str(table.caption)


def test_rerun_reuses_chunks_and_repairs_damage(tmp_path, make_graph, reference_bake,
                                                farm_client):
    path = make_graph("shot", seed=4, end=200)
    first = farm_bake([path], None, 50, "npz", tmp_path / "out", scheduler=farm_client,
                      progress=False, timeout=120)
    assert {c.status for c in first.chunks} == {"done"}
    job = first.job
    g = job.graph("shot")
    damaged = job.chunk_path(g, 51, 100)
    damaged.write_bytes(b"\x00" * 10)
    second = farm_bake([path], None, 50, "npz", tmp_path / "out", scheduler=farm_client,
                       progress=False, timeout=120)
    assert second.job.id == job.id
    status = {(c.start, c.end): c.status for c in second.chunks}
    assert status == {(1, 50): "reused", (51, 100): "done", (101, 150): "reused",
                      (151, 200): "reused"}
    assert second.graphs["shot"].digest == codec.digest(reference_bake(path))
    files = sorted(p.name for p in (job.graph_dir("shot") / "chunks").glob("*.npz"))
    assert len(files) == 4


def test_shared_disk_cache_is_used(tmp_path, make_graph, farm_client, monkeypatch):
    path = make_graph("cached", seed=6, end=100)
    cache = tmp_path / "cache"
    monkeypatch.setenv("MOKS_CACHE_DIR", str(cache))
    report = farm_bake([path], None, 50, "npz", tmp_path / "out", scheduler=farm_client,
                       progress=True, timeout=120)  # the live bar, on pytest's captured stderr
    assert report.ok
    entries = list(cache.glob("*/*.npz"))
    # 5 nodes x 2 chunks, each keyed by its own frame range
    assert len(entries) == 10


def test_unknown_host_fails_before_any_work(tmp_path, make_graph):
    with pytest.raises(HostError, match="unknown host"):
        farm_bake([make_graph("x", end=10)], None, 5, "nuke", tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("host", "suffix", "library"), [("usd", ".usda", "pxr"),
                                                         ("maya", ".ma", None)])
def test_host_files_match_a_single_process_write(tmp_path, make_graph, reference_bake,
                                                 farm_client, host, suffix, library):
    from moks_graph.hosts.bake import host_writer

    if library:
        pytest.importorskip(library)
    try:
        writer = host_writer(host)
    except HostError as exc:
        pytest.skip(f"{host} writer not available: {exc}")
    path = make_graph("hostshot", seed=9, end=96, subframes=2)
    report = farm_bake([path], None, 25, host, tmp_path / "out", scheduler=farm_client,
                       progress=False, timeout=120)
    assert report.ok, report.failures
    out = tmp_path / "out" / f"hostshot{suffix}"
    (tmp_path / "single").mkdir()
    single = tmp_path / "single" / out.name
    writer(reference_bake(path), single)
    assert out.read_bytes() == single.read_bytes()


STARTERS = sorted((Path(__file__).resolve().parents[3] / "graphs").glob("*.mgraph"))


@pytest.mark.parametrize("size", [50, 100])
@pytest.mark.parametrize("path", STARTERS, ids=lambda p: p.stem)
def test_starter_graphs_chunk_exactly(path, size, reference_bake):
    """The shipped scenario graphs, chunked in-process, equal their single-process bake."""
    import moks_graph as mg

    graph = mg.load(path)
    if graph.validate():
        pytest.skip(f"{path.name} does not validate in this checkout")
    s = graph.settings
    plan = chunks(f"{s.frame_start}-{s.frame_end}", size)
    parts = [evaluate_chunk(graph, a, b, final=(b == s.frame_end)) for a, b in plan]
    assert_identical(concat_chunks(parts), reference_bake(path))


def test_one_sample_tail_chunk_is_exact(reference_bake):
    import moks_graph as mg

    path = next((p for p in STARTERS if p.stem == "foggy_tripod_noir"), None)
    if path is None:
        pytest.skip("foggy_tripod_noir.mgraph is not in this checkout")
    graph = mg.load(path)
    s = graph.settings
    parts = [evaluate_chunk(graph, s.frame_start, s.frame_end - 1, final=False),
             evaluate_chunk(graph, s.frame_end, s.frame_end, final=True)]
    assert_identical(concat_chunks(parts), reference_bake(path))


def test_live_progress_draws_chunk_cells():
    from io import StringIO

    from rich.console import Console

    from moks_graph.hosts.farm.cluster import LiveProgress

    buffer = StringIO()
    console = Console(file=buffer, width=140, force_terminal=False, color_system=None)
    bar = LiveProgress({"shot": ["1-10", "11-20", "21-30"]}, console)
    with bar:
        bar(FarmEvent("item", "shot", 1, "11-20", "done"))
        bar(FarmEvent("item", "shot", 0, "1-10", "failed", message="boom"))
    assert bar.status["shot"] == ["failed", "done", "pending"]
    assert "✗■·" in bar._cells("shot").replace("[red]", "").replace("[green]", "").replace(
        "[dim]", "").replace("[/]", "")
    with bar:
        bar(FarmEvent("group", "shot", -1, "1-30", "written", message="out/shot.usda",
                      statuses=("reused", "done", "done")))
    assert bar.status["shot"] == ["reused", "done", "done"]
    assert "out/shot.usda" in buffer.getvalue() and "2/3" in buffer.getvalue()
    many = LiveProgress({"long": [str(i) for i in range(500)]}, console)
    assert many._cells("long").count("·") == 48


def test_chunked_bake_carries_the_look_and_ambient_like_moks_bake(tmp_path, farm_client):
    """A two-chunk farm bake to .ma writes the same host file and the same film look (OCIO
    config, CLF) and SH ambient (EXR) side files, byte for byte, as a plain ``moks bake``."""
    from moks_graph.hosts.bake import bake
    from moks_graph.hosts.commands.scene import prose_graph

    pytest.importorskip("PyOpenColorIO")
    graph, _ = prose_graph("tripod medium, warm, Vision3 250D", frames=(1, 24),
                           ambient="overcast")
    path = tmp_path / "lookshot.mgraph"
    mg.save(graph, path)
    report = farm_bake([path], None, 12, "maya", tmp_path / "farm", scheduler=farm_client,
                       progress=False, timeout=120)
    assert report.ok, report.failures
    assert len(report.chunks) == 2
    (tmp_path / "plain").mkdir()
    plain = bake(mg.load(path), "maya", tmp_path / "plain" / "lookshot.ma")
    side = sorted(Path(p).name for p in report.graphs["lookshot"].side_files)
    assert side == sorted(p.name for p in plain.side_files)
    assert any(n.endswith(".ocio") for n in side) and any(n.endswith(".exr") for n in side)
    for name in ["lookshot.ma", *side]:
        assert (tmp_path / "farm" / name).read_bytes() == (tmp_path / "plain" / name).read_bytes()
    from click.testing import CliRunner

    from moks_graph.cli import main

    (tmp_path / "cli").mkdir()  # the farm manager's merge unit: moks farm merge JOBDIR
    merged = CliRunner().invoke(main, ["farm", "merge", str(report.job.root), "--graph",
                                       "lookshot", "--out", str(tmp_path / "cli" / "lookshot.ma")])
    assert merged.exit_code == 0, merged.output
    assert all(name in merged.output for name in side)
    for name in ["lookshot.ma", *side]:
        assert (tmp_path / "cli" / name).read_bytes() == (tmp_path / "plain" / name).read_bytes()
