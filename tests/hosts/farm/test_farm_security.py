"""Security: a job folder's job.json is data, not trusted (issue 20).

Paths from job.json (the graph names that become ``graphs/<name>/`` and the
output file name) stay inside the job folder; symlinks planted in a job
folder do not carry writes out of it; a malformed job.json is one clear
MG error naming the file and field, never a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from moks_graph.errors import MoksError
from moks_graph.hosts.farm.bake import merge_graph, run_chunk
from moks_graph.hosts.farm.cli import farm
from moks_graph.hosts.farm.export import (
    FORMATS,
    FarmOptions,
    _keyvalue,
    command_line,
    farm_export,
)
from moks_graph.hosts.farm.jobs import create_job, load_job


def invoke(*args):
    return CliRunner().invoke(farm, [str(a) for a in args])


def said(result) -> str:
    return " ".join(result.output.split())


@pytest.fixture
def job(tmp_path, make_graph):
    """A job of one 20-frame graph, its chunks evaluated (so merge would write)."""
    job = create_job([make_graph("shot", end=20)], tmp_path / "farm" / "out", chunk=10,
                     host="npz")
    for a, b in job.graphs[0].chunks:
        assert run_chunk(str(job.root), "shot", a, b).status == "done"
    return job


def edit(job, fn) -> None:
    path = job.root / "job.json"
    doc = json.loads(path.read_text())
    fn(doc)
    path.write_text(json.dumps(doc))


def files_under(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def refused(result, *words) -> None:
    """Non-zero exit, no traceback, the message names job.json and the words."""
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    text = said(result)
    assert "Traceback" not in text and "job.json" in text, text
    for w in words:
        assert w in text, (w, text)


@pytest.mark.parametrize("output", ["/tmp/moks-abs.npz", "../escaped.npz", "../../x.npz",
                                    "sub/x.npz", "..", ".hidden.npz", "a\nb.npz", "x\\..\\y"])
def test_output_from_job_json_is_a_plain_name(tmp_path, job, output):
    before = files_under(tmp_path)
    edit(job, lambda d: d["graphs"][0].update(output=output))
    result = invoke("merge", job.root)
    refused(result, "MG110", "$.graphs[0].output", "plain file name")
    assert files_under(tmp_path) == before
    assert not os.path.exists("/tmp/moks-abs.npz")


@pytest.mark.parametrize("name", ["../../../outside/TRAV", "..", "/abs", "a/b", ".x", ""])
def test_graph_name_from_job_json_is_a_plain_name(tmp_path, job, name):
    before = files_under(tmp_path)
    edit(job, lambda d: d["graphs"][0].update(name=name))
    for result in (invoke("merge", job.root), invoke("chunk", job.root, "--frames", "1-10"),
                   invoke("merge", job.root, "--graph", name)):
        refused(result, "MG110", "$.graphs[0].name")
    assert files_under(tmp_path) == before
    assert not (tmp_path / "outside").exists()


MALFORMED = [
    ("not json", "MG111"),
    ("[]", "MG110"),
    ('{"schema": "moks-farm-job/9"}', "MG113"),
    ("null", "MG110"),
    ("[" * 100000, "MG111"),
]


@pytest.mark.parametrize("text,code", MALFORMED)
def test_unreadable_job_json(job, text, code):
    (job.root / "job.json").write_text(text)
    refused(invoke("merge", job.root), code)
    with pytest.raises(MoksError) as err:
        load_job(job.root)
    assert err.value.code == code and str(job.root / "job.json") in str(err.value)


SCHEMA_EDITS = [
    (lambda d: d.pop("graphs"), "$.graphs"),
    (lambda d: d.pop("id"), "$.id"),
    (lambda d: d.update(id="../job"), "$.id"),
    (lambda d: d.update(chunk="10"), "$.chunk"),
    (lambda d: d.update(chunk=0), "$.chunk"),
    (lambda d: d.update(host=["npz"]), "$.host"),
    (lambda d: d.update(graphs={"shot": 1}), "$.graphs"),
    (lambda d: d.update(graphs=[1]), "$.graphs[0]"),
    (lambda d: d.update(extra=1), "$.extra"),
    (lambda d: d["graphs"][0].pop("name"), "$.graphs[0].name"),
    (lambda d: d["graphs"][0].update(chunks=[[1]]), "$.graphs[0].chunks[0]"),
    (lambda d: d["graphs"][0].update(chunks=[[1, "x"]]), "$.graphs[0].chunks[0][1]"),
    (lambda d: d["graphs"][0].update(chunks=5), "$.graphs[0].chunks"),
    (lambda d: d["graphs"][0].update(chunks=[[1, 99]]), "$.graphs[0]"),
    (lambda d: d["graphs"][0].update(first=30), "$.graphs[0]"),
    (lambda d: d["graphs"][0].update(subframes=0), "$.graphs[0].subframes"),
    (lambda d: d["graphs"][0].update(fps=float("nan")), "$.graphs[0].fps"),
    (lambda d: d["graphs"][0].update(fps=None), "$.graphs[0].fps"),
    (lambda d: d["graphs"][0].update(snapshot_sha256="../x"), "$.graphs[0].snapshot_sha256"),
    (lambda d: d["graphs"][0].update(error=5), "$.graphs[0].error"),
    (lambda d: d["graphs"].append(dict(d["graphs"][0])), "$"),
]


@pytest.mark.parametrize("change,where", SCHEMA_EDITS)
def test_malformed_job_json_names_the_field(tmp_path, job, change, where):
    before = files_under(tmp_path)
    edit(job, change)
    for result in (invoke("merge", job.root), invoke("chunk", job.root, "--frames", "1-10")):
        refused(result, "MG110", f"at {where}")
    assert files_under(tmp_path) == before


def test_symlinked_graph_folder_is_refused(tmp_path, job):
    outside = tmp_path / "outside"
    outside.mkdir()
    graph_dir = job.root / "graphs" / "shot"
    (graph_dir / "chunks").rename(outside / "chunks")
    (graph_dir / "chunks").symlink_to(outside / "chunks", target_is_directory=True)
    before = files_under(outside)
    refused(invoke("chunk", job.root, "--frames", "1-10"), "MG141", "symlink",
            "field chunks")
    refused(invoke("merge", job.root), "symlink")
    assert files_under(outside) == before
    # the whole graph folder replaced by a link to elsewhere
    (graph_dir / "chunks").unlink()
    graph_dir.rename(outside / "shot")
    graph_dir.symlink_to(outside / "shot", target_is_directory=True)
    refused(invoke("chunk", job.root, "--frames", "11-20"), "MG141", "field name")


def test_symlinked_output_is_refused(tmp_path, job):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    (job.root.parent / "shot.npz").symlink_to(victim)
    refused(invoke("merge", job.root), "MG141", "$.graphs[0].output", "symlink")
    assert victim.read_text() == "keep"
    res = merge_graph(str(job.root), "shot", out=str(tmp_path / "explicit.npz"))
    assert res.ok, res.error  # an explicit --out is the user's choice, not the job's


def test_a_sound_job_still_merges(tmp_path, job):
    result = invoke("merge", job.root)
    assert result.exit_code == 0, result.output
    assert (job.root.parent / "shot.npz").is_file()


def test_a_full_disk_fails_the_chunk_not_the_worker(tmp_path, make_graph, monkeypatch):
    import errno

    from moks_graph.hosts.farm import bake

    job = create_job([make_graph("full", end=20)], tmp_path / "out", chunk=10, host="npz")

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(bake, "write_chunk", no_space)
    res = run_chunk(str(job.root), "full", 1, 10)
    assert res.status == "failed" and "No space left" in res.error and "frames 1-10" in res.error
    result = invoke("chunk", job.root, "--frames", "1-10")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "No space left" in said(result) and "at $" not in said(result)
    assert list((job.root / "graphs" / "full" / "chunks").iterdir()) == []


# -- farm manager files: text from a file name never becomes a key or a command -------
INJECT = ["\rPostJobScript=evil.py\r", "\nPostJobScript=evil.py\n", "\u2028x", "\x00", "\x1b[2J"]


@pytest.mark.parametrize("text", INJECT, ids=["cr", "lf", "u2028", "nul", "esc"])
def test_deadline_lines_refuse_control_characters(text):
    """Deadline ends a line at \\r too: a value holding one would add a key (a script run
    after the job); every control or line-breaking character is refused."""
    with pytest.raises(ValueError, match="control character"):
        _keyvalue({"Comment": f"moks farm chunks of /shows/x{text}.mgraph"})
    with pytest.raises(ValueError, match="cannot be passed"):
        command_line(["farm", "chunk", f"/shows/x{text}", "--graph", "x"])
    assert _keyvalue({"Comment": "chunks of /shows/é x.mgraph"}) == (
        "Comment=chunks of /shows/é x.mgraph\n")


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_of_a_graph_named_with_a_line_break_writes_nothing(tmp_path, make_graph, fmt):
    src = make_graph("shot", end=20)
    hostile = src.with_name("shot\rPostJobScript=evil.py\rx.mgraph")
    shutil.copy(src, hostile)
    out = tmp_path / "export" / ("job" if fmt == "deadline" else f"job.{fmt}")
    out.parent.mkdir()
    with pytest.raises(ValueError, match=r"graph .* control character U\+000D"):
        farm_export(fmt, [hostile], out, frames="1-20", chunk=10, host="npz")
    assert files_under(out.parent) == []
    with pytest.raises(ValueError, match=r"shot .* control character U\+001B"):
        farm_export(fmt, [src], out, frames="1-20", chunk=10, host="npz",
                    options=FarmOptions(shot="sh010\x1b]0;x\x07"))
    assert files_under(out.parent) == []


def test_cli_export_of_a_hostile_file_name_is_one_message(tmp_path, make_graph):
    src = make_graph("shot", end=20)
    hostile = src.with_name("shot\rPostJobScript=evil.py\rx.mgraph")
    shutil.copy(src, hostile)
    out = tmp_path / "export"
    r = subprocess.run([sys.executable, "-m", "moks_graph.cli", "farm", "export", "--format",
                        "deadline", str(hostile), "--frames", "1-20", "--out", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "U+000D" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not out.exists()


CHATTY = '''
import sys
from moks_graph import CHANNELS, Channels, Node, Output
print("chatty at import")


class Chatty(Node):
    """A studio node that prints."""

    type_id = "studio.chatty"
    reads = frozenset({"frame"})
    outputs = {"channels": Output(CHANNELS)}

    def compute(self, ctx, params):
        print("chatty computing", flush=True)
        return {"channels": Channels(ctx.time, {"probe.tx": ctx.time.frames * 0.0},
                                     {"probe": "null"})}
'''


def test_farm_bake_json_stays_json_when_a_plugin_prints_in_the_workers(tmp_path, make_graph):
    """The workers are processes sharing the command's stdout: what a plugin prints there
    goes to stderr while ``--json`` is on, and the report on stdout parses."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "chatty_nodes.py").write_text(CHATTY)
    src = make_graph("shot", end=20)
    doc = json.loads(src.read_text())
    doc["nodes"]["extra"] = {"type": "studio.chatty", "type_version": 1, "params": {}, "ui": {}}
    doc["edges"] = [e for e in doc["edges"] if e["to"] != ["scene", "b"]]
    doc["edges"].append({"from": ["extra", "channels"], "to": ["scene", "b"]})
    src.write_text(json.dumps(doc))
    r = subprocess.run([sys.executable, "-m", "moks_graph.cli", "farm", "bake", str(src),
                        "--chunk", "10", "--host", "npz", "--out", str(tmp_path / "out"),
                        "--workers", "1", "--no-progress", "--json"],
                       capture_output=True, text=True, timeout=300,
                       env={**os.environ, "MOKS_NODE_PATH": str(plugins)})
    assert r.returncode == 0, r.stderr
    (row,) = json.loads(r.stdout)["rows"]
    assert row["failed"] == "0" and row["result"].endswith("shot.npz")
    assert "chatty computing" in r.stderr and "chatty computing" not in r.stdout
