"""The time array: the single source of truth for sampling.

A bake samples frames ``start..end`` inclusive with ``subframes`` samples per
frame. Sample ``k`` sits at frame ``(start * subframes + k) / subframes``,
computed from integers so that any chunk of a range produces bit-identical
frame values to the whole range at the frames they share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TimeArray:
    """Frames (float64, absolute frame numbers incl. sub-frame samples) and fps."""

    frames: np.ndarray
    fps: float

    @property
    def seconds(self) -> np.ndarray:
        return self.frames / self.fps

    def __len__(self) -> int:
        return int(self.frames.shape[0])


def sample_frames(start: int, end: int, subframes: int = 1) -> np.ndarray:
    """Frame numbers from ``start`` to ``end`` inclusive, ``subframes`` samples per frame.

    The last sample is frame ``end`` itself (no sub-frames after the last frame).
    """
    if end < start:
        raise ValueError(f"frame range {start}-{end} is empty (end before start)")
    if subframes < 1:
        raise ValueError(f"subframes must be >= 1, got {subframes}")
    ticks = np.arange(start * subframes, end * subframes + 1, dtype=np.int64)
    return ticks.astype(np.float64) / float(subframes)


def time_array(start: int, end: int, fps: float, subframes: int = 1) -> TimeArray:
    """The :class:`TimeArray` for a frame range at ``fps``."""
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    return TimeArray(frames=sample_frames(start, end, subframes), fps=float(fps))
