"""The seven camera rigs and their registry.

Each rig is ``rig(time, params, key, target=None) -> dict[str, np.ndarray]``: ``time`` a
:class:`moks_graph.timebase.TimeArray` (or seconds), ``params`` the rig's frozen pydantic model,
``key`` an integer noise key (e.g. ``moks_graph.rng.stream_key(graph_seed, node_id, "rig")``),
``target`` an optional ``(N, 3)`` moving subject to frame (default: ``params.target``,
:func:`.rig_parts.aim_points`).
The channels (see :mod:`.rig_parts`) cover the whole time array in one vectorised call and are
pure functions of absolute time: chunks, frame rates and sub-frame counts agree.

=================  ==========================================================================
``tripod_locked``  fixed camera; fluid-head micro drift
``moco``           programmed straight move, exactly repeatable; zero noise by default
``technocrane``    swing/boom/telescope arm move; arm flex overshoot at the stops
``wirecam``        carriage on a sagging cable; pendulum sway and wind
``dolly``          push along straight track; rail bumps and joints as functions of track position
``drone``          orbit or reveal flight; wind gusts and gimbal buffet
``handheld``       standing or walking operator; pink jitter, tremor, breathing, sway, step bob
=================  ==========================================================================

:func:`rig_one_frame` evaluates the same math for a single frame per call (the slow baseline of
the vectorisation benchmark).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from pydantic import BaseModel

from moks_graph.nodes.camera.rig_dolly import DollyParams, dolly
from moks_graph.nodes.camera.rig_drone import DroneParams, drone
from moks_graph.nodes.camera.rig_handheld import HandheldParams, handheld
from moks_graph.nodes.camera.rig_moco import MocoParams, moco
from moks_graph.nodes.camera.rig_parts import CHANNELS
from moks_graph.nodes.camera.rig_technocrane import TechnocraneParams, technocrane
from moks_graph.nodes.camera.rig_tripod import TripodLockedParams, tripod_locked
from moks_graph.nodes.camera.rig_wirecam import WirecamParams, wirecam
from moks_graph.timebase import TimeArray

RigFunction = Callable[..., dict[str, np.ndarray]]

#: name -> (parameter model, rig function)
RIGS: dict[str, tuple[type[BaseModel], RigFunction]] = {
    "tripod_locked": (TripodLockedParams, tripod_locked),
    "moco": (MocoParams, moco),
    "technocrane": (TechnocraneParams, technocrane),
    "wirecam": (WirecamParams, wirecam),
    "dolly": (DollyParams, dolly),
    "drone": (DroneParams, drone),
    "handheld": (HandheldParams, handheld),
}

__all__ = [
    "CHANNELS",
    "RIGS",
    "DollyParams",
    "DroneParams",
    "HandheldParams",
    "MocoParams",
    "TechnocraneParams",
    "TripodLockedParams",
    "WirecamParams",
    "dolly",
    "drone",
    "handheld",
    "moco",
    "rig_one_frame",
    "rig_params",
    "technocrane",
    "tripod_locked",
    "wirecam",
]


def rig_params(rig_name: str, params: BaseModel | Mapping[str, Any] | None = None) -> BaseModel:
    """The validated parameter model of ``rig_name`` from a model, a mapping or ``None``."""
    if rig_name not in RIGS:
        raise ValueError(f"rig_name {rig_name!r} is not one of {sorted(RIGS)}")
    model = RIGS[rig_name][0]
    if params is None:
        return model()
    if isinstance(params, model):
        return params
    if isinstance(params, BaseModel):
        raise TypeError(
            f"params for rig {rig_name!r} must be {model.__name__}, got {type(params).__name__}"
        )
    return model.model_validate(dict(params))


def rig_one_frame(
    rig_name: str,
    frame: float,
    fps: float,
    params: BaseModel | Mapping[str, Any] | None,
    key: int,
) -> dict[str, float]:
    """One frame of a rig per Python call: the vectorised math on a 1-sample time array."""
    model = rig_params(rig_name, params)
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    time = TimeArray(frames=np.array([float(frame)]), fps=float(fps))
    values = RIGS[rig_name][1](time, model, key)
    return {name: float(values[name][0]) for name in CHANNELS}
