"""Reading stills from disk into the ``Image`` convention (float32 HxWx3 linear RGB)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from moks_graph.nodes.imaging.image_input import as_linear_rgb


def read_array(path: str | Path) -> np.ndarray:
    """The raw pixel array of an image file, as stored.

    Radiance ``.hdr`` (by suffix or header) through the built-in RGBE decoder,
    ``.npy`` float arrays, and everything imageio reads (8/16-bit PNG, JPEG, TIFF,
    and ``.exr`` where an imageio plugin provides it); multi-page files give their
    first page. ``FileNotFoundError`` for a missing file, ``ValueError`` naming the
    path otherwise.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"image: no such file: {p}")
    suffix = p.suffix.lower()
    if suffix == ".npy":
        try:
            return np.load(p, allow_pickle=False)
        except ValueError as exc:
            raise ValueError(f"image: cannot read {p} as an array ({exc})") from None
    head = p.read_bytes()[:16]
    if suffix == ".hdr" or head.startswith((b"#?RADIANCE", b"#?RGBE")):
        from moks_graph.nodes.lighting.hdri import _decode_radiance

        try:
            return _decode_radiance(p.read_bytes(), p)
        except ValueError as exc:
            raise ValueError(f"image: cannot read {p}: {exc}") from None
    import imageio.v3 as iio

    try:
        with warnings.catch_warnings():  # legacy plugins probed for odd files warn
            warnings.simplefilter("ignore", DeprecationWarning)
            data = np.asarray(iio.imread(p))
    except Exception as exc:  # imageio raises many types for a file it cannot decode
        hint = (" (OpenEXR needs an imageio plugin, e.g. 'pip install imageio-freeimage')"
                if suffix == ".exr" else "")
        first = (str(exc).strip().splitlines() or [""])[0][:160]
        raise ValueError(f"image: cannot read {p}: not a readable image "
                         f"({type(exc).__name__}: {first}){hint}") from None
    return data[0] if data.ndim == 4 else data


def load_image(path: str | Path) -> np.ndarray:
    """Load a still as linear float32 RGB.

    8/16-bit files are taken as sRGB-encoded and linearised; float data
    (``.hdr``, ``.exr``, ``.npy``) is already linear. Grey is replicated to RGB
    and alpha dropped.
    """
    p = Path(path)
    data = read_array(p)
    try:
        return as_linear_rgb(data, f"image {p.name}")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"image: cannot use {p}: {exc}") from None
