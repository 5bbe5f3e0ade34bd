"""Error text from hostile files is bounded (issue 20): a 4 MB port name or parameter name
gives a short message quickly, not a 36 s render of megabytes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from moks_graph import mgraph
from moks_graph.errors import MAX_MESSAGE_CHARS, MAX_NAME_CHARS, Problem, shorten

DEMO = Path(mgraph.__file__).parent / "data" / "demo.mgraph"


def test_problems_keep_head_and_tail_of_long_text():
    p = Problem("MG108", "a" * 10 + "b" * 10_000_000 + "z", "$." + "k" * 5000, "n" * 5000)
    assert len(p.message) <= MAX_MESSAGE_CHARS + 60
    assert p.message.startswith("aaaaaaaaaab") and p.message.endswith("z")
    assert "characters cut" in p.message
    assert len(p.path) <= MAX_NAME_CHARS + 60 and len(p.node) <= MAX_NAME_CHARS + 60
    assert shorten("short") == "short"
    assert Problem("MG101", "ok").message == "ok"


def test_cli_validate_of_a_huge_port_name_is_fast_and_short(tmp_path):
    doc = json.loads(DEMO.read_text())
    doc["edges"][0]["to"] = [doc["edges"][0]["to"][0], "p" * 4_000_000]
    first = next(iter(doc["nodes"]))
    doc["nodes"][first]["params"]["x" * 2_000_000] = 1
    path = tmp_path / "huge.mgraph"
    path.write_text(json.dumps(doc))
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "moks_graph.cli", "validate", str(path)],
                       capture_output=True, text=True, timeout=120,
                       env={**os.environ, "COLUMNS": "250"})
    assert time.monotonic() - t0 < 20
    assert r.returncode == 1 and "MG108" in r.stderr and "MG115" in r.stderr
    assert len(r.stderr) < 20_000 and "Traceback" not in r.stderr


def test_foreign_exceptions_at_the_command_line_are_one_message():
    import click
    from click.testing import CliRunner

    from moks_graph.cli import MoksGroup

    class ForeignError(Exception):
        pass

    @click.group(cls=MoksGroup)
    def group() -> None:
        pass

    raised = {"foreign": ForeignError("disk image malformed " + "x" * 100_000),
              "memory": MemoryError(), "usage": click.UsageError("bad usage")}

    @group.command()
    @click.argument("kind")
    def boom(kind: str) -> None:
        raise raised[kind]

    r = CliRunner().invoke(group, ["boom", "foreign"])
    text = " ".join(r.output.split())
    assert r.exit_code == 2 and "disk image malformed" in text and "ForeignError" in text
    assert "--debug" in text and len(r.output) < 5000 and isinstance(r.exception, SystemExit)
    r = CliRunner().invoke(group, ["boom", "memory"])
    assert r.exit_code == 2 and "out of memory" in r.output
    r = CliRunner().invoke(group, ["boom", "usage"])  # click's own errors stay click's
    assert r.exit_code == 2 and "Usage:" in r.output and "bad usage" in r.output
