"""Frame sets: ``1-240``, ``1-240x2``, ``1,5,10-20``, negative frames; parsing and chunking.

Entry points: :func:`parse_frameset`, :func:`chunks`, :class:`FrameSet`.

Details (moved from this docstring, issue 15): docs/farm.md#hostsfarmframesetspy
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from moks_graph.errors import MoksError, Problem

#: The largest number of frames a set may hold (a guard against ``1-999999999``).
MAX_FRAMES = 10_000_000
#: The largest absolute frame number accepted.
MAX_ABS_FRAME = 10**9


def _fail(text: str, pos: int, what: str) -> MoksError:
    """An MG131 error naming the text, the 1-based position and what was expected."""
    shown = text[pos] if pos < len(text) else "end of text"
    where = f"at position {pos + 1} ({shown!r})" if pos < len(text) else "at the end"
    return MoksError(Problem("MG131", f"frame set {text!r}: {what} {where}; "
                             "expected e.g. '1-240', '1-240x2' or '1,5,10-20'"))


class _Scanner:
    """A cursor over the text that reads integers and punctuation, skipping blanks."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def blanks(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        self.blanks()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self, chars: str) -> str | None:
        if self.peek() and self.peek() in chars:
            self.pos += 1
            return self.text[self.pos - 1]
        return None

    def integer(self, what: str, signed: bool = True) -> int:
        self.blanks()
        start = self.pos
        if signed and self.pos < len(self.text) and self.text[self.pos] == "-":
            self.pos += 1
        digits = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in "0123456789":
            self.pos += 1
        if self.pos == digits:
            raise _fail(self.text, digits, f"expected {what}")
        value = int(self.text[start:self.pos])
        if abs(value) > MAX_ABS_FRAME:
            raise _fail(self.text, start, f"{what} {value} is beyond +-{MAX_ABS_FRAME}")
        return value


def _parse_items(text: str) -> list[tuple[int, int, int]]:
    """The ``(start, end, step)`` items of the text, checked."""
    scan = _Scanner(text)
    items: list[tuple[int, int, int]] = []
    while True:
        item_at = scan.pos
        start = scan.integer("a frame number")
        end, step = start, 1
        if scan.take("-"):
            end_at = scan.pos
            end = scan.integer("an end frame")
            if end < start:
                raise _fail(text, end_at, f"range {start}-{end} ends before it starts")
            if scan.take("x:"):
                step_at = scan.pos
                step = scan.integer("a step", signed=False)
                if step < 1:
                    raise _fail(text, step_at, "the step must be at least 1")
        items.append((start, end, step))
        if scan.take(","):
            continue
        if scan.peek():
            raise _fail(text, scan.pos, "unexpected character")
        if scan.pos == item_at:  # pragma: no cover - integer() raises first
            raise _fail(text, scan.pos, "empty item")
        return items


def _greedy_runs(frames: np.ndarray) -> list[tuple[int, int, int]]:
    """Canonical ``(start, end, step)`` runs of sorted unique frames (module doc)."""
    n = len(frames)
    if n == 1:
        return [(int(frames[0]), int(frames[0]), 1)]
    gaps = np.diff(frames)
    # index of the last gap of the constant-gap segment that contains each gap
    ends = np.append(np.flatnonzero(gaps[1:] != gaps[:-1]), n - 2)
    segment_end = ends[np.searchsorted(ends, np.arange(n - 1))]
    runs: list[tuple[int, int, int]] = []
    i = 0
    while i < n:
        if i == n - 1:
            runs.append((int(frames[i]), int(frames[i]), 1))
            break
        step = int(gaps[i])
        j = int(segment_end[i]) + 1
        if step == 1 or j - i >= 2:
            runs.append((int(frames[i]), int(frames[j]), step))
            i = j + 1
        else:
            runs.append((int(frames[i]), int(frames[i]), 1))
            i += 1
    return runs


