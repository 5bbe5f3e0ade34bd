"""The in-Maya adapter: create nodes and bulk-key curves in a running Maya session.

Entry points: :func:`apply_to_maya`, :func:`key_arrays`.

Details (moved from this docstring, issue 15): docs/hosts.md#hostsmayaadapterpy
"""

from __future__ import annotations

from typing import Any

import numpy as np

from moks_graph.channels import Channels

from .mapping import (
    DEFAULT_LIGHT_SET,
    MayaCurve,
    MayaNode,
    MayaScene,
    StaticValue,
    api_key_values,
    plan_maya_scene,
)


def key_arrays(curve: MayaCurve) -> tuple[list[float], list[float]]:
    """``(times in frames, values in Maya internal units)`` for ``MFnAnimCurve.addKeys``."""
    return ([float(t) for t in curve.times], [float(v) for v in api_key_values(curve)])


def static_set_args(node: str, attr: str, value: StaticValue) -> tuple[tuple[Any, ...],
                                                                        dict[str, str]]:
    """Positional and keyword arguments of the ``cmds.setAttr`` call for one static value."""
    plug = f"{node}.{attr}"
    if isinstance(value, str):
        return (plug, value), {"type": "string"}
    if isinstance(value, tuple):
        return (plug, *value), {"type": f"double{len(value)}"}
    return (plug, value), {}


def add_attr_args(attr: str, attr_type: str) -> dict[str, Any]:
    """Keyword arguments of ``cmds.addAttr`` for one custom attribute."""
    key = "dataType" if attr_type == "string" else "attributeType"
    return {"longName": attr, key: attr_type, "keyable": attr_type != "string"}


def _create_node(cmds: Any, node: MayaNode, names: dict[str, str]) -> str:
    kwargs: dict[str, Any] = {"name": node.name, "skipSelect": True}
    if node.parent is not None:
        kwargs["parent"] = names[node.parent]
    name = str(cmds.createNode(node.node_type, **kwargs))
    for attr, attr_type in node.custom:
        cmds.addAttr(name, **add_attr_args(attr, attr_type))
    for attr, value in node.static:
        args, kwargs = static_set_args(name, attr, value)
        cmds.setAttr(*args, **kwargs)
    return name


def apply_plan(scene: MayaScene) -> dict[str, str]:
    """Replay a planned scene in the running Maya session; returns planned -> actual names."""
    import maya.cmds as cmds
    from maya.api import OpenMaya as om
    from maya.api import OpenMayaAnim as oma

    cmds.currentUnit(linear="centimeter", angle="degree", time=scene.time_unit)
    names: dict[str, str] = {}
    for node in scene.nodes:
        names[node.name] = _create_node(cmds, node, names)
    ui_unit = om.MTime.uiUnit()
    linear = oma.MFnAnimCurve.kTangentLinear
    for curve in scene.curves:
        plug = om.MSelectionList().add(f"{names[curve.node]}.{curve.attr}").getPlug(0)
        fn = oma.MFnAnimCurve()
        fn.create(plug)
        times, values = key_arrays(curve)
        fn.addKeys([om.MTime(t, ui_unit) for t in times], values, linear, linear)
        names[curve.name] = fn.name()
    for source, destination in scene.connections:
        node, _, plug = source.rpartition(".")
        if destination == f"{DEFAULT_LIGHT_SET}.dsm":
            cmds.sets(names.get(node, node), add=DEFAULT_LIGHT_SET.lstrip(":"))
        else:
            cmds.connectAttr(f"{names.get(node, node)}.{plug}", destination, nextAvailable=True)
    for source, destination in scene.links:  # plain connections (aimConstraint, fog shader)
        (src, _, src_plug), (dst, _, dst_plug) = (p.partition(".") for p in (source, destination))
        cmds.connectAttr(f"{names.get(src, src)}.{src_plug}", f"{names.get(dst, dst)}.{dst_plug}",
                         force=True)
    start, end = scene.frame_range
    cmds.playbackOptions(minTime=float(np.floor(start)), maxTime=float(np.ceil(end)),
                         animationStartTime=float(np.floor(start)),
                         animationEndTime=float(np.ceil(end)))
    return names


def apply_to_maya(channels: Channels) -> dict[str, str]:
    """Create the objects of ``channels`` in the running Maya session and key them.

    Returns a map from planned node / curve names to the names Maya gave them.
    """
    return apply_plan(plan_maya_scene(channels))
