"""The image budget: dimensions read from a file's header are checked before decoding.

Entry points: :func:`check_dimensions`, :func:`max_pixels`.

Details (moved from this docstring, issue 15): docs/install.md#nodesimaginglimitspy
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

DEFAULT_MAX_PIXELS: Final[int] = 50_000_000
"""Pixel budget (width x height) when ``MOKS_MAX_PIXELS`` is not set."""
MAX_ASPECT: Final[int] = 32
"""Largest accepted ratio of the longer side to the shorter side."""
MAX_CHANNELS: Final[int] = 64
"""Largest accepted channel count in a header (RGBA plus render passes)."""
ENV: Final[str] = "MOKS_MAX_PIXELS"


class ImageTooLarge(ValueError):
    """An image whose header asks for more than the budget (see the module docstring)."""


def max_pixels() -> int:
    """The pixel budget: ``MOKS_MAX_PIXELS`` (a positive integer) or the default."""
    raw = os.environ.get(ENV, "").strip().replace("_", "")
    if not raw:
        return DEFAULT_MAX_PIXELS
    try:
        value = int(raw)
    except ValueError:
        try:  # "1e8"
            number = float(raw)
            value = int(number) if number.is_integer() else 0
        except (ValueError, OverflowError):
            value = 0
    if value < 1:
        raise ValueError(f"{ENV}={raw!r}: expected a positive whole number of pixels")
    return value


def _mpx(n: int) -> str:
    return f"{n / 1e6:.1f} Mpx" if n >= 100_000 else f"{n} pixels"


def check_dimensions(width: int, height: int, path: str | Path, channels: int = 1) -> None:
    """Refuse a ``width x height`` (x ``channels``) raster over the budget, naming ``path``."""
    width, height, channels = int(width), int(height), int(channels)
    if width < 1 or height < 1:
        raise ValueError(f"image: {path} has no pixels ({width} x {height})")
    pixels = width * height
    budget = max_pixels()
    if pixels > budget:
        raise ImageTooLarge(
            f"image: {path} is {width} x {height} pixels ({_mpx(pixels)}), over the "
            f"{_mpx(budget)} limit; set {ENV} to allow larger images")
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise ImageTooLarge(
            f"image: {path} is {width} x {height} pixels; an aspect ratio over "
            f"{MAX_ASPECT}:1 is refused")
    if channels < 1 or channels > MAX_CHANNELS:
        raise ImageTooLarge(
            f"image: {path} has {channels} channels (at most {MAX_CHANNELS} are read)")
