"""Live linkage (``moks bake --link-to-target``): lights and the camera's aim baked as children
and constraints of a moving target, so a TD can move the actor after the bake.

The details (moved from this docstring): docs/moving-targets.md, "Module notes",
`hosts/linkage.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from moks_graph.channels import Channels
from moks_graph.nodes.camera.lookat import look_at_matrix
from moks_graph.nodes.channel_access import track_object
from moks_graph.rotations import continuous_euler_xyz, euler_angles_to_matrix, matmul3
from moks_graph.types import CHANNELS

from .writer_channels import TRANSFORM_ATTRS

#: The input port a target track is wired into (camera rigs and lights).
SUBJECT_PORT = "subject"
#: Suffix of the aim null made for a linked camera.
AIM_SUFFIX = "_aim"


@dataclass(frozen=True)
class Linkage:
    """Which baked objects hang off which target.

    ``children``: light -> target null (the light follows the target);
    ``aims``: camera -> target null (the camera's aim null points at the target).
    """

    children: Mapping[str, str] = field(default_factory=dict)
    aims: Mapping[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.children or self.aims)

    @staticmethod
    def aim_name(camera: str) -> str:
        """The aim null of a linked camera: ``<camera>_aim``."""
        return camera + AIM_SUFFIX

    def targets(self) -> list[str]:
        """Every target null, sorted."""
        return sorted({*self.children.values(), *self.aims.values()})

    def parents(self) -> dict[str, str]:
        """Object -> its parent object in the linked scene (lights, cameras and aims)."""
        out = dict(self.children)
        for camera in self.aims:
            out[camera] = self.aim_name(camera)
        return out

    def check(self, channels: Channels) -> None:
        """``ValueError`` unless every object and target is in ``channels`` with a fitting kind
        and no aim name is taken."""
        kinds = channels.kinds
        for target in self.targets():
            if target not in kinds:
                raise ValueError(f"link to target: the target {target!r} is not baked (merge "
                                 "its channels into the scene)")
            if kinds[target] != "null":
                raise ValueError(f"link to target: the target {target!r} is a "
                                 f"{kinds[target]!r}, not a null")
        for light in self.children:
            if not kinds.get(light, "").startswith("light."):
                raise ValueError(f"link to target: {light!r} is not a baked light")
        for camera in self.aims:
            if kinds.get(camera) != "camera":
                raise ValueError(f"link to target: {camera!r} is not a baked camera")
            if self.aim_name(camera) in kinds:
                raise ValueError(f"link to target: the aim null {self.aim_name(camera)!r} "
                                 "clashes with a baked object")


def linkage_refs(graph: Any) -> list[str]:
    """``"node.port"`` outputs :func:`graph_linkage` needs evaluated: every track wired into a
    ``subject`` input and the Channels outputs of the nodes taking it."""
    refs: set[str] = set()
    for edge in graph.edges:
        if edge.dst_port != SUBJECT_PORT:
            continue
        refs.add(f"{edge.src}.{edge.src_port}")
        cls = graph.node_class(edge.dst)
        if cls is not None:
            refs.update(f"{edge.dst}.{p}" for p, o in cls.outputs.items() if o.type is CHANNELS)
    return sorted(refs)


def graph_linkage(graph: Any, values: Mapping[str, Any]) -> Linkage:
    """The :class:`Linkage` a graph implies (see the module docstring); ``values``: the
    evaluated :func:`linkage_refs`. Empty when nothing is wired into a ``subject`` input."""
    children: dict[str, str] = {}
    aims: dict[str, str] = {}
    for edge in graph.edges:
        if edge.dst_port != SUBJECT_PORT:
            continue
        track = values.get(f"{edge.src}.{edge.src_port}")
        if not isinstance(track, Channels):
            continue
        target = track_object(track, f"the track {edge.src}.{edge.src_port}")
        cls = graph.node_class(edge.dst)
        outputs = [] if cls is None else [p for p, o in cls.outputs.items() if o.type is CHANNELS]
        for port in outputs:
            made = values.get(f"{edge.dst}.{port}")
            if not isinstance(made, Channels):
                continue
            for obj, kind in made.kinds.items():
                if kind.startswith("light."):
                    children[obj] = target
                elif kind == "camera":
                    aims[obj] = target
    return Linkage(children, aims)


def _transform(channels: Channels, obj: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(positions (N, 3), rotations (N, 3, 3), euler (N, 3))`` of ``obj`` (missing = 0)."""
    n = len(channels.time)
    attrs = channels.of(obj)
    six = [np.asarray(attrs.get(a, np.zeros(n)), dtype=np.float64) for a in TRANSFORM_ATTRS]
    euler = np.stack(six[3:], axis=-1)
    return np.stack(six[:3], axis=-1), euler_angles_to_matrix(*six[3:]), euler


def _six(position: np.ndarray, euler: tuple[np.ndarray, ...] | np.ndarray) -> dict[str, np.ndarray]:
    angles = [np.asarray(e, dtype=np.float64) for e in (euler.T if isinstance(euler, np.ndarray)
                                                        else euler)]
    return {a: np.ascontiguousarray(v) for a, v in
            zip(TRANSFORM_ATTRS, [position[:, 0], position[:, 1], position[:, 2], *angles],
                strict=True)}


def local_in(parent_pos: np.ndarray, parent_rot: np.ndarray, parent_euler: np.ndarray,
             child_pos: np.ndarray, child_rot: np.ndarray,
             child_euler: np.ndarray) -> dict[str, np.ndarray]:
    """``tx..rz`` of a child in its parent's frame (see the module docstring)."""
    offset = child_pos - parent_pos
    if not parent_euler.any():  # a parent that never turns: the child's own rotation, exactly
        return _six(offset, child_euler)
    inv = np.swapaxes(parent_rot, -1, -2)
    local_pos = np.einsum("nij,nj->ni", inv, offset)
    local = continuous_euler_xyz(matmul3(inv, child_rot), near=child_euler[0])
    return _six(local_pos, local)


def local_transform(channels: Channels, child: str, parent: str) -> dict[str, np.ndarray]:
    """``tx..rz`` (internal units) of ``child`` in the frame of ``parent`` at every sample."""
    return local_in(*_transform(channels, parent), *_transform(channels, child))


def aim_transforms(channels: Channels, camera: str,
                   target: str) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """``(aim, camera_local)``: the aim null's world ``tx..rz`` (at the camera, the plain
    look-at toward ``target``) and the camera's ``tx..rz`` in the aim's frame."""
    cam_pos, cam_rot, cam_euler = _transform(channels, camera)
    target_pos = _transform(channels, target)[0]
    aim_rot = look_at_matrix(cam_pos, target_pos)
    aim_euler = np.stack(continuous_euler_xyz(aim_rot, near=cam_euler[0]), axis=-1)
    aim = _six(cam_pos, aim_euler)
    return aim, local_in(cam_pos, aim_rot, aim_euler, cam_pos, cam_rot, cam_euler)


def linked_channels(channels: Channels, linkage: Linkage) -> tuple[Channels, dict[str, str]]:
    """The channels a linked scene keys, and object -> parent.

    Children's (and linked cameras') ``tx..rz`` become their transforms in their parent's
    frame; each linked camera's aim null (kind ``null``) is added with its world transform.
    Every other channel is unchanged.
    """
    linkage.check(channels)
    values = dict(channels.values)
    kinds = dict(channels.kinds)
    for child, parent in linkage.children.items():
        values.update({f"{child}.{a}": v
                       for a, v in local_transform(channels, child, parent).items()})
    for camera, target in linkage.aims.items():
        aim, local = aim_transforms(channels, camera, target)
        name = linkage.aim_name(camera)
        kinds[name] = "null"
        values.update({f"{name}.{a}": v for a, v in aim.items()})
        values.update({f"{camera}.{a}": v for a, v in local.items()})
    return Channels(channels.time, values, kinds), linkage.parents()


def world_from_local(parent: dict[str, np.ndarray],
                     local: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``tx..rz`` of ``parent @ local`` (both internal ``tx..rz`` dicts): what a host shows for a
    child; the readers use it to return world values of a linked scene."""
    p_pos = np.stack([parent[a] for a in TRANSFORM_ATTRS[:3]], axis=-1)
    p_rot = euler_angles_to_matrix(*(parent[a] for a in TRANSFORM_ATTRS[3:]))
    l_pos = np.stack([local[a] for a in TRANSFORM_ATTRS[:3]], axis=-1)
    l_euler = np.stack([local[a] for a in TRANSFORM_ATTRS[3:]], axis=-1)
    if not np.stack([parent[a] for a in TRANSFORM_ATTRS[3:]]).any():
        return _six(p_pos + l_pos, l_euler)
    pos = p_pos + np.einsum("nij,nj->ni", p_rot, l_pos)
    rot = matmul3(p_rot, euler_angles_to_matrix(*(local[a] for a in TRANSFORM_ATTRS[3:])))
    return _six(pos, continuous_euler_xyz(rot))


__all__ = ["AIM_SUFFIX", "SUBJECT_PORT", "Linkage", "aim_transforms", "graph_linkage",
           "linkage_refs", "linked_channels", "local_transform", "world_from_local"]
