"""Channels <-> Maya nodes and animation curves: the Maya-independent part of the Maya host.

The details (moved from this docstring): docs/hosts.md, "Module notes",
`hosts/maya/mapping.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from moks_graph.channels import Channels
from moks_graph.rotations import continuous_euler_xyz
from moks_graph.timebase import TimeArray

from .. import fog, units
from ..linkage import Linkage, linked_channels, world_from_local
from ..writer_channels import (
    TRANSFORM_ATTRS,
    TRANSFORM_KINDS,
    attr_or,
    check_kinds,
    held_keys,
    object_transform,
)

TL, TA, TU = "animCurveTL", "animCurveTA", "animCurveTU"
MAYA_KINDS: frozenset[str] = frozenset(TRANSFORM_KINDS | {"atmosphere"})

#: Shape node type per object kind (atmosphere has none).
SHAPE_TYPES: dict[str, str] = {
    "camera": "camera",
    "light.point": "pointLight",
    "light.spot": "spotLight",
    "light.area": "areaLight",
    "light.sun": "directionalLight",
    "null": "locator",
}
KIND_OF_SHAPE: dict[str, str] = {v: k for k, v in SHAPE_TYPES.items()}

TRANSFORM_PLUGS: tuple[tuple[str, str, str], ...] = (
    ("tx", "translateX", TL), ("ty", "translateY", TL), ("tz", "translateZ", TL),
    ("rx", "rotateX", TA), ("ry", "rotateY", TA), ("rz", "rotateZ", TA),
)
SCALE_ATTRS: tuple[str, ...] = ("scaleX", "scaleY", "scaleZ")

#: Shape attributes converted by a constant factor: (attr, Maya long name, curve, maya = f * v).
_LIGHT_COLOR = (("color_r", "colorR", TU, 1.0), ("color_g", "colorG", TU, 1.0),
                ("color_b", "colorB", TU, 1.0))
SIMPLE_PLUGS: dict[str, tuple[tuple[str, str, str, float], ...]] = {
    "camera": (
        ("focal_length", "focalLength", TU, 1.0),
        ("sensor_width", "horizontalFilmAperture", TU, 1.0 / units.MM_PER_INCH),
        ("sensor_height", "verticalFilmAperture", TU, 1.0 / units.MM_PER_INCH),
        ("fstop", "fStop", TU, 1.0),
        ("focus_distance", "focusDistance", TL, units.CM_PER_M),
    ),
    "light.point": _LIGHT_COLOR,
    "light.spot": (*_LIGHT_COLOR, ("spot_angle", "coneAngle", TA, 1.0)),
    "light.area": _LIGHT_COLOR,
    "light.sun": _LIGHT_COLOR,
    "null": (),
    "atmosphere": (),
}
#: Maya's area light is a square from -1 to 1 in its local units.
AREA_LIGHT_SPAN = 2.0
#: Maya's spotLight.coneAngle default (degrees), used when only the blend is animated.
MAYA_DEFAULT_CONE_ANGLE = 40.0
#: Maya ``decayRate`` 2 = quadratic (the light-unit convention of ``light_to_host("maya")``).
QUADRATIC_DECAY = 2
CUSTOM_PREFIX = "moks_"
KIND_ATTR = "moks_kind"
#: ``fileInfo`` key of a .ma holding the sample frames (constant curves hold one key).
FRAMES_INFO = "moks_frames"
#: Transform string attribute of a linked camera's aim transform: the camera's name.
AIM_OF_ATTR = "moks_aim_of"
#: The aimConstraint of a linked camera's aim: aim vector, up vector, world up vector (Maya).
AIM_VECTOR = (0.0, 0.0, -1.0)
UP_VECTOR = (0.0, 1.0, 0.0)
WORLD_UP_VECTOR = (0.0, 1.0, 0.0)
#: aimConstraint ``worldUpType`` 3 = vector.
WORLD_UP_TYPE_VECTOR = 3
#: Transform string attribute ``"color_temperature"`` when the light's colour was derived
#: from ``color_temperature`` / ``tint`` (no colour channels): the reader does not return it.
COLOR_FROM_ATTR = "moks_color_from"

#: Maya short attribute names -> long names, for the subset this host reads.
SHORT_NAMES: dict[str, str] = {
    "t": "translate", "tx": "translateX", "ty": "translateY", "tz": "translateZ",
    "r": "rotate", "rx": "rotateX", "ry": "rotateY", "rz": "rotateZ",
    "s": "scale", "sx": "scaleX", "sy": "scaleY", "sz": "scaleZ", "ro": "rotateOrder",
    "fl": "focalLength", "hfa": "horizontalFilmAperture", "vfa": "verticalFilmAperture",
    "fs": "fStop", "fd": "focusDistance", "dof": "depthOfField",
    "in": "intensity", "cl": "color", "cr": "colorR", "cg": "colorG", "cb": "colorB",
    "ca": "coneAngle", "pa": "penumbraAngle", "de": "decayRate", "v": "visibility",
}
#: Compound attributes and their children.
COMPOUNDS: dict[str, tuple[str, ...]] = {
    "translate": ("translateX", "translateY", "translateZ"),
    "rotate": ("rotateX", "rotateY", "rotateZ"),
    "scale": SCALE_ATTRS,
    "color": ("colorR", "colorG", "colorB"),
}

StaticValue = float | int | bool | str | tuple[float, ...]


@dataclass(frozen=True)
class MayaNode:
    """A node to create: type, name, parent, custom attributes and static values (UI units)."""

    name: str
    node_type: str
    parent: str | None = None
    custom: tuple[tuple[str, str], ...] = ()  # (long name, "double" | "string")
    static: tuple[tuple[str, StaticValue], ...] = ()


@dataclass(frozen=True)
class MayaCurve:
    """One animation curve: keys ``(times[i] frames, values[i] UI units)`` driving node.attr."""

    name: str
    curve_type: str
    node: str
    attr: str
    times: np.ndarray
    values: np.ndarray


@dataclass(frozen=True)
class MayaScene:
    """Everything a Maya writer creates, in creation order."""

    fps: float
    time_unit: str
    nodes: tuple[MayaNode, ...]
    curves: tuple[MayaCurve, ...]
    report: tuple[str, ...] = field(default=())
    #: Other connections ``(source plug, destination plug)``, each made with ``-na``
    #: (next available index): every light joins ``:defaultLightSet`` and ``:lightList1``.
    connections: tuple[tuple[str, str], ...] = field(default=())
    #: The sample frames (a constant curve holds one key); ``None``: the union of key times.
    frames: np.ndarray | None = None
    #: Plain connections ``(source plug, destination plug)`` (a linked camera's aimConstraint).
    links: tuple[tuple[str, str], ...] = field(default=())
    #: Maya's shared nodes a file sets with ``select -ne :<node>`` (read back only, e.g.
    #: ``defaultColorMgtGlobals``; node type ``""``).
    shared: tuple[MayaNode, ...] = field(default=())

    @property
    def frame_range(self) -> tuple[float, float]:
        if self.frames is not None and len(self.frames):
            return (float(self.frames[0]), float(self.frames[-1]))
        times = [c.times for c in self.curves if len(c.times)]
        if not times:
            return (0.0, 0.0)
        return (float(min(t[0] for t in times)), float(max(t[-1] for t in times)))


def shape_name(obj: str) -> str:
    """Maya shape name of an object: ``<obj>Shape``."""
    return f"{obj}Shape"


def curve_name(node: str, attr: str) -> str:
    """Animation curve name: ``<node>_<attr>`` (Maya's own naming for keyed attributes)."""
    return f"{node}_{attr}"


def spot_penumbra(spot_angle_deg: np.ndarray, spot_blend: np.ndarray) -> np.ndarray:
    """Maya ``penumbraAngle`` (deg) = ``-blend * cone / 2``: soften inward over the blend part."""
    return -np.asarray(spot_blend) * np.asarray(spot_angle_deg) / 2.0


def spot_blend_from_penumbra(spot_angle_deg: np.ndarray, penumbra_deg: np.ndarray) -> np.ndarray:
    """Inverse of :func:`spot_penumbra`."""
    return -2.0 * np.asarray(penumbra_deg) / np.asarray(spot_angle_deg)


def area_scale(size_m: np.ndarray) -> np.ndarray:
    """Area light transform scale for an edge of ``size_m`` metres: ``100 * size / 2``."""
    return np.asarray(size_m) * units.CM_PER_M / AREA_LIGHT_SPAN


def area_size(scale: np.ndarray) -> np.ndarray:
    """Inverse of :func:`area_scale` (metres)."""
    return np.asarray(scale) * AREA_LIGHT_SPAN / units.CM_PER_M


def aim_constraint_node(aim: str, target: str) -> tuple[MayaNode, tuple[tuple[str, str], ...]]:
    """The aimConstraint of a linked camera's aim transform and its connections."""
    name = f"{aim}_aimConstraint1"
    node = MayaNode(name, "aimConstraint", aim, (("w0", "double"),), (
        ("w0", 1.0), ("a", AIM_VECTOR), ("u", UP_VECTOR), ("wu", WORLD_UP_VECTOR),
        ("wut", WORLD_UP_TYPE_VECTOR)))
    links = (*((f"{name}.cr{a}", f"{aim}.r{a}") for a in "xyz"),
             (f"{aim}.pim", f"{name}.cpim"), (f"{aim}.t", f"{name}.ct"),
             (f"{aim}.rp", f"{name}.crp"), (f"{aim}.rpt", f"{name}.crt"),
             (f"{aim}.ro", f"{name}.cro"), (f"{target}.t", f"{name}.tg[0].tt"),
             (f"{target}.rp", f"{name}.tg[0].trp"), (f"{target}.rpt", f"{name}.tg[0].trt"),
             (f"{target}.pm", f"{name}.tg[0].tpm"), (f"{name}.w0", f"{name}.tg[0].tw"))
    return node, links


def plan_maya_scene(channels: Channels, linkage: Linkage | None = None) -> MayaScene:
    """The Maya nodes and curves for ``channels`` (see the module docstring); ``linkage``:
    lights and the camera aim under their moving target."""
    check_kinds(channels, MAYA_KINDS, "Maya")
    if len(channels.time) == 0:
        raise ValueError("channels: the time array is empty")
    times = np.asarray(channels.time.frames, dtype=np.float64)
    nodes: list[MayaNode] = []
    curves: list[MayaCurve] = []
    links: list[tuple[str, str]] = []
    parents: dict[str, str] = {}
    aims: dict[str, tuple[str, str]] = {}  # aim transform -> (camera, target)
    extra_connections: list[tuple[str, str]] = []  # -na connections of the fog
    if linkage:
        channels, parents = linked_channels(channels, linkage)
        aims = {linkage.aim_name(c): (c, t) for c, t in linkage.aims.items()}
    for obj in sorted(channels.kinds, key=lambda o: o in parents):  # parents first
        kind = channels.kinds[obj]
        attrs = channels.of(obj)
        used: set[str] = set()
        node_curves: list[MayaCurve] = []

        def key(node: str, attr: str, ctype: str, values: np.ndarray,
                sink: list[MayaCurve] = node_curves) -> None:
            sink.append(MayaCurve(curve_name(node, attr), ctype, node, attr,
                                  *held_keys(times, values)))

        t_static: list[tuple[str, StaticValue]] = [(KIND_ATTR, kind)]
        t_custom: list[tuple[str, str]] = [(KIND_ATTR, "string")]
        if kind != "atmosphere":
            t_static.append(("rotateOrder", 0))
        tr = object_transform(channels, obj) if kind != "atmosphere" else None
        if tr is not None:
            maya6 = (units.to_maya_local_transform(*tr) if obj in parents
                     else units.to_maya_transform(*tr))
            for (_, maya_attr, ctype), v in zip(TRANSFORM_PLUGS, maya6, strict=True):
                if obj in aims and ctype == TA:
                    continue  # the aimConstraint drives the aim's rotation
                key(obj, maya_attr, ctype, v)
            used |= set(TRANSFORM_ATTRS)
        elif kind != "atmosphere" and obj not in parents:
            # Not animated: the internal rest pose still differs from Maya's (Y-up).
            rest = units.to_maya_transform(0, 0, 0, 0, 0, 0)[3:]
            t_static.append(("rotate", tuple(float(a[0]) + 0.0 for a in rest)))
        s_static: list[tuple[str, StaticValue]] = []
        shape = shape_name(obj)
        for attr, maya_attr, ctype, factor in SIMPLE_PLUGS[kind]:
            if attr in attrs:
                key(shape, maya_attr, ctype, factor * attrs[attr])
                used.add(attr)
        if kind == "camera" and "focus_distance" in attrs:
            s_static.append(("depthOfField", True))
        if kind.startswith("light."):
            size = None
            if kind == "light.area":
                size = attr_or(channels, obj, "size", units.DEFAULT_AREA_SIZE_M)
                if not (size > 0).all():
                    raise ValueError(f"channels: {obj}.size must be positive")
                if "size" in attrs:
                    for s_attr in SCALE_ATTRS:
                        key(obj, s_attr, TU, area_scale(size))
                    used.add("size")
                else:
                    t_static.append(("scale", (float(area_scale(size[0])),) * 3))
            color = units.light_color(attrs, len(times), obj)
            if color is not None and color[1]:  # derived from CCT + Duv: keyed, not read back
                for i, (_, maya_attr, ctype, _) in enumerate(_LIGHT_COLOR):
                    key(shape, maya_attr, ctype, color[0][:, i])
                t_custom.append((COLOR_FROM_ATTR, "string"))
                t_static.append((COLOR_FROM_ATTR, "color_temperature"))
            if kind != "light.sun":
                s_static.append(("decayRate", QUADRATIC_DECAY))
            if "intensity" in attrs:
                key(shape, "intensity", TU,
                    units.light_to_host("maya", kind, attrs["intensity"], size_m=size))
                used.add("intensity")
            if kind == "light.spot" and "spot_blend" in attrs:
                cone = attr_or(channels, obj, "spot_angle", MAYA_DEFAULT_CONE_ANGLE)
                if "spot_angle" not in attrs:
                    s_static.append(("coneAngle", MAYA_DEFAULT_CONE_ANGLE))
                key(shape, "penumbraAngle", TA, spot_penumbra(cone, attrs["spot_blend"]))
                used.add("spot_blend")
        custom = tuple((CUSTOM_PREFIX + a, "double") for a in attrs if a not in used)
        for a in attrs:
            if a not in used:
                key(obj, CUSTOM_PREFIX + a, TU, attrs[a])
        if obj in aims:
            t_custom.append((AIM_OF_ATTR, "string"))
            t_static.append((AIM_OF_ATTR, aims[obj][0]))
        nodes.append(MayaNode(obj, "transform", parents.get(obj), (*t_custom, *custom),
                              tuple(t_static)))
        if kind in SHAPE_TYPES:
            nodes.append(MayaNode(shape, SHAPE_TYPES[kind], obj, (), tuple(s_static)))
        if obj in aims:
            constraint, made = aim_constraint_node(obj, aims[obj][1])
            nodes.append(constraint)
            links.extend(made)
        if kind == "atmosphere":
            fog_nodes, fog_links, fog_connections = env_fog_nodes(channels, obj, key)
            nodes.extend(fog_nodes)
            links.extend(fog_links)
            extra_connections.extend(fog_connections)
        curves.extend(node_curves)
    fps = float(channels.time.fps)
    return MayaScene(fps, units.maya_time_unit(fps), tuple(nodes), tuple(curves),
                     connections=(*light_connections(nodes), *extra_connections), frames=times,
                     links=tuple(links))


#: Maya's render partition: a shading group outside it renders nothing.
RENDER_PARTITION = ":renderPartition"


def env_fog_names(obj: str) -> dict[str, str]:
    """Node names of an atmosphere's environment fog: transform, shape, envFog, shading group."""
    return {"transform": f"{obj}_envFog", "shape": f"{obj}_envFogShape",
            "material": f"{obj}_envFogMaterial", "group": f"{obj}_envFogSG"}


def env_fog_nodes(channels: Channels, obj: str, key: Any) -> tuple[
        list[MayaNode], list[tuple[str, str]], list[tuple[str, str]]]:
    """The environment fog of an atmosphere with fog (:mod:`moks_graph.hosts.fog`), as Maya's
    Render Settings make it: an ``environmentFog`` shape in a shading group whose volume
    shader is an ``envFog`` (simple fog) with ``saturationDistance`` (cm) and ``colorR/G/B``
    keyed through ``key``. Returns ``(nodes, links, -na connections)``; nothing without fog."""
    found = fog.fog_of(channels, obj)
    if found is None:
        return [], [], []
    sigma, haze = found
    n = env_fog_names(obj)
    key(n["material"], "saturationDistance", TL, fog.maya_saturation_cm(sigma))
    for i, channel in enumerate(("colorR", "colorG", "colorB")):
        key(n["material"], channel, TU, haze[:, i])
    nodes = [MayaNode(n["transform"], "transform"),
             MayaNode(n["shape"], "environmentFog", n["transform"]),
             MayaNode(n["material"], "envFog", None, (), (("colorBasedTransparency", True),)),
             MayaNode(n["group"], "shadingEngine", None, (), (("renderableOnlySet", True),))]
    links = [(f"{n['material']}.outColor", f"{n['group']}.volumeShader")]
    connections = [(f"{n['shape']}.instObjGroups", f"{n['group']}.dagSetMembers"),
                   (f"{n['group']}.partition", f"{RENDER_PARTITION}.sets")]
    return nodes, links, connections


#: Maya's default light set and light list: a light that is not in them lights nothing by
#: default (``shadingNode -asLight`` joins them; ``createNode`` does not).
DEFAULT_LIGHT_SET = ":defaultLightSet"
LIGHT_LIST = ":lightList1"


def light_connections(nodes: tuple[MayaNode, ...] | list[MayaNode]) -> tuple[tuple[str, str], ...]:
    """For every light shape: ``<transform>.iog -> :defaultLightSet.dsm`` and
    ``<shape>.ltd -> :lightList1.l`` (what ``shadingNode -asLight`` connects)."""
    out: list[tuple[str, str]] = []
    for node in nodes:
        if node.parent is not None and KIND_OF_SHAPE.get(node.node_type, "").startswith("light."):
            out.append((f"{node.parent}.iog", f"{DEFAULT_LIGHT_SET}.dsm"))
            out.append((f"{node.name}.ltd", f"{LIGHT_LIST}.l"))
    return tuple(out)


def api_key_values(curve: MayaCurve) -> np.ndarray:
    """Key values in Maya's *internal* units, as ``MFnAnimCurve.addKeys`` expects them.

    Angular curves (``animCurveTA``) are stored in radians internally; linear
    curves in centimetres (already the UI unit here); unitless unchanged.
    """
    if curve.curve_type == TA:
        return np.deg2rad(curve.values)
    return np.asarray(curve.values, dtype=np.float64)


# --------------------------------------------------------------------------- inverse


class _Lookup:
    """Attribute values of a parsed scene sampled on the union of key times."""

    def __init__(self, scene: MayaScene) -> None:
        self.curves = {(c.node, c.attr): c for c in scene.curves}
        self.static = {n.name: dict(n.static) for n in scene.nodes}
        key_times = [c.times for c in scene.curves if len(c.times)]
        if scene.frames is not None and len(scene.frames):
            self.times = np.asarray(scene.frames, dtype=np.float64)
        else:
            self.times = (np.unique(np.concatenate(key_times)) if key_times
                          else np.zeros(1, dtype=np.float64))

    def animated(self, node: str, attr: str) -> bool:
        return (node, attr) in self.curves

    def get(self, node: str, attr: str, default: float) -> np.ndarray:
        c = self.curves.get((node, attr))
        if c is not None:
            order = np.argsort(c.times, kind="stable")
            return np.interp(self.times, c.times[order], c.values[order])
        value = self.static.get(node, {}).get(attr, default)
        if isinstance(value, str | tuple):
            raise ValueError(f"{node}.{attr} holds {value!r}, expected a number")
        return np.full(len(self.times), float(value))


def _kind_of(node: MayaNode, shapes: Mapping[str, str]) -> str | None:
    declared = dict(node.static).get(KIND_ATTR)
    if isinstance(declared, str):
        return declared
    shape_type = shapes.get(node.name)
    return KIND_OF_SHAPE.get(shape_type) if shape_type else None


def aim_constraint_matrices(position: np.ndarray, target: np.ndarray,
                            aim_vector: tuple[float, ...], up_vector: tuple[float, ...],
                            world_up_maya: tuple[float, ...]) -> np.ndarray:
    """``(N, 3, 3)`` internal rotations an aimConstraint (weight 1, no offset, world up type
    *vector*) gives an unparented transform at ``position`` aiming at ``target`` (internal m).

    Maya's rule: the local ``aim_vector`` points at the target and the local ``up_vector``
    lies in the plane of the aim and the world up vector, on its side. The local vectors are
    the same in both conventions; the world up comes from Maya's Y-up world to ours.
    """
    def unit(v: np.ndarray) -> np.ndarray:
        return v / np.linalg.norm(v, axis=-1, keepdims=True)

    d = unit(np.asarray(target, dtype=np.float64) - np.asarray(position, dtype=np.float64))
    wu = units.Z_UP_TO_Y_UP.T @ np.asarray(world_up_maya, dtype=np.float64)
    up = unit(wu - (d @ wu)[:, None] * d)
    world = np.stack([d, up, np.cross(d, up)], axis=-1)
    a = unit(np.asarray(aim_vector, dtype=np.float64))
    u = np.asarray(up_vector, dtype=np.float64)
    u = unit(u - (u @ a) * a)
    local = np.stack([a, u, np.cross(a, u)], axis=-1)
    return world @ local.T


def _world_transforms(scene: MayaScene, look: _Lookup) -> dict[str, dict[str, np.ndarray]]:
    """World ``tx..rz`` (internal) of every transform, through the DAG and aimConstraints."""
    transforms = {n.name: n for n in scene.nodes if n.node_type == "transform"}
    constraints = {n.parent: n for n in scene.nodes
                   if n.node_type == "aimConstraint" and n.parent is not None}
    sources = {dst: src for src, dst in (*scene.connections, *scene.links)}
    done: dict[str, dict[str, np.ndarray]] = {}

    def world(name: str) -> dict[str, np.ndarray]:
        if name in done:
            return done[name]
        node = transforms[name]
        six = [look.get(name, a, 0.0) for _, a, _ in TRANSFORM_PLUGS]
        if node.parent in transforms:
            local = units.from_maya_local_transform(*six)
            out = world_from_local(world(node.parent), dict(zip(TRANSFORM_ATTRS, local,
                                                                strict=True)))
        else:
            out = dict(zip(TRANSFORM_ATTRS, units.from_maya_transform(*six), strict=True))
        constraint = constraints.get(name)
        if constraint is not None:
            source = sources.get(f"{constraint.name}.tg[0].tt")
            if source is None:
                raise ValueError(f"{constraint.name} has no target (tg[0].tt unconnected)")
            goal = world(source.rpartition(".")[0].split("|")[-1])
            static = dict(constraint.static)
            pos = np.stack([out[a] for a in TRANSFORM_ATTRS[:3]], axis=-1)
            rot = aim_constraint_matrices(
                pos, np.stack([goal[a] for a in TRANSFORM_ATTRS[:3]], axis=-1),
                _vector(static.get("a", (1.0, 0.0, 0.0))), _vector(static.get("u", UP_VECTOR)),
                _vector(static.get("wu", WORLD_UP_VECTOR)))
            out.update(zip(TRANSFORM_ATTRS[3:], continuous_euler_xyz(rot), strict=True))
        done[name] = out
        return out

    return {name: world(name) for name in transforms}


def world_transforms(scene: MayaScene) -> tuple[np.ndarray, dict[str, dict[str, np.ndarray]]]:
    """``(frames, {transform: world tx..rz})``: every transform of a parsed scene in world
    space (internal units) through the DAG and aimConstraints, sampled on the scene's frames
    (``moks_frames`` when written by MOKS, else the union of key times)."""
    look = _Lookup(scene)
    return look.times, _world_transforms(scene, look)


def _vector(value: StaticValue) -> tuple[float, ...]:
    if not (isinstance(value, tuple) and len(value) == 3):
        raise ValueError(f"expected a 3-vector, got {value!r}")
    return tuple(float(v) for v in value)


def channels_from_maya_scene(scene: MayaScene) -> Channels:
    """Channels (internal units) of a scene as written by :func:`plan_maya_scene`; a linked
    scene's children are returned in world space and its aim transforms are left out."""
    look = _Lookup(scene)
    shapes = {n.parent: n.node_type for n in scene.nodes
              if n.parent is not None and n.node_type in KIND_OF_SHAPE}
    transforms = {n.name for n in scene.nodes if n.node_type == "transform"}
    linked = any(n.parent in transforms for n in scene.nodes if n.node_type == "transform")
    worlds = _world_transforms(scene, look) if linked else {}
    values: dict[str, np.ndarray] = {}
    kinds: dict[str, str] = {}
    for node in scene.nodes:
        if node.node_type != "transform" or dict(node.static).get(AIM_OF_ATTR) is not None:
            continue
        child = node.parent in transforms
        if node.parent is not None and not child:
            continue
        kind = _kind_of(node, shapes)
        if kind is None:
            continue
        obj, shape = node.name, shape_name(node.name)
        kinds[obj] = kind
        out: dict[str, np.ndarray] = {}
        if child:
            out.update(worlds[obj])
        elif any(look.animated(obj, a) for _, a, _ in TRANSFORM_PLUGS):
            six = [look.get(obj, a, 0.0) for _, a, _ in TRANSFORM_PLUGS]
            out.update(zip(TRANSFORM_ATTRS, units.from_maya_transform(*six), strict=True))
        derived_color = dict(node.static).get(COLOR_FROM_ATTR) is not None
        for attr, maya_attr, _, factor in SIMPLE_PLUGS.get(kind, ()):
            if derived_color and attr in units.COLOR_ATTRS:
                continue
            if look.animated(shape, maya_attr):
                out[attr] = look.get(shape, maya_attr, 0.0) / factor
        if kind.startswith("light."):
            size = None
            if kind == "light.area":
                size = area_size(look.get(obj, "scaleX", 1.0))
                if look.animated(obj, "scaleX"):
                    out["size"] = size
            if look.animated(shape, "intensity"):
                out["intensity"] = units.light_from_host(
                    "maya", kind, look.get(shape, "intensity", 1.0), size_m=size)
            if kind == "light.spot" and look.animated(shape, "penumbraAngle"):
                cone = look.get(shape, "coneAngle", MAYA_DEFAULT_CONE_ANGLE)
                out["spot_blend"] = spot_blend_from_penumbra(
                    cone, look.get(shape, "penumbraAngle", 0.0))
        for attr, attr_type in node.custom:
            if attr.startswith(CUSTOM_PREFIX) and attr_type == "double" \
                    and look.animated(obj, attr):
                out[attr[len(CUSTOM_PREFIX):]] = look.get(obj, attr, 0.0)
        values.update({f"{obj}.{a}": v for a, v in out.items()})
    fps = float(scene.fps)
    return Channels(TimeArray(frames=look.times, fps=fps), values, kinds)
