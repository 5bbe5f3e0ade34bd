"""Security: plugins cannot hang or crash commands that do not use them (issue 20).

A plugin that loops or sleeps at import is stopped by the import limit
(``MOKS_PLUGIN_IMPORT_LIMIT``) and reported; ``KeyboardInterrupt`` at import
is a failed plugin (MG130 for its nodes), not "Aborted!"; a parameter
validator or serializer that raises is MG116 naming the node, not a
traceback; a plugin cannot take a built-in type id, even through
``default_registry()`` at import.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from moks_graph import mgraph
from moks_graph.registry import (
    DEFAULT_IMPORT_LIMIT,
    IMPORT_LIMIT_ENV,
    Registry,
    plugin_import_limit,
)

DEMO = Path(mgraph.__file__).parent / "data" / "demo.mgraph"

NODE = textwrap.dedent('''
    from moks_graph import CHANNELS, Channels, Node, NodeParams, Output, Param
    {imports}

    class {name}(Node):
        """A studio node."""

        type_id = "studio.{kind}"
        reads = frozenset({{"frame"}})
        outputs = {{"channels": Output(CHANNELS)}}

        class Params(NodeParams):
            value: float = Param(1.0, ge=0, le=100)
    {params}

        def compute(self, ctx, params):
            return {{"channels": Channels(ctx.time, {{"camera.tx": ctx.time.frames * 0 + 1}})}}
''')


def plugin(folder: Path, kind: str, head: str = "", params: str = "", imports: str = "") -> Path:
    path = folder / f"{kind}_nodes.py"
    params = textwrap.indent(textwrap.dedent(params), " " * 8)
    path.write_text(head + NODE.format(name=kind.title(), kind=kind, params=params,
                                       imports=imports))
    return path


def moks(*args: str, node_path: Path, **env: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "COLUMNS": "250", "MOKS_NODE_PATH": str(node_path), **env}
    return subprocess.run([sys.executable, "-m", "moks_graph.cli", *args], capture_output=True,
                          text=True, env=full, timeout=120)


def demo_with(tmp_path: Path, type_id: str, params: dict | None = None) -> Path:
    doc = json.loads(DEMO.read_text())
    doc["nodes"]["extra"] = {"type": type_id, "type_version": 1, "params": params or {},
                             "ui": {}}
    doc["edges"] = [e for e in doc["edges"] if e["to"] != ["scene", "b"]]
    doc["edges"].append({"from": ["extra", "channels"], "to": ["scene", "b"]})
    path = tmp_path / f"{type_id.split('.')[-1]}.mgraph"
    path.write_text(json.dumps(doc))
    return path


SLEEP = "import time\ntime.sleep(3600)\n"
SPIN = "while True:\n    pass\n"


def test_import_limit_from_the_environment(monkeypatch):
    monkeypatch.delenv(IMPORT_LIMIT_ENV, raising=False)
    assert plugin_import_limit() == (DEFAULT_IMPORT_LIMIT, None)
    for text, want in (("2.5", 2.5), ("off", None), ("0", None), ("-1", None), ("inf", None)):
        monkeypatch.setenv(IMPORT_LIMIT_ENV, text)
        assert plugin_import_limit() == (want, None), text
    for text in ("soon", "nan"):
        monkeypatch.setenv(IMPORT_LIMIT_ENV, text)
        limit, complaint = plugin_import_limit()
        assert limit == DEFAULT_IMPORT_LIMIT and IMPORT_LIMIT_ENV in complaint


@pytest.mark.parametrize("head", [SLEEP, SPIN], ids=["sleep", "spin"])
def test_a_hanging_import_is_stopped_and_the_rest_load(tmp_path, monkeypatch, head):
    monkeypatch.setenv(IMPORT_LIMIT_ENV, "0.3")
    plugin(tmp_path, "hang", head=head)
    plugin(tmp_path, "good")
    reg = Registry()
    t0 = time.monotonic()
    reg.load_path([str(tmp_path)])
    assert time.monotonic() - t0 < 10
    assert "studio.good" in reg and "studio.hang" not in reg
    (err,) = reg.errors
    assert err.source.endswith("hang_nodes.py") and IMPORT_LIMIT_ENV in err.message


def test_the_import_limit_off_a_main_thread(tmp_path, monkeypatch):
    monkeypatch.setenv(IMPORT_LIMIT_ENV, "0.3")
    plugin(tmp_path, "hang", head=SPIN)
    reg = Registry()
    worker = threading.Thread(target=reg.load_path, args=([str(tmp_path)],), daemon=True)
    worker.start()
    worker.join(20)
    assert not worker.is_alive()
    assert IMPORT_LIMIT_ENV in reg.errors[0].message


def test_cli_commands_that_do_not_use_a_hanging_plugin_finish(tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    plugin(plugins, "sleeper", head=SLEEP)
    plugin(plugins, "spinner", head=SPIN)
    t0 = time.monotonic()
    r = moks("validate", str(DEMO), node_path=plugins, MOKS_PLUGIN_IMPORT_LIMIT="0.5")
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr
    assert time.monotonic() - t0 < 60
    r = moks("validate", str(demo_with(tmp_path, "studio.sleeper")), node_path=plugins,
             MOKS_PLUGIN_IMPORT_LIMIT="0.5")
    assert r.returncode == 1 and "MG130" in r.stderr and "sleeper_nodes.py" in r.stderr
    assert "Traceback" not in r.stderr


def test_keyboard_interrupt_at_import_is_mg130_not_aborted(tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    plugin(plugins, "kbd", head="raise KeyboardInterrupt\n")
    r = moks("validate", str(DEMO), node_path=plugins)
    assert r.returncode == 0 and "Aborted" not in r.stdout + r.stderr
    r = moks("validate", str(demo_with(tmp_path, "studio.kbd")), node_path=plugins)
    assert r.returncode == 1 and "MG130" in r.stderr and "kbd_nodes.py" in r.stderr
    assert "Aborted" not in r.stdout + r.stderr


VALIDATOR = '''
            @field_validator("value")
            @classmethod
            def check(cls, v):
                raise {exc}
'''


@pytest.mark.parametrize("exc", ["RuntimeError('validator exploded')", "KeyboardInterrupt()",
                                 "SystemExit(0)", "MemoryError()"])
def test_a_raising_parameter_validator_is_mg116(tmp_path, exc):
    plugin(tmp_path, "val", params=VALIDATOR.format(exc=exc),
           imports="from pydantic import field_validator")
    reg = Registry()
    reg.load_entry_points()
    reg.load_path([str(tmp_path)])
    assert not reg.errors
    graph = mgraph.load(demo_with(tmp_path, "studio.val", {"value": 3}), registry=reg)
    (problem,) = graph.validate()
    assert problem.code == "MG116" and problem.node == "extra"
    assert problem.path == "$.nodes.extra.params" and exc.split("(")[0] in problem.message


def test_cli_raising_validator_and_serializer(tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    plugin(plugins, "val", params=VALIDATOR.format(exc="RuntimeError('boom')"),
           imports="from pydantic import field_validator")
    plugin(plugins, "ser", imports="from pydantic import field_serializer", params='''
            @field_serializer("value")
            def dump(self, v):
                raise RuntimeError("serializer exploded")
''')
    r = moks("validate", str(demo_with(tmp_path, "studio.val")), node_path=plugins)
    assert r.returncode == 1 and "MG116" in r.stderr and "Traceback" not in r.stderr
    out = tmp_path / "out.chan"
    r = moks("bake", str(demo_with(tmp_path, "studio.ser")), "--host", "chan", "--out", str(out),
             node_path=plugins)
    assert r.returncode == 1 and "MG116" in r.stderr and "'extra'" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_builtins_kept_when_a_plugin_registers_through_default_registry(tmp_path):
    (tmp_path / "thief.py").write_text(textwrap.dedent('''
        from moks_graph import CHANNELS, Node, Output
        from moks_graph.registry import default_registry


        class Merge(Node):
            """Not the real merge."""

            type_id = "moks.channels.merge"
            outputs = {"channels": Output(CHANNELS)}

            def compute(self, ctx, params):
                return {}


        default_registry().register(Merge, "built-in moks_graph.nodes.utility.channel_nodes")
    '''))
    code = ("from moks_graph.registry import default_registry\n"
            "r = default_registry()\n"
            "print(r.get('moks.channels.merge').__module__, len(r.errors))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "MOKS_NODE_PATH": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["moks_graph.nodes.utility.channel_nodes", "1"]


LOOPING_VALIDATOR = '''
            @field_validator("value")
            @classmethod
            def check(cls, v):
                print("validator talking")
                while True:
                    pass
'''


def test_a_looping_parameter_validator_is_mg116_under_the_limit(tmp_path, monkeypatch):
    """Loading checks every node of a type in one batch first: the batch is bounded too."""
    monkeypatch.setenv(IMPORT_LIMIT_ENV, "0.3")
    plugin(tmp_path, "loop", params=LOOPING_VALIDATOR,
           imports="from pydantic import field_validator")
    reg = Registry()
    reg.load_entry_points()
    reg.load_path([str(tmp_path)])
    t0 = time.monotonic()
    graph = mgraph.load(demo_with(tmp_path, "studio.loop", {"value": 3}), registry=reg)
    (problem,) = graph.validate()
    assert time.monotonic() - t0 < 10
    assert problem.code == "MG116" and problem.node == "extra"
    assert "did not finish in 0.3 s" in problem.message and IMPORT_LIMIT_ENV in problem.message


def test_cli_validate_json_stays_json_when_a_validator_prints_and_loops(tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    plugin(plugins, "loop", params=LOOPING_VALIDATOR,
           imports="from pydantic import field_validator")
    graph = demo_with(tmp_path, "studio.loop", {"value": 3})
    t0 = time.monotonic()
    r = moks("validate", "--json", str(graph), node_path=plugins, MOKS_PLUGIN_IMPORT_LIMIT="0.5")
    assert time.monotonic() - t0 < 60
    assert r.returncode == 1, r.stderr
    (problem,) = json.loads(r.stdout)[str(graph)]
    assert problem["code"] == "MG116" and problem["node"] == "extra"
    assert "validator talking" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("args", [("eval", str(DEMO), "--output", "sway.channels"),
                                  ("validate", "--json", str(DEMO)), ("nodes", "--json")],
                         ids=["eval", "validate", "nodes"])
def test_a_child_process_printing_at_import_stays_off_stdout(tmp_path, args):
    """Printing below Python (a child process, C code) shares the command's file descriptor
    1: the import guard sends it to stderr too, so the JSON on stdout parses."""
    (tmp_path / "shell_nodes.py").write_text(
        "import subprocess, sys\n"
        "subprocess.run([sys.executable, '-c', 'print(\"child says hi\")'], check=True)\n")
    r = moks(*args, node_path=tmp_path)
    assert r.returncode == 0, r.stderr
    json.loads(r.stdout)
    assert "child says hi" in r.stderr and "child says hi" not in r.stdout


def test_a_looping_serializer_is_mg116_under_the_limit(tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    plugin(plugins, "ser", imports="from pydantic import field_serializer", params='''
            @field_serializer("value")
            def dump(self, v):
                while True:
                    pass
''')
    out = tmp_path / "out.chan"
    t0 = time.monotonic()
    r = moks("bake", str(demo_with(tmp_path, "studio.ser")), "--host", "chan", "--out", str(out),
             node_path=plugins, MOKS_PLUGIN_IMPORT_LIMIT="0.5")
    assert time.monotonic() - t0 < 60
    assert r.returncode == 1 and "MG116" in r.stderr and "did not finish in 0.5 s" in r.stderr
    assert "Traceback" not in r.stderr and not out.exists()
