"""Write :class:`~moks_graph.channels.Channels` to a USD stage (usd-core / pxr).

The details (moved from this docstring): docs/hosts.md, "Module notes", `hosts/usd/writer.py`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from moks_graph.atomic import atomic_output
from moks_graph.channels import Channels

from .. import fog, units
from ..ambient import AmbientFiles, usd_ambient
from ..linkage import Linkage, linked_channels
from ..look import LookFiles, usd_look
from ..output_paths import output_path
from ..selectors import is_proxy_name
from ..writer_channels import (
    TRANSFORM_ATTRS,
    TRANSFORM_KINDS,
    attr_or,
    check_kinds,
    object_transform,
)

USD_SUFFIXES: tuple[str, ...] = (".usd", ".usda", ".usdc")
USD_KINDS: frozenset[str] = frozenset(TRANSFORM_KINDS | {"atmosphere"})
#: Path of the root prim and of the atmosphere scope.
WORLD = "/World"
ATMOSPHERE = "/World/Atmosphere"
#: The fog (issue 17, :mod:`moks_graph.hosts.fog`): a MaterialX volume material and the box
#: it fills, under the atmosphere scope; written only when the fog density is ever > 0.
FOG_MATERIAL = ATMOSPHERE + "/FogMaterial"
FOG_BOX = ATMOSPHERE + "/FogVolume"
#: Namespace of custom attributes and customData keys.
NS = "moks:"
#: ``customLayerData`` key holding the sample times (time codes) of the channels.
FRAMES_KEY = NS + "frames"


@dataclass(frozen=True)
class CameraAttr:
    """One camera channel <-> one UsdGeom.Camera attribute and its unit conversion."""

    attr: str
    usd_name: str
    to_usd: Callable[[np.ndarray, float], np.ndarray]
    from_usd: Callable[[np.ndarray, float], np.ndarray]


def _same(v: np.ndarray, _mpu: float) -> np.ndarray:
    return np.asarray(v, dtype=np.float64)


CAMERA_ATTRS: tuple[CameraAttr, ...] = (
    CameraAttr("focal_length", "focalLength", units.lens_to_usd, units.lens_from_usd),
    CameraAttr("sensor_width", "horizontalAperture", units.lens_to_usd, units.lens_from_usd),
    CameraAttr("sensor_height", "verticalAperture", units.lens_to_usd, units.lens_from_usd),
    CameraAttr("focus_distance", "focusDistance", units.metres_to_units, units.units_to_metres),
    CameraAttr("fstop", "fStop", _same, _same),
)

#: Light attributes the writer maps to UsdLux inputs (the rest become ``moks:<attr>``).
LIGHT_MAPPED: frozenset[str] = frozenset({"intensity", "color_r", "color_g", "color_b", "size"})
#: Light prim ``customData`` key set when ``inputs:color`` was derived from
#: ``color_temperature`` / ``tint`` (no colour channels): the reader does not return it.
COLOR_DERIVED_KEY = NS + "colorFromTemperature"
SPOT_MAPPED: frozenset[str] = frozenset({"spot_angle", "spot_blend"})


def _pxr() -> tuple[Any, Any, Any, Any, Any]:
    """``(Gf, Sdf, Usd, UsdGeom, UsdLux)``, imported on first use."""
    try:
        from pxr import Gf, Sdf, Usd, UsdGeom, UsdLux
    except ImportError as exc:  # pragma: no cover - usd-core is a declared extra
        raise ImportError("the USD host needs usd-core: pip install 'moks-graph[usd]'") from exc
    return Gf, Sdf, Usd, UsdGeom, UsdLux


def mapped_attrs(kind: str) -> frozenset[str]:
    """Attributes of an object of ``kind`` that map to schema attributes (not ``moks:``)."""
    out: set[str] = set()
    if kind in TRANSFORM_KINDS:
        out |= set(TRANSFORM_ATTRS)
    if kind == "camera":
        out |= {c.attr for c in CAMERA_ATTRS}
    if kind.startswith("light."):
        out |= LIGHT_MAPPED
        if kind == "light.sun":
            out.discard("size")
    if kind == "light.spot":
        out |= SPOT_MAPPED
    return frozenset(out)


def light_size(channels: Channels, obj: str, kind: str) -> np.ndarray:
    """Light size (m) per sample: the ``size`` channel or the documented default."""
    default = units.DEFAULT_AREA_SIZE_M if kind == "light.area" else units.DEFAULT_SPHERE_SIZE_M
    size = attr_or(channels, obj, "size", default)
    if not (size > 0).all():
        raise ValueError(f"channels: {obj}.size must be positive")
    return size


def _check_args(channels: Channels, up_axis: str, meters_per_unit: float,
                fps: float | None) -> tuple[float, float]:
    check_kinds(channels, USD_KINDS, "USD")
    if up_axis not in ("Y", "Z"):
        raise ValueError(f"up_axis must be 'Y' or 'Z', got {up_axis!r}")
    mpu = float(meters_per_unit)
    if not (np.isfinite(mpu) and mpu > 0):
        raise ValueError(f"meters_per_unit must be positive, got {meters_per_unit!r}")
    rate = channels.time.fps if fps is None else float(fps)
    if not (np.isfinite(rate) and rate > 0):
        raise ValueError(f"fps must be positive, got {fps!r}")
    atmos = [o for o, k in channels.kinds.items() if k == "atmosphere"]
    if len(atmos) > 1:
        raise ValueError(f"channels: the USD writer writes one atmosphere object "
                         f"(/World/Atmosphere), got {atmos}")
    for obj, kind in channels.kinds.items():
        if kind != "atmosphere" and obj == "Atmosphere":
            raise ValueError("channels: object name 'Atmosphere' is reserved for "
                             "/World/Atmosphere in USD")
    if len(channels.time) == 0:
        raise ValueError("channels: the time array is empty")
    return mpu, rate


def build_stage(channels: Channels, *, up_axis: str = "Z", meters_per_unit: float = 0.01,
                fps: float | None = None, linkage: Linkage | None = None,
                look: LookFiles | None = None, ambient: AmbientFiles | None = None) -> Any:
    """The in-memory ``Usd.Stage`` that :func:`write_usd` exports (see the module docstring).

    ``look`` / ``ambient``: the bake's film look and SH ambient files (:mod:`..look`,
    :mod:`..ambient`): layer colour metadata and a DomeLight."""
    mpu, rate = _check_args(channels, up_axis, meters_per_unit, fps)
    parents: dict[str, str] = {}
    if linkage:  # lights become child prims of their target; no aim constraint in USD
        channels, parents = linked_channels(channels, Linkage(children=linkage.children))
    _, _, Usd, UsdGeom, _ = _pxr()
    from pxr import Vt

    stage = Usd.Stage.CreateInMemory()
    frames = channels.time.frames
    UsdGeom.SetStageMetersPerUnit(stage, mpu)
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.y if up_axis == "Y" else UsdGeom.Tokens.z)
    stage.SetTimeCodesPerSecond(rate)
    stage.SetFramesPerSecond(rate)
    stage.SetStartTimeCode(float(frames[0]))
    stage.SetEndTimeCode(float(frames[-1]))
    world = UsdGeom.Xform.Define(stage, WORLD)
    stage.SetDefaultPrim(world.GetPrim())
    stage.GetRootLayer().customLayerData = {FRAMES_KEY: Vt.DoubleArray(frames)}
    writer = _StageWriter(stage, channels, up_axis, mpu)
    for obj, kind in sorted(channels.kinds.items(), key=lambda item: item[0] in parents):
        writer.write_object(obj, kind, parents.get(obj))
    if look is not None:
        usd_look(stage, look)
    if ambient is not None:
        usd_ambient(stage, ambient, up_axis)
    return stage


def write_usd(channels: Channels, path: str | os.PathLike[str], *, up_axis: str = "Z",
              meters_per_unit: float = 0.01, fps: float | None = None,
              linkage: Linkage | None = None, look: LookFiles | None = None,
              ambient: AmbientFiles | None = None) -> str:
    """Write ``channels`` to a USD file (``.usda`` text, ``.usdc``/``.usd`` crate).

    ``up_axis``: ``"Z"`` (default, as internal) or ``"Y"``; ``meters_per_unit``:
    stage linear unit (default 0.01 = cm); ``fps``: stage time codes per second
    (default ``channels.time.fps``; time codes stay the channel frame numbers);
    ``linkage``: lights as child prims of their moving target (module docstring);
    ``look`` / ``ambient``: see :func:`build_stage`.
    Returns the path written. Raises ``ValueError`` / ``TypeError`` on bad
    input and an ``OSError`` subclass when the path cannot be written; either
    way nothing is left at ``path``.
    """
    target = output_path(path, USD_SUFFIXES)
    stage = build_stage(channels, up_axis=up_axis, meters_per_unit=meters_per_unit, fps=fps,
                        linkage=linkage, look=look, ambient=ambient)
    with atomic_output(target) as tmp:
        try:
            done = stage.GetRootLayer().Export(str(tmp))
        except Exception as exc:  # pxr.Tf.ErrorException: a full disk, a file size limit, ...
            raise OSError(f"USD could not write {str(target)!r}: {pxr_reason(exc)}") from exc
        if not done:
            raise OSError(f"USD could not export {str(target)!r}")
    return str(target)


def pxr_reason(exc: BaseException) -> str:
    """The first quoted reason of a ``pxr.Tf.ErrorException`` ("Error in '...' at line ...:
    'Error occurred writing file: No space left on device'"), else its first line."""
    import re

    text = str(exc)
    found = re.search(r"line \d+ in file \S+ : '([^'\n]{1,300})", text)
    line = found.group(1) if found else (text.strip().splitlines() or [type(exc).__name__])[0]
    return line[:300]


class _StageWriter:
    """Authors one object at a time onto a stage (internal helper of :func:`build_stage`)."""

    def __init__(self, stage: Any, channels: Channels, up_axis: str, mpu: float) -> None:
        self.stage = stage
        self.ch = channels
        self.up = up_axis
        self.mpu = mpu
        self.Gf, self.Sdf, self.Usd, self.UsdGeom, self.UsdLux = _pxr()
        from pxr import Vt

        self.Vt = Vt
        self.times = [float(f) for f in channels.time.frames]
        self.layer = stage.GetRootLayer()

    # -- generic helpers
    def _author(self, attr: Any, values: np.ndarray, vt_array: Any = None) -> None:
        """Time samples of ``values`` (one row per sample) straight into the root layer.

        ``vt_array``: the ``Vt`` array type that builds the row values in bulk
        (``Vt.Vec3dArray``...); scalars go as Python floats. A channel that
        holds one value over the whole range is written as a single time
        sample, which USD holds for every time (lossless; the frames are kept
        in the layer's ``customLayerData``). Otherwise every sample is written,
        in one change block: ``Usd.Attribute.Set`` per sample would pay USD's
        change processing every time.
        """
        constant = len(values) == 1 or bool((values == values[0]).all())
        rows = values[:1] if constant else values
        samples = rows.tolist() if vt_array is None else vt_array.FromNumpy(rows)
        attr.Set(samples[0], self.Usd.TimeCode(self.times[0]))
        if constant:
            return
        path, layer = attr.GetPath(), self.layer
        with self.Sdf.ChangeBlock():
            for time, sample in zip(self.times[1:], samples[1:], strict=True):
                layer.SetTimeSample(path, time, sample)

    def _samples(self, attr: Any, values: np.ndarray) -> None:
        self._author(attr, np.asarray(values, dtype=np.float64))

    def _tag(self, prim: Any, obj: str, kind: str) -> None:
        prim.SetCustomDataByKey(NS + "object", obj)
        prim.SetCustomDataByKey(NS + "kind", kind)
        if is_proxy_name(obj):
            prim.SetCustomDataByKey(NS + "proxy", True)

    def _custom(self, prim: Any, obj: str, skip: frozenset[str]) -> None:
        for attr, values in self.ch.of(obj).items():
            if attr in skip:
                continue
            a = prim.CreateAttribute(NS + attr, self.Sdf.ValueTypeNames.Double, custom=True)
            self._samples(a, values)

    def _xform(self, xformable: Any, obj: str, local: bool = False) -> None:
        """Translate/orient/scale ops; ``local``: the object's transform in its parent prim's
        frame (a linked child), which carries no up-axis change."""
        up = "Z" if local else self.up
        ops_t = xformable.AddTranslateOp()
        # double precision: USD turns an orient into a rotation with 2 acos(real), and a float32
        # real part rounds to 1 for turns under ~0.02 degrees (a level Y-up camera's tilt)
        ops_r = xformable.AddOrientOp(self.UsdGeom.XformOp.PrecisionDouble)
        ops_s = xformable.AddScaleOp()
        ops_s.Set(self.Gf.Vec3f(1.0, 1.0, 1.0))
        tr = object_transform(self.ch, obj)
        if tr is None:
            ops_t.Set(self.Gf.Vec3d(0.0, 0.0, 0.0))
            _, q = units.to_usd_transform(0, 0, 0, 0, 0, 0, up_axis=up,
                                          meters_per_unit=self.mpu)
            ops_r.Set(self.Gf.Quatd(*q[0]))
            return
        translate, orient = units.to_usd_transform(*tr, up_axis=up, meters_per_unit=self.mpu)
        self._author(ops_t.GetAttr(), np.ascontiguousarray(translate), self.Vt.Vec3dArray)
        # GfQuatd lies in memory as (i, j, k, real); orient rows are (w, x, y, z)
        xyzw = np.ascontiguousarray(orient[:, [1, 2, 3, 0]], dtype=np.float64)
        self._author(ops_r.GetAttr(), xyzw, self.Vt.QuatdArray)

    # -- per kind
    def write_object(self, obj: str, kind: str, parent: str | None = None) -> None:
        if kind == "atmosphere":
            scope = self.UsdGeom.Scope.Define(self.stage, ATMOSPHERE)
            self._tag(scope.GetPrim(), obj, kind)
            self._custom(scope.GetPrim(), obj, frozenset())
            self._fog(obj)
            return
        path = f"{WORLD}/{obj}" if parent is None else f"{WORLD}/{parent}/{obj}"
        if kind == "camera":
            schema = self.UsdGeom.Camera.Define(self.stage, path)
            self._camera(schema, obj)
        elif kind == "null":
            schema = self.UsdGeom.Xform.Define(self.stage, path)
        else:
            schema = self._light(path, obj, kind)
        prim = schema.GetPrim()
        self._tag(prim, obj, kind)
        self._xform(self.UsdGeom.Xformable(prim), obj, local=parent is not None)
        self._custom(prim, obj, mapped_attrs(kind))

    def _fog(self, obj: str) -> None:
        """The atmosphere's fog as a MaterialX volume on a fog box (:mod:`..fog`)."""
        found = fog.fog_of(self.ch, obj)
        if found is None:
            return
        from pxr import UsdShade

        sigma, haze = found
        scattering, absorption = fog.usd_coefficients(sigma, haze, self.mpu)
        material = UsdShade.Material.Define(self.stage, FOG_MATERIAL)
        vdf = UsdShade.Shader.Define(self.stage, FOG_MATERIAL + "/VDF")
        vdf.CreateIdAttr("ND_anisotropic_vdf")
        for name, values in (("scattering", scattering), ("absorption", absorption)):
            attr = vdf.CreateInput(name, self.Sdf.ValueTypeNames.Vector3f).GetAttr()
            self._author(attr, np.ascontiguousarray(values, dtype=np.float32),
                         self.Vt.Vec3fArray)
        vdf.CreateInput("anisotropy", self.Sdf.ValueTypeNames.Float).Set(0.0)
        volume = UsdShade.Shader.Define(self.stage, FOG_MATERIAL + "/Volume")
        volume.CreateIdAttr("ND_volume")
        volume.CreateInput("vdf", self.Sdf.ValueTypeNames.Token).ConnectToSource(
            vdf.ConnectableAPI(), "out")
        material.CreateVolumeOutput("mtlx").ConnectToSource(volume.ConnectableAPI(), "out")
        box = self.UsdGeom.Cube.Define(self.stage, FOG_BOX)
        box.CreateSizeAttr(float(units.metres_to_units(np.array([fog.FOG_BOX_M]),
                                                        self.mpu)[0]))
        UsdShade.MaterialBindingAPI.Apply(box.GetPrim()).Bind(material)

    def _camera(self, cam: Any, obj: str) -> None:
        attrs = self.ch.of(obj)
        for spec in CAMERA_ATTRS:
            if spec.attr in attrs:
                usd_attr = cam.GetPrim().GetAttribute(spec.usd_name)
                self._samples(usd_attr, spec.to_usd(attrs[spec.attr], self.mpu))

    def _light(self, path: str, obj: str, kind: str) -> Any:
        UsdLux = self.UsdLux
        attrs = self.ch.of(obj)
        if kind in ("light.point", "light.spot"):
            light = UsdLux.SphereLight.Define(self.stage, path)
            size = light_size(self.ch, obj, kind)
            radius = light.CreateRadiusAttr()
            if "size" in attrs:
                self._samples(radius, units.metres_to_units(size / 2.0, self.mpu))
            else:
                radius.Set(float(units.metres_to_units(size[0] / 2.0, self.mpu)[0]))
            if kind == "light.spot":
                self._shaping(light.GetPrim(), attrs)
        elif kind == "light.area":
            light = UsdLux.RectLight.Define(self.stage, path)
            size = light_size(self.ch, obj, kind)
            for attr in (light.CreateWidthAttr(), light.CreateHeightAttr()):
                if "size" in attrs:
                    self._samples(attr, units.metres_to_units(size, self.mpu))
                else:
                    attr.Set(float(units.metres_to_units(size[0], self.mpu)[0]))
        else:  # light.sun
            light = UsdLux.DistantLight.Define(self.stage, path)
            size = None
        light.CreateExposureAttr(0.0)
        light.CreateNormalizeAttr(kind == "light.sun")
        if "intensity" in attrs:
            value = units.light_to_host("usd", kind, attrs["intensity"], size_m=size)
            self._samples(light.CreateIntensityAttr(), value)
        color = units.light_color(attrs, len(self.times), obj)
        if color is not None:
            rgb, derived = color
            self._author(light.CreateColorAttr(), np.ascontiguousarray(rgb, dtype=np.float32),
                         self.Vt.Vec3fArray)
            # the colour is the whole emitted colour: UsdLux's blackbody stays off
            light.CreateEnableColorTemperatureAttr(False)
            if derived:
                light.GetPrim().SetCustomDataByKey(COLOR_DERIVED_KEY, True)
        return light

    def _shaping(self, prim: Any, attrs: dict[str, np.ndarray]) -> None:
        shaping = self.UsdLux.ShapingAPI.Apply(prim)
        angle = shaping.CreateShapingConeAngleAttr()
        softness = shaping.CreateShapingConeSoftnessAttr()
        if "spot_angle" in attrs:
            full = attrs["spot_angle"]
            if not ((full > 0) & (full <= 360)).all():
                raise ValueError("channels: spot_angle must be in (0, 360] degrees")
            self._samples(angle, full / 2.0)
        if "spot_blend" in attrs:
            self._samples(softness, attrs["spot_blend"])


def validate_usd(path: str | os.PathLike[str], *, include_warnings: bool = False) -> list[str]:
    """Problems the installed USD validators find in a stage file (empty list = clean).

    Uses the ``UsdValidation`` framework (OpenUSD >= 24.11: every registered
    validator, e.g. ``usdGeomValidators:StageMetadataChecker``,
    ``usdLuxValidators:EncapsulationRulesValidator``); with older usd-core it
    falls back to ``UsdUtils.ComplianceChecker`` (``CheckCompliance``,
    ``GetErrors``, ``GetFailedChecks``).
    """
    _, _, Usd, _, _ = _pxr()
    try:
        from pxr import UsdValidation
    except ImportError:  # pragma: no cover - older usd-core
        from pxr import UsdUtils

        checker = UsdUtils.ComplianceChecker()
        checker.CheckCompliance(str(path))
        found = list(checker.GetErrors()) + list(checker.GetFailedChecks())
        if include_warnings:
            found += list(checker.GetWarnings())
        return [str(x) for x in found]
    stage = Usd.Stage.Open(str(path))
    registry = UsdValidation.ValidationRegistry()
    validators = [v for v in registry.GetOrLoadAllValidators()
                  if "UsdzValidators" not in list(v.GetMetadata().GetKeywords())]
    context = UsdValidation.ValidationContext(validators)
    wanted = {UsdValidation.ValidationErrorType.Error}
    if include_warnings:
        wanted.add(UsdValidation.ValidationErrorType.Warn)
    found = [e.GetErrorAsString() for e in context.Validate(stage) if e.GetType() in wanted]
    return [e for e in found if not _unknowable_materialx(e)]


def _unknowable_materialx(error: str) -> bool:
    """A "MaterialX shader id not in the Sdr registry" error from a usd-core built without
    MaterialX (its registry holds no ``ND_`` node at all): it is about the installation,
    not the file (the fog's ``ND_volume`` / ``ND_anisotropic_vdf``). Any other unknown id,
    or an unknown ``ND_`` id where MaterialX is installed, stays an error."""
    if "MissingShaderIdInRegistry" not in error or "shaderId 'ND_" not in error:
        return False
    from pxr import Sdr

    return not any(i.startswith("ND_") for i in Sdr.Registry().GetShaderNodeIdentifiers())
