"""Order-2 (L=2) real spherical-harmonic environment lighting.

The details (moved from this docstring): docs/measuring-stills.md, "Module notes",
`nodes/environment/sh.py`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from moks_graph.nodes.environment.hdri import (
    check_hdri,
    equirect_angles,
    equirect_directions,
    equirect_row_solid_angles,
    load_hdri,
)

__all__ = [
    "BAND_OF_COEFF",
    "C1",
    "C2",
    "C3",
    "C4",
    "C5",
    "COSINE_LOBE",
    "PRESET_KIND",
    "PRESET_SIGNIFICANT_DIGITS",
    "irradiance",
    "load_hdri",
    "preset_to_sh",
    "project_hdri",
    "reference_irradiance",
    "sh_basis",
    "sh_to_preset",
]

# R&H eq. 3 normalisation constants, exact (R&H print them rounded to 6 decimals:
# 0.282095, 0.488603, 1.092548, 0.315392, 0.546274).
_K0 = 0.5 / math.sqrt(math.pi)
_K1 = math.sqrt(3.0 / (4.0 * math.pi))
_K2 = math.sqrt(15.0 / (4.0 * math.pi))  # xy, yz, xz
_K20 = math.sqrt(5.0 / (16.0 * math.pi))
_K22 = math.sqrt(15.0 / (16.0 * math.pi))

#: R&H eq. 13 irradiance constants, exact: c1 = A2 K22, c2 = A1 K1 / 2, c3 = 3 A2 K20,
#: c4 = A0 K0, c5 = A2 K20 (printed in R&H as 0.429043, 0.511664, 0.743125, 0.886227,
#: 0.247708; c2 and c3 differ from the exact values by about 1e-6).
C1 = math.pi / 4.0 * _K22
C2 = math.pi / 3.0 * _K1
C3 = 3.0 * math.pi / 4.0 * _K20
C4 = math.pi * _K0
C5 = math.pi / 4.0 * _K20

#: Band ``l`` of each of the nine coefficients.
BAND_OF_COEFF: tuple[int, ...] = (0, 1, 1, 1, 2, 2, 2, 2, 2)

#: Clamped-cosine convolution factor ``A_l`` per band (R&H eq. 8-9).
COSINE_LOBE: tuple[float, float, float] = (math.pi, 2.0 * math.pi / 3.0, math.pi / 4.0)

#: ``kind`` tag of a preset dict.
PRESET_KIND = "moks.sh9"
_PRESET_VERSION = 1
#: Significant decimal digits kept per coefficient in a preset.
PRESET_SIGNIFICANT_DIGITS = 7

# Azimuthal factor index per coefficient: 0 -> 1, 1 -> sin phi, 2 -> cos phi,
# 3 -> sin 2phi, 4 -> cos 2phi.
_AZIMUTH_OF_COEFF = np.array([0, 1, 0, 2, 3, 1, 0, 2, 4])


def _unit_directions(directions: Any, name: str) -> np.ndarray:
    d = np.asarray(directions, dtype=np.float64)
    if d.ndim < 1 or d.shape[-1] != 3:
        raise ValueError(f"{name} must have shape (..., 3), got {d.shape}")
    norm = np.linalg.norm(d, axis=-1, keepdims=True)
    if not np.all(np.isfinite(norm)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if np.any(norm == 0.0):
        raise ValueError(f"{name} contains zero-length vectors")
    return d / norm


def sh_basis(directions: Any) -> np.ndarray:
    """The nine real SH basis functions at unit directions ``(..., 3)`` -> ``(..., 9)``.

    Directions are normalised first (R&H eq. 3 constants, order in the module
    docstring).
    """
    d = _unit_directions(directions, "directions")
    x, y, z = d[..., 0], d[..., 1], d[..., 2]
    return np.stack(
        [
            np.full_like(x, _K0),
            _K1 * y,
            _K1 * z,
            _K1 * x,
            _K2 * x * y,
            _K2 * y * z,
            _K20 * (3.0 * z * z - 1.0),
            _K2 * x * z,
            _K22 * (x * x - y * y),
        ],
        axis=-1,
    )


def _row_factors(height: int) -> np.ndarray:
    """Polar factor of each coefficient per row times the row's pixel solid angle, (9, H)."""
    theta, _ = equirect_angles(height)
    st, ct = np.sin(theta), np.cos(theta)
    rows = np.stack(
        [
            np.full_like(st, _K0),
            _K1 * st,
            _K1 * ct,
            _K1 * st,
            0.5 * _K2 * st * st,  # xy = st^2 cos(phi) sin(phi) = st^2 sin(2 phi) / 2
            _K2 * st * ct,
            _K20 * (3.0 * ct * ct - 1.0),
            _K2 * st * ct,
            _K22 * st * st,  # x^2 - y^2 = st^2 cos(2 phi)
        ]
    )
    return rows * equirect_row_solid_angles(height)[None, :]


def _azimuth_factors(height: int, dtype: np.dtype) -> np.ndarray:
    """The five azimuthal functions at the column centres, (5, W)."""
    _, phi = equirect_angles(height)
    return np.stack(
        [np.ones_like(phi), np.sin(phi), np.cos(phi), np.sin(2 * phi), np.cos(2 * phi)]
    ).astype(dtype)


