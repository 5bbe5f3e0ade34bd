"""How the host writers read Channels: supported kinds, one object's transform or attribute,
and the keys a channel is written as (one when constant).

Unit and axis conversion is ``hosts.units``; the output path check is ``hosts.output_paths``.
"""

from __future__ import annotations

import numpy as np

from moks_graph.channels import Channels

#: Transform attributes in their channel order.
TRANSFORM_ATTRS: tuple[str, ...] = ("tx", "ty", "tz", "rx", "ry", "rz")
#: Object kinds that carry a transform (all but the scene-wide atmosphere).
TRANSFORM_KINDS: frozenset[str] = frozenset(
    {"camera", "light.point", "light.spot", "light.area", "light.sun", "null"}
)


def check_kinds(channels: Channels, supported: frozenset[str] | set[str], host: str) -> None:
    """``ValueError`` naming every object whose kind ``host`` cannot write."""
    if not isinstance(channels, Channels):
        raise TypeError(f"channels must be a moks_graph.channels.Channels, "
                        f"got {type(channels).__name__}")
    bad = {o: k for o, k in channels.kinds.items() if k not in supported}
    if bad:
        listed = ", ".join(f"{o!r} ({k!r})" for o, k in sorted(bad.items()))
        raise ValueError(f"channels: the {host} writer cannot write object kind(s): {listed}; "
                         f"known kinds: {', '.join(sorted(supported))}")
    if not channels.finite():
        bad_names = [n for n, a in channels.items() if not np.isfinite(a).all()]
        raise ValueError(f"channels: NaN or infinite samples in {', '.join(bad_names)}")


def object_transform(channels: Channels, obj: str) -> tuple[np.ndarray, ...] | None:
    """The six transform arrays of ``obj`` (missing ones are zeros), or ``None`` if none exist.

    Axis conversions mix the components, so a writer writes all six once any
    one of them is animated.
    """
    attrs = channels.of(obj)
    if not any(a in attrs for a in TRANSFORM_ATTRS):
        return None
    zeros = np.zeros(len(channels.time))
    return tuple(np.asarray(attrs.get(a, zeros), dtype=np.float64) for a in TRANSFORM_ATTRS)


def attr_or(channels: Channels, obj: str, attr: str, default: float) -> np.ndarray:
    """``obj.attr`` samples, or ``default`` repeated over the time array."""
    name = f"{obj}.{attr}"
    if name in channels:
        return np.asarray(channels[name], dtype=np.float64)
    return np.full(len(channels.time), float(default))


def is_constant(values: np.ndarray) -> bool:
    """Whether a channel holds one value over its whole range (every sample equal)."""
    v = np.asarray(values)
    return len(v) <= 1 or bool((v == v[0]).all())


def held_keys(frames: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The keys a host writes for one channel: one key at the first frame when the channel is
    constant (every host holds a single key's value at every time: lossless, and a locked-off
    lens or a static light's colour costs one key, not one per frame), else every sample."""
    f = np.asarray(frames, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if len(v) > 1 and is_constant(v):
        return f[:1].copy(), v[:1].copy()
    return f, v
