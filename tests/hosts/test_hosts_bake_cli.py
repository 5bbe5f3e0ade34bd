"""``moks bake`` through the real CLI (subprocess) and the bake API: output, progress, and every
error path (unknown host, missing host library, unwritable output, invalid graph) exiting
non-zero with a clear message and leaving no file (or temporary file) at the output path."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

import moks_graph as mg
from moks_graph.errors import HostError
from moks_graph.hosts import bake as bake_mod
from moks_graph.hosts.bake import bake, bake_file, bake_graph, check_output, host_writer

GRAPHS = Path(__file__).resolve().parents[2] / "graphs"
GRAPH = GRAPHS / "handheld_chase.mgraph"  # 25 fps, frames 1-120

#: Runs the CLI after making ``import <module>`` fail (the "library not installed" path).
WITHOUT = ("import sys; sys.modules[sys.argv.pop(1)] = None; "
           "from moks_graph.cli import main; sys.argv[0] = 'moks'; main()")


def moks(*args: str, without: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m moks_graph.cli ARGS`` (optionally with one module made unimportable)."""
    head = ["-c", WITHOUT, without] if without else ["-m", "moks_graph.cli"]
    env = {**os.environ, "COLUMNS": "400", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, *head, *args], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_cli_bakes_usd_with_frames_and_subframes(tmp_path):
    from moks_graph.hosts.usd.reader import read_usd

    pytest.importorskip("pxr")
    out = tmp_path / "chase.usda"
    proc = moks("bake", str(GRAPH), "--host", "usd", "--out", str(out),
                "--frames", "1-24", "--subframes", "2")
    assert proc.returncode == 0, proc.stderr
    # no temporary file left beside it; the starter's film look travels with it (issue 17)
    assert listing(tmp_path) == ["chase.usda", "moks_look_vision3_250d.clf",
                                 "moks_look_vision3_250d.ocio"]
    assert "baked 57 channels x 47 samples" in flat(proc.stdout)
    got = read_usd(out)
    np.testing.assert_array_equal(got.time.frames, np.arange(2, 49) / 2.0)  # 1, 1.5, ..., 24
    want = bake_graph(mg.load(GRAPH), (1, 24), 2)
    cam = next(o for o, k in want.kinds.items() if k == "camera")
    np.testing.assert_allclose(got[f"{cam}.tx"], want[f"{cam}.tx"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got[f"{cam}.focal_length"], want[f"{cam}.focal_length"],
                               rtol=1e-6)


def test_cli_unknown_host(tmp_path):
    proc = moks("bake", str(GRAPH), "--host", "houdini", "--out", str(tmp_path / "x.usda"))
    assert proc.returncode == 2
    err = flat(proc.stderr)
    assert "unknown host 'houdini'" in err and "alembic, blender, chan, maya, unreal, usd" in err
    assert listing(tmp_path) == []


@pytest.mark.parametrize(("host", "module", "extra", "suffix"),
                         [("usd", "pxr", "usd", ".usda"), ("blender", "bpy", "blender", ".blend"),
                          ("unreal", "bpy", "blender", ".fbx"),
                          ("alembic", "bpy", "blender", ".abc")])
def test_cli_host_library_not_installed(tmp_path, host, module, extra, suffix):
    out = tmp_path / f"x{suffix}"
    proc = moks("bake", str(GRAPH), "--host", host, "--out", str(out), without=module)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    err = flat(proc.stderr)
    assert f"host '{host}' needs the '{module}' module (the '{extra}' extra)" in err
    assert "pip install 'moks-graph" in err
    assert listing(tmp_path) == []


@pytest.mark.parametrize(("host", "module", "extra"),
                         [("usd", "pxr", "usd"), ("blender", "bpy", "blender")])
def test_missing_library_message_names_the_extra(monkeypatch, host, module, extra):
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(HostError, match=re.escape(f"pip install 'moks-graph[{extra}]'")) as exc:
        host_writer(host)
    assert exc.value.code == "MG140" and exc.value.exit_code == 2


@pytest.mark.parametrize("case", ["no folder", "folder is a file", "out is a folder",
                                  "wrong suffix", "read-only folder"])
def test_cli_unwritable_output(tmp_path, case):
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "taken.ma").mkdir()
    ro = tmp_path / "ro"
    ro.mkdir()
    out = {"no folder": tmp_path / "missing" / "x.ma",
           "folder is a file": tmp_path / "a_file" / "x.ma",
           "out is a folder": tmp_path / "taken.ma",
           "wrong suffix": tmp_path / "x.usda",
           "read-only folder": ro / "x.ma"}[case]
    as_root = case == "read-only folder" and os.geteuid() == 0
    if as_root:  # root writes into chmod-ed folders; /proc refuses new files even to root
        out = Path("/proc") / "moks_bake_test.ma"
    elif case == "read-only folder":
        ro.chmod(0o500)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    try:
        proc = moks("bake", str(GRAPH), "--host", "maya", "--out", str(out))
    finally:
        ro.chmod(0o700)
    assert proc.returncode == 2, proc.stdout
    err = flat(proc.stderr)
    expected = {"no folder": "does not exist", "folder is a file": "is not a folder",
                "out is a folder": "is a directory",  # click's own check of --out
                "wrong suffix": "must end in one of .ma",
                "read-only folder": "cannot write" if as_root else "not writable"}
    assert expected[case] in err
    if case != "out is a folder":
        # names the file; no "at $": no place in a graph file is involved
        assert err.rstrip().endswith("(MG141 output-unwritable, field --out)"), err
        assert str(out) in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert "baked" not in proc.stdout


