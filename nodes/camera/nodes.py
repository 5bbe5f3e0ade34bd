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

from typing import Any

import numpy as np
from pydantic import BaseModel

from moks_graph.channels import Channels
from moks_graph.node import Input, Node, NodeContext, Output
from moks_graph.nodes.camera.rigs import RIGS, RigFunction
from moks_graph.nodes.common import named_params, object_channels, track_positions
from moks_graph.types import CHANNELS, VEC3

#: The rigs' ``subject`` input.
SUBJECT_DOC = ("a moving subject to frame (a track, e.g. moks.subject.path); "
               "unconnected: the fixed target")


def rig_node(name: str, params: type[BaseModel], rig: RigFunction) -> type[Node]:
    """The node class of one rig."""

    def compute(self: Node, ctx: NodeContext, p: Any,
                subject: Channels | None = None) -> dict[str, Any]:
        moving = None if subject is None else track_positions(ctx.time, subject)
        attrs = rig(ctx.time, p, ctx.key("rig"), moving)
        return {"channels": object_channels(ctx.time, p.object_name, "camera", attrs),
                "target": np.asarray(p.target, dtype=np.float64)}

    doc = (rig.__doc__ or params.__doc__ or name).strip()
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


RIG_NODES: dict[str, type[Node]] = {name: rig_node(name, model, fn)
                                    for name, (model, fn) in RIGS.items()}


def register(registry: Any) -> None:
    for cls in RIG_NODES.values():
        registry.register(cls, "built-in moks_graph.nodes.camera.nodes")
