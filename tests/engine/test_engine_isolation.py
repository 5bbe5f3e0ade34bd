"""Plugins isolated (issue 14): BaseException at import or in compute is contained and
reported (MG130 naming the file / MG120 naming the node), a per-node time limit, built-in
type ids kept, plugin prints kept off stdout; and the work budget (MG131)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from moks_graph import mgraph
from moks_graph.errors import MoksError
from moks_graph.evaluate import Evaluator
from moks_graph.frames import WORK_BUDGET, estimate_work, parse_frame_range, work_problem
from moks_graph.registry import Registry

DEMO = Path(mgraph.__file__).parent / "data" / "demo.mgraph"

NODE = textwrap.dedent('''
    import time
    from moks_graph import CHANNELS, Channels, Node, NodeParams, Output, Param


    class {name}(Node):
        """A studio node."""

        type_id = "studio.{kind}"
        reads = frozenset({{"frame"}})
        outputs = {{"channels": Output(CHANNELS)}}

        class Params(NodeParams):
            value: float = Param(1.0, ge=0, le=100)

        def compute(self, ctx, params):
            {body}
            return {{"channels": Channels(ctx.time, {{"camera.tx": ctx.time.frames * 0 + 1}})}}
''')


def plugin(folder: Path, name: str, kind: str, body: str = "pass", head: str = "") -> Path:
    path = folder / f"{kind}_nodes.py"
    path.write_text(head + NODE.format(name=name, kind=kind, body=body))
    return path


def moks(*args: str, node_path: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "COLUMNS": "250", **env}
    if node_path is not None:
        full["MOKS_NODE_PATH"] = str(node_path)
    return subprocess.run([sys.executable, "-m", "moks_graph.cli", *args], capture_output=True,
                          text=True, env=full, timeout=120)


def demo_with(tmp_path: Path, type_id: str, connect: bool = True, **settings: object) -> Path:
    doc = json.loads(DEMO.read_text())
    doc["nodes"]["extra"] = {"type": type_id, "type_version": 1, "params": {}, "ui": {}}
    if connect:  # feed the scene in place of flicker, so that a bake needs it
        doc["edges"] = [e for e in doc["edges"] if e["to"] != ["scene", "b"]]
        doc["edges"].append({"from": ["extra", "channels"], "to": ["scene", "b"]})
    doc["settings"].update(settings)
    path = tmp_path / "g.mgraph"
    path.write_text(json.dumps(doc))
    return path


# -- import ----------------------------------------------------------------------------
@pytest.mark.parametrize("raise_", ["SystemExit(0)", "KeyboardInterrupt()", "BaseException('x')",
                                    "GeneratorExit()"])
def test_base_exception_at_import_is_reported_and_the_rest_load(tmp_path, raise_):
    plugin(tmp_path, "Good", "good")
    plugin(tmp_path, "Bad", "bad", head=f"raise {raise_}\n")
    reg = Registry()
    reg.load_path([str(tmp_path)])
    assert "studio.good" in reg and "studio.bad" not in reg
    assert [os.path.basename(e.source) for e in reg.errors] == ["bad_nodes.py"]
    assert raise_.split("(")[0] in reg.errors[0].message


def test_node_of_a_failed_plugin_is_mg130_naming_the_file(tmp_path):
    plugin(tmp_path, "Bad", "bad", head="raise SystemExit(0)\n")
    reg = Registry()
    reg.load_entry_points()
    reg.load_path([str(tmp_path)])
    graph = mgraph.load(demo_with(tmp_path, "studio.bad"), registry=reg)
    problems = graph.validate()
    mg130 = [p for p in problems if p.code == "MG130"]
    assert mg130 and mg130[0].node == "extra" and "bad_nodes.py" in mg130[0].message
    assert not [p for p in problems if p.code == "MG101"]
    doc = json.loads(DEMO.read_text())  # a type no failed plugin names stays MG101
    doc["nodes"]["other"] = {"type": "vendor.mystery", "type_version": 1}
    other = mgraph.loads(json.dumps(doc), registry=reg)
    assert [p.code for p in other.validate()] == ["MG101"]


def test_cli_validate_and_bake_with_a_plugin_that_exits_at_import(tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    plugin(plugins, "Bad", "bad", head="raise SystemExit(0)\n")
    graph = demo_with(tmp_path, "studio.bad")
    r = moks("validate", str(graph), node_path=plugins)
    assert r.returncode == 1 and "MG130" in r.stderr and "bad_nodes.py" in r.stderr
    out = tmp_path / "out.usda"
    r = moks("bake", str(graph), "--host", "usd", "--out", str(out), node_path=plugins)
    assert r.returncode != 0 and not out.exists()
    r = moks("validate", str(DEMO), node_path=plugins)  # a graph without it is unaffected
    assert r.returncode == 0 and "ok" in r.stdout


def test_builtin_type_ids_cannot_be_replaced(tmp_path):
    (tmp_path / "thief.py").write_text(textwrap.dedent('''
        from moks_graph import CHANNELS, Node, Output


        class Merge(Node):
            """Not the real merge."""

            type_id = "moks.channels.merge"
            outputs = {"channels": Output(CHANNELS)}

            def compute(self, ctx, params):
                return {}


        class Sneaky(Merge):
            """Assigned around register()."""


        def register(registry):
            registry.register(Merge, "thief")
            registry._types["moks.channels.oscillator"] = Sneaky
    '''))
    reg = Registry()
    reg.load_entry_points()
    builtin_merge, builtin_osc = reg.get("moks.channels.merge"), reg.get("moks.channels.oscillator")
    reg.load_path([str(tmp_path)])
    assert reg.get("moks.channels.merge") is builtin_merge
    assert reg.get("moks.channels.oscillator") is builtin_osc
    messages = " | ".join(str(e) for e in reg.errors)
    assert "thief.py" in messages and "moks.channels.merge" in messages
    assert "moks.channels.oscillator" in messages


def test_plugin_prints_at_import_do_not_corrupt_eval_json(tmp_path):
    plugin(tmp_path, "Noisy", "noisy", head="print('hello from the plugin')\n")
    r = moks("eval", str(DEMO), "--output", "sway.channels", node_path=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "sway.channels" in json.loads(r.stdout)
    assert "hello from the plugin" in r.stderr


def test_plugin_prints_in_compute_do_not_corrupt_eval_json(tmp_path):
    plugin(tmp_path, "Chatty", "chatty",
           body="print('computing', flush=True); return {'channels': Channels(ctx.time, {})}")
    graph = demo_with(tmp_path, "studio.chatty")
    r = moks("eval", str(graph), "--output", "extra.channels", node_path=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "extra.channels" in json.loads(r.stdout)
    assert "computing" in r.stderr


# -- compute -------------------------------------------------------------------------
@pytest.mark.parametrize("raise_", ["SystemExit(0)", "KeyboardInterrupt()", "BaseException('x')"])
def test_base_exception_in_compute_is_mg120_naming_the_node(tmp_path, raise_):
    plugin(tmp_path, "Bomb", "bomb", body=f"raise {raise_}")
    reg = Registry()
    reg.load_entry_points()
    reg.load_path([str(tmp_path)])
    assert reg.errors == []
    graph = mgraph.load(demo_with(tmp_path, "studio.bomb"), registry=reg)
    result = Evaluator().evaluate(graph, ["scene.channels", "sway.channels"])
    assert "sway.channels" in result.values and "scene.channels" not in result.values
    (p,) = [p for p in result.problems if p.code == "MG120"]
    assert p.node == "extra" and raise_.split("(")[0] in p.message


def test_cli_bake_with_a_compute_that_exits_never_exits_0(tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    plugin(plugins, "Bomb", "bomb", body="raise SystemExit(0)")
    graph = demo_with(tmp_path, "studio.bomb")
    out = tmp_path / "out.usda"
    r = moks("bake", str(graph), "--host", "usd", "--out", str(out), node_path=plugins)
    assert r.returncode != 0 and not out.exists()
    assert "MG120" in r.stderr and "extra" in r.stderr
    r = moks("eval", str(graph), "--output", "scene.channels", node_path=plugins)
    assert r.returncode == 1 and "MG120" in r.stderr and "SystemExit" in r.stderr


def _sleeper_graph(tmp_path):
    plugin(tmp_path, "Sleeper", "sleeper", body="time.sleep(30)")
    reg = Registry()
    reg.load_entry_points()
    reg.load_path([str(tmp_path)])
    return mgraph.load(demo_with(tmp_path, "studio.sleeper"), registry=reg)


def test_time_limit_stops_a_sleeping_compute(tmp_path, monkeypatch):
    graph = _sleeper_graph(tmp_path)
    monkeypatch.setenv("MOKS_NODE_TIME_LIMIT", "0.3")
    result = Evaluator().evaluate(graph, ["scene.channels", "sway.channels"])
    (p,) = [p for p in result.problems if p.code == "MG120"]
    assert p.node == "extra" and "time limit of 0.3 s" in p.message
    assert "sway.channels" in result.values
    monkeypatch.delenv("MOKS_NODE_TIME_LIMIT")
    result = Evaluator(time_limit=0.2).evaluate(graph, ["extra.channels"])
    assert "time limit of 0.2 s" in result.problems[0].message


def test_time_limit_off_the_main_thread(tmp_path):
    plugin(tmp_path, "Spinner", "spinner", body="t = time.monotonic()\n"
           "        while time.monotonic() - t < 30: pass")
    reg = Registry()
    reg.load_entry_points()
    reg.load_path([str(tmp_path)])
    graph = mgraph.load(demo_with(tmp_path, "studio.spinner"), registry=reg)
    found = []
    worker = threading.Thread(target=lambda: found.append(
        Evaluator(time_limit=0.3).evaluate(graph, ["extra.channels"])))
    worker.start()
    worker.join(20)
    assert not worker.is_alive()
    assert "time limit of 0.3 s" in found[0].problems[0].message


def test_cli_time_limit(tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    plugin(plugins, "Sleeper", "sleeper", body="time.sleep(30)")
    out = tmp_path / "out.usda"
    r = moks("bake", str(demo_with(tmp_path, "studio.sleeper")), "--host", "usd", "--out",
             str(out), node_path=plugins, MOKS_NODE_TIME_LIMIT="0.5")
    assert r.returncode != 0 and not out.exists() and "time limit of 0.5 s" in r.stderr


# -- work budget -------------------------------------------------------------------------
def test_work_estimate_and_problem(monkeypatch):
    assert estimate_work(1, 240, 1) == 240 and estimate_work(1, 240, 4, 3) == (239 * 4 + 1) * 3
    assert work_problem(1, 240, 24.0, 1, 10) is None
    p = work_problem(1, 2_000_000, 24.0, 1, 7)
    assert p is not None and p.code == "MG131" and "14,000,000" in p.message
    assert f"{WORK_BUDGET:,}" in p.message
    assert work_problem(1, 10, 5e-324, 1) is not None
    assert work_problem(1, 10, float("nan"), 1) is not None
    monkeypatch.setenv("MOKS_WORK_BUDGET", "100")
    assert work_problem(1, 240, 24.0, 1) is not None and work_problem(1, 100, 24.0, 1) is None
    with pytest.raises(MoksError):
        parse_frame_range("1-100000000")


def test_validate_refuses_a_graph_over_the_budget(tmp_path):
    doc = json.loads(DEMO.read_text())
    doc["settings"]["frame_end"] = 2_000_000
    big = tmp_path / "big.mgraph"
    big.write_text(json.dumps(doc))
    r = moks("validate", "--json", str(big))
    assert r.returncode == 1
    (p,) = json.loads(r.stdout)[str(big)]
    assert p["code"] == "MG131" and "2,000,000 samples" in p["message"] and "cap" in p["message"]
    r = moks("validate", str(big), MOKS_WORK_BUDGET="100000000")
    assert r.returncode == 0 and "ok" in r.stdout
    out = tmp_path / "out.usda"
    r = moks("bake", str(big), "--host", "usd", "--out", str(out))
    assert r.returncode == 1 and "MG131" in r.stderr and not out.exists()


def test_fps_minimum_is_refused(tmp_path):
    doc = json.loads(DEMO.read_text())
    doc["settings"]["fps"] = 5e-324
    tiny = tmp_path / "tiny.mgraph"
    tiny.write_text(json.dumps(doc))
    r = moks("validate", str(tiny))
    assert r.returncode != 0 and "fps" in r.stderr


def test_command_line_frames_have_the_same_cap(tmp_path):
    out = tmp_path / "out.usda"
    for frames in ("1-100000000", "1-9000000"):
        r = moks("bake", str(DEMO), "--host", "usd", "--out", str(out), "--frames", frames)
        assert r.returncode != 0 and "MG131" in r.stderr and not out.exists()
        r = moks("eval", str(DEMO), "--output", "sway.channels", "--frames", frames)
        assert r.returncode != 0 and "MG131" in r.stderr and r.stdout == ""
    r = moks("eval", str(DEMO), "--output", "sway.channels", "--frames", "1-9000000",
             "--subframes", "64")
    assert "575,999,937 samples" in r.stderr.replace("\n", "")


def test_evaluate_api_refuses_over_budget_before_computing():
    graph = mgraph.load(DEMO)
    with pytest.raises(MoksError) as info:
        Evaluator().evaluate(graph, ["scene.channels"], frames=(1, 9_000_000), subframes=64)
    assert info.value.code == "MG131" and "cap" in str(info.value)


def test_a_plugin_compute_has_a_limit_by_default(tmp_path, monkeypatch):
    """Unset MOKS_NODE_TIME_LIMIT: a plugin's node stops at DEFAULT_PLUGIN_TIME_LIMIT; built-in
    nodes have none; 'off' lifts it."""
    from moks_graph import timelimit
    from moks_graph.timelimit import node_time_limit

    monkeypatch.delenv("MOKS_NODE_TIME_LIMIT", raising=False)
    assert node_time_limit() is None and node_time_limit(plugin=True) == 600.0
    monkeypatch.setattr(timelimit, "DEFAULT_PLUGIN_TIME_LIMIT", 0.3)
    graph = _sleeper_graph(tmp_path)
    result = Evaluator().evaluate(graph, ["scene.channels", "sway.channels"])
    (p,) = [p for p in result.problems if p.code == "MG120"]
    assert p.node == "extra" and "time limit of 0.3 s" in p.message
    assert "sway.channels" in result.values
    monkeypatch.setattr(timelimit, "DEFAULT_PLUGIN_TIME_LIMIT", 1e-6)  # would stop any compute
    demo = Evaluator().evaluate(mgraph.load(DEMO), ["scene.channels"])
    assert demo.problems == [] and "scene.channels" in demo.values  # built-ins: no limit
    for off in ("off", "0"):
        monkeypatch.setenv("MOKS_NODE_TIME_LIMIT", off)
        assert node_time_limit(plugin=True) is None
