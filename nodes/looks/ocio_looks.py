"""Film stocks as OpenColorIO looks, and .cube / CLF exports.

The details (moved from this docstring): docs/classic-mode.md, "Module notes",
`nodes/looks/ocio_looks.py`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import PyOpenColorIO as ocio

from moks_graph.atomic import atomic_output
from moks_graph.nodes.looks.stocks import (
    LOG2_EXPOSURE_RANGE,
    LUMA_709,
    STOCK_NAMES,
    FilmStock,
    get_stock,
    transfer,
)

#: log2 range of the display-linear output encoded by the spline form.
DISPLAY_LOG2_RANGE: tuple[float, float] = (-14.0, 0.0)
#: Control points per channel of the spline form (OCIO's limit is 20).
SPLINE_POINTS: int = 20
#: Entries of the 1-D LUT form.
LUT_SIZE: int = 4096
#: (absolute, relative) tolerances of the spline and LUT forms against apply_stock.
SPLINE_TOLERANCE: tuple[float, float] = (2e-3, 0.015)
LUT_TOLERANCE: tuple[float, float] = (1e-4, 1e-3)
#: Name of the CLF write format in PyOpenColorIO 2.x.
CLF_FORMAT: str = "Academy/ASC Common LUT Format"

SCENE_LINEAR = "lin_rec709"
SHAPER_SPACE = "film_log2_shaper"
DISPLAY_SPACE = "srgb_display"
DISPLAY_NAME = "sRGB"

LookMethod = Literal["spline", "lut1d"]


def _input_matrix(stock: FilmStock, exposure_ev: float) -> ocio.MatrixTransform:
    gain = float(2.0**exposure_ev)
    if stock.monochrome:
        rows = [[gain * w for w in LUMA_709]] * 3
    else:
        rows = [[gain if i == j else 0.0 for j in range(3)] for i in range(3)]
    m44 = [*rows[0], 0.0, *rows[1], 0.0, *rows[2], 0.0, 0.0, 0.0, 0.0, 1.0]
    return ocio.MatrixTransform(matrix=m44)


def _log2_affine(
    lo: float, hi: float, direction: ocio.TransformDirection
) -> ocio.LogAffineTransform:
    """``y = (log2 x - lo) / (hi - lo)`` (forward) as a base-2 LogAffineTransform."""
    t = ocio.LogAffineTransform(
        logSideSlope=[1.0 / (hi - lo)] * 3,
        logSideOffset=[-lo / (hi - lo)] * 3,
        direction=direction,
    )
    t.setBase(2.0)
    return t


def _shaper_steps() -> list[ocio.Transform]:
    lo, hi = LOG2_EXPOSURE_RANGE
    return [
        ocio.RangeTransform(
            minInValue=2.0**lo, maxInValue=2.0**hi, minOutValue=2.0**lo, maxOutValue=2.0**hi
        ),
        _log2_affine(lo, hi, ocio.TRANSFORM_DIR_FORWARD),
    ]


def shaper_transform() -> ocio.GroupTransform:
    """Scene linear -> log2 shaper ``u`` in [0, 1] (clamp + log), the cube's input space."""
    return ocio.GroupTransform(_shaper_steps())


def _curve_samples(stock: FilmStock, u: np.ndarray) -> np.ndarray:
    """Display-linear output ``(len(u), channels)`` at shaper positions ``u``."""
    lo, hi = LOG2_EXPOSURE_RANGE
    x = lo + u * (hi - lo)
    return transfer(np.repeat(x[:, None], stock.channels, axis=1), stock)


def _spline_curves(stock: FilmStock) -> list[ocio.GradingBSplineCurve]:
    """Per-channel B-splines ``u -> w`` (module doc), one per output channel."""
    dlo, dhi = DISPLAY_LOG2_RANGE
    u = np.linspace(0.0, 1.0, 20001)
    w = (np.log2(_curve_samples(stock, u)) - dlo) / (dhi - dlo)
    curves = []
    for c in range(w.shape[1]):
        slope = np.gradient(w[:, c], u)
        bend = np.abs(np.gradient(slope, u))
        density = (bend + 1e-3 * bend.max()) ** (1.0 / 3.0)
        cdf = np.concatenate([[0.0], np.cumsum(0.5 * (density[1:] + density[:-1]))])
        x = np.interp(np.linspace(0.0, 1.0, SPLINE_POINTS), cdf / cdf[-1], u)
        y = np.interp(x, u, w[:, c])
        curve = ocio.GradingBSplineCurve([float(v) for v in np.column_stack([x, y]).ravel()])
        curve.setSlopes([float(v) for v in np.interp(x, u, slope)])
        curves.append(curve)
    return curves * 3 if len(curves) == 1 else curves


