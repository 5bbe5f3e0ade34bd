"""``moks tidy`` (issue 18): an old file's merge chain becomes one merge_many, laid out left
to right, the same bake; bad input is one message, a non-zero exit and no file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from moks_graph import mgraph
from moks_graph.hosts.bake import bake_graph

#: The demo graph: oscillators into a chain of two merges (its camera_rig and scene).
STARTER = Path(mgraph.__file__).parent / "data" / "demo.mgraph"


def moks(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "250"}
    return subprocess.run([sys.executable, "-m", "moks_graph.cli", *args], capture_output=True,
                          text=True, env=env, timeout=300, check=False)


def test_tidy_writes_one_merge_with_the_same_bake(tmp_path):
    out = tmp_path / "tidy.mgraph"
    chained = sum(r.type == "moks.channels.merge" for r in mgraph.load(STARTER).nodes.values())
    r = moks("tidy", str(STARTER), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert chained == 2 and "2 merge nodes -> 1" in r.stdout
    tidy, old = mgraph.load(out), mgraph.load(STARTER)
    assert [r.type for r in tidy.nodes.values() if "merge" in r.type] == [
        "moks.channels.merge_many"]
    for edge in tidy.edges:
        assert tidy.nodes[edge.src].ui["pos"][0] < tidy.nodes[edge.dst].ui["pos"][0]
    want, got = bake_graph(old), bake_graph(tidy)
    assert sorted(want) == sorted(got)
    for name in want:
        np.testing.assert_array_equal(got[name], want[name])
    printed = moks("tidy", str(STARTER))  # no --out: the canonical text on stdout
    assert printed.returncode == 0 and printed.stdout == out.read_text()
    again = tmp_path / "again.mgraph"
    again.write_text(out.read_text())
    r = moks("tidy", str(again), "--in-place")
    assert r.returncode == 0 and "1 merge nodes -> 1" in r.stdout
    assert again.read_text() == out.read_text()  # tidying a tidy graph changes nothing


def test_tidy_refuses_bad_input_and_writes_nothing(tmp_path):
    out = tmp_path / "out.mgraph"
    broken = tmp_path / "broken.mgraph"
    broken.write_text("{ not json")
    r = moks("tidy", str(broken), "--out", str(out))
    assert r.returncode == 2 and "broken.mgraph" in r.stderr + r.stdout and not out.exists()
    doc = json.loads(STARTER.read_text())
    doc["nodes"]["sway"]["params"]["frequency_hz"] = -5.0  # out of range
    invalid = tmp_path / "invalid.mgraph"
    invalid.write_text(json.dumps(doc))
    r = moks("tidy", str(invalid), "--out", str(out))
    assert r.returncode == 1 and "frequency_hz" in r.stdout + r.stderr and not out.exists()
    r = moks("tidy", str(STARTER), "--out", str(out), "--in-place")
    assert r.returncode == 2 and "not both" in r.stderr and not out.exists()
