"""Read a USD stage written by :func:`moks_graph.hosts.usd.writer.write_usd` back into Channels.

Entry points: :func:`read_usd`.

Details (moved from this docstring, issue 15): docs/hosts.md#hostsusdreaderpy
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from moks_graph.channels import Channels
from moks_graph.timebase import TimeArray

from .. import units
from ..linkage import world_from_local
from ..writer_channels import TRANSFORM_ATTRS
from .writer import ATMOSPHERE, CAMERA_ATTRS, COLOR_DERIVED_KEY, FRAMES_KEY, NS, _pxr


def _kind_of(prim: Any) -> str | None:
    _, _, _, UsdGeom, UsdLux = _pxr()
    kind = prim.GetCustomDataByKey(NS + "kind")
    if isinstance(kind, str):
        return kind
    if str(prim.GetPath()) == ATMOSPHERE:
        return "atmosphere"
    if prim.IsA(UsdGeom.Camera):
        return "camera"
    if prim.IsA(UsdLux.SphereLight):
        return "light.spot" if prim.HasAPI(UsdLux.ShapingAPI) else "light.point"
    if prim.IsA(UsdLux.RectLight):
        return "light.area"
    if prim.IsA(UsdLux.DistantLight):
        return "light.sun"
    if prim.IsA(UsdGeom.Xform):
        return "null"
    return None


class _Sampler:
    def __init__(self, frames: np.ndarray) -> None:
        _, _, Usd, _, _ = _pxr()
        self.frames = frames
        self.codes = [Usd.TimeCode(float(f)) for f in frames]

    @staticmethod
    def animated(attr: Any) -> bool:
        return bool(attr) and attr.HasAuthoredValue() and attr.GetNumTimeSamples() > 0

    def values(self, attr: Any, fallback: float | None = None) -> np.ndarray:
        """Float samples of a scalar attribute on the time array (static value repeated)."""
        out = []
        for code in self.codes:
            v = attr.Get(code) if attr else None
            if v is None:
                if fallback is None:
                    raise ValueError(f"attribute {attr.GetPath() if attr else '?'} has no value")
                v = fallback
            out.append(float(v))
        return np.asarray(out, dtype=np.float64)

    def vectors(self, attr: Any, width: int) -> np.ndarray:
        out = np.empty((len(self.codes), width))
        for i, code in enumerate(self.codes):
            v = attr.Get(code)
            if width == 4:
                im = v.GetImaginary()
                out[i] = (v.GetReal(), im[0], im[1], im[2])
            else:
                out[i] = tuple(v)[:width]
        return out


def _all_frames(stage: Any) -> np.ndarray:
    """The sample times the writer recorded, else the union of all time samples."""
    recorded = stage.GetRootLayer().customLayerData.get(FRAMES_KEY)
    if recorded is not None and len(recorded):
        return np.asarray(recorded, dtype=np.float64)
    times: set[float] = set()
    for prim in stage.Traverse():
        for attr in prim.GetAttributes():
            times.update(attr.GetTimeSamples())
    if times:
        return np.array(sorted(times), dtype=np.float64)
    start, end = stage.GetStartTimeCode(), stage.GetEndTimeCode()
    return np.arange(np.floor(start), np.floor(end) + 1.0, dtype=np.float64)


def read_usd(path: str | os.PathLike[str]) -> Channels:
    """Channels (internal units) of a USD file written by ``write_usd``."""
    _, _, Usd, UsdGeom, _ = _pxr()
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no USD file at {str(path)!r}")
    stage = Usd.Stage.Open(str(path))
    if stage is None:
        raise ValueError(f"path {str(path)!r} is not a readable USD stage")
    fps = float(stage.GetTimeCodesPerSecond())
    mpu = float(UsdGeom.GetStageMetersPerUnit(stage))
    up = str(UsdGeom.GetStageUpAxis(stage))
    frames = _all_frames(stage)
    sampler = _Sampler(frames)
    root = stage.GetDefaultPrim() or stage.GetPseudoRoot()
    values: dict[str, np.ndarray] = {}
    kinds: dict[str, str] = {}
    worlds: dict[Any, dict[str, np.ndarray]] = {}  # object prim path -> world transform
    for prim in _object_prims(root):
        kind = _kind_of(prim)
        if kind is None:
            continue
        obj = prim.GetCustomDataByKey(NS + "object") or prim.GetName()
        kinds[obj] = kind
        attrs: dict[str, np.ndarray] = {}
        parent = worlds.get(prim.GetParent().GetPath())
        if kind != "atmosphere" and parent is None:
            attrs.update(_read_transform(prim, sampler, up, mpu))
        elif kind != "atmosphere":  # a linked child: its ops are in the parent's frame
            local = _read_transform(prim, sampler, "Z", mpu, always=True)
            attrs.update(world_from_local(parent, local))
        if kind != "atmosphere":
            zero = np.zeros(len(frames))
            worlds[prim.GetPath()] = {a: attrs.get(a, zero) for a in TRANSFORM_ATTRS}
        if kind == "camera":
            for spec in CAMERA_ATTRS:
                a = prim.GetAttribute(spec.usd_name)
                if sampler.animated(a):
                    attrs[spec.attr] = spec.from_usd(sampler.values(a), mpu)
        elif kind.startswith("light."):
            attrs.update(_read_light(prim, kind, sampler, mpu))
        for a in prim.GetAttributes():
            name = a.GetName()
            if a.IsCustom() and name.startswith(NS) and sampler.animated(a):
                attrs[name[len(NS):]] = sampler.values(a)
        values.update({f"{obj}.{k}": v for k, v in attrs.items()})
    return Channels(TimeArray(frames=frames, fps=fps), values, kinds)


def _object_prims(root: Any) -> list[Any]:
    """The prims under ``root`` that may be objects: its children, and the children of any
    of them that is an object (linked children), depth first."""
    out: list[Any] = []
    for prim in root.GetChildren():
        out.append(prim)
        if _kind_of(prim) not in (None, "atmosphere"):
            out.extend(_object_prims(prim))
    return out


def _read_transform(prim: Any, sampler: _Sampler, up: str, mpu: float, *,
                    always: bool = False) -> dict[str, np.ndarray]:
    """``tx..rz`` from the prim's translate/orient ops (internal units); ``{}`` when they are
    not animated, unless ``always`` (a linked child, identity when it has no ops)."""
    _, _, _, UsdGeom, _ = _pxr()
    ops = {op.GetOpType(): op for op in UsdGeom.Xformable(prim).GetOrderedXformOps()}
    t_op = ops.get(UsdGeom.XformOp.TypeTranslate)
    r_op = ops.get(UsdGeom.XformOp.TypeOrient)
    if t_op is None or r_op is None:
        if always:
            zero = np.zeros(len(sampler.frames))
            return {a: zero for a in TRANSFORM_ATTRS}
        return {}
    if not (always or sampler.animated(t_op.GetAttr()) or sampler.animated(r_op.GetAttr())):
        return {}
    translate = sampler.vectors(t_op.GetAttr(), 3)
    orient = sampler.vectors(r_op.GetAttr(), 4)
    tr = units.from_usd_transform(translate, orient, up_axis=up, meters_per_unit=mpu)
    return dict(zip(("tx", "ty", "tz", "rx", "ry", "rz"), tr, strict=True))


def _read_light(prim: Any, kind: str, sampler: _Sampler, mpu: float) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    size: np.ndarray | None = None
    if kind in ("light.point", "light.spot"):
        radius = prim.GetAttribute("inputs:radius")
        size = 2.0 * units.units_to_metres(sampler.values(radius), mpu)
        if sampler.animated(radius):
            out["size"] = size
        if kind == "light.spot":
            angle = prim.GetAttribute("inputs:shaping:cone:angle")
            soft = prim.GetAttribute("inputs:shaping:cone:softness")
            if sampler.animated(angle):
                out["spot_angle"] = 2.0 * sampler.values(angle)
            if sampler.animated(soft):
                out["spot_blend"] = sampler.values(soft)
    elif kind == "light.area":
        w, h = prim.GetAttribute("inputs:width"), prim.GetAttribute("inputs:height")
        size = units.units_to_metres(np.sqrt(sampler.values(w) * sampler.values(h)), mpu)
        if sampler.animated(w) or sampler.animated(h):
            out["size"] = size
    intensity = prim.GetAttribute("inputs:intensity")
    if sampler.animated(intensity):
        out["intensity"] = units.light_from_host("usd", kind, sampler.values(intensity),
                                                 size_m=size)
    color = prim.GetAttribute("inputs:color")
    if sampler.animated(color) and not prim.GetCustomDataByKey(COLOR_DERIVED_KEY):
        rgb = sampler.vectors(color, 3)
        out.update({f"color_{c}": rgb[:, i].copy() for i, c in enumerate("rgb")})
    temperature = prim.GetAttribute("inputs:colorTemperature")
    if sampler.animated(temperature):
        out["color_temperature"] = sampler.values(temperature)
    return out
