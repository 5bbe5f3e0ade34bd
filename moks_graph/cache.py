"""Content-addressed cache of node outputs.

A key is the SHA-256 over the node's type, version, validated params, its
upstream keys and only the context variables it declares (see
:mod:`moks_graph.evaluate`). :class:`MemoryCache` is an LRU bounded in bytes;
:class:`DiskCache` is a directory that farm workers can share: values are
stored pickle-free as ``.npz`` (:mod:`moks_graph.codec`), written atomically.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from moks_graph import codec
from moks_graph.atomic import (  # re-exported: the one atomic writer
    atomic_write_bytes,
    current_umask,
    new_file_mode,
)

__all__ = ["DiskCache", "MemoryCache", "atomic_write_bytes", "current_umask", "new_file_mode"]

Outputs = Mapping[str, Any]


class MemoryCache:
    """Least-recently-used outputs, bounded by an estimate of bytes held."""

    def __init__(self, max_bytes: int = 1 << 30) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[bytes, tuple[Outputs, int]] = OrderedDict()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: bytes) -> Outputs | None:
        item = self._items.get(key)
        if item is None:
            self.misses += 1
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return item[0]

    def put(self, key: bytes, outputs: Outputs) -> None:
        size = 0
        for value in outputs.values():
            size += codec.nbytes(value)
        if size > self.max_bytes:
            return
        old = self._items.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        self._items[key] = (outputs, size)
        self.bytes += size
        while self.bytes > self.max_bytes:
            _, (_, evicted) = self._items.popitem(last=False)
            self.bytes -= evicted

    def clear(self) -> None:
        self._items.clear()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: bytes) -> bool:
        return key in self._items


class DiskCache:
    """A shared directory of outputs: ``<root>/<k[:2]>/<k>.npz``, atomic writes, no pickle."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: bytes) -> Path:
        name = key.hex()
        return self.root / name[:2] / f"{name}.npz"

    def get(self, key: bytes) -> Outputs | None:
        path = self._path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            value = codec.from_npz_bytes(data)
        except Exception:
            return None  # a corrupt or foreign entry is a miss, never a crash
        return value if isinstance(value, dict) else None

    def put(self, key: bytes, outputs: Outputs) -> bool:
        """Store outputs; returns False (and stores nothing) if a value cannot be encoded."""
        try:
            data = codec.to_npz_bytes(dict(outputs))
        except TypeError:
            return False
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data, sweep=False)  # many entries: no folder scan per put
        return True
