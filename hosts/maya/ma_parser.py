"""Parse the Maya ASCII subset that :mod:`moks_graph.hosts.maya.ma_writer` writes.

Entry points: :func:`read_ma`, :func:`parse_ma_text`.

Details (moved from this docstring, issue 15): docs/hosts.md#hostsmayama_parserpy
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import numpy as np

from moks_graph.channels import Channels
from moks_graph.timebase import sample_frames

from .. import units
from .mapping import (
    COMPOUNDS,
    FRAMES_INFO,
    SHORT_NAMES,
    TA,
    TL,
    MayaCurve,
    MayaNode,
    MayaScene,
    StaticValue,
    channels_from_maya_scene,
)

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|//[^\n]*|;|[^\s;"]+')
_FLAG = re.compile(r"^-[A-Za-z]")
_INDEX = re.compile(r"^\.?(\w+)\[(\d+)(?::(\d+))?\]$")

#: Centimetres per Maya linear unit.
LINEAR_UNITS: dict[str, float] = {
    "mm": 0.1, "millimeter": 0.1, "cm": 1.0, "centimeter": 1.0, "m": 100.0, "meter": 100.0,
    "km": 1e5, "kilometer": 1e5, "in": 2.54, "inch": 2.54, "ft": 30.48, "foot": 30.48,
    "yd": 91.44, "yard": 91.44, "mi": 160934.4, "mile": 160934.4,
}
#: Degrees per Maya angular unit.
ANGLE_UNITS: dict[str, float] = {"deg": 1.0, "degree": 1.0, "rad": 180.0 / np.pi,
                                 "radian": 180.0 / np.pi}
#: Flags that take one argument, per command (others are switches).
_ARG_FLAGS: dict[str, frozenset[str]] = {
    "setAttr": frozenset({"-k", "-keyable", "-l", "-lock", "-cb", "-channelBox", "-s", "-size",
                          "-type", "-ca", "-caching"}),
    "createNode": frozenset({"-n", "-name", "-p", "-parent"}),
    "currentUnit": frozenset({"-l", "-linear", "-a", "-angle", "-t", "-time"}),
    "connectAttr": frozenset(),
    "select": frozenset(),
}


@dataclass
class _Token:
    text: str
    quoted: bool


def _unescape(s: str) -> str:
    escapes = {"n": "\n", "r": "\r", "t": "\t"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), s, flags=re.S)


def statements(text: str) -> list[list[_Token]]:
    """Tokens of each ``;``-terminated statement (string literals unquoted, comments dropped)."""
    out: list[list[_Token]] = []
    cur: list[_Token] = []
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        if tok.startswith("//"):
            continue
        if tok == ";":
            if cur:
                out.append(cur)
            cur = []
        elif tok.startswith('"'):
            cur.append(_Token(_unescape(tok[1:-1]), True))
        else:
            cur.append(_Token(tok, False))
    if cur:
        out.append(cur)
    return out


def _split_flags(command: str, args: list[_Token]) -> tuple[dict[str, str], list[_Token]]:
    flags: dict[str, str] = {}
    rest: list[_Token] = []
    takes = _ARG_FLAGS.get(command)
    i = 0
    while i < len(args):
        tok = args[i]
        if not tok.quoted and _FLAG.match(tok.text):
            with_arg = (tok.text in takes) if takes is not None else True
            if with_arg and i + 1 < len(args):
                flags[tok.text] = args[i + 1].text
                i += 2
                continue
            flags[tok.text] = ""
        else:
            rest.append(tok)
        i += 1
    return flags, rest


def long_name(attr: str) -> str:
    """Long Maya attribute name for a short one in this host's subset."""
    return SHORT_NAMES.get(attr, attr)


@dataclass
class _Node:
    name: str
    node_type: str
    parent: str | None
    custom: list[tuple[str, str]] = field(default_factory=list)
    static: dict[str, StaticValue] = field(default_factory=dict)
    keys: dict[int, tuple[float, float]] = field(default_factory=dict)


