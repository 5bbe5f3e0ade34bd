"""Reading stills from disk into the ``Image`` convention (float32 HxWx3 linear RGB).

Entry points: :func:`load_image`, :func:`read_array`.

Details (moved from this docstring, issue 15): docs/install.md#nodesimagingiopy
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from moks_graph.nodes.imaging.image_input import as_linear_rgb
from moks_graph.nodes.imaging.limits import ImageTooLarge, check_dimensions

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _first_line(text: object, limit: int = 160) -> str:
    return (str(text).strip().splitlines() or [""])[0][:limit]


def _png_size(head: bytes) -> tuple[int, int] | None:
    """``(width, height)`` from a PNG's IHDR chunk, or ``None`` for another format."""
    if head.startswith(PNG_SIGNATURE) and head[12:16] == b"IHDR" and len(head) >= 24:
        width, height = struct.unpack(">II", head[16:24])
        return int(width), int(height)
    return None


def _read_npy(p: Path) -> np.ndarray:
    """An ``.npy`` array, its header checked (shape, dtype, length) before the data is read."""
    fmt = np.lib.format
    try:
        with p.open("rb") as f:
            version = fmt.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = fmt.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, _, dtype = fmt.read_array_header_2_0(f)
            else:
                raise ValueError(f"unsupported .npy version {version}")
            offset = f.tell()
    except (ValueError, OSError, SyntaxError, TypeError) as exc:
        raise ValueError(f"image: cannot read {p} as an array ({_first_line(exc)})") from None
    if dtype.hasobject:
        raise ValueError(f"image: cannot read {p}: object arrays are refused")
    if len(shape) not in (2, 3):
        raise ValueError(f"image: cannot read {p}: a {len(shape)}-D array {shape}; "
                         "expected H x W or H x W x C")
    check_dimensions(shape[1], shape[0], p, shape[2] if len(shape) == 3 else 1)
    needed = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if p.stat().st_size - offset < needed:
        raise ValueError(f"image: cannot read {p}: truncated array data "
                         f"({p.stat().st_size - offset} of {needed} bytes)")
    try:
        return np.load(p, allow_pickle=False)
    except ValueError as exc:
        raise ValueError(f"image: cannot read {p} as an array ({_first_line(exc)})") from None


def _read_oiio(p: Path, oiio: Any) -> np.ndarray:
    """Pixels through OpenImageIO: header (size, channels) checked, then decoded."""
    config = oiio.ImageSpec()
    config.attribute("oiio:UnassociatedAlpha", 1)  # colour as stored, never premultiplied
    inp = oiio.ImageInput.open(str(p), config)
    if inp is None:
        error = oiio.geterror()
        if "could not find a format reader" in error:  # a format it lacks (GIF): Pillow's
            return _read_imageio(p)
        raise ValueError(f"image: cannot read {p}: not a readable image "
                         f"({_first_line(error)})")
    try:
        spec = inp.spec()
        check_dimensions(spec.width, spec.height, p, spec.nchannels)
        if spec.depth > 1:
            raise ValueError(f"image: cannot read {p}: a volume ({spec.depth} slices)")
        channels = 1 if spec.nchannels == 2 else min(spec.nchannels, 4)  # grey+alpha: grey
        base = spec.format.basetype
        if base in (oiio.HALF, oiio.FLOAT, oiio.DOUBLE):
            wanted = oiio.FLOAT
        elif base == oiio.UINT8:
            wanted = oiio.UINT8
        else:  # 16-bit and other integer encodings keep 16 bits of precision
            wanted = oiio.UINT16
        data = inp.read_image(0, 0, 0, channels, wanted)
        if data is None or inp.has_error:  # a truncated file decodes in part, with an error
            raise ValueError(f"image: cannot read {p}: {_first_line(inp.geterror())}")
    finally:
        inp.close()
    return np.asarray(data)


def _read_imageio(p: Path) -> np.ndarray:
    """Fallback without OpenImageIO: Pillow reads the header, imageio decodes."""
    try:
        from PIL import Image

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(p) as im:
                width, height = im.size
        check_dimensions(width, height, p)
    except ImageTooLarge:
        raise
    except Exception:  # Pillow cannot parse it: imageio reports the failure
        pass
    import imageio.v3 as iio

    try:
        with warnings.catch_warnings():  # legacy plugins probed for odd files warn
            warnings.simplefilter("ignore", DeprecationWarning)
            data = np.asarray(iio.imread(p))
    except Exception as exc:  # imageio raises many types for a file it cannot decode
        hint = (" (OpenEXR needs OpenImageIO: pip install 'OpenImageIO>=3.0,<3.1')"
                if p.suffix.lower() == ".exr" else "")
        raise ValueError(f"image: cannot read {p}: not a readable image "
                         f"({type(exc).__name__}: {_first_line(exc)}){hint}") from None
    return data[0] if data.ndim == 4 else data


def read_array(path: str | Path) -> np.ndarray:
    """The raw pixel array of an image file, as stored (see the module docstring).

    ``FileNotFoundError`` for a missing file; :class:`~.limits.ImageTooLarge` for a header
    over the image budget; ``ValueError`` naming the path otherwise.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"image: no such file: {p}")
    suffix = p.suffix.lower()
    if suffix == ".npy":
        return _read_npy(p)
    with p.open("rb") as f:
        head = f.read(32)
    if suffix == ".hdr" or head.startswith((b"#?RADIANCE", b"#?RGBE")):
        from moks_graph.nodes.environment.hdri import _decode_radiance

        try:
            return _decode_radiance(p.read_bytes(), p)
        except ImageTooLarge:
            raise
        except ValueError as exc:  # its messages start with the path
            raise ValueError(f"image: cannot read {exc}") from None
    size = _png_size(head)
    if size is not None:  # before any decoder sees a PNG header claiming a huge raster
        check_dimensions(*size, p)
    try:
        import OpenImageIO as oiio
    except ImportError:
        return _read_imageio(p)
    return _read_oiio(p, oiio)


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
