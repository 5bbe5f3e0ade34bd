"""Target-linked light nodes: key, fill, rim and practical, placed by SceneScript angles.

Entry points: :class:`KeyLight`, :class:`FillLight`, :class:`RimLight`,
:class:`PracticalLight`.

Details (moved from this docstring, issue 15): docs/classic-mode.md#nodeslightslight_nodespy
"""

from __future__ import annotations

from typing import Any

import numpy as np

from moks_graph.channels import Channels
from moks_graph.node import Input, Node, NodeContext, Output
from moks_graph.nodes.channel_access import (
    camera_object,
    camera_positions,
    object_channels,
    one_channel,
    same_time,
    track_positions,
)
from moks_graph.nodes.lights.rig import (
    FillLightParams,
    KeyLightParams,
    PracticalLightParams,
    RimLightParams,
    fill_channels,
    key_base_illuminance,
    role_channels,
)
from moks_graph.nodes.param_models import named_params
from moks_graph.types import CHANNELS, VEC3

DEFAULT_TARGET = np.array([0.0, 0.0, 1.6])

_COMMON_INPUTS = {
    "camera": Input(CHANNELS, doc="the camera the angles are measured from"),
    "target": Input(VEC3, required=False, doc="focal target [m]; default (0, 0, 1.6)"),
    "atmosphere": Input(CHANNELS, required=False, doc="atmosphere channels (flicker in EV)"),
    "subject": Input(CHANNELS, required=False,
                     doc="a moving subject to light (a track, e.g. moks.subject.path); "
                         "unconnected: the fixed target"),
}


def _placement(ctx: NodeContext, camera: Channels, target: np.ndarray | None,
               atmosphere: Channels | None, subject: Channels | None) -> dict[str, Any]:
    """Camera, target and moving-subject positions, flicker, and the camera heading as
    unwrapping reference.

    The camera's ``rz`` is continuous and a pure function of absolute time, and a
    camera looking along heading ``h`` has ``rz = h - 90``: using it as the
    reference keeps light rotations chunk-independent (no sequential unwrapping).
    """
    same_time(ctx.time, camera, "the camera input")
    if atmosphere is not None:
        same_time(ctx.time, atmosphere, "the atmosphere input")
    cam = camera_positions(camera)
    heading = camera.of(camera_object(camera)).get("rz")
    return {
        "camera_pos": cam,
        "target_pos": np.broadcast_to(DEFAULT_TARGET if target is None else target, cam.shape),
        "flicker_ev": one_channel(atmosphere, "flicker"),
        "reference_azimuth_deg": None if heading is None else heading + 90.0,
        "subject_pos": None if subject is None else track_positions(ctx.time, subject),
    }


def aim_point(place: dict[str, Any]) -> np.ndarray:
    """Where the lights aim: the moving subject when there is one, else the target."""
    subject = place["subject_pos"]
    return place["target_pos"] if subject is None else subject


class _RoleLight(Node):
    category = "Lights"
    reads = frozenset({"frame"})
    inputs = _COMMON_INPUTS
    outputs = {"channels": Output(CHANNELS)}

    def compute(self, ctx: NodeContext, params: Any, camera: Channels,
                target: np.ndarray | None, atmosphere: Channels | None,
                subject: Channels | None = None) -> dict[str, Any]:
        place = _placement(ctx, camera, target, atmosphere, subject)
        attrs = role_channels(params, ctx.time, **place)
        return {"channels": object_channels(ctx.time, params.object_name, params.kind, attrs)}


class KeyLight(_RoleLight):
    """Key light by SceneScript angles around the target; intensity in candela."""

    type_id = "moks.light.key"
    Params = named_params(KeyLightParams, "key")


class RimLight(_RoleLight):
    """Rim / back light (azimuth near ±180) outlining the subject."""

    type_id = "moks.light.rim"
    Params = named_params(RimLightParams, "rim")


class PracticalLight(_RoleLight):
    """A practical light (a lamp in frame) near the subject."""

    type_id = "moks.light.practical"
    Params = named_params(PracticalLightParams, "practical")


class FillLight(Node):
    """Fill light that follows the key: key/fill illuminance equals the ratio at the subject."""

    type_id = "moks.light.fill"
    category = "Lights"
    reads = frozenset({"frame"})
    inputs = {**_COMMON_INPUTS, "key": Input(CHANNELS, doc="the key light's channels")}
    outputs = {"channels": Output(CHANNELS)}
    Params = named_params(FillLightParams, "fill")

    def compute(self, ctx: NodeContext, params: Any, camera: Channels, key: Channels,
                target: np.ndarray | None, atmosphere: Channels | None,
                subject: Channels | None = None) -> dict[str, Any]:
        place = _placement(ctx, camera, target, atmosphere, subject)
        same_time(ctx.time, key, "the key input")
        lights = [o for o, k in key.kinds.items() if k.startswith("light.")]
        if not lights:
            raise ValueError("the key input has no light object")
        # the key's illuminance where it aims: on the moving subject when there is one
        key_lux = key_base_illuminance(key.of(lights[0]), aim_point(place),
                                       key.kinds[lights[0]])
        attrs = fill_channels(params, key_lux, ctx.time, **place)
        return {"channels": object_channels(ctx.time, params.object_name, params.kind, attrs)}
