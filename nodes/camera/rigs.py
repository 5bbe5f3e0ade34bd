"""The seven camera rigs and their registry.

Each rig is a :class:`.rig_parts.Rig`: ``RIGS[name].channels(time, params, key, target=None)
-> dict[str, np.ndarray]`` with ``time`` a :class:`moks_graph.timebase.TimeArray` (or seconds),
``params`` the rig's frozen pydantic model (``RIGS[name].Params``), ``key`` an integer noise key
(e.g. ``moks_graph.rng.stream_key(graph_seed, node_id, "rig")``), ``target`` an optional
``(N, 3)`` moving subject to frame (default: ``params.target``, :func:`.rig_parts.aim_points`).
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

:meth:`.rig_parts.Rig.one_frame` evaluates the same math for a single frame per call (the slow
baseline of the vectorisation benchmark).
"""

from __future__ import annotations

from typing import Any

from moks_graph.nodes.camera.rig_dolly import Dolly, DollyParams
from moks_graph.nodes.camera.rig_drone import Drone, DroneParams
from moks_graph.nodes.camera.rig_handheld import Handheld, HandheldParams
from moks_graph.nodes.camera.rig_moco import Moco, MocoParams
from moks_graph.nodes.camera.rig_parts import CHANNELS, Rig
from moks_graph.nodes.camera.rig_technocrane import Technocrane, TechnocraneParams
from moks_graph.nodes.camera.rig_tripod import TripodLocked, TripodLockedParams
from moks_graph.nodes.camera.rig_wirecam import Wirecam, WirecamParams

#: name -> rig, in the order the editor lists them.
RIGS: dict[str, Rig[Any]] = {
    rig.name: rig
    for rig in (TripodLocked(), Moco(), Technocrane(), Wirecam(), Dolly(), Drone(), Handheld())
}

__all__ = [
    "CHANNELS",
    "RIGS",
    "Dolly",
    "DollyParams",
    "Drone",
    "DroneParams",
    "Handheld",
    "HandheldParams",
    "Moco",
    "MocoParams",
    "Rig",
    "Technocrane",
    "TechnocraneParams",
    "TripodLocked",
    "TripodLockedParams",
    "Wirecam",
    "WirecamParams",
]
