"""Film stocks from characteristic-curve parameters, with seeded density grain.

The long form (how the stocks are modelled): docs/classic-mode.md, "Film stocks in depth".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from moks_graph.node import Param
from moks_graph.rng import counter_normal

StockName = Literal["kodachrome", "vision3_500t", "vision3_250d", "tri_x"]
STOCK_NAMES: tuple[str, ...] = ("kodachrome", "vision3_500t", "vision3_250d", "tri_x")

#: Scene-linear 18% grey and its log10.
MID_GREY: float = 0.18
#: Display-linear value 18% grey renders to (view density 0.745 above base).
DISPLAY_GREY: float = 0.18
#: Net density of 18% grey on a negative (Cineon convention, module doc).
NEGATIVE_GREY_DENSITY: float = 0.75
#: Latitude window: exposures are clamped to MID_GREY * 2**(+-LATITUDE_STOPS).
LATITUDE_STOPS: float = 12.0
LOG2_EXPOSURE_RANGE: tuple[float, float] = (
    float(np.log2(MID_GREY) - LATITUDE_STOPS),
    float(np.log2(MID_GREY) + LATITUDE_STOPS),
)
#: Rec.709 luminance weights for black-and-white stocks.
LUMA_709: tuple[float, float, float] = (0.2126, 0.7152, 0.0722)

Channelwise = float | tuple[float, float, float]


@dataclass(frozen=True)
class CurveParams:
    """One characteristic curve (formulas in the module doc).

    ``gamma`` [D per log10 H], ``dmin``/``dmax`` [density], ``toe`` [log10 H],
    ``shoulder`` [density], ``speed`` (log10 exposure of the toe knee),
    ``reversal`` (positive-working). Per-channel values are 3-tuples (R, G, B).
    """

    gamma: Channelwise
    dmin: Channelwise
    dmax: Channelwise
    toe: float
    shoulder: float
    speed: Channelwise = 0.0
    reversal: bool = False

    def __post_init__(self) -> None:
        g, lo, hi = (np.asarray(v, dtype=np.float64) for v in (self.gamma, self.dmin, self.dmax))
        for name, arr in (("gamma", g), ("dmin", lo), ("dmax", hi), ("speed", self.speed)):
            a = np.asarray(arr, dtype=np.float64)
            if a.shape not in ((), (3,)) or not np.isfinite(a).all():
                raise ValueError(f"CurveParams.{name} must be a finite float or 3-tuple")
        if not (g > 0).all():
            raise ValueError("CurveParams.gamma must be > 0")
        if not (hi > lo).all() or not (lo >= 0).all():
            raise ValueError("CurveParams needs 0 <= dmin < dmax")
        if not (self.toe > 0 and self.shoulder > 0):
            raise ValueError("CurveParams.toe and CurveParams.shoulder must be > 0")

    def arrays(self) -> tuple[np.ndarray, ...]:
        """``(gamma, dmin, dmax, speed)`` as float64 arrays (scalar or (3,))."""
        return tuple(
            np.asarray(v, dtype=np.float64) for v in (self.gamma, self.dmin, self.dmax, self.speed)
        )


def _softmin(y: np.ndarray, limit: np.ndarray, width: float) -> np.ndarray:
    """``-w ln(exp(-y/w) + exp(-R/w))``: smooth min of ``y`` and ``R``."""
    return -width * np.logaddexp(-y / width, -limit / width)


def curve_rise(log_exposure: np.ndarray, params: CurveParams) -> np.ndarray:
    """``P(x)`` in [0, dmax - dmin): the density rise above the curve's floor."""
    gamma, dmin, dmax, speed = params.arrays()
    span = dmax - dmin
    x = np.asarray(log_exposure, dtype=np.float64)
    y = gamma * params.toe * np.logaddexp(0.0, (x - speed) / params.toe)
    m0 = _softmin(np.zeros_like(span), span, params.shoulder)
    return span * (_softmin(y, span, params.shoulder) - m0) / (span - m0)


def curve_rise_inverse(rise: np.ndarray, params: CurveParams) -> np.ndarray:
    """Log10 exposure ``x`` with ``P(x) = rise`` (``0 < rise < dmax - dmin``)."""
    gamma, dmin, dmax, speed = params.arrays()
    span = dmax - dmin
    r = np.asarray(rise, dtype=np.float64)
    if not ((r > 0) & (r < span)).all():
        raise ValueError("rise must lie strictly between 0 and dmax - dmin")
    w = params.shoulder
    m0 = _softmin(np.zeros_like(span), span, w)
    m = m0 + r * (span - m0) / span
    y = -w * np.log(np.exp(-m / w) - np.exp(-span / w))
    return speed + params.toe * np.log(np.expm1(y / (gamma * params.toe)))


def characteristic_curve(log_exposure: np.ndarray, params: CurveParams) -> np.ndarray:
    """Density ``D(log10 H)``: ``dmin + P`` (negative) or ``dmax - P`` (reversal).

    ``log_exposure`` broadcasts against per-channel parameters on its last axis.
    """
    _, dmin, dmax, _ = params.arrays()
    rise = curve_rise(log_exposure, params)
    return dmax - rise if params.reversal else dmin + rise


