"""ProximityCoupler: keep the subject readable through rising fog.

The details (moved from this docstring): docs/classic-mode.md, "Module notes",
`nodes/atmosphere/coupler.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from moks_graph.nodes.lights.series import ArrayLike, as_points, as_series, infer_count


def transmittance(fog_density: ArrayLike, distance_m: ArrayLike) -> np.ndarray:
    """Beer-Lambert transmittance ``T = exp(-sigma d)`` (sigma [1/m], d [m])."""
    sigma = np.asarray(fog_density, dtype=np.float64)
    d = np.asarray(distance_m, dtype=np.float64)
    return np.exp(-sigma * d)


def apparent_contrast(
    intrinsic_contrast: float, transmittance_: ArrayLike, airlight_ratio: float
) -> np.ndarray:
    """``C = C0 T / (T + (1 - T) k)`` (module doc); returns ``C0`` where ``T = 1``."""
    t = np.asarray(transmittance_, dtype=np.float64)
    return intrinsic_contrast * t / (t + (1.0 - t) * airlight_ratio)


def min_transmittance(intrinsic_contrast: float, floor: float, airlight_ratio: float) -> float:
    """Smallest ``T`` keeping ``C >= floor``: ``floor k / (C0 - floor + floor k)``."""
    if not 0.0 < floor < intrinsic_contrast:
        raise ValueError(
            f"floor must be in (0, intrinsic_contrast={intrinsic_contrast}), got {floor}"
        )
    if airlight_ratio < 0.0:
        raise ValueError(f"airlight_ratio must be >= 0, got {airlight_ratio}")
    k = airlight_ratio
    return floor * k / (intrinsic_contrast - floor + floor * k)


@dataclass(frozen=True)
class ProximityCoupler:
    """Caps fog between camera and subject so apparent contrast stays >= ``floor``.

    ``intrinsic_contrast`` C0 (> 0), ``floor`` in (0, C0), ``airlight_ratio``
    ``k = L_fog / L_subject`` (>= 0), ``knee`` in (0, 1] (module doc).
    """

    floor: float = 0.2
    intrinsic_contrast: float = 1.0
    airlight_ratio: float = 1.0
    knee: float = 0.8

    def __post_init__(self) -> None:
        for name in ("floor", "intrinsic_contrast", "airlight_ratio", "knee"):
            if not np.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be finite")
        if not self.intrinsic_contrast > 0.0:
            raise ValueError(f"intrinsic_contrast must be > 0, got {self.intrinsic_contrast}")
        if not 0.0 < self.knee <= 1.0:
            raise ValueError(f"knee must be in (0, 1], got {self.knee}")
        min_transmittance(self.intrinsic_contrast, self.floor, self.airlight_ratio)

    def max_density(self, distance_m: ArrayLike) -> np.ndarray:
        """``sigma_max(d) = -ln(T_min) / d`` [1/m]; ``inf`` where ``d = 0`` or ``k = 0``."""
        d = np.asarray(distance_m, dtype=np.float64)
        if not (np.isfinite(d).all() and (d >= 0).all()):
            raise ValueError("distance_m must be finite and >= 0")
        t_min = min_transmittance(self.intrinsic_contrast, self.floor, self.airlight_ratio)
        if t_min <= 0.0:
            return np.full(d.shape, np.inf)
        with np.errstate(divide="ignore"):
            return np.where(d > 0, -np.log(t_min) / np.where(d > 0, d, 1.0), np.inf)

    def cap(self, fog_density: ArrayLike, distance_m: ArrayLike) -> np.ndarray:
        """Fog density [1/m] on the camera-subject path after the soft cap."""
        sigma = np.asarray(fog_density, dtype=np.float64)
        if not (np.isfinite(sigma).all() and (sigma >= 0).all()):
            raise ValueError("fog_density must be finite and >= 0")
        sigma_max = np.broadcast_to(self.max_density(distance_m), np.broadcast_shapes(
            sigma.shape, np.shape(distance_m)))
        finite = np.isfinite(sigma_max)
        s_max = np.where(finite, sigma_max, 0.0)
        s0 = self.knee * s_max
        width = s_max - s0
        over = finite & (sigma > s0)
        if self.knee >= 1.0:
            rolled = s_max
        else:
            safe_w = np.where(width > 0, width, 1.0)
            rolled = s0 + width * -np.expm1(-(sigma - s0) / safe_w)
        return np.where(over, rolled, sigma)

    def contrast(self, fog_density: ArrayLike, distance_m: ArrayLike) -> np.ndarray:
        """Apparent contrast ``C`` of the subject through ``fog_density`` at ``distance_m``."""
        return apparent_contrast(
            self.intrinsic_contrast, transmittance(fog_density, distance_m), self.airlight_ratio
        )

    def couple(
        self, fog_density: ArrayLike, camera_pos: ArrayLike, target_pos: ArrayLike
    ) -> np.ndarray:
        """Capped fog density ``(N,)`` for camera/subject positions ``(3,)`` or ``(N, 3)`` [m]."""
        n = infer_count((camera_pos, target_pos), (fog_density,))
        sigma = as_series(fog_density, n, "fog_density", low=0.0)
        d = np.linalg.norm(
            as_points(target_pos, n, "target_pos") - as_points(camera_pos, n, "camera_pos"), axis=-1
        )
        return self.cap(sigma, d)

    __call__ = couple
