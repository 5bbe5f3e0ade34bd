"""Job directories: snapshot layout, code hashes, replay after the source changes."""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import textwrap
from pathlib import Path

import numpy as np
import pytest

import moks_graph as mg
from moks_graph import codec
from moks_graph.errors import MoksError
from moks_graph.hosts.farm.bake import evaluate_chunk, merge_chunks, run_chunk, run_job
from moks_graph.hosts.farm.jobs import (
    create_job,
    load_job,
    load_snapshot,
    plugin_manifest,
    read_chunk,
    verify_plugins,
)
from moks_graph.registry import Registry, default_registry


def test_layout_snapshot_and_code_hashes(tmp_path, make_graph):
    path = make_graph("shot010", seed=3, end=120)
    job = create_job([path], tmp_path / "out", chunk=50)
    assert job.root.parent == tmp_path / "out" and job.id.startswith("job-")
    assert (job.root / "job.json").is_file()
    snapshot = job.snapshot_path("shot010").read_text()
    assert snapshot == mg.dumps(mg.load(path))          # canonical text, copied in
    plugins = json.loads(job.plugins_path("shot010").read_text())
    assert sorted(plugins) == ["moks.channels.merge", "moks.channels.oscillator"]
    osc = plugins["moks.channels.oscillator"]
    source = inspect.getsourcefile(default_registry().get("moks.channels.oscillator"))
    assert osc["file"] == source
    assert osc["sha256"] == hashlib.sha256(Path(source).read_bytes()).hexdigest()
    assert osc["type_version"] == 2
    assert osc["source"] == default_registry().source("moks.channels.oscillator")
    g = load_job(job.root).graph("shot010")
    assert g.chunks == ((1, 50), (51, 100), (101, 120))
    umask = os.umask(0o022)
    os.umask(umask)
    for path in (job.root / "job.json", job.snapshot_path("shot010")):
        # readable by farm workers running as another user (temp files start owner-only)
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert (g.first, g.last, g.subframes, g.output) == (1, 120, 4, "shot010.npz")


def test_job_id_is_content_addressed(tmp_path, make_graph):
    path = make_graph("a", seed=1, end=60)
    first = create_job([path], tmp_path / "out", chunk=20)
    assert create_job([path], tmp_path / "out", chunk=20).id == first.id
    assert create_job([path], tmp_path / "out", chunk=30).id != first.id
    make_graph("a", seed=2, end=60)  # same file, new content
    assert create_job([path], tmp_path / "out", chunk=20).id != first.id


def test_edited_source_does_not_change_the_job(tmp_path, make_graph, reference_bake):
    path = make_graph("shot", seed=5, end=90)
    truth = reference_bake(path)
    job = create_job([path], tmp_path / "out", chunk=25)
    # edit the source after submission: other amplitude, other range, then delete it
    make_graph("shot", seed=99, end=30,
               edit=lambda g: g.set_param("sway", "amplitude", 3.0))
    assert codec.digest(reference_bake(path)) != codec.digest(truth)
    path.unlink()
    g = job.graph("shot")
    for a, b in g.chunks:  # in-process replay of every chunk task
        assert run_chunk(str(job.root), "shot", a, b).status == "done"
    merged = merge_chunks(job, "shot")
    assert codec.digest(merged) == codec.digest(truth)
    for name in truth:
        assert np.array_equal(merged[name], truth[name])


def test_edited_source_on_dask(tmp_path, make_graph, reference_bake, farm_client):
    path = make_graph("shot", seed=8, end=200)
    truth = reference_bake(path)
    job = create_job([path], tmp_path / "out", chunk=30)
    make_graph("shot", seed=8, end=200, edit=lambda g: g.set_param("flicker", "noise", 50.0))
    report = run_job(job, scheduler=farm_client, progress=False, timeout=120)
    assert report.ok, report.failures
    assert report.graphs["shot"].digest == codec.digest(truth)


