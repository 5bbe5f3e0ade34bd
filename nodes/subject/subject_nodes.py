"""``moks.subject.path``: a moving subject (walk line or keyframes) as Channels.

Outputs the subject's track (``channels``: one ``null`` object, ``tx, ty, tz`` and a zero
rotation) and its
``mark`` (Vec3, a fixed point: where it stands at ``mark_time``). Wire ``channels`` into the
``subject`` input of a camera rig (the camera frames the moving subject) and of the lights
(they aim at it and hold its illuminance as its distance changes); wire it into the scene
merge to bake the subject as a null in every host. See docs/moving-targets.md.

``moks.subject.track`` is the same output from a track file: a host scene object's
positions (a USD prim, a Blender object, a Maya node) extracted by ``moks track``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from moks_graph.node import Node, NodeContext, NodeParams, Output, Param
from moks_graph.nodes.channel_access import object_channels
from moks_graph.nodes.param_models import IDENTIFIER, named_params
from moks_graph.nodes.subject.path import SubjectPathParams, subject_channels, subject_mark
from moks_graph.nodes.subject.track import load_track, track_positions_at
from moks_graph.types import CHANNELS, VEC3


class SubjectPath(Node):
    """A moving subject: a walk line or keyframed positions of the point to frame."""

    type_id = "moks.subject.path"
    category = "Subjects"
    reads = frozenset({"frame"})
    outputs = {
        "channels": Output(CHANNELS, "the subject's track: a null (tx, ty, tz [m]; rotation 0)"),
        "mark": Output(VEC3, "where the subject stands at mark_time (a fixed point) [m]"),
    }
    Params = named_params(SubjectPathParams, "subject", SubjectPathParams.__doc__)

    def compute(self, ctx: NodeContext, params: Any) -> dict[str, Any]:
        attrs = subject_channels(ctx.time, params)
        return {"channels": object_channels(ctx.time, params.object_name, "null", attrs),
                "mark": subject_mark(params)}


class SubjectTrack(Node):
    """A moving subject from a host scene: a ``moks track`` file of an object's positions."""

    type_id = "moks.subject.track"
    category = "Subjects"
    reads = frozenset({"frame"})
    outputs = SubjectPath.outputs
    file_params = ("path",)

    class Params(NodeParams):
        path: str = Param("", description="track file from moks track (relative to the "
                                          "working folder)")
        object_name: str = Field("subject", pattern=IDENTIFIER,
                                 description="name of the subject null in the scene")
        mark_time: float | None = Param(None, ge=-86400.0, le=86400.0, unit="s",
                                        description="when the subject stands on its mark; "
                                                    "empty = the track's last sample")

    def compute(self, ctx: NodeContext, params: Any) -> dict[str, Any]:
        track = load_track(params.path)
        p = track_positions_at(ctx.time.seconds, track)
        zero = np.zeros(p.shape[0])
        attrs = {"tx": p[:, 0].copy(), "ty": p[:, 1].copy(), "tz": p[:, 2].copy(), "rx": zero,
                 "ry": zero.copy(), "rz": zero.copy()}
        when = track.seconds[-1] if params.mark_time is None else params.mark_time
        return {"channels": object_channels(ctx.time, params.object_name, "null", attrs),
                "mark": track_positions_at(np.array([when]), track)[0]}
