"""File inputs are fingerprinted: a rewritten file recomputes, locally and through the
shared disk cache (DESIGN.md: loaders fold a fingerprint of what they read into their key)."""

from __future__ import annotations

import imageio.v3 as iio
import numpy as np

import moks_graph as mg
from moks_graph.cache import DiskCache
from moks_graph.evaluate import Evaluator, file_fingerprint


def _still(path, level: int) -> None:
    iio.imwrite(path, np.full((8, 12, 3), level, dtype=np.uint8))


def _graph(path) -> mg.Graph:
    g = mg.Graph()
    g.add_node("moks.image.load", "still", {"path": str(path)})
    g.add_node("moks.image.metrics", "metrics")
    g.connect("still.image", "metrics.image")
    return g


def test_a_rewritten_file_recomputes_and_an_untouched_one_is_reused(tmp_path):
    path = tmp_path / "ref.png"
    _still(path, 40)
    g, ev = _graph(path), Evaluator()
    first = ev.evaluate(g)
    again = ev.evaluate(g)
    assert set(again.reused) == {"still", "metrics"}
    _still(path, 200)  # same name, new pixels
    third = ev.evaluate(g)
    assert "still" in third.computed and "metrics" in third.computed
    assert third["still.image"].mean() > first["still.image"].mean()


def test_the_shared_disk_cache_does_not_serve_a_stale_file(tmp_path):
    path = tmp_path / "ref.png"
    disk = tmp_path / "cache"
    _still(path, 40)
    Evaluator(disk=DiskCache(disk)).evaluate(_graph(path))
    _still(path, 200)
    worker = Evaluator(disk=DiskCache(disk)).evaluate(_graph(path))  # a fresh farm worker
    assert "still" in worker.computed
    assert worker["still.image"].mean() > 0.5


def test_fingerprints_follow_content_not_names(tmp_path):
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"same")
    b.write_bytes(b"same")
    assert file_fingerprint(str(a)) == file_fingerprint(str(b))
    b.write_bytes(b"other")
    assert file_fingerprint(str(a)) != file_fingerprint(str(b))
    assert file_fingerprint(str(tmp_path / "missing")).startswith(b"unreadable:")
