"""1-D gradient (Perlin) noise and its fractal sum, pure functions of absolute time.

Entry points: :func:`gradient_noise`, :func:`fbm`, :func:`sub_key`.

Details (moved from this docstring, issue 15): docs/classic-mode.md#nodescameranoisepy
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from moks_graph.nodes.camera._checks import finite_array, key_of, positive
from moks_graph.rng import counter_uniform, stream_key

#: Largest |lattice coordinate| accepted: beyond 2**52 a float64 has no fractional part.
_MAX_LATTICE = float(2**52)


def sub_key(key: int, name: str) -> int:
    """A named sub-key of ``key`` (SHA-256 via :func:`moks_graph.rng.stream_key`)."""
    return stream_key(key_of(key), "camera.noise", name)


def gradient_noise(t_seconds: ArrayLike, frequency_hz: float, key: int) -> np.ndarray:
    """1-D Perlin gradient noise in ``[-1, 1]`` at absolute times ``t_seconds``.

    ``frequency_hz`` is the lattice frequency (one random gradient per ``1/frequency_hz``
    seconds); the spectrum peaks a little below it. Works for any array shape. Pass a distance in
    metres and a spatial frequency in 1/m to get noise along a path instead of along time.
    """
    t = finite_array("t_seconds", t_seconds)
    f = positive("frequency_hz", frequency_hz)
    k = key_of(key)
    x0 = float(counter_uniform(sub_key(k, "offset"), 0))
    x = t * f + x0
    if x.size and float(np.max(np.abs(x))) >= _MAX_LATTICE:
        raise ValueError("t_seconds * frequency_hz is too large for float64 lattice noise")
    cell = np.floor(x)
    u = x - cell
    index = cell.astype(np.int64)
    g0 = 2.0 * counter_uniform(k, index) - 1.0
    g1 = 2.0 * counter_uniform(k, index + 1) - 1.0
    s = u * u * u * (u * (u * 6.0 - 15.0) + 10.0)
    return 2.0 * ((1.0 - s) * g0 * u + s * g1 * (u - 1.0))


def fbm(
    t_seconds: ArrayLike,
    frequency_hz: float,
    key: int,
    octaves: int = 4,
    lacunarity: float = 2.0,
    gain: float = 0.5,
) -> np.ndarray:
    """Octave sum of :func:`gradient_noise`, normalised to ``[-1, 1]``.

    ``sum_k gain**k * gradient_noise(t, frequency_hz * lacunarity**k, key_k) / sum_k gain**k``
    for ``k = 0 .. octaves-1``, with ``key_k`` a named sub-key of ``key`` per octave.
    """
    if isinstance(octaves, bool) or not isinstance(octaves, int | np.integer) or octaves < 1:
        raise ValueError(f"octaves must be an integer >= 1, got {octaves!r}")
    f = positive("frequency_hz", frequency_hz)
    lac = positive("lacunarity", lacunarity)
    g = positive("gain", gain)
    k = key_of(key)
    total = np.zeros(np.shape(t_seconds), dtype=np.float64)
    weight_sum = 0.0
    weight = 1.0
    freq = f
    for octave in range(int(octaves)):
        total = total + weight * gradient_noise(t_seconds, freq, sub_key(k, f"octave{octave}"))
        weight_sum += weight
        weight *= g
        freq *= lac
    return total / weight_sum
