"""Camera rig nodes: one node type per rig in :data:`moks_graph.nodes.camera.rigs.RIGS`.

``moks.rig.<name>`` outputs the camera's ``channels`` (transform + lens) and the
``target`` it frames (Vec3), so lights and the atmosphere can be linked to it.
The optional ``subject`` input (Channels: a moving subject's track, e.g.
``moks.subject.path``) makes the camera frame and focus on that moving point; the
``target`` parameter is then the subject's mark (the rig's own geometry and the
``target`` output). Unconnected, the rig frames ``target`` exactly as before.
Every rig is a pure function of absolute time seeded by (graph seed, node id):
chunked, whole, 24/25/30/60 fps and 1-16 sub-frame bakes agree.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from moks_graph.channels import Channels
from moks_graph.node import Input, Node, NodeContext, Output, Param
from moks_graph.nodes.camera.rig_parts import Rig
from moks_graph.nodes.camera.rigs import RIGS
from moks_graph.nodes.camera.weather import weathered_camera
from moks_graph.nodes.channel_access import (
    camera_object,
    object_channels,
    one_channel,
    same_time,
    track_positions,
)
from moks_graph.nodes.param_models import named_params
from moks_graph.types import CHANNELS, VEC3

#: The rigs' ``subject`` input.
SUBJECT_DOC = ("a moving subject to frame (a track, e.g. moks.subject.path); "
               "unconnected: the fixed target")


def rig_node(rig: Rig[Any]) -> type[Node]:
    """The node class of one rig."""

    def compute(self: Node, ctx: NodeContext, p: Any,
                subject: Channels | None = None) -> dict[str, Any]:
        moving = None if subject is None else track_positions(ctx.time, subject)
        attrs = rig.channels(ctx.time, p, ctx.key("rig"), moving)
        return {"channels": object_channels(ctx.time, p.object_name, "camera", attrs),
                "target": np.asarray(p.target, dtype=np.float64)}

    name, params = rig.name, rig.Params
    # the rig class's line, "``dolly``: a push along straight track; ..." -> "A push along ..."
    summary = (type(rig).__doc__ or params.__doc__ or name).strip().split(": ", 1)[-1]
    doc = summary[:1].upper() + summary[1:]
    return type(
        "".join(part.title() for part in name.split("_")) + "Rig",
        (Node,),
        {
            "__doc__": doc,
            "__module__": __name__,
            "type_id": f"moks.rig.{name}",
            "category": "Camera rigs",
            "reads": frozenset({"frame", "seed"}),
            "inputs": {"subject": Input(CHANNELS, required=False, doc=SUBJECT_DOC)},
            "outputs": {"channels": Output(CHANNELS, "camera transform and lens channels"),
                        "target": Output(VEC3, "the point the camera frames [m]")},
            "Params": named_params(params, "camera", params.__doc__),
            "compute": compute,
        },
    )


RIG_NODES: dict[str, type[Node]] = {name: rig_node(rig) for name, rig in RIGS.items()}


class WeatherParams(BaseModel):
    """Which rig answers the wind, and how strongly."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    rig: Literal["drone", "wirecam", "technocrane", "handheld", "tripod_locked", "moco",
                 "dolly"] = Param(
        "drone", description="the rig whose wind susceptibility applies (tripod_locked, moco "
                             "and dolly: none)")
    susceptibility: float = Param(
        1.0, ge=0.0, le=10.0, description="scale of the rig's documented susceptibility", unit="x")


class WeatheredCamera(Node):
    """Wind drift and buffet from an ``atmosphere`` on a rig's camera (moks.camera.weather).

    Drone high, wirecam medium, technocrane low arm sway, handheld small; tripod, moco and
    dolly untouched (:mod:`moks_graph.nodes.camera.weather`). With the atmosphere at φ = 0,
    or unconnected, the camera passes through bit for bit.
    """

    type_id = "moks.camera.weather"
    category = "Camera rigs"
    reads = frozenset({"frame", "seed"})
    inputs = {
        "camera": Input(CHANNELS, doc="the rig's clean camera channels"),
        "atmosphere": Input(CHANNELS, required=False,
                            doc="atmosphere channels (wind_x, wind_y, buffet)"),
    }
    outputs = {"channels": Output(CHANNELS, "the camera with the wind's drift and buffet")}
    Params = WeatherParams

    def compute(self, ctx: NodeContext, params: Any, camera: Channels,
                atmosphere: Channels | None) -> dict[str, Any]:
        same_time(ctx.time, camera, "the camera input")
        if atmosphere is None:
            return {"channels": camera}
        same_time(ctx.time, atmosphere, "the atmosphere input")
        wind = [one_channel(atmosphere, a) for a in ("wind_x", "wind_y", "buffet")]
        if any(w is None for w in wind):
            raise ValueError("the atmosphere input has no wind_x, wind_y and buffet channels")
        obj = camera_object(camera)
        attrs = camera.of(obj)
        out = weathered_camera(attrs, ctx.time.seconds, *wind, params.rig,  # type: ignore[arg-type]
                               ctx.key("weather"), params.susceptibility)
        if out is attrs:
            return {"channels": camera}
        values = dict(camera.items())
        values.update({f"{obj}.{a}": v for a, v in out.items()})
        return {"channels": Channels(camera.time, values, dict(camera.kinds))}


def register(registry: Any) -> None:
    for cls in RIG_NODES.values():
        registry.register(cls, "built-in moks_graph.nodes.camera.camera_nodes")
    registry.register(WeatheredCamera, "built-in moks_graph.nodes.camera.camera_nodes")
