"""``kill -9`` during a write leaves a temporary file beside the output; the next write of the
same output sweeps it, and touches nothing else (issue 14).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import moks_graph as mg
from moks_graph import tempnames
from moks_graph.cache import atomic_write_bytes
from moks_graph.cli import main

STARTER = sorted((Path(__file__).resolve().parents[2] / "graphs").glob("*.mgraph"))[0]


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def aged(path: Path, seconds: float) -> Path:
    path.write_text("partial")
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def test_temp_names_carry_host_and_pid(tmp_path):
    fd, name = tempnames.make(tmp_path, "shot", ".tmp.ma")
    os.close(fd)
    assert Path(name).name.startswith(f".shot.moks-{tempnames.HOST}-{os.getpid()}-")
    assert not tempnames.is_stale(Path(name), "shot", ".tmp.ma")  # ours, alive


def test_a_bake_sweeps_only_stale_temp_siblings_of_its_output(tmp_path):
    host, dead = tempnames.HOST, dead_pid()
    stale = [
        aged(tmp_path / f".shot.moks-{host}-{dead}-abcd1234.tmp.ma", 0),   # writer gone
        aged(tmp_path / ".shot.x1y2z3w4.tmp.ma", 120),                      # old-style, old
        aged(tmp_path / ".shot.moks-otherbox-77-abcd1234.tmp.ma", 120),    # other host, old
    ]
    kept = [
        aged(tmp_path / f".shot.moks-{host}-{os.getpid()}-abcd1234.tmp.ma", 3600),  # live pid
        aged(tmp_path / ".shot.x1y2z3w4.tmp.ma.keep", 120),         # not the pattern
        aged(tmp_path / ".shot.q1q2q3q4.tmp.usda", 120),             # another output
        aged(tmp_path / ".take.x1y2z3w4.tmp.ma", 120),                # another output
        aged(tmp_path / ".shot.fresh123.tmp.ma", 5),                   # old-style, recent
        aged(tmp_path / ".shot.moks-otherbox-77-fresh123.tmp.ma", 5),  # other host, recent
        aged(tmp_path / "shot.x1y2z3w4.tmp.ma", 120),                  # not hidden
    ]
    folder = tmp_path / ".shot.dir12345.tmp.ma"
    folder.mkdir()
    r = CliRunner().invoke(main, ["bake", str(STARTER), "--host", "maya", "--frames", "1-3",
                                  "--out", str(tmp_path / "shot.ma")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "shot.ma").is_file()
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in kept) and folder.is_dir()


def test_saves_through_atomic_write_bytes_sweep_too(tmp_path):
    leftover = aged(tmp_path / f".shot.mgraph.moks-{tempnames.HOST}-{dead_pid()}-k9k9k9k9.tmp",
                    0)
    mg.save(mg.load(STARTER), tmp_path / "shot.mgraph")
    assert not leftover.exists()
    atomic_write_bytes(tmp_path / "x.bin", b"1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shot.mgraph", "x.bin"]


WRITER = """
import sys, time
from pathlib import Path
from moks_graph.atomic import atomic_output
with atomic_output(Path(sys.argv[1])) as tmp:
    tmp.write_text("half a scene")
    print(tmp.name, flush=True)
    time.sleep(120)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_kill_9_mid_write_then_the_next_bake_cleans_up(tmp_path):
    out = tmp_path / "shot.ma"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(out)], stdout=subprocess.PIPE,
                              text=True)
    try:
        temp_name = writer.stdout.readline().strip()  # the writer is inside its write now
        assert temp_name.startswith(".shot.moks-")
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
        writer.stdout.close()
    assert (tmp_path / temp_name).exists() and not out.exists()  # what kill -9 leaves
    r = CliRunner().invoke(main, ["bake", str(STARTER), "--host", "maya", "--frames", "1-3",
                                  "--out", str(out)])
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "shot.ma" in names and not [n for n in names if n.startswith(".")], names
    # beside the host file only the starter's film look (hosts/look.py): no temp left
    assert all(n == "shot.ma" or n.startswith("moks_look_") for n in names), names
