"""Bypass: a node flag that passes its primary input through to its output.

A bypassed node does not compute: each of its outputs is the value of its first
input (in declaration order) of the same port type, so a headless bake honours
the flag exactly as the editor shows it. A node type with an output that has no
input of its type cannot be bypassed (MG117, naming the output). Bypass is
saved as ``"bypass": true`` on the node in the ``.mgraph`` (absent when off, so
files and cache keys of graphs without bypassed nodes are unchanged).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from moks_graph.errors import Problem, problem_path

if TYPE_CHECKING:
    from moks_graph.node import Node


@functools.cache
def pass_through(cls: type[Node]) -> dict[str, str | None]:
    """Output port -> the input whose value a bypassed node passes on (None: none fits)."""
    out: dict[str, str | None] = {}
    for port, spec in cls.outputs.items():
        out[port] = next((name for name, inp in cls.inputs.items()
                          if inp.type.name == spec.type.name), None)
    return out


def bypass_problems(node_id: str, cls: type[Node]) -> list[Problem]:
    """MG117 for each output of ``cls`` that no input of the same type can feed."""
    missing = [port for port, source in pass_through(cls).items() if source is None]
    if not missing:
        return []
    names = ", ".join(f"{p!r} ({cls.outputs[p].type.name})" for p in missing)
    return [Problem("MG117", f"node {node_id!r} ({cls.type_id}) cannot be bypassed: no input "
                    f"of the type of output {names} to pass through",
                    problem_path("nodes", node_id, "bypass"), node_id, "bypass")]