class _Parser:
    def __init__(self) -> None:
        self.nodes: dict[str, _Node] = {}
        self.order: list[str] = []
        self.current: _Node | None = None
        self.connections: list[tuple[str, str]] = []
        self.cm_per_unit = 1.0
        self.deg_per_unit = 1.0
        self.time_unit = "film"
        self.frames: np.ndarray | None = None
        self.shared: dict[str, _Node] = {}

    def run(self, text: str) -> None:
        for stmt in statements(text):
            head = stmt[0].text
            handler = getattr(self, f"_do_{head}", None)
            if handler is not None:
                handler(stmt[1:])

    def _do_currentUnit(self, args: list[_Token]) -> None:
        flags, _ = _split_flags("currentUnit", args)
        lin = flags.get("-l", flags.get("-linear"))
        ang = flags.get("-a", flags.get("-angle"))
        tim = flags.get("-t", flags.get("-time"))
        if lin is not None:
            if lin not in LINEAR_UNITS:
                raise ValueError(f"unsupported linear unit {lin!r} in currentUnit")
            self.cm_per_unit = LINEAR_UNITS[lin]
        if ang is not None:
            if ang not in ANGLE_UNITS:
                raise ValueError(f"unsupported angular unit {ang!r} in currentUnit")
            self.deg_per_unit = ANGLE_UNITS[ang]
        if tim is not None:
            units.fps_from_maya_time_unit(tim)  # validates
            self.time_unit = tim

    def _do_createNode(self, args: list[_Token]) -> None:
        flags, rest = _split_flags("createNode", args)
        if not rest:
            raise ValueError("createNode without a node type")
        name = flags.get("-n", flags.get("-name"))
        if name is None:
            name = f"{rest[0].text}{len(self.order) + 1}"
        node = _Node(name, rest[0].text, flags.get("-p", flags.get("-parent")))
        self.nodes[name] = node
        self.order.append(name)
        self.current = node

    def _do_select(self, args: list[_Token]) -> None:
        _, rest = _split_flags("select", args)
        if not rest:
            self.current = None
            return
        name = rest[0].text.lstrip(":")
        if name not in self.nodes and rest[0].text.startswith(":"):
            self.shared.setdefault(name, _Node(name, "", None))
            self.current = self.shared[name]
            return
        self.current = self.nodes.get(name)

    def _do_addAttr(self, args: list[_Token]) -> None:
        if self.current is None:
            return
        flags, _ = _split_flags("addAttr", args)
        name = flags.get("-ln", flags.get("-longName", flags.get("-sn")))
        if name is None:
            return
        attr_type = flags.get("-at", flags.get("-attributeType", flags.get("-dt", "")))
        self.current.custom.append((name, attr_type))

    def _do_setAttr(self, args: list[_Token]) -> None:
        if self.current is None or not args:
            return
        flags, rest = _split_flags("setAttr", args)
        if not rest:
            return
        attr_text = rest[0].text
        values = [t.text for t in rest[1:]]
        node = self.current
        m = _INDEX.match(attr_text)
        if m:
            if m.group(1) == "ktv":
                self._keys(node, int(m.group(2)), int(m.group(3) or m.group(2)), values)
            return
        attr = long_name(attr_text.lstrip("."))
        vtype = flags.get("-type")
        if vtype == "string":
            node.static[attr] = values[0] if values else ""
            return
        if vtype is not None and vtype[:-1] in ("double", "float") and vtype[-1].isdigit():
            nums = tuple(float(v) for v in values)
            children = COMPOUNDS.get(attr)
            if children and len(children) == len(nums):
                node.static.update(dict(zip(children, nums, strict=True)))
            else:
                node.static[attr] = nums
            return
        if len(values) == 1:
            v = values[0]
            if v in ("yes", "true", "on"):
                node.static[attr] = True
            elif v in ("no", "false", "off"):
                node.static[attr] = False
            else:
                try:
                    node.static[attr] = float(v)
                except ValueError:
                    node.static[attr] = v

    def _keys(self, node: _Node, first: int, last: int, values: list[str]) -> None:
        count = last - first + 1
        if len(values) != 2 * count:
            raise ValueError(f"{node.name}.ktv[{first}:{last}] has {len(values)} numbers, "
                             f"expected {2 * count}")
        nums = [float(v) for v in values]
        for i in range(count):
            node.keys[first + i] = (nums[2 * i], nums[2 * i + 1])

    def _do_fileInfo(self, args: list[_Token]) -> None:
        if len(args) >= 2 and args[0].text == FRAMES_INFO:
            self.frames = parse_frames_text(args[1].text)

    def _do_connectAttr(self, args: list[_Token]) -> None:
        _, rest = _split_flags("connectAttr", args)
        if len(rest) >= 2:
            self.connections.append((rest[0].text, rest[1].text))

    # -- result
    def scene(self) -> MayaScene:
        nodes = []
        curves = []
        for name in self.order:
            n = self.nodes[name]
            if n.node_type.startswith("animCurve"):
                continue
            static = dict(n.static)
            for attr in ("translateX", "translateY", "translateZ"):
                if isinstance(static.get(attr), float):
                    static[attr] = float(static[attr]) * self.cm_per_unit
            for attr in ("rotateX", "rotateY", "rotateZ", "coneAngle", "penumbraAngle"):
                if isinstance(static.get(attr), float):
                    static[attr] = float(static[attr]) * self.deg_per_unit
            nodes.append(MayaNode(n.name, n.node_type, n.parent, tuple(n.custom),
                                  tuple(static.items())))
        others: list[tuple[str, str]] = []
        for src, dst in self.connections:
            curve_node, _, out = src.rpartition(".")
            c = self.nodes.get(curve_node)
            if c is None or not c.node_type.startswith("animCurveT") or out not in ("o", "output"):
                others.append((src, dst))
                continue
            target, _, attr = dst.rpartition(".")
            keys = [c.keys[i] for i in sorted(c.keys)]
            times = np.array([k[0] for k in keys], dtype=np.float64)
            values = np.array([k[1] for k in keys], dtype=np.float64)
            if c.node_type == TL:
                values = values * self.cm_per_unit
            elif c.node_type == TA:
                values = values * self.deg_per_unit
            curves.append(MayaCurve(c.name, c.node_type, target.split("|")[-1],
                                    long_name(attr), times, values))
        fps = units.fps_from_maya_time_unit(self.time_unit)
        shared = tuple(MayaNode(n.name, n.node_type, None, tuple(n.custom),
                                tuple(n.static.items())) for n in self.shared.values())
        return MayaScene(fps, self.time_unit, tuple(nodes), tuple(curves),
                         connections=tuple(others), frames=self.frames, shared=shared)


def parse_frames_text(text: str) -> np.ndarray:
    """Inverse of :func:`moks_graph.hosts.maya.ma_writer.frames_text`."""
    words = text.split()
    if len(words) == 4 and words[0] == "range":
        return sample_frames(int(words[1]), int(words[2]), int(words[3]))
    if words and words[0] == "list":
        return np.array([float(w) for w in words[1:]], dtype=np.float64)
    raise ValueError(f"fileInfo {FRAMES_INFO!r}: cannot read {text[:60]!r}")


def parse_ma_text(text: str) -> MayaScene:
    """The nodes, static values and keyed curves of ``.ma`` text (Maya UI units: cm, deg)."""
    parser = _Parser()
    parser.run(text)
    return parser.scene()


def read_ma(path: str | os.PathLike[str]) -> Channels:
    """Channels (internal units) of a ``.ma`` file written by ``write_ma``."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no Maya ASCII file at {str(path)!r}")
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    return channels_from_maya_scene(parse_ma_text(text))
