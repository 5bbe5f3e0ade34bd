"""Shared fixtures: a registry with built-ins, and small graphs."""

from __future__ import annotations

import os
import sys

import pytest

NUMPY_FIRST = "numpy" in sys.modules  # imported by a plugin before this file: too late to pin

from moks_graph import numerics  # noqa: E402  (pins numpy's kernels: the canonical bits)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def registry():
    from moks_graph.registry import default_registry

    return default_registry()


@pytest.fixture
def chain_graph(registry):
    """osc_a, osc_b -> merge -> gain: two branches joined, then one node downstream."""
    import moks_graph as mg

    g = mg.Graph(mg.Settings(frame_start=1, frame_end=24, seed=3), registry)
    g.add_node("moks.channels.oscillator", "osc_a",
               {"object": "cam", "kind": "camera", "attribute": "tx", "noise": 0.1})
    g.add_node("moks.channels.oscillator", "osc_b",
               {"object": "cam", "kind": "camera", "attribute": "ty"})
    g.add_node("moks.channels.merge", "merge")
    g.add_node("moks.channels.gain", "gain", {"gain": 2.0})
    g.connect("osc_a.channels", "merge.a")
    g.connect("osc_b.channels", "merge.b")
    g.connect("merge.channels", "gain.channels")
    return g


def pytest_report_header(config):
    return (f"numpy kernels: {'canonical' if numerics.canonical() else 'AVX-512'}"
            f"{' (numpy imported before the conftest)' if NUMPY_FIRST else ''}")