def test_tampered_snapshot_is_refused(tmp_path, make_graph):
    job = create_job([make_graph("s", end=20)], tmp_path / "out", chunk=10)
    snap = job.snapshot_path("s")
    snap.write_text(snap.read_text().replace('"seed": 7', '"seed": 8'))
    with pytest.raises(MoksError, match="modified after submission"):
        load_snapshot(job, "s")
    result = run_chunk(str(job.root), "s", 1, 10)
    assert result.status == "failed" and "modified" in str(result.error)


PLUGIN = textwrap.dedent('''
    """A test plugin: a linear ramp."""
    from moks_graph.channels import Channels
    from moks_graph.node import Node, NodeParams, Output, Param
    from moks_graph.types import CHANNELS


    class Ramp(Node):
        """tx = slope * frame."""

        type_id = "studio.ramp"
        reads = frozenset({"frame"})
        outputs = {"channels": Output(CHANNELS)}

        class Params(NodeParams):
            slope: float = Param(1.0, ge=-10.0, le=10.0)

        def compute(self, ctx, params):
            t = ctx.time
            return {"channels": Channels(t, {"cam.tx": params.slope * t.frames},
                                         {"cam": "camera"})}
''')


def test_changed_plugin_code_is_detected(tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    module = folder / "ramp.py"
    module.write_text(PLUGIN)
    registry = Registry()
    registry.load_path([str(folder)])
    assert not registry.errors
    graph = mg.Graph(mg.Settings(frame_start=1, frame_end=10), registry)
    graph.add_node("studio.ramp", "ramp", {"slope": 2.0})
    recorded = plugin_manifest(graph)
    assert recorded["studio.ramp"]["sha256"] == hashlib.sha256(module.read_bytes()).hexdigest()
    verify_plugins(recorded, graph)  # unchanged: fine
    ch = evaluate_chunk(graph, 1, 10, final=True)
    assert np.array_equal(ch["cam.tx"], 2.0 * np.arange(1, 11))
    module.write_text(PLUGIN + "\n# tweaked after submission\n")
    with pytest.raises(MoksError) as info:
        verify_plugins(recorded, graph)
    assert info.value.code == "MG132" and "studio.ramp" in str(info.value)
    assert "changed since submission" in str(info.value)
    missing = {"studio.gone": {"type_version": 1, "sha256": "0"}}
    with pytest.raises(MoksError, match="not installed"):
        verify_plugins(missing, graph)


def test_unreadable_and_invalid_graphs_are_recorded(tmp_path, make_graph):
    bad_json = tmp_path / "broken.mgraph"
    bad_json.write_text("{not json")
    invalid = make_graph("invalid")
    invalid.write_text(invalid.read_text().replace('"frequency_hz": 0.25', '"frequency_hz": 5e3'))
    good = make_graph("good", end=30)
    job = create_job([bad_json, invalid, good], tmp_path / "out", chunk=10)
    by_name = {g.name: g for g in job.graphs}
    assert "MG111" in str(by_name["broken"].error)
    assert "MG105" in str(by_name["invalid"].error) and not by_name["invalid"].chunks
    assert by_name["good"].ok and len(by_name["good"].chunks) == 3
    gapped = create_job([good], tmp_path / "out2", frames="1-10,20-30")
    assert "gaps" in str(gapped.graphs[0].error)
    with pytest.raises(ValueError, match="chunk"):
        create_job([good], tmp_path / "out", chunk=0)


def test_chunk_file_reuse_needs_the_right_key(tmp_path, make_graph):
    job = create_job([make_graph("s", end=40)], tmp_path / "out", chunk=20)
    g = job.graph("s")
    assert run_chunk(str(job.root), "s", 1, 20).status == "done"
    assert run_chunk(str(job.root), "s", 1, 20).status == "reused"
    path = job.chunk_path(g, 1, 20)
    assert path.stat().st_mode & 0o044 == (0o044 & ~os.umask(os.umask(0o022)))
    assert read_chunk(path, "wrong-key") is None
    path.write_bytes(b"torn write")
    assert run_chunk(str(job.root), "s", 1, 20).status == "done"   # recomputed
    assert read_chunk(path, job.chunk_key(g, 1, 20)) is not None