def project_hdri(hdri: np.ndarray) -> np.ndarray:
    """Project an equirectangular radiance map onto the nine L=2 SH functions.

    ``hdri``: ``(H, 2H, 3)`` float32/float64 linear RGB radiance, Z-up mapping
    of :mod:`moks_graph.nodes.environment.hdri`. Returns ``(9, 3)`` float64
    coefficients ``L_lm = sum_p L_p Y_lm(w_p) dOmega_p`` (27 floats).

    Column sums use the map's own precision (float32 maps accumulate each row
    of at most a few thousand pixels in float32), row sums run in float64.
    """
    img = check_hdri(hdri)
    h = img.shape[0]
    azimuth = _azimuth_factors(h, img.dtype)  # (5, W)
    per_row = np.matmul(azimuth, img).astype(np.float64)  # (H, 5, 3)
    rows = _row_factors(h)  # (9, H)
    return np.einsum("kh,hkc->kc", rows, per_row[:, _AZIMUTH_OF_COEFF, :])


def _check_coeffs(coeffs: Any) -> np.ndarray:
    c = np.asarray(coeffs, dtype=np.float64)
    if c.shape == (27,):
        c = c.reshape(9, 3)
    if c.shape != (9, 3):
        raise ValueError(f"coeffs must have shape (9, 3) or (27,), got {c.shape}")
    if not np.all(np.isfinite(c)):
        raise ValueError("coeffs contains NaN or infinite values")
    return c


def irradiance(coeffs: Any, normals: Any, *, clamp: bool = True) -> np.ndarray:
    """Irradiance at unit normals ``(..., 3)`` from SH radiance coefficients -> ``(..., 3)``.

    R&H eq. 13 with constants c1..c5 (module docstring); normals are
    normalised first. With ``clamp`` (default) negative values from the
    truncated series are set to 0.
    """
    c = _check_coeffs(coeffs)
    n = _unit_directions(normals, "normals")
    x, y, z = (n[..., i, None] for i in range(3))
    e = (
        C1 * c[8] * (x * x - y * y)
        + C3 * c[6] * z * z
        + C4 * c[0]
        - C5 * c[6]
        + 2.0 * C1 * (c[4] * x * y + c[7] * x * z + c[5] * y * z)
        + 2.0 * C2 * (c[3] * x + c[1] * y + c[2] * z)
    )
    return np.maximum(e, 0.0) if clamp else e


def reference_irradiance(hdri: np.ndarray, normals: Any, *, chunk: int = 4_000_000) -> np.ndarray:
    """Brute-force irradiance ``sum_p L_p max(0, n.w_p) dOmega_p`` at normals ``(..., 3)``.

    The ground truth the SH approximation is checked against: numerical
    integration of the clamped cosine over every pixel of the map. Cost
    ``O(N * H * W)``; work is split so at most ``chunk`` cosine terms are in
    memory at once.
    """
    img = check_hdri(hdri)
    n = _unit_directions(normals, "normals")
    if not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunk must be a positive int, got {chunk!r}")
    h, w = img.shape[:2]
    dirs = equirect_directions(h).reshape(-1, 3)
    weighted = (img.astype(np.float64) * equirect_row_solid_angles(h)[:, None, None]).reshape(
        -1, 3
    )
    flat = n.reshape(-1, 3)
    out = np.empty((flat.shape[0], 3), dtype=np.float64)
    step = max(1, chunk // (h * w))
    for start in range(0, flat.shape[0], step):
        cosines = np.maximum(flat[start : start + step] @ dirs.T, 0.0)
        out[start : start + step] = cosines @ weighted
    return out.reshape(*n.shape[:-1], 3)


def _round_sig(value: float) -> float:
    return float(f"{value:.{PRESET_SIGNIFICANT_DIGITS}g}")


def sh_to_preset(coeffs: Any) -> dict[str, Any]:
    """A small JSON-ready preset of SH radiance coefficients.

    ``{"kind": "moks.sh9", "version": 1, "basis": ..., "frame": "z-up",
    "coeffs": [[r, g, b] x 9]}`` with every coefficient rounded to
    :data:`PRESET_SIGNIFICANT_DIGITS` significant digits, so the JSON text is
    well under 1 KiB and ``preset_to_sh`` / ``sh_to_preset`` round-trip it
    exactly.
    """
    c = _check_coeffs(coeffs)
    return {
        "kind": PRESET_KIND,
        "version": _PRESET_VERSION,
        "basis": "real-sh-l2-ramamoorthi-hanrahan-2001",
        "frame": "z-up",
        "coeffs": [[_round_sig(v) for v in row] for row in c.tolist()],
    }


def preset_to_sh(preset: Mapping[str, Any] | str) -> np.ndarray:
    """Coefficients ``(9, 3)`` float64 from a :func:`sh_to_preset` dict (or its JSON text).

    Raises ``TypeError``/``ValueError`` naming the bad field.
    """
    if isinstance(preset, str):
        try:
            preset = json.loads(preset)
        except json.JSONDecodeError as exc:
            raise ValueError(f"preset is not valid JSON: {exc}") from exc
    if not isinstance(preset, Mapping):
        raise TypeError(f"preset must be a mapping, got {type(preset).__name__}")
    if preset.get("kind") != PRESET_KIND:
        raise ValueError(f"preset.kind must be {PRESET_KIND!r}, got {preset.get('kind')!r}")
    if preset.get("version") != _PRESET_VERSION:
        raise ValueError(f"preset.version {preset.get('version')!r} is not supported")
    if preset.get("frame", "z-up") != "z-up":
        raise ValueError(f"preset.frame must be 'z-up', got {preset.get('frame')!r}")
    rows = preset.get("coeffs")
    if (
        not isinstance(rows, list)
        or len(rows) != 9
        or not all(isinstance(r, list) and len(r) == 3 for r in rows)
    ):
        raise ValueError("preset.coeffs must be a list of nine [r, g, b] lists")
    for row in rows:
        for v in row:
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise TypeError(f"preset.coeffs holds a non-number: {v!r}")
    return _check_coeffs(np.array(rows, dtype=np.float64))
