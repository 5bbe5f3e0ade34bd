"""The atmospheric phase node: one slider φ drives wind, fog, flicker, haze, turbulence, buffet."""

from __future__ import annotations

from typing import Any

import numpy as np

from moks_graph.channels import Channels
from moks_graph.node import Input, Node, NodeContext, Output
from moks_graph.nodes.atmosphere.phase import AtmosphereParams, atmosphere_channels
from moks_graph.nodes.channel_access import camera_positions, object_channels, same_time
from moks_graph.nodes.param_models import named_params
from moks_graph.types import CHANNELS, FLOAT, VEC3


class AtmospherePhase(Node):
    """Atmospheric phase φ in [0, 1] driving six coherent effects.

    With a ``camera`` (and ``target``) connected, the ProximityCoupler caps the
    fog between camera and subject so the subject's contrast stays above the floor.
    A ``phi`` input overrides the slider (e.g. from another node).
    """

    type_id = "moks.atmosphere.phase"
    category = "Atmosphere"
    reads = frozenset({"frame", "seed"})
    inputs = {
        "camera": Input(CHANNELS, required=False, doc="camera, for the proximity coupler"),
        "target": Input(VEC3, required=False, doc="subject position [m]"),
        "phi": Input(FLOAT, required=False, doc="overrides the phi parameter"),
    }
    outputs = {"channels": Output(CHANNELS)}
    Params = named_params(AtmosphereParams, "atmosphere")

    def compute(self, ctx: NodeContext, params: Any, camera: Channels | None,
                target: np.ndarray | None, phi: float | None) -> dict[str, Any]:
        t = ctx.time
        cam = tgt = None
        if camera is not None:
            same_time(t, camera, "the camera input")
            cam = camera_positions(camera)
            tgt = np.broadcast_to(np.array([0.0, 0.0, 1.6]) if target is None else target,
                                  cam.shape)
        attrs = atmosphere_channels(t.seconds, params, phi=phi, graph_seed=ctx.seed,
                                    node_id=ctx.node_id, camera_pos=cam, target_pos=tgt)
        return {"channels": object_channels(t, params.object_name, "atmosphere", attrs)}
