"""Counter-based randomness: the only source of randomness in MOKS Graph.

Entry points: :func:`generator`, :func:`counter_uniform`, :func:`counter_normal`,
:func:`stream_key`.

Details (moved from this docstring, issue 15): docs/determinism.md#moks_graphrngpy
"""

from __future__ import annotations

import hashlib

import numpy as np

_MASK64 = (1 << 64) - 1
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def stream_key(graph_seed: int, node_id: str, stream: str) -> int:
    """A 64-bit key for one random stream of one node in one graph."""
    text = f"{int(graph_seed)}\x1f{node_id}\x1f{stream}".encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "little")


def splitmix64(values: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser on uint64 values (wrapping arithmetic)."""
    z = np.asarray(values, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = z + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def counter_bits(key: int, counters: np.ndarray | int) -> np.ndarray:
    """64 random bits per counter: a pure function of ``key`` and the counter."""
    c = np.asarray(counters, dtype=np.int64).astype(np.uint64)
    k = np.uint64(key & _MASK64)
    with np.errstate(over="ignore"):
        return splitmix64(splitmix64(c ^ k) + k)


def counter_uniform(key: int, counters: np.ndarray | int) -> np.ndarray:
    """Uniform floats in [0, 1) with 53 random bits, one per counter."""
    bits = counter_bits(key, counters) >> np.uint64(11)
    return bits.astype(np.float64) * (1.0 / 9007199254740992.0)


def counter_normal(key: int, counters: np.ndarray | int) -> np.ndarray:
    """Standard normal floats, one per counter (Box-Muller on two sub-streams)."""
    c = np.asarray(counters, dtype=np.int64)
    u1 = counter_uniform(key, 2 * c)
    u2 = counter_uniform(key, 2 * c + 1)
    radius = np.sqrt(-2.0 * np.log1p(-u1))  # log1p(-u) is finite for u in [0, 1)
    return radius * np.cos(2.0 * np.pi * u2)


def generator(graph_seed: int, node_id: str, stream: str) -> np.random.Generator:
    """A counter-based Philox generator for one stream of one node."""
    text = f"{int(graph_seed)}\x1f{node_id}\x1f{stream}".encode()
    digest = hashlib.sha256(text).digest()
    key = np.frombuffer(digest[:16], dtype="<u8").astype(np.uint64)
    return np.random.Generator(np.random.Philox(key=key))
