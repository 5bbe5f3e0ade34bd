"""The seven camera rigs and their registry.

Entry points: :data:`RIGS` (name -> :class:`.rig_parts.Rig`: tripod_locked, moco, technocrane,
wirecam, dolly, drone, handheld).

Details (moved from this docstring, issue 15): docs/classic-mode.md#nodescamerarigspy
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
