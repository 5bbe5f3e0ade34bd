"""Reading stills from disk into the ``Image`` convention (float32 HxWx3 linear RGB)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from moks_graph.nodes.imaging.image_input import as_linear_rgb

#: Extensions read as scene-linear data (no sRGB decoding).
LINEAR_EXTENSIONS = (".hdr", ".exr", ".npy")


def load_image(path: str | Path) -> np.ndarray:
    """Load a still as linear float32 RGB.

    8/16-bit PNG, JPEG and TIFF are taken as sRGB-encoded and linearised;
    ``.hdr`` (Radiance) and ``.exr`` are linear; ``.npy`` holds a float array.
    Grey is replicated to RGB and alpha dropped. Raises ``ValueError`` with the
    path for files that are missing or not images.
    """
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"{p}: no such file")
    suffix = p.suffix.lower()
    try:
        if suffix == ".npy":
            data = np.load(p, allow_pickle=False)
        elif suffix == ".hdr":
            from moks_graph.nodes.lighting.hdri import load_hdri

            data = load_hdri(p)
        else:
            import imageio.v3 as iio

            data = iio.imread(p)
    except Exception as exc:
        raise ValueError(f"{p}: not a readable image ({type(exc).__name__}: {exc})") from None
    if suffix in LINEAR_EXTENSIONS and data.dtype.kind != "f":
        data = data.astype(np.float32)
    try:
        return as_linear_rgb(np.asarray(data))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{p}: {exc}") from None
