"""Frame ranges on the command line (``1-240``, ``-10-20``, ``100``) and the work budget.

The frame bounds and the work budget are the same for the command line and the
``.mgraph`` file. The work of an evaluation is estimated up front as samples
(frames x sub-frames) x the Channels outputs it computes (at least one); more
than :func:`work_budget` (default :data:`WORK_BUDGET`, ``MOKS_WORK_BUDGET``
overrides) is refused with MG131 giving the figure and the cap, by ``validate``
and before anything is evaluated or baked.
"""

from __future__ import annotations

import math
import os
import re

from moks_graph.errors import MoksError, Problem

_RANGE = re.compile(r"^\s*(-?\d+)\s*(?:-\s*(-?\d+))?\s*$")

#: Frame numbers a graph or a command line may name.
FRAME_MIN, FRAME_MAX = -1_000_000, 10_000_000
#: The lowest frame rate (frames per second) a graph may have; the highest is 1000.
MIN_FPS = 0.01
#: Default work budget: samples x Channels outputs of one evaluation.
WORK_BUDGET = 5_000_000
WORK_BUDGET_ENV = "MOKS_WORK_BUDGET"


def work_budget() -> int:
    """The cap on an evaluation's work: ``MOKS_WORK_BUDGET`` if set, else :data:`WORK_BUDGET`."""
    text = os.environ.get(WORK_BUDGET_ENV, "").strip()
    if not text:
        return WORK_BUDGET
    try:
        value = int(text)
    except ValueError:
        raise MoksError(Problem("MG131", f"{WORK_BUDGET_ENV}={text!r} is not a whole number")
                        ) from None
    if value < 1:
        raise MoksError(Problem("MG131", f"{WORK_BUDGET_ENV}={text!r} must be at least 1"))
    return value


def estimate_work(start: int, end: int, subframes: int, channel_outputs: int = 1) -> int:
    """Samples of ``start..end`` at ``subframes`` (the last frame has one) x Channels outputs."""
    samples = max(0, (end - start) * subframes + 1)
    return samples * max(1, channel_outputs)


def work_problem(start: int, end: int, fps: float, subframes: int, channel_outputs: int = 1,
                 path: str = "$.settings") -> Problem | None:
    """MG131 when the range, fps or work is out of bounds (figure and cap named), else None."""
    def refuse(message: str) -> Problem:
        return Problem("MG131", message, path)

    if not (FRAME_MIN <= start <= FRAME_MAX and FRAME_MIN <= end <= FRAME_MAX):
        return refuse(f"frames {start}-{end} are outside {FRAME_MIN}..{FRAME_MAX}")
    if not (isinstance(fps, int | float) and math.isfinite(fps) and fps >= MIN_FPS):
        return refuse(f"fps {fps!r} is below the minimum of {MIN_FPS:g} (or not finite)")
    if not (math.isfinite(start / fps) and math.isfinite(end / fps)):
        return refuse(f"frames {start}-{end} at {fps!r} fps give non-finite times")
    work = estimate_work(start, end, subframes, channel_outputs)
    cap = work_budget()
    if work > cap:
        samples = estimate_work(start, end, subframes)
        return refuse(f"work budget: frames {start}-{end} x {subframes} sub-frame(s) = "
                      f"{samples:,} samples x {max(1, channel_outputs)} Channels output(s) = "
                      f"{work:,}, over the cap of {cap:,} ({WORK_BUDGET_ENV} raises it)")
    return None


def parse_frame_range(text: str) -> tuple[int, int]:
    """``"1-240"`` -> ``(1, 240)``; ``"7"`` -> ``(7, 7)``. Clear error otherwise."""
    m = _RANGE.match(text)
    if not m:
        raise MoksError(Problem("MG131", f"frame range {text!r} is not START-END (e.g. 1-240)"))
    start = int(m.group(1))
    end = int(m.group(2)) if m.group(2) is not None else start
    if end < start:
        raise MoksError(Problem("MG131", f"frame range {text!r} ends before it starts"))
    if not (FRAME_MIN <= start <= FRAME_MAX and FRAME_MIN <= end <= FRAME_MAX):
        raise MoksError(Problem("MG131", f"frame range {text!r} is outside "
                                f"{FRAME_MIN}..{FRAME_MAX}"))
    return start, end
