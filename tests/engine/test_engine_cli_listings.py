"""Listings off a terminal: plain, untruncated, one record per line; ``--json``; ``moks farm``."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from moks_graph import mgraph
from moks_graph.cli import main
from moks_graph.listing import Listing, MoksConsole

DEMO = Path(mgraph.__file__).parent / "data" / "demo.mgraph"
BOX = set("┃│━─┏┓┗┛┡┩╇┳┻╋┼") | {"…", "\x1b"}


@pytest.fixture(autouse=True)
def _no_forced_terminal(monkeypatch):
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "40")  # a narrow terminal width must not matter off one


def _plain(text: str) -> None:
    assert not BOX & set(text), sorted(BOX & set(text))


def _invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_nodes_piped_prints_full_type_ids_one_per_line():
    out = _invoke("nodes").output
    _plain(out)
    lines = out.splitlines()
    assert lines[0].split("\t") == ["type", "version", "category", "inputs", "outputs",
                                    "params", "summary"]
    rows = [line.split("\t") for line in lines[1:]]
    assert all(len(r) == 7 for r in rows)
    assert "moks.rig.dolly" in [r[0] for r in rows]
    assert any(len(line) > 80 for line in lines)  # nothing cut at 80 columns


def test_nodes_through_a_real_pipe():
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    r = subprocess.run([sys.executable, "-m", "moks_graph.cli", "nodes"], capture_output=True,
                       text=True, env={**env, "COLUMNS": "40"}, check=True)
    _plain(r.stdout)
    assert [ln for ln in r.stdout.splitlines() if ln.startswith("moks.rig.dolly\t")]


def test_nodes_json_and_one_type_json():
    listed = json.loads(_invoke("nodes", "--json").output)
    dolly = next(n for n in listed if n["type"] == "moks.rig.dolly")
    assert dolly["outputs"]["channels"] == "Channels" and dolly["version"] >= 1
    one = json.loads(_invoke("nodes", "moks.rig.dolly", "--json").output)
    assert one["type"] == "moks.rig.dolly"
    assert {p["name"] for p in one["params"]} >= {"focal_length"}


def test_nodes_one_type_piped_is_plain():
    out = _invoke("nodes", "moks.rig.dolly").output
    _plain(out)
    assert "port\tdirection\ttype\trequired" in out
    assert any(line.startswith("focal_length\t") for line in out.splitlines())


def test_info_piped_and_json():
    out = _invoke("info", str(DEMO)).output
    _plain(out)
    lines = out.splitlines()
    assert lines[1] == "node\ttype\tversion\tinputs from\tstatus"
    doc = json.loads(_invoke("info", "--json", str(DEMO)).output)
    assert doc["file"] == str(DEMO)
    assert len(doc["nodes"]) == len(mgraph.load(DEMO).nodes)
    assert all(len(line.split("\t")) == 5 for line in lines[2:2 + len(doc["nodes"])])


def test_validate_problem_table_piped_is_plain(tmp_path):
    doc = json.loads(DEMO.read_text())
    doc["nodes"]["sway"]["params"]["frequency_hz"] = -1
    doc["nodes"]["mystery"] = {"type": "vendor.mystery.with.a.rather.long.type.id",
                               "type_version": 1}
    bad = tmp_path / "bad.mgraph"
    bad.write_text(json.dumps(doc))
    r = _invoke("validate", str(bad))
    assert r.exit_code == 1
    text = r.stderr
    _plain(text)
    lines = text.splitlines()
    assert lines[0] == f"# {bad}"
    assert lines[1] == "code\tproblem\tpath\tmessage"
    records = [line.split("\t") for line in lines[2:]]
    assert len(records) >= 2 and all(len(rec) == 4 for rec in records)
    assert any("vendor.mystery.with.a.rather.long.type.id" in rec[3] for rec in records)


def test_listing_on_a_narrow_terminal_folds_instead_of_cutting():
    table = Listing("type", "summary", title="nodes")
    table.add_row("moks.rig.dolly", "[green]a long summary that cannot fit[/]")
    term = MoksConsole(file=io.StringIO(), force_terminal=True, width=24)
    term.print(table)
    shown = term.file.getvalue()
    assert "┃" in shown and "…" not in shown
    piped = MoksConsole(file=io.StringIO(), width=24)
    piped.print(table)
    assert piped.file.getvalue().splitlines() == [
        "# nodes", "type\tsummary", "moks.rig.dolly\ta long summary that cannot fit"]
    assert table.to_json()["rows"] == [{"type": "moks.rig.dolly",
                                        "summary": "a long summary that cannot fit"}]


def test_listing_cells_stay_on_one_line():
    table = Listing("a", "b")
    table.add_row("x\ty", "two\nlines [not markup")
    out = io.StringIO()
    MoksConsole(file=out).print(table)
    assert out.getvalue().splitlines()[1] == "x y\ttwo lines [not markup"


def test_farm_summary_tables_piped_are_plain():
    from moks_graph.hosts.farm.match import BatchItem, BatchReport, ImageResult, MatchReport

    long_path = "/shots/" + "very_long_folder_name/" * 6 + "ref.png"
    report = MatchReport(images=[ImageResult(long_path, "done", "/out/ref", 1.5),
                                 ImageResult("b.png", "failed", error="[bad] image")],
                         wall_s=2.0)
    out = io.StringIO()
    MoksConsole(file=out).print(report.table())
    _plain(out.getvalue())
    lines = out.getvalue().splitlines()
    assert lines[0] == "# farm match" and lines[1] == "image\tstatus\tseconds\tresult"
    assert lines[2] == f"{long_path}\tdone\t1.50\t/out/ref"
    assert lines[3] == "b.png\tfailed\t0.00\t[bad] image"
    assert lines[4].startswith("# 1/2 images")
    batch = BatchReport(items=[BatchItem("a.png", "a", "failed", seconds=0.5, message="nope")])
    out = io.StringIO()
    MoksConsole(file=out).print(batch.table())
    _plain(out.getvalue())
    assert "a.png\tfailed\t\t\t\t\t\t\t0.50\tnope" in out.getvalue().splitlines()


def test_farm_group_lists_and_runs_only_farm_commands():
    r = _invoke("farm", "--help")
    assert r.exit_code == 0
    listed = {line.split()[0] for line in r.output.split("Commands:")[1].splitlines()
              if line.strip()}
    assert listed == {"bake", "chunk", "export", "match", "merge"}
    r = CliRunner().invoke(main, ["farm", "farm", "farm"])
    assert r.exit_code == 2 and "No such command 'farm'" in r.output
    r = CliRunner().invoke(main, ["farm", "nodes"])
    assert r.exit_code == 2
    assert "farm" in _invoke("--help").output  # still a top-level command
