"""A worker process killed mid-batch: the batch completes, nothing lost or duplicated."""

from __future__ import annotations

import logging
import os
import signal

import numpy as np
import pytest

from moks_graph import codec
from moks_graph.hosts.farm.bake import farm_bake
from moks_graph.hosts.farm.cluster import FarmEvent
from moks_graph.hosts.farm.framesets import chunks
from moks_graph.hosts.farm.writer import read_npz


@pytest.mark.filterwarnings("ignore:Port .* is already in use")
def test_killed_worker_mid_batch(tmp_path, make_graph, reference_bake):
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    paths = [make_graph(f"k{i}", seed=40 + i, end=3000, subframes=8) for i in range(2)]
    plan = {p.stem: chunks(f"1-{3000}", 25) for p in paths}
    total = sum(len(c) for c in plan.values())
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=logging.CRITICAL)
    client = Client(cluster, timeout=60)
    try:
        pids = client.run(os.getpid)
        victim = sorted(pids.values())[0]
        state: dict[str, int] = {"seen": 0, "killed_at": -1}

        def on_event(event: FarmEvent) -> None:
            if event.kind != "item":
                return
            state["seen"] += 1
            if state["killed_at"] < 0 and state["seen"] >= 6:
                os.kill(victim, signal.SIGKILL)
                state["killed_at"] = state["seen"]

        report = farm_bake(paths, None, 25, "npz", tmp_path / "out", scheduler=client,
                           progress=on_event, timeout=180)
        survivors = set(client.run(os.getpid).values())
    finally:
        client.close()
        cluster.close()
    assert 0 < state["killed_at"] < total          # the kill landed mid-batch
    assert victim not in survivors
    assert report.ok, report.failures
    assert len(report.chunks) == total             # every chunk reported exactly once
    assert sorted((c.graph, c.start, c.end) for c in report.chunks) == sorted(
        (name, a, b) for name, cs in plan.items() for a, b in cs)
    for path in paths:
        job_graph = report.job.graph(path.stem)
        folder = report.job.graph_dir(path.stem) / "chunks"
        expected = {report.job.chunk_path(job_graph, a, b).name for a, b in plan[path.stem]}
        assert {f.name for f in folder.glob("*.npz")} == expected   # none lost, none extra
        truth = reference_bake(path)
        got = read_npz(report.graphs[path.stem].output)
        assert codec.digest(got) == codec.digest(truth)
        for name in truth:
            assert np.array_equal(got[name], truth[name])
