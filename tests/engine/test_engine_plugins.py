"""Plugins: MOKS_NODE_PATH folders, a broken module reported while the rest load."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from moks_graph.registry import Registry

GOOD = textwrap.dedent('''
    """A studio plugin."""
    from moks_graph import FLOAT, Node, NodeParams, Output, Param


    class StudioConstant(Node):
        """The studio's favourite number."""

        type_id = "studio.constant"
        outputs = {"value": Output(FLOAT)}

        class Params(NodeParams):
            value: float = Param(42.0, ge=0, le=100)

        def compute(self, ctx, params):
            return {"value": params.value}
''')

REGISTERING = textwrap.dedent('''
    from moks_graph import FLOAT, node


    @node("studio.double", inputs={"x": FLOAT}, outputs={"y": FLOAT})
    def double(x):
        """Twice x."""
        return 2 * x


    def register(registry):
        registry.register(double, "studio package")
''')


def make_plugins(root):
    (root / "good_nodes.py").write_text(GOOD)
    (root / "broken_nodes.py").write_text("import numpy\nraise RuntimeError('studio bug')\n")
    (root / "syntax_error.py").write_text("def oops(:\n")
    pkg = root / "studio_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(REGISTERING)
    (root / "_private.py").write_text("raise SystemExit('must not be imported')\n")


def test_broken_plugin_is_reported_and_the_rest_load(tmp_path):
    make_plugins(tmp_path)
    reg = Registry()
    reg.load_path([str(tmp_path)])
    assert "studio.constant" in reg and "studio.double" in reg
    sources = sorted(os.path.basename(e.source) for e in reg.errors)
    assert sources == ["broken_nodes.py", "syntax_error.py"]
    broken = next(e for e in reg.errors if e.source.endswith("broken_nodes.py"))
    assert "RuntimeError: studio bug" in broken.message
    assert "Traceback" in broken.detail


def test_missing_folder_is_reported(tmp_path):
    reg = Registry()
    reg.load_path([str(tmp_path / "absent")])
    assert len(reg.errors) == 1 and "does not exist" in reg.errors[0].message


def test_builtins_come_through_the_entry_point():
    from importlib.metadata import entry_points

    names = {ep.name: ep.value for ep in entry_points(group="moks_graph.nodes")}
    assert names.get("builtin") == "moks_graph.nodes:register"
    reg = Registry()
    reg.load_entry_points()
    assert "moks.channels.oscillator" in reg and reg.errors == []


def test_cli_lists_plugins_and_their_failures(tmp_path):
    make_plugins(tmp_path)
    env = {**os.environ, "MOKS_NODE_PATH": str(tmp_path), "COLUMNS": "250"}
    out = subprocess.run([sys.executable, "-m", "moks_graph.cli", "nodes"], env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0
    assert "studio.constant" in out.stdout and "moks.channels.oscillator" in out.stdout
    assert "broken_nodes.py" in out.stderr and "studio bug" in out.stderr