def test_unwritable_output_fails_before_evaluating(tmp_path, monkeypatch):
    def boom(*_a, **_k):
        raise AssertionError("evaluated although the output cannot be written")

    monkeypatch.setattr(bake_mod, "_evaluate", boom)
    with pytest.raises(HostError, match="does not exist") as exc:
        bake(mg.load(GRAPH), "maya", tmp_path / "nope" / "x.ma")
    assert exc.value.code == "MG141"
    with pytest.raises(HostError, match=r"must end in one of \.ma"):
        check_output("maya", tmp_path / "x.blend")
    (tmp_path / "dir.ma").mkdir()
    with pytest.raises(HostError, match="it is a folder"):
        check_output("maya", tmp_path / "dir.ma")


def test_cli_graph_with_validation_errors(tmp_path):
    data = json.loads(GRAPH.read_text(encoding="utf-8"))
    data["nodes"]["camera_rig"]["params"]["fstop"] = -3.0
    data["nodes"]["key"]["type"] = "moks.light.nope"
    bad = tmp_path / "bad.mgraph"
    bad.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "x.ma"
    proc = moks("bake", str(bad), "--host", "maya", "--out", str(out))
    assert proc.returncode == 1
    assert "MG105" in proc.stderr and "MG101" in proc.stderr  # every problem, not the first
    assert "fstop" in proc.stderr and "moks.light.nope" in proc.stderr
    assert listing(tmp_path) == ["bad.mgraph"]


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    """A writer failing half-way (after creating its temporary file) leaves no file behind."""
    from moks_graph.atomic import atomic_output

    def half_writer(channels, path, **features):  # features: the look and ambient files
        with atomic_output(Path(path)) as tmp:
            tmp.write_text("partial")
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(bake_mod, "host_writer", lambda host: half_writer)
    with pytest.raises(HostError, match="No space left on device") as exc:
        bake(mg.load(GRAPH), "maya", tmp_path / "x.ma")
    assert exc.value.code == "MG141"
    assert listing(tmp_path) == []


def test_progress_reports_evaluation_then_writing(tmp_path):
    steps: list[tuple[str, int, int, str]] = []
    result = bake(mg.load(GRAPH), "maya", tmp_path / "x.ma",
                  progress=lambda *step: steps.append(step))
    phases = [s[0] for s in steps]
    assert phases[-2:] == ["write", "write"] and set(phases[:-2]) == {"evaluate"}
    evaluate = [s for s in steps if s[0] == "evaluate"]
    n = evaluate[0][2]
    assert [s[1] for s in evaluate] == list(range(n + 1))  # 0..n, one step per node
    assert {s[2] for s in evaluate} == {n} and n >= 5
    assert steps[-2:] == [("write", 0, 1, "maya"), ("write", 1, 1, "maya")]
    assert result.evaluate_s >= 0 and result.write_s >= 0 and result.path.is_file()


def test_rich_progress_bar_on_a_terminal(tmp_path):
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=120, color_system=None)
    seen: list[str] = []
    path = bake_file(str(GRAPH), "maya", str(tmp_path / "x.ma"), console=console,
                     progress=lambda phase, *_: seen.append(phase))
    text = buf.getvalue()
    assert path == tmp_path / "x.ma" and path.is_file()
    assert "evaluating" in text and "writing maya" in text  # the live bar was drawn
    assert "baked 57 channels x 120 samples" in text  # then the summary
    assert seen[0] == "evaluate" and seen[-1] == "write"


def test_no_bar_when_not_a_terminal(tmp_path):
    buf = io.StringIO()
    bake_file(str(GRAPH), "maya", str(tmp_path / "x.ma"),
              console=Console(file=buf, force_terminal=False, width=200))
    text = buf.getvalue()
    assert "evaluating" not in text
    assert text.startswith("baked 57 channels x 120 samples (5 objects) to ")


def test_bake_file_keeps_its_old_call(tmp_path):
    """bake_file(file, host, out, frames=, subframes=, console=) -> Path, as moks bake calls it."""
    out = bake_file(str(GRAPH), "maya", str(tmp_path / "x.ma"), frames=(1, 10), subframes=1,
                    console=None)
    assert out == tmp_path / "x.ma"
    from moks_graph.hosts.maya.ma_parser import read_ma

    assert len(read_ma(out).time) == 10
