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


HOSTILE_ID = "x\x1b]0;PWNED\x07\x1b[2K\x1b[1A\u202e[bold]red"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "moks_graph.cli", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "COLUMNS": "250"})


def _no_terminal_codes(text: str) -> None:
    for raw in ("\x1b", "\x07", "\u202e"):
        assert raw not in text, (raw, text)
    assert "\\x1b]0;PWNED\\x07\\x1b[2K" in text  # shown, not obeyed


def test_names_from_a_file_cannot_drive_the_terminal(tmp_path):
    """A node id or key holding ESC (title, erase-line, cursor-up), BEL or a bidi override is
    printed as escapes by validate, info and a one-line error, never sent raw."""
    doc = json.loads(DEMO.read_text())
    doc["nodes"][HOSTILE_ID] = {"type": "moks.nope", "type_version": 1}
    path = tmp_path / "esc.mgraph"
    path.write_text(json.dumps(doc))
    r = _cli("validate", str(path))
    assert r.returncode == 1 and "MG101" in r.stderr
    _no_terminal_codes(r.stdout + r.stderr)
    r = _cli("info", str(path))
    assert r.returncode == 0 and "[bold]red" in r.stdout, r.stderr  # markup shown, not applied
    _no_terminal_codes(r.stdout + r.stderr)
    doc = json.loads(DEMO.read_text())
    doc[HOSTILE_ID] = 1  # one schema problem: the one-line error
    path.write_text(json.dumps(doc))
    r = _cli("validate", str(path))
    assert r.returncode == 2 and "MG110" in r.stderr
    _no_terminal_codes(r.stdout + r.stderr)


def test_a_terminal_listing_shows_control_characters_as_escapes():
    """On a terminal (rich renders the table with its own colour codes) a cell from data
    still sends no title, erase or bidi sequence."""
    import io

    from moks_graph.listing import Listing, MoksConsole

    out = io.StringIO()
    console = MoksConsole(file=out, force_terminal=True, width=200)
    table = Listing("node")
    table.add_row(HOSTILE_ID)
    console.print(table)
    text = out.getvalue()
    assert "\x1b]0;" not in text and "\x07" not in text and "\u202e" not in text
    assert "\x1b[2K" not in text and "\x1b[1A" not in text
    assert "\\x1b]0;PWNED" in text
