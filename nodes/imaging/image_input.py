"""Validation and normalisation of images into the ``Image`` port convention.

Entry points: :func:`as_linear_rgb`.

Details (moved from this docstring, issue 15): docs/install.md#nodesimagingimage_inputpy
"""

from __future__ import annotations

from functools import cache
from typing import Final

import numpy as np

from moks_graph.nodes.imaging.colorimetry import srgb_decode

MIN_SIZE: Final[int] = 8
"""Smallest accepted height and width, pixels."""

_UINT_MAX: Final[dict[np.dtype, float]] = {
    np.dtype(np.uint8): 255.0,
    np.dtype(np.uint16): 65535.0,
}


@cache
def _decode_table(dtype: np.dtype) -> np.ndarray:
    """``srgb_decode(code / max_code)`` for every code of an unsigned ``dtype``, rounded to
    the float32 the result is stored in (a lookup gives the same values as decoding each
    pixel, in a fraction of the time and memory)."""
    codes = np.arange(int(_UINT_MAX[dtype]) + 1, dtype=np.float64)
    return srgb_decode(codes / _UINT_MAX[dtype]).astype(np.float32)


def as_linear_rgb(array: object, name: str = "image") -> np.ndarray:
    """Validate ``array`` and return it as a C-contiguous float32 ``H x W x 3`` linear RGB copy.

    ``name`` is the argument name used in error messages. See the module docstring for what
    is accepted and rejected; ``uint8``/``uint16`` are sRGB-decoded:
    ``linear = srgb_decode(value / max_code)``.
    """
    if isinstance(array, np.ndarray):
        arr = array
    elif isinstance(array, list | tuple):
        try:
            arr = np.asarray(array)
        except ValueError as exc:
            raise ValueError(f"{name}: cannot be converted to an array ({exc})") from exc
    else:
        raise TypeError(f"{name}: expected a numpy array, got {type(array).__name__}")

    dtype = arr.dtype
    if dtype == np.bool_ or not (np.issubdtype(dtype, np.floating) or dtype in _UINT_MAX):
        raise TypeError(
            f"{name}: dtype {dtype} is not supported; use float (linear), uint8 or uint16 (sRGB)"
        )
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"{name}: expected H x W or H x W x C dimensions, got {arr.ndim} dims {arr.shape}"
        )
    if arr.size == 0:
        raise ValueError(f"{name}: image is empty, shape {arr.shape}")
    if arr.ndim == 3 and arr.shape[2] not in (1, 3, 4):
        raise ValueError(
            f"{name}: expected 1, 3 or 4 channels (grey, RGB, RGBA), got {arr.shape[2]}"
        )
    height, width = arr.shape[:2]
    if height < MIN_SIZE or width < MIN_SIZE:
        raise ValueError(
            f"{name}: image is too small ({height} x {width}); at least {MIN_SIZE} x {MIN_SIZE}"
        )

    if dtype in _UINT_MAX:
        values = _decode_table(dtype)[arr]
    else:
        finite = np.isfinite(arr)
        if not finite.all():
            bad = int(arr.size - np.count_nonzero(finite))
            raise ValueError(f"{name}: contains {bad} NaN or infinite value(s)")
        if float(arr.max()) > float(np.finfo(np.float32).max):
            raise ValueError(f"{name}: values exceed the float32 range")
        values = np.maximum(arr.astype(np.float32), np.float32(0.0))

    if values.ndim == 2:
        values = values[:, :, None]
    if values.shape[2] == 1:
        values = np.repeat(values, 3, axis=2)
    elif values.shape[2] == 4:
        values = values[:, :, :3]
    return np.ascontiguousarray(values, dtype=np.float32)