@dataclass(frozen=True)
class FilmStock:
    """A placed film stock: camera-film curve, optional print curve, grain, provenance."""

    name: str
    title: str
    process: Literal["negative", "reversal"]
    monochrome: bool
    camera: CurveParams
    print_curve: CurveParams | None
    granularity: float
    source: str

    @property
    def channels(self) -> int:
        return 1 if self.monochrome else 3


def _place(
    name: str,
    title: str,
    camera: CurveParams,
    print_curve: CurveParams | None,
    granularity: float,
    source: str,
    monochrome: bool = False,
) -> FilmStock:
    """Solve ``speed`` (and printer lights) so 18% grey renders to DISPLAY_GREY, neutral."""
    grey_x = np.log10(MID_GREY)
    view_rise = -np.log10(DISPLAY_GREY)
    _, dmin, dmax, _ = camera.arrays()
    if camera.reversal:
        # out = 10**-(D - dmin) with D = dmax - P  =>  P(grey) = (dmax - dmin) - 0.745
        at_zero = replace(camera, speed=0.0)
        speed = grey_x - curve_rise_inverse(dmax - dmin - view_rise, at_zero)
        placed_print = None
    else:
        if print_curve is None:
            raise ValueError(f"negative stock {name!r} needs a print curve")
        at_zero = replace(camera, speed=0.0)
        speed = grey_x - curve_rise_inverse(
            np.full_like(dmin, NEGATIVE_GREY_DENSITY), at_zero
        )
        grey_density = dmin + NEGATIVE_GREY_DENSITY
        p_gamma = np.asarray(print_curve.gamma, dtype=np.float64)
        p_at_zero = replace(print_curve, speed=0.0)
        x_print = curve_rise_inverse(np.full_like(p_gamma, view_rise), p_at_zero)
        # Printer light b: x_p = b - D_neg, so b = x_p(grey) + D_neg(grey); the print
        # speed stays 0 and b is folded in as the print curve's speed: x_p - speed.
        lights = x_print + grey_density
        placed_print = replace(print_curve, speed=_channelwise(-lights))
    return FilmStock(
        name=name, title=title, process="reversal" if camera.reversal else "negative",
        monochrome=monochrome, camera=replace(camera, speed=_channelwise(speed)),
        print_curve=placed_print, granularity=granularity, source=source,
    )


def _channelwise(value: np.ndarray) -> Channelwise:
    arr = np.asarray(value, dtype=np.float64)
    return float(arr) if arr.ndim == 0 else (float(arr[0]), float(arr[1]), float(arr[2]))


_COLOR_PRINT = CurveParams(gamma=2.4, dmin=0.06, dmax=4.0, toe=0.18, shoulder=0.35)
_BW_PRINT = CurveParams(gamma=2.2, dmin=0.05, dmax=3.6, toe=0.2, shoulder=0.35)

#: The four stocks, placed (module doc for sources and caveats).
STOCKS: dict[str, FilmStock] = {
    stock.name: stock
    for stock in (
        _place(
            "kodachrome", "Kodachrome 64 (colour reversal)",
            CurveParams(gamma=(1.75, 1.70, 1.65), dmin=(0.14, 0.12, 0.10),
                        dmax=(3.5, 3.6, 3.5), toe=0.22, shoulder=0.25, reversal=True),
            None, granularity=0.010, source="Kodak pub. E-55 (Kodachrome 25/64/200)",
        ),
        _place(
            "vision3_500t", "Kodak Vision3 500T 5219 (colour negative)",
            CurveParams(gamma=(0.58, 0.60, 0.62), dmin=(0.20, 0.62, 0.88),
                        dmax=(2.6, 3.0, 3.3), toe=0.32, shoulder=0.35),
            _COLOR_PRINT, granularity=0.0065, source="Kodak pub. H-1-5219; print H-1-2383",
        ),
        _place(
            "vision3_250d", "Kodak Vision3 250D 5207 (colour negative)",
            CurveParams(gamma=(0.60, 0.62, 0.64), dmin=(0.18, 0.58, 0.82),
                        dmax=(2.6, 3.0, 3.3), toe=0.26, shoulder=0.35),
            _COLOR_PRINT, granularity=0.0045, source="Kodak pub. H-1-5207; print H-1-2383",
        ),
        _place(
            "tri_x", "Kodak Tri-X 400 (black-and-white negative)",
            CurveParams(gamma=0.65, dmin=0.25, dmax=2.6, toe=0.35, shoulder=0.4),
            _BW_PRINT, granularity=0.011, source="Kodak pub. F-4017", monochrome=True,
        ),
    )
}


