"""Write Channels as a Maya ASCII (``.ma``) scene, without Maya.

Entry points: :func:`write_ma`, :func:`ma_text`.

Details (moved from this docstring, issue 15): docs/hosts.md#hostsmayama_writerpy
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import numpy as np

from moks_graph.atomic import atomic_output
from moks_graph.channels import Channels
from moks_graph.timebase import sample_frames

from ..ambient import AmbientFiles, maya_ambient_lines
from ..linkage import Linkage
from ..look import LookFiles, maya_look_lines
from ..output_paths import output_path
from .mapping import FRAMES_INFO, MayaCurve, MayaNode, MayaScene, StaticValue, plan_maya_scene

MA_SUFFIXES: tuple[str, ...] = (".ma",)
MAYA_VERSION = "2024"
#: Key pairs per line in a wrapped ``.ktv`` list.
PAIRS_PER_LINE = 6
#: Maya tangent type 2 = linear (``animCurve.tangentType`` / ``kit`` / ``kot`` enums).
LINEAR_TANGENT = 2


def fmt(value: float) -> str:
    """A finite float as the shortest text that parses back to the same double."""
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"cannot write non-finite value {v} to a .ma file")
    if v == 0.0:
        return "0"
    text = repr(v)
    return text[:-2] if text.endswith(".0") else text


#: MEL escapes for the characters a string literal may not hold raw.
_MEL_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def quote(text: str) -> str:
    """A MEL string literal: backslash, quote, newline, carriage return and tab escaped.

    Text from data (object names, attribute values) is never MEL: a name
    holding ``";`` or a newline stays inside its literal. Any other control
    character (no MEL escape exists for it) raises ``ValueError``.
    """
    for ch in text:
        if ch not in _MEL_ESCAPES and not ch.isprintable() and ch != " ":
            raise ValueError(f"cannot write {text[:80]!r} to a .ma file: it holds the "
                             f"control character U+{ord(ch):04X}")
    return '"' + "".join(_MEL_ESCAPES.get(ch, ch) for ch in text) + '"'


def comment(text: str) -> str:
    """``text`` safe inside a ``//`` comment line: every character that could end the line
    (or is otherwise unprintable) becomes ``?``."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _static(attr: str, value: StaticValue) -> str:
    if isinstance(value, bool):
        return f"\tsetAttr {quote('.' + attr)} {'yes' if value else 'no'};"
    if isinstance(value, str):
        return f"\tsetAttr {quote('.' + attr)} -type \"string\" {quote(value)};"
    if isinstance(value, tuple):
        kind = f"double{len(value)}"
        return (f"\tsetAttr {quote('.' + attr)} -type {quote(kind)} "
                f"{' '.join(fmt(v) for v in value)};")
    return f"\tsetAttr {quote('.' + attr)} {fmt(value)};"


def _node_lines(node: MayaNode) -> Iterator[str]:
    parent = f" -p {quote(node.parent)}" if node.parent else ""
    yield f"createNode {node.node_type} -n {quote(node.name)}{parent};"
    for attr, attr_type in node.custom:
        flag = "-dt" if attr_type == "string" else "-at"
        yield (f"\taddAttr -ci true -sn {quote(attr)} -ln {quote(attr)} "
               f"{flag} {quote(attr_type)};")
    for attr, value in node.static:
        yield _static(attr, value)


def _wrapped(numbers: list[str], per_line: int) -> str:
    rows = [" ".join(numbers[i:i + per_line]) for i in range(0, len(numbers), per_line)]
    return "\n\t\t".join(rows)


def _curve_lines(curve: MayaCurve) -> Iterator[str]:
    n = len(curve.times)
    yield f"createNode {curve.curve_type} -n {quote(curve.name)};"
    yield f'\tsetAttr ".tan" {LINEAR_TANGENT};'
    yield '\tsetAttr ".wgt" no;'
    pairs: list[str] = []
    for t, v in zip(curve.times, curve.values, strict=True):
        pairs += [fmt(t), fmt(v)]
    rng = f"[0:{n - 1}]" if n > 1 else "[0]"
    yield f'\tsetAttr -s {n} ".ktv{rng}"  {_wrapped(pairs, 2 * PAIRS_PER_LINE)};'
    tangents = _wrapped([str(LINEAR_TANGENT)] * n, 4 * PAIRS_PER_LINE)
    yield f'\tsetAttr -s {n} ".kit{rng}"  {tangents};'
    yield f'\tsetAttr -s {n} ".kot{rng}"  {tangents};'