def _lut1d(stock: FilmStock) -> ocio.Lut1DTransform:
    u = np.linspace(0.0, 1.0, LUT_SIZE)
    out = _curve_samples(stock, u)
    if out.shape[1] == 1:
        out = np.repeat(out, 3, axis=1)
    lut = ocio.Lut1DTransform(length=LUT_SIZE, interpolation=ocio.INTERP_LINEAR)
    lut.setData(np.ascontiguousarray(out, dtype=np.float32).ravel())
    return lut


def look_transform(
    stock: str | FilmStock, exposure_ev: float = 0.0, method: LookMethod = "spline"
) -> ocio.GroupTransform:
    """The look of ``stock`` as a GroupTransform (scene linear -> display linear)."""
    s = get_stock(stock)
    if not np.isfinite(exposure_ev):
        raise ValueError("exposure_ev must be finite")
    steps: list[ocio.Transform] = [_input_matrix(s, exposure_ev), *_shaper_steps()]
    if method == "spline":
        c = _spline_curves(s)
        flat = ocio.GradingBSplineCurve([0.0, 0.0, 1.0, 1.0])
        values = ocio.GradingRGBCurve(red=c[0], green=c[1], blue=c[2], master=flat)
        steps.append(ocio.GradingRGBCurveTransform(values=values, style=ocio.GRADING_LOG))
        steps.append(_log2_affine(*DISPLAY_LOG2_RANGE, ocio.TRANSFORM_DIR_INVERSE))
    elif method == "lut1d":
        steps.append(_lut1d(s))
    else:
        raise ValueError(f"method must be 'spline' or 'lut1d', got {method!r}")
    return ocio.GroupTransform(steps)


def build_config(
    stocks: Sequence[str | FilmStock] = STOCK_NAMES, exposure_ev: float = 0.0,
    look_files: Mapping[str, str] | None = None,
) -> ocio.Config:
    """An OCIO v2 config with one look (and one sRGB view) per stock, built in memory.

    Colour spaces: ``lin_rec709`` (reference, scene linear), ``film_log2_shaper``
    (input of the exported .cube), ``srgb_display`` (sRGB encoded) and ``raw``.
    Looks are named after the stocks, process space ``lin_rec709``; views are
    ``"Film <stock>"`` on display ``sRGB`` plus ``"Raw"``. ``look_files``: stock ->
    LUT file name (e.g. a :func:`export_clf` CLF next to the config, found through the
    config's search path ``.``); those looks read the file instead of the inline spline
    (a config other OCIO builds load: Blender's rejects a 20-point spline).
    """
    chosen = [get_stock(s) for s in stocks]
    if not chosen:
        raise ValueError("stocks must name at least one stock")
    config = ocio.Config()
    config.setMajorVersion(2)
    config.setMinorVersion(0)
    config.setName("moks_film_looks")
    config.setDescription("MOKS Graph film stock looks (moks_graph.nodes.looks)")

    def space(name: str, family: str, transform: ocio.Transform | None, data: bool = False) -> None:
        cs = ocio.ColorSpace(name=name, family=family, isData=data)
        if transform is not None:
            cs.setTransform(transform, ocio.COLORSPACE_DIR_FROM_REFERENCE)
        config.addColorSpace(cs)

    space(SCENE_LINEAR, "scene-linear", None)
    space(SHAPER_SPACE, "log", shaper_transform())
    space(DISPLAY_SPACE, "display", srgb_encode_transform())
    space("raw", "data", None, data=True)
    for role, name in (
        (ocio.ROLE_DEFAULT, SCENE_LINEAR), (ocio.ROLE_SCENE_LINEAR, SCENE_LINEAR),
        (ocio.ROLE_REFERENCE, SCENE_LINEAR), (ocio.ROLE_DATA, "raw"),
        (ocio.ROLE_COLOR_TIMING, SHAPER_SPACE), (ocio.ROLE_COMPOSITING_LOG, SHAPER_SPACE),
    ):
        config.setRole(role, name)
    config.addDisplayView(DISPLAY_NAME, "Raw", DISPLAY_SPACE, "")
    files = dict(look_files or {})
    if files:
        config.setSearchPath(".")
    for s in chosen:
        transform: ocio.Transform = (
            ocio.FileTransform(src=files[s.name], interpolation=ocio.INTERP_LINEAR)
            if s.name in files else look_transform(s, exposure_ev, "spline"))
        look = ocio.Look(
            name=s.name, processSpace=SCENE_LINEAR, transform=transform,
            description=f"{s.title}; {s.source}; output display-linear",
        )
        config.addLook(look)
        config.addDisplayView(DISPLAY_NAME, f"Film {s.name}", DISPLAY_SPACE, s.name)
    config.setActiveDisplays(DISPLAY_NAME)
    return config


