"""Equirectangular HDRI conventions and loading.

The details (moved from this docstring): docs/measuring-stills.md, "Module notes",
`nodes/environment/hdri.py`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: File extensions :func:`load_hdri` accepts (lower case).
HDRI_EXTENSIONS: tuple[str, ...] = (".hdr", ".exr")


def check_height(height: int) -> int:
    if isinstance(height, bool) or not isinstance(height, int | np.integer):
        raise TypeError(f"height must be an int, got {type(height).__name__}")
    if height < 2:
        raise ValueError(f"height must be >= 2 pixels, got {height}")
    return int(height)


def equirect_angles(height: int) -> tuple[np.ndarray, np.ndarray]:
    """Polar angle per row and longitude per column of a ``height x 2*height`` map.

    Returns ``(theta, phi)`` in radians: ``theta`` has shape ``(H,)`` (angle from
    +Z at row centres), ``phi`` shape ``(W,)`` (longitude at column centres).
    """
    h = check_height(height)
    w = 2 * h
    theta = np.pi * (np.arange(h, dtype=np.float64) + 0.5) / h
    phi = np.pi * (1.0 - 2.0 * (np.arange(w, dtype=np.float64) + 0.5) / w)
    return theta, phi


def equirect_directions(height: int) -> np.ndarray:
    """Unit direction (Z-up) of every pixel centre, shape ``(H, 2H, 3)`` float64."""
    theta, phi = equirect_angles(height)
    st = np.sin(theta)[:, None]
    return np.stack(
        [
            st * np.cos(phi)[None, :],
            st * np.sin(phi)[None, :],
            np.broadcast_to(np.cos(theta)[:, None], (theta.size, phi.size)),
        ],
        axis=-1,
    )


def equirect_row_solid_angles(height: int) -> np.ndarray:
    """Solid angle (sr) of one pixel in each row, shape ``(H,)``; ``2H * sum = 4 pi``.

    ``dOmega_i = (2 pi / W) (cos(pi i / H) - cos(pi (i + 1) / H))``.
    """
    h = check_height(height)
    edges = np.cos(np.pi * np.arange(h + 1, dtype=np.float64) / h)
    return (2.0 * np.pi / (2 * h)) * (edges[:-1] - edges[1:])


def directions_to_equirect(directions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse mapping: unit directions ``(..., 3)`` -> ``(u, v)`` in ``[0, 1]``.

    ``u = (1 - atan2(y, x) / pi) / 2``, ``v = acos(z) / pi``. Directions are
    normalised first; a zero vector raises ``ValueError``.
    """
    d = np.asarray(directions, dtype=np.float64)
    if d.ndim < 1 or d.shape[-1] != 3:
        raise ValueError(f"directions must have shape (..., 3), got {d.shape}")
    norm = np.linalg.norm(d, axis=-1, keepdims=True)
    if not np.all(np.isfinite(norm)) or np.any(norm == 0.0):
        raise ValueError("directions must be finite and non-zero")
    d = d / norm
    u = 0.5 * (1.0 - np.arctan2(d[..., 1], d[..., 0]) / np.pi)
    v = np.arccos(np.clip(d[..., 2], -1.0, 1.0)) / np.pi
    return u, v


