"""Farm test fixtures: scenario graphs on disk and one shared Dask LocalCluster (processes)."""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import moks_graph as mg
from moks_graph.hosts.bake import bake_graph

DEMO = Path(mg.__file__).parent / "data" / "demo.mgraph"


def write_graph(folder: Path, name: str, *, seed: int = 7, start: int = 1, end: int = 240,
                subframes: int = 4, edit: Callable[[mg.Graph], Any] | None = None) -> Path:
    """The bundled demo graph with its own seed, range and sub-frames, saved as NAME.mgraph."""
    graph = mg.load(DEMO)
    graph.settings.seed = seed
    graph.settings.frame_end = max(end, graph.settings.frame_start)
    graph.settings.frame_start = start
    graph.settings.frame_end = end
    graph.settings.subframes = subframes
    if edit is not None:
        edit(graph)
    path = folder / f"{name}.mgraph"
    mg.save(graph, path)
    return path


def reference(path: Path, frames: tuple[int, int] | None = None,
              subframes: int | None = None) -> mg.Channels:
    """A single-process bake of the whole range (the truth a farm bake must equal)."""
    graph = mg.load(path)
    return bake_graph(graph, frames, subframes)


@pytest.fixture(scope="session")
def farm_client() -> Iterator[Any]:
    """A 2-worker LocalCluster of processes (1 thread each) shared by the farm tests."""
    pytest.importorskip("distributed")
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set({"distributed.scheduler.worker-saturation": math.inf}), \
            warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Port .* is already in use")
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
    client = Client(cluster, timeout=60)
    yield client
    client.close()
    cluster.close()


@pytest.fixture
def make_graph(tmp_path: Path) -> Callable[..., Path]:
    """``make_graph(name, seed=..., start=..., end=..., subframes=..., edit=...)`` in tmp_path."""
    folder = tmp_path / "graphs"
    folder.mkdir(exist_ok=True)
    return lambda name, **kw: write_graph(folder, name, **kw)


@pytest.fixture
def reference_bake() -> Callable[..., mg.Channels]:
    """``reference_bake(path, frames=None, subframes=None)``: single-process truth."""
    return reference


