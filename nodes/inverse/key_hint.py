"""A user's coarse hint of where the key is: its side of the camera and its height.

A TD glancing at a still can say "the key is camera left, above" in two seconds; the
shading alone confuses exactly those halves on some stills (a key mirrored left for
right, a fill taken for the key). The hint restricts the key's search and refinement to
its half-spaces of SceneScript angles (azimuth ``< 0`` is camera left, elevation ``> 0``
above); inside them the fit is the same. docs/inverse.md, "Giving it a hint".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np

SIDES: Final[tuple[str, ...]] = ("left", "right")
HEIGHTS: Final[tuple[str, ...]] = ("above", "below")


@dataclass(frozen=True)
class KeyHint:
    """The key's side of the camera (``left``/``right``) and height (``above``/``below``);
    ``None`` leaves that half to the fit."""

    side: str | None = None
    height: str | None = None

    def __post_init__(self) -> None:
        if self.side not in (None, *SIDES):
            raise ValueError(f"key hint: side must be left or right, got {self.side!r}")
        if self.height not in (None, *HEIGHTS):
            raise ValueError(f"key hint: height must be above or below, got {self.height!r}")

    @classmethod
    def parse(cls, text: str | KeyHint | None) -> KeyHint | None:
        """``"left"``, ``"right,above"``, ``"below"``… (comma or space separated, any
        order); ``None`` or an empty text is no hint."""
        if text is None or isinstance(text, KeyHint):
            return text
        if not isinstance(text, str):
            raise ValueError(f"key hint: expected text such as 'left,above', got {text!r}")
        words = [w for w in text.replace(",", " ").lower().split() if w]
        side = [w for w in words if w in SIDES]
        height = [w for w in words if w in HEIGHTS]
        unknown = [w for w in words if w not in SIDES + HEIGHTS]
        if unknown or len(side) > 1 or len(height) > 1:
            raise ValueError(f"key hint: expected at most one of left/right and one of "
                             f"above/below (e.g. 'left,above'), got {text!r}")
        if not words:
            return None
        return cls(side[0] if side else None, height[0] if height else None)

    def __str__(self) -> str:
        return ",".join(w for w in (self.side, self.height) if w)

    def allows(self, azimuth_deg: np.ndarray, elevation_deg: np.ndarray) -> np.ndarray:
        """Whether SceneScript angles (degrees, arrays) lie in the hint's half-spaces."""
        ok = np.ones(np.shape(azimuth_deg), dtype=bool)
        if self.side is not None:
            ok &= (azimuth_deg <= 0.0) if self.side == "left" else (azimuth_deg >= 0.0)
        if self.height is not None:
            ok &= (elevation_deg >= 0.0) if self.height == "above" else (elevation_deg <= 0.0)
        return ok

    def clamp(self, azimuth_deg: float, elevation_deg: float) -> tuple[float, float]:
        """The nearest angles inside the hint (its boundary for angles outside it)."""
        az, el = float(azimuth_deg), float(elevation_deg)
        if self.side == "left" and az > 0.0:
            az = 0.0 if az <= 90.0 else -180.0
        elif self.side == "right" and az < 0.0:
            az = 0.0 if az >= -90.0 else 180.0
        if self.height == "above":
            el = max(el, 0.0)
        elif self.height == "below":
            el = min(el, 0.0)
        return az, el


def truth_hint(azimuth_deg: float, elevation_deg: float, side_from_deg: float = 20.0,
               height_from_deg: float = 10.0) -> KeyHint:
    """The hint a TD would give for a key at these angles: its side when at least
    ``side_from_deg`` off the camera's axis, its height when ``height_from_deg`` off the
    horizon (nearer than that, "front" or "level": no hint). For benchmarks."""
    az, el = float(azimuth_deg), float(elevation_deg)
    side = None if (abs(az) < side_from_deg or abs(az) > 180.0 - side_from_deg) else (
        "left" if az < 0 else "right")
    height = None if abs(el) < height_from_deg else ("above" if el > 0 else "below")
    return KeyHint(side, height)


def angle_in_hint(hint: KeyHint | None, azimuth_deg: float, elevation_deg: float) -> bool:
    """Whether a key at these angles agrees with ``hint`` (always, without one)."""
    if hint is None or not (math.isfinite(azimuth_deg) and math.isfinite(elevation_deg)):
        return hint is None
    return bool(hint.allows(np.array(azimuth_deg), np.array(elevation_deg)))
