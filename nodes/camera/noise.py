"""1-D gradient (Perlin) noise and its fractal sum, pure functions of absolute time.

Gradient noise (K. Perlin, "An image synthesizer", SIGGRAPH 1985; quintic fade from
K. Perlin, "Improving noise", SIGGRAPH 2002) in one dimension::

    x  = t * frequency_hz + x0(key)          # lattice coordinate, x0 in [0, 1)
    i  = floor(x),  u = x - i                # lattice cell and position in it
    g_i = 2 * counter_uniform(key, i) - 1    # gradient (slope) at lattice point i, in [-1, 1)
    s(u) = 6u^5 - 15u^4 + 10u^3              # quintic fade: s', s'' vanish at u = 0, 1
    n(x) = 2 * [(1 - s) * g_i * u + s * g_{i+1} * (u - 1)]

The value is a pure function of absolute time and the key: the lattice gradients come from
:func:`moks_graph.rng.counter_uniform` indexed by the absolute lattice index, so any chunk of a
time array, any frame rate and any sub-frame count give the same value at the same time.
Nothing is accumulated. ``n`` is C2-continuous (the fade has zero first and second derivative at
the lattice points), so sampled velocity and acceleration are continuous too.

Bound: with ``|g| <= 1`` the bracket is at most ``u(1 - s) + (1 - u)s``, whose maximum over
``[0, 1]`` is ``1/2`` (at ``u = 1/2``); the factor 2 therefore makes ``|n| <= 1``. The key-derived
offset ``x0`` keeps different keys from all passing through zero at the same times (gradient
noise is zero at every lattice point).

:func:`fbm` (fractional Brownian motion style octave sum) adds ``octaves`` copies with frequency
``frequency_hz * lacunarity**k`` and weight ``gain**k`` (each octave on its own sub-key) and
divides by ``sum(gain**k)``, so ``|fbm| <= 1`` as well.
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
