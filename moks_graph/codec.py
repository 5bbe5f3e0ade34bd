"""Canonical encoding of port values: hashing and the on-disk cache.

A value is split into a JSON skeleton and a dict of numpy arrays. The same
encoding gives a canonical SHA-256 digest (:func:`digest`) and a pickle-free
on-disk form (:func:`to_npz_bytes` / :func:`from_npz_bytes`). Structured values
(dataclasses, pydantic models) are tagged with a class tag from an explicit
registry (:func:`register_value_class`): nothing is ever imported by name from
stored data.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from pydantic import BaseModel

from moks_graph.channels import Channels
from moks_graph.timebase import TimeArray

_CLASSES: dict[str, type] = {}


def register_value_class(cls: type, tag: str | None = None) -> type:
    """Allow a dataclass or pydantic model to be stored in the disk cache."""
    _CLASSES[tag or f"{cls.__module__}.{cls.__qualname__}"] = cls
    return cls


def _tag(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def canonical_json(obj: Any) -> str:
    """Sorted keys, no whitespace, shortest round-trip floats; NaN/Inf refused."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def encode(value: Any) -> tuple[Any, dict[str, np.ndarray]]:
    """Split ``value`` into a JSON skeleton and named arrays."""
    arrays: dict[str, np.ndarray] = {}

    def put(arr: np.ndarray) -> dict[str, str]:
        name = f"a{len(arrays)}"
        arrays[name] = np.ascontiguousarray(arr)
        return {"$array": name}

    def walk(v: Any) -> Any:
        if v is None or isinstance(v, bool | str):
            return v
        if isinstance(v, int | np.integer):
            return int(v)
        if isinstance(v, float | np.floating):
            f = float(v)
            return f if math.isfinite(f) else {"$float": repr(f)}
        if isinstance(v, np.ndarray):
            return put(v)
        if isinstance(v, Channels):
            return {
                "$channels": {
                    "fps": v.time.fps,
                    "frames": put(v.time.frames),
                    "kinds": dict(v.kinds),
                    "values": {k: put(a) for k, a in v.values.items()},
                }
            }
        if isinstance(v, TimeArray):
            return {"$time": {"fps": v.fps, "frames": put(v.frames)}}
        if isinstance(v, BaseModel):
            return {"$model": _tag(type(v)), "data": walk(v.model_dump(mode="python"))}
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            fields = {f.name: walk(getattr(v, f.name)) for f in dataclasses.fields(v)}
            return {"$dataclass": _tag(type(v)), "data": fields}
        if isinstance(v, Mapping):
            return {"$map": {str(k): walk(x) for k, x in v.items()}}
        if isinstance(v, list | tuple):
            return {"$list": [walk(x) for x in v], "tuple": isinstance(v, tuple)}
        raise TypeError(f"cannot encode value of type {type(v).__name__}")

    return walk(value), arrays


def decode(skeleton: Any, arrays: Mapping[str, np.ndarray]) -> Any:
    """Inverse of :func:`encode`; structured values only from registered classes."""

    def walk(s: Any) -> Any:
        if not isinstance(s, dict):
            return s
        if "$array" in s:
            return arrays[s["$array"]]
        if "$float" in s:
            return float(s["$float"])
        if "$channels" in s:
            c = s["$channels"]
            time = TimeArray(walk(c["frames"]), c["fps"])
            return Channels(time, {k: walk(a) for k, a in c["values"].items()}, c["kinds"])
        if "$time" in s:
            return TimeArray(walk(s["$time"]["frames"]), s["$time"]["fps"])
        if "$model" in s or "$dataclass" in s:
            tag = s.get("$model") or s["$dataclass"]
            cls = _CLASSES.get(tag)
            if cls is None:
                raise TypeError(f"value class {tag!r} is not registered for decoding")
            data = walk(s["data"])
            return cls.model_validate(data) if "$model" in s else cls(**data)
        if "$map" in s:
            return {k: walk(x) for k, x in s["$map"].items()}
        if "$list" in s:
            items = [walk(x) for x in s["$list"]]
            return tuple(items) if s.get("tuple") else items
        raise TypeError(f"malformed encoded value: {sorted(s)}")

    return walk(skeleton)


def digest(value: Any) -> str:
    """Canonical SHA-256 of a value: equal values give equal digests everywhere."""
    skeleton, arrays = encode(value)
    h = hashlib.sha256(canonical_json(skeleton).encode())
    for name in sorted(arrays):
        arr = arrays[name]
        h.update(f"{name}|{arr.dtype.str}|{arr.shape}".encode())
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def to_npz_bytes(value: Any) -> bytes:
    """The pickle-free on-disk form of a value (``.npz``)."""
    skeleton, arrays = encode(value)
    buf = io.BytesIO()
    meta = np.frombuffer(canonical_json(skeleton).encode(), dtype=np.uint8)
    np.savez(buf, __meta__=meta, **arrays)
    return buf.getvalue()


def from_npz_bytes(data: bytes) -> Any:
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files if k != "__meta__"}
        skeleton = json.loads(npz["__meta__"].tobytes().decode())
    for arr in arrays.values():
        arr.setflags(write=False)
    return decode(skeleton, arrays)


def nbytes(value: Any) -> int:
    """Approximate memory held by a value (arrays dominate)."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, Channels):
        size = value.time.frames.nbytes
        for arr in value.values.values():
            size += arr.nbytes
        return int(size)
    if isinstance(value, TimeArray):
        return int(value.frames.nbytes)
    if isinstance(value, Mapping):
        return 64 + sum(nbytes(v) for v in value.values())
    if isinstance(value, list | tuple):
        return 64 + sum(nbytes(v) for v in value)
    return 64


Encoder = Callable[[Any], tuple[Any, dict[str, np.ndarray]]]