def get_stock(stock: str | FilmStock) -> FilmStock:
    """A :class:`FilmStock` by name (``STOCK_NAMES``) or passed through."""
    if isinstance(stock, FilmStock):
        return stock
    if not isinstance(stock, str):
        raise TypeError(f"stock must be a stock name or FilmStock, got {type(stock).__name__}")
    if stock not in STOCKS:
        raise ValueError(f"unknown stock {stock!r}; known: {', '.join(STOCK_NAMES)}")
    return STOCKS[stock]


def camera_density(log10_exposure: np.ndarray, stock: FilmStock) -> np.ndarray:
    """Camera-film density ``(..., channels)`` for clamped log10 exposures ``(..., channels)``."""
    return characteristic_curve(log10_exposure, stock.camera)


def display_from_density(density: np.ndarray, stock: FilmStock) -> np.ndarray:
    """Display-linear output from camera-film density (print stage for negatives)."""
    if stock.print_curve is None:
        dmin = np.asarray(stock.camera.dmin, dtype=np.float64)
        return np.power(10.0, -(density - dmin))
    # Print log exposure relative to the placed print speed: x_p = -D_neg (printer
    # lights are folded into the print curve's speed by _place).
    print_density = characteristic_curve(-density, stock.print_curve)
    return np.power(10.0, -(print_density - stock.print_curve.dmin))


def log10_exposure(linear: np.ndarray, stock: FilmStock, exposure_ev: float = 0.0) -> np.ndarray:
    """Clamped log10 exposure per film layer: ``(..., 3)`` colour or ``(..., 1)`` luminance."""
    rgb = np.asarray(linear, dtype=np.float64)
    if stock.monochrome:
        rgb = (rgb @ np.asarray(LUMA_709))[..., None]
    lo, hi = LOG2_EXPOSURE_RANGE
    log2_e = np.log2(np.clip(rgb * 2.0**exposure_ev, 2.0**lo, 2.0**hi))
    return log2_e * np.log10(2.0)


def transfer(log2_exposure: np.ndarray, stock: str | FilmStock) -> np.ndarray:
    """Display-linear output per layer for log2 exposures ``(..., channels)`` (no grain).

    The 1-D curve the OCIO looks bake; inputs are clamped to ``LOG2_EXPOSURE_RANGE``.
    """
    s = get_stock(stock)
    x = np.clip(np.asarray(log2_exposure, dtype=np.float64), *LOG2_EXPOSURE_RANGE)
    return display_from_density(camera_density(x * np.log10(2.0), s), s)


def _check_image(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"image must be HxWx3, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(f"image must be a float array (linear), got {arr.dtype}")
    if not np.isfinite(arr).all():
        raise ValueError("image contains non-finite values")
    return arr.astype(np.float64)


def film_grain(
    density: np.ndarray, stock: FilmStock, grain_key: int, grain_strength: float
) -> np.ndarray:
    """Grain added to camera density ``(H, W, C)`` (Nutting/Selwyn model, module doc)."""
    h, w, c = density.shape
    index = np.arange(h * w * c, dtype=np.int64).reshape(h, w, c)
    z = counter_normal(grain_key, index)
    dmin = np.asarray(stock.camera.dmin, dtype=np.float64)
    sigma = grain_strength * stock.granularity * np.sqrt(np.maximum(density - dmin, 0.0))
    return density + sigma * z


def apply_stock(
    image: np.ndarray,
    stock: str | FilmStock,
    grain_key: int | None = None,
    grain_strength: float = 1.0,
    exposure_ev: float = 0.0,
) -> np.ndarray:
    """Render a scene-linear float HxWx3 image through a film stock -> float32 display-linear.

    ``exposure_ev`` [stops] scales the scene before the film; ``grain_key``
    (e.g. ``moks_graph.rng.stream_key(seed, node_id, "grain")``) turns on grain
    of ``grain_strength`` (0 = none, 1 = the stock's nominal granularity).
    Output is display-referred linear in (0, 1]; encode for the display (e.g.
    sRGB) downstream. Without grain, 18% grey maps to 0.18.
    """
    s = get_stock(stock)
    rgb = _check_image(image)
    if not np.isfinite(exposure_ev):
        raise ValueError("exposure_ev must be finite")
    if not (np.isfinite(grain_strength) and grain_strength >= 0):
        raise ValueError(f"grain_strength must be finite and >= 0, got {grain_strength}")
    density = camera_density(log10_exposure(rgb, s, exposure_ev), s)
    if grain_key is not None and grain_strength > 0:
        density = film_grain(density, s, int(grain_key), float(grain_strength))
    out = display_from_density(density, s)
    if s.monochrome:
        out = np.repeat(out, 3, axis=-1)
    return out.astype(np.float32)


class LookParams(BaseModel):
    """Parameters of a film look."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stock: StockName = Param("vision3_250d", description="film stock")
    exposure_ev: float = Param(
        0.0, ge=-8.0, le=8.0, description="exposure before the film, + = brighter", unit="EV"
    )
    grain_strength: float = Param(
        1.0, ge=0.0, le=4.0, description="grain relative to the stock's granularity, 0 = off",
        unit="x"
    )
