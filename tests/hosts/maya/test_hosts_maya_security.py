"""Security: text from data never becomes MEL in a .ma file (issue 20).

The output file name goes into ``//`` comment lines and object names into
string literals; a hostile name (newline, quote, ``;``, backslash) must not
add a top-level statement. Checked with the project's .ma parser.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from moks_graph.channels import Channels
from moks_graph.hosts.maya.ma_parser import parse_ma_text, statements
from moks_graph.hosts.maya.ma_writer import comment, ma_text, quote, write_ma
from moks_graph.hosts.maya.mapping import plan_maya_scene
from moks_graph.timebase import time_array

PAYLOAD = 'x";\nsystem("touch MEL_RAN");\n//'
#: The statements the writer emits; anything else at top level was injected.
WRITER_COMMANDS = {"requires", "currentUnit", "fileInfo", "createNode", "addAttr", "setAttr",
                   "connectAttr"}


def _commands(text: str) -> set[str]:
    return {st[0].text for st in statements(text) if not st[0].quoted}


def _scene(obj: str) -> Channels:
    t = time_array(1, 3, 24.0, 1)
    n = len(t)
    values = {f"{obj}.{a}": np.linspace(0.0, 1.0, n) for a in ("tx", "ty", "tz", "rx", "ry", "rz")}
    values[f"{obj}.intensity"] = np.full(n, 100.0)
    return Channels(t, values, {obj: "light.point"})


@pytest.mark.parametrize("name", [
    'evil\nsystem("touch MEL_RAN");\n.ma',
    "evil\rsystem(\"touch MEL_RAN\");\r.ma",
    "evil\u2028system(\"touch MEL_RAN\");.ma",
    "evil\x85system(\"touch MEL_RAN\");.ma",
])
def test_output_name_in_comments_adds_no_statement(tmp_path, name):
    path = write_ma(_scene("lamp"), tmp_path / name)
    with open(path, encoding="utf-8", newline="") as fh:
        text = fh.read()
    assert _commands(text) <= WRITER_COMMANDS
    assert "system" not in _commands(text)
    for line in text.splitlines():  # Python's idea of a line break: every one of them
        assert not line.lstrip().startswith("system"), line
    assert text.splitlines()[1].startswith("//Name: evil?system")


def _renamed(obj: str):
    """A planned scene whose light is called ``obj`` (Channels refuses such names already;
    the writer must be safe on its own: it also writes scenes planned by other code)."""
    scene = plan_maya_scene(_scene("lamp"))

    def sub(text: str | None) -> str | None:
        return None if text is None else text.replace("lamp", obj)

    nodes = tuple(dataclasses.replace(
        n, name=sub(n.name), parent=sub(n.parent),
        static=tuple((a, sub(v) if isinstance(v, str) else v) for a, v in n.static))
        for n in scene.nodes)
    curves = tuple(dataclasses.replace(c, name=sub(c.name), node=sub(c.node))
                   for c in scene.curves)
    connections = tuple((sub(a), sub(b)) for a, b in scene.connections)
    return dataclasses.replace(scene, nodes=nodes, curves=curves, connections=connections)


@pytest.mark.parametrize("obj", [
    'k";\nsystem("touch MEL_RAN");//',
    'k\\";system(\\"touch\\");',
    "k\\",
    'k"\r\tsystem "x"',
])
def test_object_names_stay_inside_their_literals(obj):
    text = ma_text(_renamed(obj), file_name=PAYLOAD)
    assert _commands(text) <= WRITER_COMMANDS
    back = parse_ma_text(text)
    assert obj in {n.name for n in back.nodes}  # the name reads back exactly
    assert any(c.node == obj for c in back.curves)


def test_control_characters_without_a_mel_escape_are_refused():
    with pytest.raises(ValueError, match="U\\+0000"):
        ma_text(_renamed("a\x00b"))
    with pytest.raises(ValueError, match="U\\+001B"):
        quote("\x1b[2J")


def test_quote_and_comment():
    assert quote('a"b\\c\nd\re\tf') == '"a\\"b\\\\c\\nd\\re\\tf"'
    assert comment("a\nb\r\u2028c\x00d") == "a?b??c?d"
    assert [t.text for t in statements(f"setAttr {quote(PAYLOAD)};")[0]] == ["setAttr", PAYLOAD]
