"""Fog in every host that has fog: the atmosphere's ``fog_density`` converted per host.

Entry points: :func:`fog_of`, :func:`usd_coefficients`, :func:`maya_saturation_cm`,
:func:`unreal_fog_density`.

Details (moved from this docstring, issue 15): docs/hosts.md#hostsfogpy
"""

from __future__ import annotations

import math

import numpy as np

from moks_graph.channels import Channels

#: Edge of the USD fog box centred on the origin [m].
FOG_BOX_M = 2000.0
#: ``-ln(0.02)``: Koschmieder's visibility constant (2 % contrast threshold).
KOSCHMIEDER = -math.log(0.02)
#: Maya saturation distance for a vanishing fog [cm] (10 000 km).
MAYA_MAX_SATURATION_CM = 1e9
#: Unreal's ``FogDensity`` is ``1000 x`` the extinction per centimetre: ``10 x`` per metre.
UNREAL_DENSITY_PER_M = 10.0
#: Unreal ``FogHeightFalloff`` (its minimum): ``exp2(-1e-6 h_cm)``, uniform over 100 m.
FOG_FALLOFF = 0.001


def fog_of(channels: Channels, obj: str) -> tuple[np.ndarray, np.ndarray] | None:
    """``(σ (N,) 1/m, haze (N, 3) linear RGB)`` of an atmosphere object, or ``None`` when it
    has no ``fog_density`` or the density is 0 at every sample (no fog to write)."""
    attrs = channels.of(obj)
    sigma = attrs.get("fog_density")
    if sigma is None or not np.any(sigma > 0.0):
        return None
    if not (np.isfinite(sigma).all() and (sigma >= 0.0).all()):
        raise ValueError(f"channels: {obj}.fog_density must be finite and >= 0")
    n = len(sigma)
    haze = np.stack([attrs.get(f"haze_{c}", np.ones(n)) for c in "rgb"], axis=-1)
    return np.asarray(sigma, dtype=np.float64), np.clip(haze, 0.0, 1.0)


def usd_coefficients(sigma: np.ndarray, haze: np.ndarray,
                     meters_per_unit: float) -> tuple[np.ndarray, np.ndarray]:
    """``(scattering, absorption)`` ``(N, 3)`` per scene unit for the MaterialX volume."""
    per_unit = np.asarray(sigma, dtype=np.float64)[:, None] * float(meters_per_unit)
    return per_unit * haze, per_unit * (1.0 - haze)


def usd_extinction_to_sigma(scattering: np.ndarray, absorption: np.ndarray,
                            meters_per_unit: float) -> np.ndarray:
    """Inverse of :func:`usd_coefficients`: ``σ`` [1/m] from the first channel's sum."""
    total = np.asarray(scattering, dtype=np.float64) + np.asarray(absorption, dtype=np.float64)
    return total[:, 0] / float(meters_per_unit)


def maya_saturation_cm(sigma: np.ndarray) -> np.ndarray:
    """Maya simple fog ``saturationDistance`` [cm]: the visibility ``100 · 3.912 / σ``."""
    s = np.asarray(sigma, dtype=np.float64)
    with np.errstate(divide="ignore"):
        d = np.where(s > 0.0, 100.0 * KOSCHMIEDER / np.where(s > 0.0, s, 1.0), np.inf)
    return np.minimum(d, MAYA_MAX_SATURATION_CM)


def maya_saturation_to_sigma(saturation_cm: np.ndarray) -> np.ndarray:
    """Inverse of :func:`maya_saturation_cm` (0 at the cap)."""
    d = np.asarray(saturation_cm, dtype=np.float64)
    return np.where(d >= MAYA_MAX_SATURATION_CM, 0.0, 100.0 * KOSCHMIEDER / d)


def unreal_fog_density(sigma: np.ndarray) -> np.ndarray:
    """``ExponentialHeightFogComponent.FogDensity`` for ``σ`` [1/m]: ``10 σ``."""
    return UNREAL_DENSITY_PER_M * np.asarray(sigma, dtype=np.float64)