def check_hdri(hdri: np.ndarray, name: str = "hdri") -> np.ndarray:
    """Validate an equirectangular map: ``(H, 2H, 3)`` finite floats, ``H >= 2``.

    Returns the array (float32 or float64 kept, other dtypes converted to
    float64). Raises ``TypeError`` / ``ValueError`` naming ``name``.
    """
    if not isinstance(hdri, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(hdri).__name__}")
    if hdri.ndim != 3 or hdri.shape[2] != 3:
        raise ValueError(f"{name} must have shape (H, W, 3), got {hdri.shape}")
    h, w = hdri.shape[:2]
    if h < 2 or w != 2 * h:
        raise ValueError(
            f"{name} must be equirectangular with width = 2 * height, got {w}x{h} (WxH)"
        )
    if hdri.dtype not in (np.float32, np.float64):
        real = np.issubdtype(hdri.dtype, np.integer) or np.issubdtype(hdri.dtype, np.floating)
        if not real:
            raise TypeError(f"{name} must hold real numbers, got dtype {hdri.dtype}")
        hdri = hdri.astype(np.float64)
    if not np.all(np.isfinite(hdri)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return hdri


# --------------------------------------------------------------------------- loading


def _read_radiance_header(data: bytes, path: Path) -> tuple[int, int, int, float]:
    """Parse a Radiance header: ``(height, width, offset of pixel data, exposure)``.

    ``exposure`` is the product of all ``EXPOSURE=`` lines (Radiance: the
    multiplier already applied to the pixels; divide by it for radiance).
    """
    pos = 0
    lines: list[bytes] = []
    while True:
        end = data.find(b"\n", pos)
        if end < 0:
            raise ValueError(f"{path}: truncated Radiance header")
        line = data[pos:end]
        pos = end + 1
        if not line.strip():
            break
        lines.append(line.strip())
    if not lines or not (lines[0].startswith(b"#?")):
        raise ValueError(f"{path}: not a Radiance file (missing '#?' signature)")
    exposure = 1.0
    for line in lines[1:]:
        if line.startswith(b"EXPOSURE="):
            try:
                exposure *= float(line[9:])
            except ValueError as exc:
                raise ValueError(f"{path}: bad Radiance header line {line!r}") from exc
            if not (np.isfinite(exposure) and exposure > 0):
                raise ValueError(f"{path}: Radiance EXPOSURE must be a positive number")
        if line.startswith(b"FORMAT=") and line != b"FORMAT=32-bit_rle_rgbe":
            raise ValueError(
                f"{path}: unsupported Radiance pixel format {line[7:].decode(errors='replace')!r}"
                " (only 32-bit_rle_rgbe)"
            )
    end = data.find(b"\n", pos)
    if end < 0:
        raise ValueError(f"{path}: missing Radiance resolution line")
    resolution = data[pos:end]
    parts = resolution.split()
    pos = end + 1
    if len(parts) != 4 or parts[0] != b"-Y" or parts[2] != b"+X":
        raise ValueError(
            f"{path}: unsupported Radiance orientation {resolution!r} (only '-Y H +X W')"
        )
    try:
        height, width = int(parts[1]), int(parts[3])
    except ValueError as exc:
        raise ValueError(f"{path}: bad Radiance resolution line") from exc
    if height <= 0 or width <= 0:
        raise ValueError(f"{path}: bad Radiance image size {width}x{height}")
    return height, width, pos, exposure


def _decode_rle_scanline(data: bytes, pos: int, width: int, path: Path) -> tuple[np.ndarray, int]:
    """Decode one 'new' RLE scanline (four separately run-length coded channels)."""
    out = np.empty((4, width), dtype=np.uint8)
    for channel in range(4):
        row = out[channel]
        x = 0
        while x < width:
            if pos >= len(data):
                raise ValueError(f"{path}: truncated Radiance pixel data")
            count = data[pos]
            pos += 1
            if count > 128:
                count -= 128
                if x + count > width or pos >= len(data):
                    raise ValueError(f"{path}: corrupt Radiance run length")
                row[x : x + count] = data[pos]
                pos += 1
            else:
                if count == 0 or x + count > width or pos + count > len(data):
                    raise ValueError(f"{path}: corrupt Radiance run length")
                row[x : x + count] = np.frombuffer(data, np.uint8, count, pos)
                pos += count
            x += count
    return out.T, pos


def _decode_radiance(data: bytes, path: Path) -> np.ndarray:
    """Decode a Radiance RGBE file to float32 ``(H, W, 3)``.

    ``value = (mantissa + 0.5) * 2 ** (exponent - 136) / EXPOSURE``; exponent
    0 is black. Flat (uncompressed) and 'new' run-length scanlines are supported.
    """
    from moks_graph.nodes.imaging.limits import check_dimensions

    height, width, pos, exposure = _read_radiance_header(data, path)
    check_dimensions(width, height, path)  # before allocating what the header asks for
    rgbe = np.empty((height, width, 4), dtype=np.uint8)
    for y in range(height):
        head = data[pos : pos + 4]
        if len(head) < 4:
            raise ValueError(f"{path}: truncated Radiance pixel data")
        rle_width = head[2] << 8 | head[3]
        is_rle = 8 <= width < 32768 and head[:2] == b"\x02\x02" and rle_width == width
        if is_rle:
            rgbe[y], pos = _decode_rle_scanline(data, pos + 4, width, path)
        else:
            if head[0] == 1 and head[1] == 1 and head[2] == 1:
                raise ValueError(f"{path}: old-style Radiance run-length encoding is not supported")
            n = 4 * width
            if pos + n > len(data):
                raise ValueError(f"{path}: truncated Radiance pixel data")
            rgbe[y] = np.frombuffer(data, np.uint8, n, pos).reshape(width, 4)
            pos += n
    exponent = rgbe[..., 3].astype(np.int32)
    scale = np.where(exponent > 0, np.ldexp(1.0, exponent - 136) / exposure, 0.0)
    scale = scale.astype(np.float32)
    return (rgbe[..., :3].astype(np.float32) + 0.5) * scale[..., None]


def load_hdri(path: str | Path) -> np.ndarray:
    """Load an equirectangular HDRI as linear float32 RGB, shape ``(H, 2H, 3)``.

    ``.hdr`` files with a Radiance header use the built-in RGBE decoder;
    ``.exr`` files (and other ``.hdr`` files) are read with OpenImageIO (see
    :func:`moks_graph.nodes.imaging.io.read_array`). An alpha channel is
    dropped, a single channel is repeated to grey RGB.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` with the
    path for: an extension other than ``.hdr``/``.exr``, a file no reader can
    decode, a header over the image budget (``ImageTooLarge``), integer (LDR)
    pixels, non-finite pixels, and an aspect ratio other than 2:1.
    """
    if not isinstance(path, str | Path):
        raise TypeError(f"path must be a str or Path, got {type(path).__name__}")
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in HDRI_EXTENSIONS:
        raise ValueError(f"path: {p} must be a .hdr or .exr file, got extension {suffix!r}")
    if not p.is_file():
        raise FileNotFoundError(f"path: HDRI file not found: {p}")
    from moks_graph.nodes.imaging.io import read_array
    from moks_graph.nodes.imaging.limits import ImageTooLarge

    try:
        image = read_array(p)
    except ImageTooLarge:
        raise
    except ValueError as exc:  # "image: cannot read <file>: why" -> "path: could not read ..."
        message = str(exc).replace("image: cannot read", "could not read", 1)
        raise ValueError(f"path: {message}") from None
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4):
        raise ValueError(f"path: {p} is not an RGB image (array shape {image.shape})")
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    image = image[..., :3]
    if not np.issubdtype(image.dtype, np.floating):
        raise ValueError(f"path: {p} holds {image.dtype} pixels, expected linear float HDR data")
    image = np.ascontiguousarray(image, dtype=np.float32)
    h, w = image.shape[:2]
    if w != 2 * h:
        raise ValueError(
            f"path: {p} is {w}x{h} (WxH); an equirectangular HDRI must have width = 2 * height"
        )
    if not np.all(np.isfinite(image)):
        raise ValueError(f"path: {p} contains NaN or infinite pixels")
    return image
