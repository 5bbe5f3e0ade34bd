"""Atmosphere phase: one slider ``phi`` in [0, 1] (0 calm .. 1 storm) drives six effects.

The details (moved from this docstring): docs/classic-mode.md, "Module notes",
`nodes/atmosphere/phase.py`.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from moks_graph.node import Param
from moks_graph.nodes.atmosphere.coupler import ProximityCoupler
from moks_graph.nodes.camera.noise import fbm, gradient_noise
from moks_graph.nodes.lights.series import ArrayLike, as_series, sample_count
from moks_graph.rng import stream_key

_Channel = Annotated[float, Field(ge=0.0, le=16.0)]
Colour = tuple[_Channel, _Channel, _Channel]

#: Noise frequencies [Hz] and modulation depths of the mappings above.
GUST_HZ, VEER_HZ, FOG_HZ, FLICKER_HZ = 0.35, 0.05, 0.03, 3.0
GUST_DEPTH, VEER_DEG, FOG_DEPTH, TURBULENCE_DEPTH = 0.35, 25.0, 0.2, 0.15
SCATTER_CALM, SCATTER_RANGE = 0.80, 0.15


class AtmosphereParams(BaseModel):
    """Parameters of the atmosphere phase and its proximity coupler."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    phi: float = Param(0.0, ge=0.0, le=1.0, description="atmosphere phase, 0 calm .. 1 storm",
                       unit="0-1")
    stream: str = Field(
        "atmosphere", min_length=1, max_length=64,
        description="RNG stream name of the noise (with graph seed and node id)",
    )
    noise_strength: float = Param(
        1.0, ge=0.0, le=1.0, description="scale of the time-varying gust/flicker parts", unit="0-1"
    )
    wind_direction_deg: float = Param(
        0.0, ge=-180.0, le=180.0, description="heading the wind blows toward, from +X to +Y",
        unit="deg"
    )
    wind_max_ms: float = Param(15.0, gt=0.0, le=60.0, description="mean wind at phi = 1",
                               unit="m/s")
    fog_density_max: float = Param(
        0.3, gt=0.0, le=10.0, description="fog extinction at phi = 1 (visibility 3.912/sigma)",
        unit="1/m"
    )
    flicker_max_ev: float = Param(
        1.0, ge=0.0, le=4.0, description="peak light flicker |EV| at phi = 1", unit="EV"
    )
    buffet_max_deg: float = Param(
        1.5, ge=0.0, le=20.0, description="camera buffeting amplitude at wind_max_ms", unit="deg"
    )
    fog_color: Colour = Param(
        (0.62, 0.64, 0.66), description="haze / fog colour at phi = 1", unit="linear RGB"
    )
    clear_haze_color: Colour = Param(
        (0.55, 0.68, 0.95), description="clear-air haze colour at phi = 0", unit="linear RGB"
    )
    contrast_floor: float = Param(
        0.2, gt=0.0, lt=1.0,
        description="lowest apparent subject contrast the coupler allows, fraction of C0",
        unit="0-1",
    )
    airlight_ratio: float = Param(
        1.0, ge=0.0, le=100.0, description="fog luminance over subject luminance k", unit="ratio"
    )
    coupler_knee: float = Param(
        0.8, gt=0.0, le=1.0, description="fraction of the cap below which fog is untouched",
        unit="0-1"
    )

    def coupler(self) -> ProximityCoupler:
        """The :class:`ProximityCoupler` for these parameters (``C0 = 1``)."""
        return ProximityCoupler(
            floor=self.contrast_floor, intrinsic_contrast=1.0,
            airlight_ratio=self.airlight_ratio, knee=self.coupler_knee,
        )


def smoothstep(x: ArrayLike) -> np.ndarray:
    """``3x^2 - 2x^3`` on x clipped to [0, 1]."""
    x = np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _noises(
    seconds: np.ndarray, graph_seed: int, node_id: str, stream: str
) -> dict[str, np.ndarray]:
    """The four keyed noise signals in [-1, 1] at absolute times ``seconds``."""

    def key(name: str) -> int:
        return stream_key(graph_seed, node_id, f"{stream}.{name}")

    return {
        "gust": fbm(seconds, GUST_HZ, key("gust"), octaves=2),
        "veer": gradient_noise(seconds, VEER_HZ, key("veer")),
        "fog": gradient_noise(seconds, FOG_HZ, key("fog")),
        "flicker": fbm(seconds, FLICKER_HZ, key("flicker"), octaves=3),
    }


def atmosphere_channels(
    seconds: ArrayLike,
    params: AtmosphereParams | None = None,
    *,
    phi: ArrayLike | None = None,
    graph_seed: int = 0,
    node_id: str = "atmosphere",
    camera_pos: ArrayLike | None = None,
    target_pos: ArrayLike | None = None,
) -> dict[str, np.ndarray]:
    """The atmosphere channels ``(N,)`` at absolute times ``seconds`` [s].

    ``phi`` (scalar or ``(N,)``) overrides ``params.phi`` for an animated
    phase. Keys: ``wind_x wind_y`` [m/s], ``fog_density`` [1/m],
    ``fog_scatter`` [0-1], ``flicker`` [EV], ``haze_r haze_g haze_b``
    [linear], ``turbulence`` [0-1], ``buffet`` [deg] (formulas in the module
    doc). When ``camera_pos`` and ``target_pos`` are given the fog density is
    passed through ``params.coupler()`` for that camera-subject distance.
    """
    p = AtmosphereParams() if params is None else params
    if not isinstance(p, AtmosphereParams):
        raise TypeError(f"params must be AtmosphereParams, got {type(p).__name__}")
    t = np.asarray(seconds, dtype=np.float64)
    n = sample_count(t, "seconds")
    t = as_series(t, n, "seconds")
    ph = as_series(p.phi if phi is None else phi, n, "phi", low=0.0, high=1.0)
    k = p.noise_strength
    nz = _noises(t, graph_seed, node_id, p.stream)
    s = smoothstep(ph)

    speed = p.wind_max_ms * ph**1.5 * (1.0 + GUST_DEPTH * k * ph * nz["gust"])
    heading = np.radians(p.wind_direction_deg + VEER_DEG * k * ph * nz["veer"])
    fog = p.fog_density_max * ph**2 * (1.0 + FOG_DEPTH * k * ph * nz["fog"])
    if (camera_pos is None) != (target_pos is None):
        raise ValueError("camera_pos and target_pos must be given together")
    if camera_pos is not None and target_pos is not None:
        fog = p.coupler().couple(fog, camera_pos, target_pos)
    clear = np.asarray(p.clear_haze_color, dtype=np.float64)
    haze = clear + s[:, None] * (np.asarray(p.fog_color, dtype=np.float64) - clear)
    return {
        "wind_x": speed * np.cos(heading),
        "wind_y": speed * np.sin(heading),
        "fog_density": fog,
        "fog_scatter": SCATTER_CALM + SCATTER_RANGE * s,
        "flicker": p.flicker_max_ev * ph**2 * k * nz["flicker"],
        "haze_r": haze[:, 0],
        "haze_g": haze[:, 1],
        "haze_b": haze[:, 2],
        "turbulence": s * (1.0 - TURBULENCE_DEPTH * k * (1.0 - nz["gust"]) / 2.0),
        "buffet": p.buffet_max_deg * (speed / p.wind_max_ms) ** 2,
    }
