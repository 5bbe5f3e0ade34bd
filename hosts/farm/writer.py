"""Host writers for farm merges: the engine's hosts plus ``npz`` (merged Channels, pickle-free).

``npz`` writes :func:`moks_graph.codec.to_npz_bytes` of the merged Channels
atomically; read it back with :func:`read_npz`. It needs no host library, so a
farm bake can be checked bit for bit against a single-process bake.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moks_graph import codec
from moks_graph.cache import atomic_write_bytes
from moks_graph.channels import Channels
from moks_graph.hosts.bake import HOSTS, host_writer

NPZ_SUFFIX = ".npz"


def write_npz(channels: Channels, path: str | os.PathLike[str]) -> str:
    """Write merged Channels as ``.npz`` (codec form), atomically; returns the path."""
    if not isinstance(channels, Channels):
        raise TypeError(f"channels: expected Channels, got {type(channels).__name__}")
    target = Path(path)
    atomic_write_bytes(target, codec.to_npz_bytes(channels))
    return str(target)


def read_npz(path: str | os.PathLike[str]) -> Channels:
    """Read Channels written by :func:`write_npz`."""
    value = codec.from_npz_bytes(Path(path).read_bytes())
    if not isinstance(value, Channels):
        raise ValueError(f"path: {str(path)!r} does not hold Channels")
    return value


def farm_writer(host: str) -> Callable[..., Any]:
    """The writer for ``host``: ``npz`` here, else :func:`moks_graph.hosts.bake.host_writer`."""
    if host == "npz":
        return write_npz
    return host_writer(host)


def host_suffix(host: str) -> str:
    """The default output suffix of ``host`` (``.npz``, ``.usda``, ``.ma``, ``.blend``)."""
    if host == "npz":
        return NPZ_SUFFIX
    spec = HOSTS.get(host)
    return spec.suffixes[0] if spec is not None else ""


def farm_hosts() -> list[str]:
    """Every host name a farm bake accepts."""
    return sorted([*HOSTS, "npz"])
