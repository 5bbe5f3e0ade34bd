"""Reading and building the Channels node wrappers pass around: the camera, a target track,
one object's channels, a time-array check."""

from __future__ import annotations

import numpy as np

from moks_graph.channels import Channels
from moks_graph.timebase import TimeArray


def camera_object(channels: Channels) -> str:
    """The first camera object of a Channels (clear error when there is none)."""
    for obj, kind in channels.kinds.items():
        if kind == "camera":
            return obj
    raise ValueError(f"the camera input has no camera object (objects: {channels.objects()})")


def positions(channels: Channels, obj: str) -> np.ndarray:
    """``(N, 3)`` positions of an object from its ``tx, ty, tz`` channels."""
    attrs = channels.of(obj)
    missing = [a for a in ("tx", "ty", "tz") if a not in attrs]
    if missing:
        raise ValueError(f"object {obj!r} has no {', '.join(missing)} channels")
    return np.stack([attrs["tx"], attrs["ty"], attrs["tz"]], axis=1)


def camera_positions(channels: Channels) -> np.ndarray:
    return positions(channels, camera_object(channels))


def track_object(channels: Channels, what: str = "the subject input") -> str:
    """The object a target track follows: the one object with ``tx, ty, tz``, else the one
    ``null`` among several (``ValueError`` naming the objects when neither is unique)."""
    placed = [o for o in channels.kinds
              if all(f"{o}.{a}" in channels for a in ("tx", "ty", "tz"))]
    if len(placed) == 1:
        return placed[0]
    nulls = [o for o in placed if channels.kinds[o] == "null"]
    if len(nulls) == 1:
        return nulls[0]
    if not placed:
        raise ValueError(f"{what} has no object with tx, ty, tz channels "
                         f"(objects: {channels.objects()})")
    raise ValueError(f"{what} holds several positioned objects {placed}: connect a track of "
                     "one object (e.g. moks.subject.path), or one null among them")


def track_positions(time: TimeArray, channels: Channels,
                    what: str = "the subject input") -> np.ndarray:
    """``(N, 3)`` positions of the object a target track follows (see :func:`track_object`),
    sampled on ``time`` (an input on another time array is refused)."""
    same_time(time, channels, what)
    return positions(channels, track_object(channels, what))


def same_time(time: TimeArray, channels: Channels, what: str) -> None:
    """Refuse an input sampled on another time array."""
    if channels.time.fps != time.fps or not np.array_equal(channels.time.frames, time.frames):
        raise ValueError(f"{what} is sampled on a different time array than this node")


def one_channel(channels: Channels | None, attr: str) -> np.ndarray | None:
    """The first channel named ``*.attr`` in ``channels`` (None if absent)."""
    if channels is None:
        return None
    for name, values in channels.items():
        if name.endswith("." + attr):
            return values
    return None


def object_channels(time: TimeArray, obj: str, kind: str, attrs: dict[str, np.ndarray]) -> Channels:
    """Channels for one object from ``{attr: array}``."""
    return Channels(time, {f"{obj}.{a}": v for a, v in attrs.items()}, {obj: kind})