def frames_text(frames: np.ndarray) -> str:
    """Sample frames as ``"range <start> <end> <subframes>"`` when they are
    :func:`moks_graph.timebase.sample_frames` of whole frames, else ``"list f0 f1 ..."``."""
    f = np.asarray(frames, dtype=np.float64)
    if len(f) > 1:
        sub = max(1, round(1.0 / float(np.diff(f).min()))) if np.diff(f).min() > 0 else 0
        start, end = f[0], f[-1]
        if (sub and float(start).is_integer() and float(end).is_integer()
                and np.array_equal(sample_frames(int(start), int(end), sub), f)):
            return f"range {int(start)} {int(end)} {sub}"
    return "list " + " ".join(fmt(v) for v in f)


def ma_text(scene: MayaScene, *, file_name: str = "untitled.ma",
            extra: Sequence[str] = ()) -> str:
    """The ``.ma`` file text of a planned scene; ``extra``: statements (lines) written after
    the scene's own, before its connections (the film look, the ambient's skydome)."""
    start, end = scene.frame_range
    unit = scene.time_unit
    unit_text = unit if not unit.endswith("fps") else quote(unit)
    lines = [
        f"//Maya ASCII {MAYA_VERSION} scene",
        f"//Name: {comment(file_name)}",
        "//Codeset: UTF-8",
        f'requires maya "{MAYA_VERSION}";',
        f"currentUnit -l centimeter -a degree -t {unit_text};",
        'fileInfo "application" "maya";',
        f'fileInfo "product" "Maya {MAYA_VERSION}";',
        f'fileInfo "version" "{MAYA_VERSION}";',
        'fileInfo "moks_graph" "moks_graph.hosts.maya.ma_writer";',
    ]
    if scene.frames is not None and len(scene.frames):
        lines.append(f"fileInfo {quote(FRAMES_INFO)} {quote(frames_text(scene.frames))};")
    for node in scene.nodes:
        lines.extend(_node_lines(node))
    for curve in scene.curves:
        lines.extend(_curve_lines(curve))
    playback = (f"playbackOptions -min {fmt(np.floor(start))} -max {fmt(np.ceil(end))} "
                f"-ast {fmt(np.floor(start))} -aet {fmt(np.ceil(end))} ")
    lines += [
        'createNode script -n "sceneConfigurationScriptNode";',
        f'\tsetAttr ".b" -type "string" {quote(playback)};',
        '\tsetAttr ".st" 6;',
    ]
    lines.extend(extra)
    for curve in scene.curves:
        lines.append(f"connectAttr {quote(curve.name + '.o')} "
                     f"{quote(curve.node + '.' + curve.attr)};")
    for source, destination in scene.connections:
        lines.append(f"connectAttr {quote(source)} {quote(destination)} -na;")
    for source, destination in scene.links:
        lines.append(f"connectAttr {quote(source)} {quote(destination)};")
    lines.append(f"// End of {comment(file_name)}")
    return "\n".join(lines) + "\n"


def write_ma(channels: Channels, path: str | os.PathLike[str], *,
             linkage: Linkage | None = None, look: LookFiles | None = None,
             ambient: AmbientFiles | None = None) -> str:
    """Write ``channels`` to a Maya ASCII file; returns the path written.

    ``linkage``: lights and the camera aim under their moving target
    (:func:`moks_graph.hosts.maya.mapping.plan_maya_scene`); ``look``: colour management
    set to the film look's config (:func:`moks_graph.hosts.look.maya_look_lines`);
    ``ambient``: an ``aiSkyDomeLight`` (:func:`moks_graph.hosts.ambient.maya_ambient_lines`).
    Raises ``ValueError`` /
    ``TypeError`` for bad input and an ``OSError`` subclass when ``path`` cannot be
    written; nothing is left at ``path`` then.
    """
    target = output_path(path, MA_SUFFIXES)
    extra = ((maya_ambient_lines(ambient) if ambient is not None else [])
             + (maya_look_lines(look) if look is not None else []))
    text = ma_text(plan_maya_scene(channels, linkage), file_name=target.name, extra=extra)
    with atomic_output(target) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    return str(target)

