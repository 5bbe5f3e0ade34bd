"""Channel nodes: a seeded oscillator, merge (two inputs or up to eight), and gain/offset."""

from __future__ import annotations

from functools import reduce
from typing import Any

import numpy as np

from moks_graph.channels import OBJECT_KINDS, Channels
from moks_graph.node import Input, Node, NodeContext, NodeParams, Output, Param
from moks_graph.rng import counter_normal
from moks_graph.types import CHANNELS, FLOAT


def oscillate(seconds: np.ndarray, frequency_hz: float, amplitude: float, offset: float,
              phase_deg: float) -> np.ndarray:
    """``offset + amplitude * sin(2π f t + phase)``: a pure function of absolute time."""
    return offset + amplitude * np.sin(2.0 * np.pi * frequency_hz * seconds + np.radians(phase_deg))


def frame_noise(key: int, frames: np.ndarray, subframes_per_frame: int, sigma: float) -> np.ndarray:
    """Gaussian noise indexed by absolute sample tick: identical for any chunking."""
    ticks = np.round(frames * subframes_per_frame).astype(np.int64)
    return sigma * counter_normal(key, ticks)


class Oscillator(Node):
    """One animated channel: a sine of absolute time plus optional seeded noise.

    Version 2 renamed ``freq`` to ``frequency_hz`` (migration included).
    """

    type_id = "moks.channels.oscillator"
    type_version = 2
    category = "Channels"
    reads = frozenset({"frame", "seed"})
    outputs = {"channels": Output(CHANNELS)}
    keyable = ("amplitude", "offset")
    migrations = {1: lambda p: {("frequency_hz" if k == "freq" else k): v for k, v in p.items()}}

    class Params(NodeParams):
        object: str = Param("null", description="object name", )
        kind: str = Param("null", description="object kind (camera, light.spot, null, ...)")
        attribute: str = Param("tz", description="attribute (tx, rz, intensity, ...)")
        frequency_hz: float = Param(0.5, ge=0.0, le=1000.0, unit="Hz", description="frequency")
        amplitude: float = Param(1.0, ge=-1e6, le=1e6, description="amplitude")
        offset: float = Param(0.0, ge=-1e6, le=1e6, description="offset")
        phase_deg: float = Param(0.0, ge=-360.0, le=360.0, unit="deg", description="phase")
        noise: float = Param(0.0, ge=0.0, le=1e6, description="seeded noise sigma")

    def compute(self, ctx: NodeContext, params: Any) -> dict[str, Any]:
        if params.kind not in OBJECT_KINDS:
            raise ValueError(f"kind {params.kind!r} is not one of {sorted(OBJECT_KINDS)}")
        t = ctx.time
        values = oscillate(t.seconds, params.frequency_hz, params.amplitude, params.offset,
                           params.phase_deg)
        if params.noise > 0:
            ticks_per_frame = 4096  # any sub-frame sample lands on its own tick
            values = values + frame_noise(ctx.key(params.attribute), t.frames, ticks_per_frame,
                                          params.noise)
        name = f"{params.object}.{params.attribute}"
        return {"channels": Channels(t, {name: values}, {params.object: params.kind})}


class MergeChannels(Node):
    """Channels of ``a`` and ``b`` together (``b`` wins on the same name)."""

    type_id = "moks.channels.merge"
    category = "Channels"
    inputs = {"a": Input(CHANNELS), "b": Input(CHANNELS, required=False)}
    outputs = {"channels": Output(CHANNELS)}

    def compute(self, ctx: NodeContext, params: Any, a: Channels,
                b: Channels | None) -> dict[str, Any]:
        return {"channels": a if b is None else a.merged(b)}


#: Inputs of :class:`MergeMany` (the engine has no variadic ports: a fixed set, all but the
#: first optional).
MERGE_INPUTS = 8


class MergeMany(Node):
    """Channels of up to eight inputs together (a later input wins on the same name).

    ``in_1`` .. ``in_8`` merge in port order; unconnected inputs are skipped. One node for a
    whole scene instead of a chain of two-input merges
    (:func:`moks_graph.migrations.collapse_merge_chains` rewrites such chains into it).
    """

    type_id = "moks.channels.merge_many"
    category = "Channels"
    inputs = {f"in_{i}": Input(CHANNELS, required=i == 1) for i in range(1, MERGE_INPUTS + 1)}
    outputs = {"channels": Output(CHANNELS)}

    def compute(self, ctx: NodeContext, params: Any, **inputs: Channels | None) -> dict[str, Any]:
        given = [inputs[f"in_{i}"] for i in range(1, MERGE_INPUTS + 1)]
        return {"channels": reduce(Channels.merged, (c for c in given if c is not None))}


class ChannelGain(Node):
    """Every channel scaled by ``gain`` and shifted by ``offset`` (an optional Float input)."""

    type_id = "moks.channels.gain"
    category = "Channels"
    inputs = {"channels": Input(CHANNELS), "offset": Input(FLOAT, required=False, default=0.0)}
    outputs = {"channels": Output(CHANNELS)}
    keyable = ("gain",)

    class Params(NodeParams):
        gain: float = Param(1.0, ge=-1e6, le=1e6, description="multiplier")

    def compute(self, ctx: NodeContext, params: Any, channels: Channels,
                offset: float) -> dict[str, Any]:
        values = {k: v * params.gain + offset for k, v in channels.values.items()}
        return {"channels": Channels(channels.time, values, channels.kinds)}