class FrameSet:
    """An immutable, non-empty set of integer frames with a canonical text form."""

    __slots__ = ("_frames", "_runs")

    def __init__(self, frames: Iterable[int] | np.ndarray) -> None:
        arr = np.asarray(list(frames) if not isinstance(frames, np.ndarray) else frames)
        if arr.size == 0:
            raise ValueError("frames: a frame set needs at least one frame")
        if arr.dtype.kind not in "iu":
            if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
                arr = arr.astype(np.int64)
            else:
                raise TypeError(f"frames: frame numbers must be integers, got {arr.dtype}")
        arr = np.unique(arr.astype(np.int64).ravel())
        if arr.size > MAX_FRAMES:
            raise ValueError(f"frames: {arr.size} frames is more than {MAX_FRAMES}")
        if abs(int(arr[0])) > MAX_ABS_FRAME or abs(int(arr[-1])) > MAX_ABS_FRAME:
            raise ValueError(f"frames: frame numbers must be within +-{MAX_ABS_FRAME}")
        arr.setflags(write=False)
        self._frames = arr
        self._runs = tuple(_greedy_runs(arr))

    # -- construction ------------------------------------------------------
    @classmethod
    def parse(cls, text: str) -> FrameSet:
        """Parse frame-set text (module doc); raises MoksError MG131 naming the position."""
        if not isinstance(text, str):
            raise TypeError(f"text: a frame set must be given as str, got {type(text).__name__}")
        if not text.strip():
            raise MoksError(Problem("MG131", f"frame set {text!r} is empty; expected e.g. "
                                    "'1-240', '1-240x2' or '1,5,10-20'"))
        items = _parse_items(text)
        total = sum((end - start) // step + 1 for start, end, step in items)
        if total > MAX_FRAMES:
            raise MoksError(Problem("MG131", f"frame set {text!r} names {total} frames, more "
                                    f"than the {MAX_FRAMES} allowed"))
        parts = [np.arange(start, end + 1, step, dtype=np.int64) for start, end, step in items]
        return cls(np.concatenate(parts))

    @classmethod
    def range(cls, start: int, end: int, step: int = 1) -> FrameSet:
        """Frames ``start..end`` inclusive every ``step``."""
        for name, value in (("start", start), ("end", end), ("step", step)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise TypeError(f"{name}: expected an int, got {type(value).__name__}")
        if end < start:
            raise ValueError(f"end: {end} is before start {start}")
        if step < 1:
            raise ValueError(f"step: must be at least 1, got {step}")
        if (end - start) // step + 1 > MAX_FRAMES:
            raise ValueError(f"end: {start}-{end} is more than {MAX_FRAMES} frames")
        return cls(np.arange(start, end + 1, step, dtype=np.int64))

    # -- views -------------------------------------------------------------
    @property
    def frames(self) -> np.ndarray:
        """Sorted unique frames (int64, read-only)."""
        return self._frames

    @property
    def first(self) -> int:
        return int(self._frames[0])

    @property
    def last(self) -> int:
        return int(self._frames[-1])

    @property
    def is_contiguous(self) -> bool:
        """True when the set is one run of consecutive frames (``a-b``)."""
        return self.last - self.first + 1 == len(self)

    def contiguous_runs(self) -> list[tuple[int, int]]:
        """Maximal runs of consecutive frames as inclusive ``(start, end)`` pairs."""
        f = self._frames
        breaks = np.flatnonzero(np.diff(f) != 1)
        starts = np.concatenate([[0], breaks + 1])
        stops = np.concatenate([breaks, [len(f) - 1]])
        return [(int(f[a]), int(f[b])) for a, b in zip(starts, stops, strict=True)]

    def runs(self) -> tuple[tuple[int, int, int], ...]:
        """The canonical ``(start, end, step)`` runs behind :meth:`__str__`."""
        return self._runs

    def __str__(self) -> str:
        out = []
        for start, end, step in self._runs:
            if start == end:
                out.append(str(start))
            elif step == 1:
                out.append(f"{start}-{end}")
            else:
                out.append(f"{start}-{end}x{step}")
        return ",".join(out)

    def __repr__(self) -> str:
        return f"FrameSet({str(self)!r})"

    def __len__(self) -> int:
        return int(self._frames.size)

    def __iter__(self) -> Iterator[int]:
        return (int(f) for f in self._frames)

    def __contains__(self, frame: object) -> bool:
        if isinstance(frame, bool) or not isinstance(frame, int | np.integer):
            return False
        i = int(np.searchsorted(self._frames, int(frame)))
        return i < len(self._frames) and int(self._frames[i]) == int(frame)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FrameSet) and self._runs == other._runs

    def __hash__(self) -> int:
        return hash(self._runs)


def parse_frameset(text: str) -> FrameSet:
    """``parse_frameset("1-240x2")``: see :meth:`FrameSet.parse`."""
    return FrameSet.parse(text)


def as_frameset(value: Any) -> FrameSet:
    """A :class:`FrameSet` from text, a FrameSet, an inclusive ``(start, end)`` pair or a range."""
    if isinstance(value, FrameSet):
        return value
    if isinstance(value, str):
        return FrameSet.parse(value)
    if isinstance(value, range):
        if len(value) == 0 or value.step < 1:
            raise ValueError(f"frames: {value!r} is empty or runs backwards")
        return FrameSet.range(value.start, value[-1], value.step)
    if isinstance(value, tuple) and len(value) == 2:
        return FrameSet.range(value[0], value[1])
    raise TypeError("frames: expected frame-set text ('1-240'), a FrameSet, a (start, end) "
                    f"pair or a range, got {type(value).__name__}")


def chunks(frameset: FrameSet | str, size: int) -> list[tuple[int, int]]:
    """Contiguous inclusive ``(start, end)`` pieces of at most ``size`` frames (module doc)."""
    fs = as_frameset(frameset)
    if isinstance(size, bool) or not isinstance(size, int | np.integer):
        raise TypeError(f"size: expected an int, got {type(size).__name__}")
    if size < 1:
        raise ValueError(f"size: a chunk holds at least 1 frame, got {size}")
    out: list[tuple[int, int]] = []
    for start, end in fs.contiguous_runs():
        out.extend((a, min(a + size - 1, end)) for a in range(start, end + 1, size))
    return out
