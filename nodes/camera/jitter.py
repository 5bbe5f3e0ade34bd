"""Handheld camera shake: pink (1/f) angular-velocity jitter, physiological tremor, breathing.

The details (moved from this docstring): docs/classic-mode.md, "Module notes",
`nodes/camera/jitter.py`.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from moks_graph.nodes.camera._checks import finite_array, key_of, non_negative, positive
from moks_graph.nodes.camera.noise import gradient_noise, sub_key
from moks_graph.rng import counter_uniform


def pink_components(
    key: int, f_lo: float = 0.1, f_hi: float = 10.0, per_octave: int = 16
) -> tuple[np.ndarray, np.ndarray]:
    """``(frequencies_hz, phases_rad)`` of the pink sinusoid bank for ``key``."""
    lo, hi = positive("f_lo", f_lo), positive("f_hi", f_hi)
    if hi <= lo:
        raise ValueError(f"f_hi ({hi}) must be greater than f_lo ({lo})")
    if isinstance(per_octave, bool) or not isinstance(per_octave, int) or per_octave < 1:
        raise ValueError(f"per_octave must be an integer >= 1, got {per_octave!r}")
    octaves = math.log2(hi / lo)
    count = max(1, round(octaves * per_octave))
    edges = lo * (hi / lo) ** (np.arange(count + 1) / count)
    index = np.arange(count)
    frac = counter_uniform(sub_key(key, "pink.frequency"), index)
    freqs = edges[:-1] * (edges[1:] / edges[:-1]) ** frac
    phases = 2.0 * np.pi * counter_uniform(sub_key(key, "pink.phase"), index)
    return freqs, phases


def _sinusoid_sum(
    t: np.ndarray, amplitudes: np.ndarray, freqs: np.ndarray, phases: np.ndarray, cosine: bool
) -> np.ndarray:
    """``sum_k amplitudes[k] * sin|cos(2 pi f_k t + phi_k)``, added in a fixed order."""
    out = np.zeros(t.shape, dtype=np.float64)
    wave = np.cos if cosine else np.sin
    for amp, f, ph in zip(amplitudes, freqs, phases, strict=True):
        out = out + amp * wave(2.0 * np.pi * f * t + ph)
    return out


def pink_noise(
    t_seconds: ArrayLike,
    key: int,
    rms: float = 1.0,
    f_lo: float = 0.1,
    f_hi: float = 10.0,
    per_octave: int = 16,
) -> np.ndarray:
    """Pink (1/f PSD over ``[f_lo, f_hi]`` Hz) noise with the given RMS at times ``t_seconds``."""
    t = finite_array("t_seconds", t_seconds)
    level = non_negative("rms", rms)
    freqs, phases = pink_components(key_of(key), f_lo, f_hi, per_octave)
    amplitude = np.full(freqs.shape, level * math.sqrt(2.0 / freqs.size))
    return _sinusoid_sum(t, amplitude, freqs, phases, cosine=False)


def pink_angle(
    t_seconds: ArrayLike,
    key: int,
    rms_deg: float = 0.25,
    f_lo: float = 0.1,
    f_hi: float = 10.0,
    per_octave: int = 16,
    derivative: int = 0,
) -> np.ndarray:
    """An angle (degrees, RMS ``rms_deg``) whose angular velocity is pink over the band.

    Component ``k`` of the angle is ``-(c / f_k) cos(2 pi f_k t + phi_k)`` with
    ``c = rms_deg / sqrt(sum_k f_k^-2 / 2)``; ``derivative=1`` returns the angular velocity
    (deg/s) ``2 pi c sin(2 pi f_k t + phi_k)`` summed, which is :func:`pink_noise` up to scale.
    """
    if derivative not in (0, 1) or isinstance(derivative, bool):
        raise ValueError(f"derivative must be 0 or 1, got {derivative!r}")
    t = finite_array("t_seconds", t_seconds)
    level = non_negative("rms_deg", rms_deg)
    freqs, phases = pink_components(key_of(key), f_lo, f_hi, per_octave)
    c = level / math.sqrt(float(np.sum(freqs**-2.0)) / 2.0)
    if derivative == 0:
        return _sinusoid_sum(t, -c / freqs, freqs, phases, cosine=True)
    return _sinusoid_sum(t, np.full(freqs.shape, 2.0 * np.pi * c), freqs, phases, cosine=False)


def tremor(
    t_seconds: ArrayLike,
    key: int,
    rms_deg: float = 0.02,
    center_hz: float = 9.0,
    bandwidth_hz: float = 4.0,
    count: int = 16,
) -> np.ndarray:
    """Physiological tremor angle (degrees, RMS ``rms_deg``) in ``center_hz ± bandwidth_hz/2``."""
    t = finite_array("t_seconds", t_seconds)
    level = non_negative("rms_deg", rms_deg)
    center = positive("center_hz", center_hz)
    width = non_negative("bandwidth_hz", bandwidth_hz)
    if center - width / 2.0 <= 0.0:
        raise ValueError("bandwidth_hz must be less than 2 * center_hz")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be an integer >= 1, got {count!r}")
    k = key_of(key)
    index = np.arange(count)
    freqs = center + width * (counter_uniform(sub_key(k, "tremor.frequency"), index) - 0.5)
    phases = 2.0 * np.pi * counter_uniform(sub_key(k, "tremor.phase"), index)
    amplitude = np.full(count, level * math.sqrt(2.0 / count))
    return _sinusoid_sum(t, amplitude, freqs, phases, cosine=False)


def breathing(
    t_seconds: ArrayLike, key: int, rate_hz: float = 0.25, variability: float = 0.15
) -> np.ndarray:
    """Breathing cycle in ``[-1, 1]``: ``sin(2 pi rate t + 2 pi variability n(t))``.

    ``n`` is :func:`gradient_noise` at a quarter of the breathing rate, so the phase wanders by up
    to ``variability`` cycles. Positive = inhaled (chest up).
    """
    t = finite_array("t_seconds", t_seconds)
    rate = positive("rate_hz", rate_hz)
    var = non_negative("variability", variability)
    k = key_of(key)
    wander = gradient_noise(t, rate / 4.0, sub_key(k, "breathing.phase"))
    return np.sin(2.0 * np.pi * (rate * t + var * wander))


def handheld_rotation(
    t_seconds: ArrayLike,
    key: int,
    jitter_rms_deg: float = 0.25,
    tremor_rms_deg: float = 0.02,
    tremor_hz: float = 9.0,
    roll_fraction: float = 0.5,
) -> np.ndarray:
    """``(N, 3)`` local (tilt, pan, roll) shake in degrees: pink jitter plus tremor per axis.

    Each axis has its own sub-keys; roll is scaled by ``roll_fraction`` (the hands resist roll
    better than pan and tilt).
    """
    k = key_of(key)
    fraction = non_negative("roll_fraction", roll_fraction)
    axes = []
    for name, scale in (("tilt", 1.0), ("pan", 1.0), ("roll", fraction)):
        jitter = pink_angle(t_seconds, sub_key(k, f"jitter.{name}"), jitter_rms_deg * scale)
        shake = tremor(
            t_seconds, sub_key(k, f"tremor.{name}"), tremor_rms_deg * scale, center_hz=tremor_hz
        )
        axes.append(jitter + shake)
    return np.stack(axes, axis=-1)
