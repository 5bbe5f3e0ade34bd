"""The moks CLI: exit codes, messages naming file/node/field, no partial outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from moks_graph import mgraph

DEMO = Path(mgraph.__file__).parent / "data" / "demo.mgraph"


def moks(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "250"}
    return subprocess.run([sys.executable, "-m", "moks_graph.cli", *args], capture_output=True,
                          text=True, env=env, cwd=cwd)


def test_validate_ok_and_json():
    r = moks("validate", str(DEMO))
    assert r.returncode == 0 and "ok" in r.stdout
    r = moks("validate", "--json", str(DEMO))
    assert json.loads(r.stdout) == {str(DEMO): []}


def test_validate_reports_every_problem_with_exit_1(tmp_path):
    doc = json.loads(DEMO.read_text())
    doc["nodes"]["sway"]["params"]["frequency_hz"] = -1
    doc["nodes"]["mystery"] = {"type": "vendor.mystery", "type_version": 1}
    bad = tmp_path / "bad.mgraph"
    bad.write_text(json.dumps(doc))
    r = moks("validate", "--json", str(bad), str(DEMO))
    assert r.returncode == 1
    report = json.loads(r.stdout)
    assert report[str(DEMO)] == []
    found = {(p["code"], p["path"]) for p in report[str(bad)]}
    assert ("MG105", "$.nodes.sway.params.frequency_hz") in found
    assert ("MG101", "$.nodes.mystery.type") in found


@pytest.mark.parametrize(
    ("content", "needle", "code"),
    [
        (None, "no such file", 2),
        ("{not json", "invalid JSON", 2),
        ('{"schema_version": 2, "nodes": {"a": {"type": "moks.value.float", "type_version": 1,'
         ' "params": {"value": "big"}}}}', "value", 1),
    ],
)
def test_bad_input_is_one_clear_message_without_traceback(tmp_path, content, needle, code):
    path = tmp_path / "input.mgraph"
    if content is not None:
        path.write_text(content)
    r = moks("eval", str(path), "--output", "a.value")
    assert r.returncode == code, r.stderr
    assert needle in r.stderr and str(path) in r.stderr.replace("\n", "")
    assert "Traceback" not in r.stderr


def test_debug_shows_traceback(tmp_path):
    r = moks("--debug", "info", str(tmp_path / "missing.mgraph"))
    assert r.returncode != 0 and "Traceback" in r.stderr


def test_eval_prints_and_writes_json(tmp_path):
    r = moks("eval", str(DEMO), "--output", "sway.channels", "--frames", "1-5")
    assert r.returncode == 0, r.stderr
    value = json.loads(r.stdout)["sway.channels"]
    assert value["frames"] == [1.0, 2.0, 3.0, 4.0, 5.0]
    out = tmp_path / "vals.json"
    r = moks("eval", str(DEMO), "--output", "scene.channels", "--json-out", str(out))
    assert r.returncode == 0 and len(json.loads(out.read_text())["scene.channels"]["frames"]) == 48


def test_eval_failures_leave_no_output_file(tmp_path):
    out = tmp_path / "vals.json"
    r = moks("eval", str(DEMO), "--output", "nope.channels", "--json-out", str(out))
    assert r.returncode == 1 and "nope" in r.stderr
    r = moks("eval", str(DEMO), "--output", "sway.channels", "--frames", "9-1",
             "--json-out", str(out))
    assert r.returncode != 0 and "9-1" in r.stderr
    r = moks("eval", str(DEMO), "--output", "sway.channels",
             "--json-out", str(tmp_path / "no" / "dir" / "x.json"))
    assert r.returncode != 0 and "does not exist" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_nodes_and_schema_and_info():
    r = moks("nodes")
    assert r.returncode == 0 and "moks.channels.oscillator" in r.stdout
    r = moks("nodes", "moks.channels.oscillator")
    assert r.returncode == 0 and "frequency_hz" in r.stdout and "Hz" in r.stdout
    r = moks("nodes", "moks.nope")
    assert r.returncode == 1 and "unknown node type" in r.stderr
    schema = json.loads(moks("schema").stdout)
    assert schema["properties"]["schema_version"]["maximum"] == mgraph.SCHEMA_VERSION
    assert "edges" in schema["properties"]
    r = moks("info", str(DEMO))
    assert r.returncode == 0 and "5 nodes" in r.stdout


def test_bake_unknown_host_is_clear(tmp_path):
    r = moks("bake", str(DEMO), "--host", "houdini", "--out", str(tmp_path / "x.usda"))
    assert r.returncode == 2 and "unknown host 'houdini'" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_demo_runs():
    r = moks("demo")
    assert r.returncode == 0 and "demo" in r.stdout and "failed" not in r.stdout
