"""A subject track from a file: a host scene object's positions over time (``moks track``).

Entry points: :func:`load_track`, :func:`track_positions_at`, :class:`Track`.

Details (moved from this docstring, issue 15): docs/moving-targets.md#nodessubjecttrackpy
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np

#: The ``format`` key of a track file and the version this reader knows.
TRACK_FORMAT = "moks.track"
TRACK_VERSION = 1


@dataclass(frozen=True)
class Track:
    """Sample times [s] ``(M,)``, positions [m] ``(M, 3)`` and where they came from."""

    seconds: np.ndarray
    positions: np.ndarray
    source: str = ""
    select: str = ""
    object: str = ""

    def to_json(self) -> str:
        return json.dumps({
            "format": TRACK_FORMAT, "version": TRACK_VERSION, "source": self.source,
            "select": self.select, "object": self.object,
            "seconds": [float(t) for t in self.seconds],
            "positions": [[float(v) for v in p] for p in self.positions]},
            indent=1, sort_keys=True) + "\n"


def check_track(seconds: np.ndarray, positions: np.ndarray, what: str = "track") -> None:
    """``ValueError`` unless ``seconds`` ``(M,)`` increase strictly and ``positions`` are
    finite ``(M, 3)``, ``M >= 1``."""
    if seconds.ndim != 1 or len(seconds) < 1:
        raise ValueError(f"{what}: 'seconds' must be a non-empty list of numbers")
    if positions.shape != (len(seconds), 3):
        raise ValueError(f"{what}: 'positions' must be one [x, y, z] per time, got shape "
                         f"{positions.shape} for {len(seconds)} times")
    if not (np.isfinite(seconds).all() and np.isfinite(positions).all()):
        raise ValueError(f"{what}: NaN or infinite numbers")
    if np.any(np.diff(seconds) <= 0.0):
        raise ValueError(f"{what}: 'seconds' must increase strictly")


def load_track(path: str | os.PathLike[str]) -> Track:
    """The :class:`Track` in a ``moks track`` file (``ValueError`` naming what is wrong)."""
    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise FileNotFoundError(f"no track file at {name!r} (make one with moks track)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"track file {name!r} is not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != TRACK_FORMAT:
        raise ValueError(f"track file {name!r} is not a {TRACK_FORMAT!r} file")
    if data.get("version") != TRACK_VERSION:
        raise ValueError(f"track file {name!r} has version {data.get('version')!r}; this "
                         f"reader knows {TRACK_VERSION}")
    try:
        seconds = np.asarray(data["seconds"], dtype=np.float64)
        positions = np.asarray(data["positions"], dtype=np.float64)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"track file {name!r}: 'seconds' and 'positions' must be numbers "
                         f"({exc})") from None
    check_track(seconds, positions, f"track file {name!r}")
    return Track(seconds, positions, str(data.get("source", "")), str(data.get("select", "")),
                 str(data.get("object", "")))


def track_positions_at(t: np.ndarray, track: Track) -> np.ndarray:
    """``(N, 3)`` positions at times ``t`` [s]: linear between samples, held outside."""
    times = np.asarray(t, dtype=np.float64)
    return np.stack([np.interp(times, track.seconds, track.positions[:, k]) for k in range(3)],
                    axis=-1)