def config_text(config: ocio.Config) -> str:
    """The config serialised to OCIO YAML (``config.serialize()``)."""
    return config.serialize()


def look_processor(config: ocio.Config, look: str) -> ocio.CPUProcessor:
    """CPU processor applying ``look`` in scene-linear (src = dst = ``lin_rec709``)."""
    names = list(config.getLookNames())
    if look not in names:
        raise ValueError(f"config has no look {look!r}; it has {names}")
    t = ocio.LookTransform(src=SCENE_LINEAR, dst=SCENE_LINEAR, looks=look)
    return config.getProcessor(t).getDefaultCPUProcessor()


def apply_processor(processor: ocio.CPUProcessor, rgb: np.ndarray) -> np.ndarray:
    """Apply a CPU processor to float RGB ``(..., 3)`` -> float32 copy of the same shape."""
    arr = np.ascontiguousarray(np.asarray(rgb, dtype=np.float32)).copy()
    if arr.shape[-1] != 3:
        raise ValueError(f"rgb must have 3 channels on its last axis, got shape {arr.shape}")
    flat = arr.reshape(-1, 3)
    processor.applyRGB(flat)
    return flat.reshape(arr.shape)


def _atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Write via ``write(temp_path)`` through :func:`moks_graph.atomic.atomic_output`."""
    target = Path(path)
    if not target.parent.is_dir():
        raise ValueError(f"path: folder {target.parent} does not exist")
    with atomic_output(target, keep_suffix=False) as tmp:
        write(tmp)
    return target


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return _atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def export_config(
    path: str | os.PathLike[str],
    stocks: Sequence[str | FilmStock] = STOCK_NAMES,
    exposure_ev: float = 0.0,
) -> Path:
    """Write :func:`build_config` as an ``.ocio`` file, atomically."""
    return write_text_atomic(path, config_text(build_config(stocks, exposure_ev)))


def srgb_encode_transform() -> ocio.ExponentWithLinearTransform:
    """Display-linear -> sRGB-encoded (IEC 61966-2-1 piecewise curve, gamma 2.4, offset 0.055)."""
    return ocio.ExponentWithLinearTransform(
        gamma=[2.4, 2.4, 2.4, 1.0], offset=[0.055, 0.055, 0.055, 0.0],
        direction=ocio.TRANSFORM_DIR_INVERSE,
    )


def cube_text(
    stock: str | FilmStock,
    size: int = 33,
    exposure_ev: float = 0.0,
    output: Literal["srgb", "linear"] = "srgb",
) -> str:
    """Resolve-format 3-D .cube text: log2-shaper input, sRGB-encoded (or linear) output.

    Grid value ``i / (size - 1)`` per axis is shaper ``u``; linear input is
    ``2**(lo + u (hi - lo))``. Rows list red fastest, then green, then blue.
    Values are sampled from the ``"lut1d"`` look processor (followed by the
    sRGB encoding for ``output="srgb"``, i.e. the config's "Film" view).
    Trilinear interpolation across the 24-stop shaper (0.75 stop per cell at
    size 33) is the accuracy limit: worst case 1.3% of the sRGB code range
    for Kodachrome's steep toe, 0.5% for the negatives (0.35% at size 65).
    """
    if isinstance(size, bool) or not isinstance(size, int) or not 2 <= size <= 129:
        raise ValueError(f"size must be an int in 2..129, got {size!r}")
    if output not in ("srgb", "linear"):
        raise ValueError(f"output must be 'srgb' or 'linear', got {output!r}")
    s = get_stock(stock)
    lo, hi = LOG2_EXPOSURE_RANGE
    axis = np.linspace(0.0, 1.0, size)
    b, g, r = np.meshgrid(axis, axis, axis, indexing="ij")  # r varies fastest in C order
    u = np.stack([r, g, b], axis=-1).reshape(-1, 3)
    steps: list[ocio.Transform] = [look_transform(s, exposure_ev, "lut1d")]
    if output == "srgb":
        steps.append(srgb_encode_transform())
    processor = ocio.Config.CreateRaw().getProcessor(
        ocio.GroupTransform(steps)
    ).getDefaultCPUProcessor()
    out = apply_processor(processor, np.exp2(lo + u * (hi - lo)))
    header = [
        f'TITLE "MOKS {s.name} film look"',
        f"# {s.title}; {s.source}",
        f"# input: log2 shaper u = (log2(x) - ({lo:.6f})) / ({hi - lo:.6f}), x scene-linear",
        "# output: " + ("sRGB-encoded display" if output == "srgb" else "display-linear Rec.709"),
        f"LUT_3D_SIZE {size}",
        "DOMAIN_MIN 0.0 0.0 0.0",
        "DOMAIN_MAX 1.0 1.0 1.0",
    ]
    rows = [f"{v[0]:.7f} {v[1]:.7f} {v[2]:.7f}" for v in out.astype(np.float64)]
    return "\n".join(header + rows) + "\n"


def export_cube(
    path: str | os.PathLike[str],
    stock: str | FilmStock,
    size: int = 33,
    exposure_ev: float = 0.0,
    output: Literal["srgb", "linear"] = "srgb",
) -> Path:
    """Write :func:`cube_text` to ``path`` atomically."""
    return write_text_atomic(path, cube_text(stock, size, exposure_ev, output))


def read_cube(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse a 3-D .cube: ``(table[b, g, r, 3], domain_min, domain_max)``."""
    size = None
    dmin, dmax = np.zeros(3), np.ones(3)
    values: list[list[float]] = []
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith("TITLE"):
            continue
        key, *rest = line.split()
        if key == "LUT_3D_SIZE":
            size = int(rest[0])
        elif key == "DOMAIN_MIN":
            dmin = np.array([float(v) for v in rest])
        elif key == "DOMAIN_MAX":
            dmax = np.array([float(v) for v in rest])
        elif key.startswith("LUT_"):
            raise ValueError(f"{path}: unsupported keyword {key}")
        else:
            values.append([float(key), *(float(v) for v in rest)])
    if size is None:
        raise ValueError(f"{path}: no LUT_3D_SIZE")
    table = np.asarray(values, dtype=np.float64)
    if table.shape != (size**3, 3):
        raise ValueError(f"{path}: expected {size**3} rows of 3 values, got {table.shape}")
    return table.reshape(size, size, size, 3), dmin, dmax


def sample_cube(
    table: np.ndarray, rgb: np.ndarray, dmin: np.ndarray, dmax: np.ndarray
) -> np.ndarray:
    """Trilinear lookup of ``table[b, g, r]`` at ``rgb`` ``(..., 3)`` within the domain."""
    n = table.shape[0]
    pos = np.clip((np.asarray(rgb, dtype=np.float64) - dmin) / (dmax - dmin), 0.0, 1.0) * (n - 1)
    i0 = np.minimum(np.floor(pos).astype(np.int64), n - 2)
    f = pos - i0
    out = np.zeros((*pos.shape[:-1], 3))
    for corner in range(8):
        dr, dg, db = corner & 1, (corner >> 1) & 1, (corner >> 2) & 1
        weight = (
            (f[..., 0] if dr else 1 - f[..., 0])
            * (f[..., 1] if dg else 1 - f[..., 1])
            * (f[..., 2] if db else 1 - f[..., 2])
        )
        out += weight[..., None] * table[i0[..., 2] + db, i0[..., 1] + dg, i0[..., 0] + dr]
    return out


def clf_text(stock: str | FilmStock, exposure_ev: float = 0.0) -> str:
    """The ``"lut1d"`` look of ``stock`` as CLF (Academy/ASC Common LUT Format) XML."""
    s = get_stock(stock)
    group = look_transform(s, exposure_ev, "lut1d")
    group.getFormatMetadata().addChildElement("Description", f"MOKS {s.name}: {s.title}")
    return group.write(formatName=CLF_FORMAT, config=ocio.Config.CreateRaw())


def export_clf(
    path: str | os.PathLike[str], stock: str | FilmStock, exposure_ev: float = 0.0
) -> Path:
    """Write :func:`clf_text` to ``path`` (``.clf``) atomically."""
    return write_text_atomic(path, clf_text(stock, exposure_ev))


def file_processor(path: str | os.PathLike[str]) -> ocio.CPUProcessor:
    """CPU processor reading a LUT file (CLF, .cube, ...) with ``ocio.FileTransform``."""
    transform = ocio.FileTransform(src=str(Path(path).resolve()), interpolation=ocio.INTERP_LINEAR)
    return ocio.Config.CreateRaw().getProcessor(transform).getDefaultCPUProcessor()
