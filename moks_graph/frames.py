"""Frame ranges on the command line: ``1-240``, ``-10-20``, ``100``."""

from __future__ import annotations

import re

from moks_graph.errors import MoksError, Problem

_RANGE = re.compile(r"^\s*(-?\d+)\s*(?:-\s*(-?\d+))?\s*$")


def parse_frame_range(text: str) -> tuple[int, int]:
    """``"1-240"`` -> ``(1, 240)``; ``"7"`` -> ``(7, 7)``. Clear error otherwise."""
    m = _RANGE.match(text)
    if not m:
        raise MoksError(Problem("MG131", f"frame range {text!r} is not START-END (e.g. 1-240)"))
    start = int(m.group(1))
    end = int(m.group(2)) if m.group(2) is not None else start
    if end < start:
        raise MoksError(Problem("MG131", f"frame range {text!r} ends before it starts"))
    return start, end
