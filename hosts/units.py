"""Host conversions: the one documented place for axes, units and light units.

The details (moved from this docstring): docs/hosts.md, "Module notes", `hosts/units.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from moks_graph.nodes.imaging.colorimetry import cct_to_rgb, check_cct, check_duv
from moks_graph.rotations import (
    FloatArray,
    as_1d,
    broadcast_1d,
    continuous_euler_xyz,
    euler_angles_to_matrix,
    matrix_to_quaternion,
    quaternion_to_matrix,
)

#: Centimetres per metre (Maya and Unreal linear unit).
CM_PER_M = 100.0
#: Millimetres per inch (Maya film apertures are in inches).
MM_PER_INCH = 25.4
#: Maximum luminous efficacy, lm/W (definition of the candela, SI brochure 9th ed.):
#: 1 cd = 1/683 W/sr at 540 THz. Used to turn photometric values into Blender watts.
LUMINOUS_EFFICACY = 683.0

HOSTS: tuple[str, ...] = ("blender", "usd", "maya", "unreal")
LIGHT_KINDS: tuple[str, ...] = ("light.point", "light.spot", "light.area", "light.sun")

#: Sphere size (diameter, m) the USD writer gives a point/spot light without a ``size`` channel.
DEFAULT_SPHERE_SIZE_M = 0.1
#: Edge (m) the writers give an area light without a ``size`` channel.
DEFAULT_AREA_SIZE_M = 1.0

Host = Literal["blender", "usd", "maya", "unreal"]



# --------------------------------------------------------------------------- world bases

#: Internal Z-up world -> Y-up world (Maya, USD upAxis Y): ``Rx(-90°)``, (x, y, z) -> (x, z, -y).
Z_UP_TO_Y_UP: FloatArray = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
#: Unreal world mirror (right-handed -> left-handed): (x, y, z) -> (x, -y, z).
UNREAL_MIRROR: FloatArray = np.diag([1.0, -1.0, 1.0])
#: Unreal local axes (X fwd, Y right, Z up) as columns in our local frame (-Z fwd, +X right, +Y up).
UNREAL_LOCAL: FloatArray = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [-1.0, 0.0, 0.0]])

Transform6 = tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]


def _inputs6(tx: ArrayLike, ty: ArrayLike, tz: ArrayLike, rx: ArrayLike, ry: ArrayLike,
             rz: ArrayLike, names: tuple[str, ...]) -> list[FloatArray]:
    return broadcast_1d(list(zip(names, (tx, ty, tz, rx, ry, rz), strict=True)))


def to_maya_transform(tx: ArrayLike, ty: ArrayLike, tz: ArrayLike, rx: ArrayLike, ry: ArrayLike,
                      rz: ArrayLike) -> Transform6:
    """Internal (m, Z-up, deg) -> Maya translate (cm, Y-up) and rotate (deg, order xyz).

    ``t_maya = 100 * (tx, tz, -ty)``; ``R_maya = Rx(-90°) @ R`` decomposed as
    Euler xyz (continuous). Example: internal rest (0, 0, 0) -> rotate (-90, 0, 0).
    """
    x, y, z, a, b, c = _inputs6(tx, ty, tz, rx, ry, rz, ("tx", "ty", "tz", "rx", "ry", "rz"))
    rm = Z_UP_TO_Y_UP @ euler_angles_to_matrix(a, b, c)
    mx, my, mz = continuous_euler_xyz(rm)
    return CM_PER_M * x, CM_PER_M * z, -CM_PER_M * y, mx, my, mz


def from_maya_transform(tx: ArrayLike, ty: ArrayLike, tz: ArrayLike, rx: ArrayLike, ry: ArrayLike,
                        rz: ArrayLike, *, near: ArrayLike | None = None) -> Transform6:
    """Inverse of :func:`to_maya_transform`: Maya (cm, Y-up, deg xyz) -> internal (m, Z-up, deg)."""
    x, y, z, a, b, c = _inputs6(tx, ty, tz, rx, ry, rz, ("tx", "ty", "tz", "rx", "ry", "rz"))
    ri = Z_UP_TO_Y_UP.T @ euler_angles_to_matrix(a, b, c)
    ex, ey, ez = continuous_euler_xyz(ri, near=near)
    return x / CM_PER_M, -z / CM_PER_M, y / CM_PER_M, ex, ey, ez


def to_maya_local_transform(tx: ArrayLike, ty: ArrayLike, tz: ArrayLike, rx: ArrayLike,
                            ry: ArrayLike, rz: ArrayLike) -> Transform6:
    """A child's transform in its parent's frame (internal axes, m, deg) -> Maya's, for a node
    parented under a Maya transform: centimetres, the same Euler xyz angles. The world basis
    change ``C`` sits in the parent: ``(C R_p)^T (C R_c) = R_p^T R_c`` (hosts.linkage)."""
    x, y, z, a, b, c = _inputs6(tx, ty, tz, rx, ry, rz, ("tx", "ty", "tz", "rx", "ry", "rz"))
    return CM_PER_M * x, CM_PER_M * y, CM_PER_M * z, a, b, c


def from_maya_local_transform(tx: ArrayLike, ty: ArrayLike, tz: ArrayLike, rx: ArrayLike,
                              ry: ArrayLike, rz: ArrayLike) -> Transform6:
    """Inverse of :func:`to_maya_local_transform`."""
    x, y, z, a, b, c = _inputs6(tx, ty, tz, rx, ry, rz, ("tx", "ty", "tz", "rx", "ry", "rz"))
    return x / CM_PER_M, y / CM_PER_M, z / CM_PER_M, a, b, c


def unreal_rotator_to_matrix(roll: ArrayLike, pitch: ArrayLike, yaw: ArrayLike) -> FloatArray:
    """Unreal ``FRotationMatrix(FRotator(pitch, yaw, roll))`` as column-vector matrices.

    Columns are the actor's local X (forward), Y (right), Z (up) in Unreal
    world coordinates; equals ``Rz(yaw) @ Ry(-pitch) @ Rx(-roll)``.
    """
    named = [("roll", roll), ("pitch", pitch), ("yaw", yaw)]
    r, p, y = (np.deg2rad(v) for v in broadcast_1d(named))
    sp, cp, sy, cy, sr, cr = np.sin(p), np.cos(p), np.sin(y), np.cos(y), np.sin(r), np.cos(r)
    # Rows of Unreal's (row-vector) FRotationMatrix are the local axes.
    fwd = np.stack([cp * cy, cp * sy, sp], -1)
    right = np.stack([sr * sp * cy - cr * sy, sr * sp * sy + cr * cy, -sr * cp], -1)
    up = np.stack([-(cr * sp * cy + sr * sy), cy * sr - cr * sp * sy, cr * cp], -1)
    return np.stack([fwd, right, up], -1)


def to_unreal_transform(tx: ArrayLike, ty: ArrayLike, tz: ArrayLike, rx: ArrayLike, ry: ArrayLike,
                        rz: ArrayLike) -> Transform6:
    """Internal (m, right-handed Z-up, deg XYZ) -> Unreal location (cm) and (roll, pitch, yaw).

    ``location = 100 * (tx, -ty, tz)``; ``R_ue = M @ R @ B`` (module docstring)
    decomposed as ``Rz(yaw) Ry(-pitch) Rx(-roll)``, continuous. Known cases:
    internal rest (0, 0, 0) (looking down) -> (roll 0, pitch -90, yaw -90);
    ``(90, 0, 0)`` (looking along +Y) -> (0, 0, -90);
    ``(90, 0, -90)`` (looking along +X) -> (0, 0, 0); for ``ry = 0``:
    ``pitch = rx - 90``, ``yaw = -rz - 90``, ``roll = 0``.
    Returns ``(x, y, z, roll, pitch, yaw)``.
    """
    x, y, z, a, b, c = _inputs6(tx, ty, tz, rx, ry, rz, ("tx", "ty", "tz", "rx", "ry", "rz"))
    rue = UNREAL_MIRROR @ euler_angles_to_matrix(a, b, c) @ UNREAL_LOCAL
    ea, eb, ec = continuous_euler_xyz(rue, gimbal_zero="a")
    return CM_PER_M * x, -CM_PER_M * y, CM_PER_M * z, -ea, -eb, ec


def from_unreal_transform(x: ArrayLike, y: ArrayLike, z: ArrayLike, roll: ArrayLike,
                          pitch: ArrayLike, yaw: ArrayLike, *,
                          near: ArrayLike | None = None) -> Transform6:
    """Inverse of :func:`to_unreal_transform`: Unreal (cm, roll/pitch/yaw) -> internal."""
    px, py, pz, r, p, yw = _inputs6(x, y, z, roll, pitch, yaw,
                                     ("x", "y", "z", "roll", "pitch", "yaw"))
    ri = UNREAL_MIRROR @ unreal_rotator_to_matrix(r, p, yw) @ UNREAL_LOCAL.T
    ex, ey, ez = continuous_euler_xyz(ri, near=near)
    return px / CM_PER_M, -py / CM_PER_M, pz / CM_PER_M, ex, ey, ez


#: Cyclic axis permutation ``x -> y -> z -> x`` (a proper rotation): conjugating by it turns
#: ``Ry(b) Rx(a) Rz(c)`` (Nuke's ZXY order) into ``Rz(b) Ry(a) Rx(c)`` (our XYZ form).
_ZXY_TO_XYZ: FloatArray = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def euler_zxy_to_matrix(rx: ArrayLike, ry: ArrayLike, rz: ArrayLike) -> FloatArray:
    """Nuke's default rotation order ``ZXY`` (Z applied first): ``Ry(ry) @ Rx(rx) @ Rz(rz)``."""
    a, b, c = broadcast_1d([("rx", rx), ("ry", ry), ("rz", rz)])
    return _ZXY_TO_XYZ.T @ euler_angles_to_matrix(c, a, b) @ _ZXY_TO_XYZ


def to_nuke_transform(tx: ArrayLike, ty: ArrayLike, tz: ArrayLike, rx: ArrayLike, ry: ArrayLike,
                      rz: ArrayLike, *, meters_per_unit: float = 0.01) -> Transform6:
    """Internal (m, Z-up, deg XYZ) -> Nuke camera translate (scene units, **Y-up**) and rotate
    (degrees, Nuke's default ``rot_order`` ZXY: ``R = Ry Rx Rz``).

    A Nuke camera, like ours, looks down local -Z with +Y up, so only the world basis changes
    (as for Maya): ``t = C @ p / metersPerUnit``, ``R_nuke = C @ R``, ``C = Rx(-90°)``. The
    angles come from :func:`~moks_graph.rotations.continuous_euler_xyz` (continuous,
    unwrapped) of the matrix
    conjugated by the cyclic permutation ``P`` (``P R_nuke P^T = Rz(ry) Ry(rx) Rx(rz)``).
    """
    x, y, z, a, b, c = _inputs6(tx, ty, tz, rx, ry, rz, ("tx", "ty", "tz", "rx", "ry", "rz"))
    mpu = _check_mpu(meters_per_unit)
    rn = Z_UP_TO_Y_UP @ euler_angles_to_matrix(a, b, c)
    ea, eb, ec = continuous_euler_xyz(_ZXY_TO_XYZ @ rn @ _ZXY_TO_XYZ.T)
    return x / mpu, z / mpu, -y / mpu, eb, ec, ea


def from_nuke_transform(tx: ArrayLike, ty: ArrayLike, tz: ArrayLike, rx: ArrayLike,
                        ry: ArrayLike, rz: ArrayLike, *,
                        meters_per_unit: float = 0.01) -> Transform6:
    """Inverse of :func:`to_nuke_transform`: Nuke (Y-up, ZXY degrees) -> internal."""
    x, y, z, a, b, c = _inputs6(tx, ty, tz, rx, ry, rz, ("tx", "ty", "tz", "rx", "ry", "rz"))
    mpu = _check_mpu(meters_per_unit)
    ex, ey, ez = continuous_euler_xyz(Z_UP_TO_Y_UP.T @ euler_zxy_to_matrix(a, b, c))
    return x * mpu, -z * mpu, y * mpu, ex, ey, ez


def _up_basis(up_axis: str) -> FloatArray:
    if up_axis == "Z":
        return np.eye(3)
    if up_axis == "Y":
        return Z_UP_TO_Y_UP
    raise ValueError(f"up_axis must be 'Y' or 'Z', got {up_axis!r}")


def _check_mpu(meters_per_unit: float) -> float:
    mpu = float(meters_per_unit)
    if not (np.isfinite(mpu) and mpu > 0):
        raise ValueError(f"meters_per_unit must be a positive number, got {meters_per_unit!r}")
    return mpu


def to_usd_transform(tx: ArrayLike, ty: ArrayLike, tz: ArrayLike, rx: ArrayLike, ry: ArrayLike,
                     rz: ArrayLike, *, up_axis: str = "Z", meters_per_unit: float = 0.01,
                     previous: ArrayLike | None = None) -> tuple[FloatArray, FloatArray]:
    """Internal -> USD ``(translate (n, 3) in scene units, orient (n, 4) as (w, x, y, z))``.

    ``translate = C_up @ (tx, ty, tz) / metersPerUnit``; ``orient`` is the
    quaternion of ``C_up @ R`` with sign continuity (``previous``: the
    quaternion of the sample before this block, to continue a chunked bake).
    """
    x, y, z, a, b, c = _inputs6(tx, ty, tz, rx, ry, rz, ("tx", "ty", "tz", "rx", "ry", "rz"))
    basis = _up_basis(up_axis)
    mpu = _check_mpu(meters_per_unit)
    translate = (np.stack([x, y, z], -1) @ basis.T) / mpu
    orient = matrix_to_quaternion(basis @ euler_angles_to_matrix(a, b, c), previous=previous)
    return translate, orient


def from_usd_transform(translate: ArrayLike, orient: ArrayLike, *, up_axis: str = "Z",
                       meters_per_unit: float = 0.01,
                       near: ArrayLike | None = None) -> Transform6:
    """Inverse of :func:`to_usd_transform` -> internal ``(tx, ty, tz, rx, ry, rz)``."""
    t = np.asarray(translate, dtype=np.float64)
    q = np.asarray(orient, dtype=np.float64)
    if t.ndim != 2 or t.shape[1] != 3:
        raise ValueError(f"translate must have shape (n, 3), got {t.shape}")
    if q.shape != (t.shape[0], 4):
        raise ValueError(f"orient must have shape ({t.shape[0]}, 4), got {q.shape}")
    if not np.isfinite(t).all():
        raise ValueError("translate contains NaN or infinite values")
    basis = _up_basis(up_axis)
    mpu = _check_mpu(meters_per_unit)
    p = (t * mpu) @ basis
    ex, ey, ez = continuous_euler_xyz(basis.T @ quaternion_to_matrix(q), near=near)
    return p[:, 0].copy(), p[:, 1].copy(), p[:, 2].copy(), ex, ey, ez


# --------------------------------------------------------------------------- lens units


def film_back_to_maya_inches(mm: ArrayLike) -> FloatArray:
    """Film back (mm) -> Maya ``horizontalFilmAperture``/``verticalFilmAperture`` (inches)."""
    return as_1d(mm, "mm") / MM_PER_INCH


def film_back_from_maya_inches(inches: ArrayLike) -> FloatArray:
    """Maya film aperture (inches) -> millimetres."""
    return as_1d(inches, "inches") * MM_PER_INCH


def lens_to_usd(mm: ArrayLike, meters_per_unit: float = 0.01) -> FloatArray:
    """Focal length / aperture (mm) -> USD tenths of a scene unit: ``mm / (100 * mpu)``.

    With ``metersPerUnit = 0.01`` (the writers' default) the value is the mm value.
    """
    return as_1d(mm, "mm") / (100.0 * _check_mpu(meters_per_unit))


def lens_from_usd(value: ArrayLike, meters_per_unit: float = 0.01) -> FloatArray:
    """USD focalLength / aperture (tenths of a scene unit) -> mm."""
    return as_1d(value, "value") * (100.0 * _check_mpu(meters_per_unit))


def metres_to_units(m: ArrayLike, meters_per_unit: float) -> FloatArray:
    """Distance in metres -> scene units (``m / metersPerUnit``)."""
    return as_1d(m, "m") / _check_mpu(meters_per_unit)


def units_to_metres(u: ArrayLike, meters_per_unit: float) -> FloatArray:
    """Distance in scene units -> metres."""
    return as_1d(u, "u") * _check_mpu(meters_per_unit)


# --------------------------------------------------------------------------- light units


def _check_light(host: str, light_kind: str) -> None:
    if host not in HOSTS:
        raise ValueError(f"host must be one of {HOSTS}, got {host!r}")
    if light_kind not in LIGHT_KINDS:
        raise ValueError(f"light_kind must be one of {LIGHT_KINDS}, got {light_kind!r}")


def _size(size_m: ArrayLike | None, host: str, light_kind: str) -> FloatArray:
    if size_m is None:
        raise ValueError(f"size_m is required for {light_kind!r} on host {host!r}")
    s = as_1d(size_m, "size_m")
    if not (s > 0).all():
        raise ValueError("size_m must be positive")
    return s


def _light_factor(host: str, light_kind: str, size_m: ArrayLike | None,
                  spot_angle_deg: ArrayLike | None) -> FloatArray:
    """Host value per internal unit (cd, or lux for the sun): ``host = factor * internal``."""
    _check_light(host, light_kind)
    if spot_angle_deg is not None:
        ang = as_1d(spot_angle_deg, "spot_angle_deg")
        if not ((ang > 0) & (ang <= 360)).all():
            raise ValueError("spot_angle_deg must be in (0, 360]")
    sphere = light_kind in ("light.point", "light.spot")
    if host == "blender":
        if sphere:
            return np.array([4.0 * np.pi / LUMINOUS_EFFICACY])
        if light_kind == "light.area":
            return np.array([np.pi / LUMINOUS_EFFICACY])
        return np.array([1.0 / LUMINOUS_EFFICACY])
    if host == "usd":
        if sphere:
            r = _size(size_m, host, light_kind) / 2.0
            return 1.0 / (np.pi * r * r)
        if light_kind == "light.area":
            s = _size(size_m, host, light_kind)
            return 1.0 / (s * s)
        return np.array([1.0])
    if host == "maya":
        if sphere:
            return np.array([CM_PER_M * CM_PER_M])
        if light_kind == "light.area":
            s = _size(size_m, host, light_kind)
            return 1.0 / (s * s)
        return np.array([1.0])
    return np.array([1.0])  # unreal: cd for point/spot/rect, lux for directional


def light_to_host(host: str, light_kind: str, intensity_cd: ArrayLike, *,
                  size_m: ArrayLike | None = None,
                  spot_angle_deg: ArrayLike | None = None) -> FloatArray:
    """Internal light intensity -> the host's light value. THE one function for light units.

    Internal unit: luminous intensity ``I`` in candela (on the light's axis;
    for an area light the intensity along its normal). For ``light.sun`` the
    internal value is the illuminance ``E`` in lux on a surface facing the sun
    (equal to the candela value of a source at the 1 m reference distance,
    ``E = I / d²`` with ``d = 1 m``).

    ``size_m``: the light's size in metres (array or scalar): the edge of a
    square area light, the *diameter* of a sphere (point / spot) light.
    ``spot_angle_deg``: full cone angle; checked but unused, because no host
    convention below depends on it (Blender, USD, Maya and Unreal-candela spots
    are specified as the point light whose cone they cut out).

    Blender (radiometric watts, ``K = 683 lm/W``, SI definition of the candela):
        point, spot: ``P = 4π I / K`` W (power over the whole sphere; Blender
        manual, Light Objects: a spot light's power is that of a point light
        emitting in all directions); area: ``P = π I / K`` W (Lambertian
        one-sided emitter: ``I_normal = P / π`` W/sr); sun: strength
        ``S = E / K`` W/m² (irradiance).
    USD (UsdLux ``inputs:intensity`` = luminance in nits with ``exposure 0``,
    ``normalize false``; OpenUSD UsdLux "Quantities and Units"):
        point, spot (SphereLight radius ``r = size_m / 2``, projected area
        ``π r²`` from every direction): ``L = I / (π r²)``; area (RectLight
        ``w = h = size_m``): ``L = I / (w h)``; sun (DistantLight written
        with ``normalize true``, where intensity is the illuminance in lux):
        ``E``.
    Maya (unitless ``intensity``; our documented choice, for Maya lights
    written with ``decayRate = 2`` (quadratic) in centimetres, where the
    illuminance at ``d`` cm is ``intensity / d²``):
        point, spot: ``intensity = 10⁴ I`` (so ``intensity / d_cm² = I / d_m²``
        lux); area: ``intensity = I / size_m²`` (a Maya area light's output
        scales with its area; the value is the luminance in nits, and its
        size is carried by the transform scale); directional: ``E`` (lux,
        no decay).
    Unreal (``IntensityUnits = Candelas`` for point / spot / rect lights;
    directional lights in lux; Unreal docs "Physical Lighting Units"):
        point, spot, area: ``I`` cd; sun: ``E`` lux.
    """
    i = as_1d(intensity_cd, "intensity_cd")
    factor = _light_factor(host, light_kind, size_m, spot_angle_deg)
    return np.array(i * factor, dtype=np.float64)


def light_from_host(host: str, light_kind: str, value: ArrayLike, *,
                    size_m: ArrayLike | None = None,
                    spot_angle_deg: ArrayLike | None = None) -> FloatArray:
    """Inverse of :func:`light_to_host`: host light value -> internal cd (lux for the sun)."""
    v = as_1d(value, "value")
    factor = _light_factor(host, light_kind, size_m, spot_angle_deg)
    return np.array(v / factor, dtype=np.float64)


# --------------------------------------------------------------------------- light colour

#: Channels that set a light's colour (see :func:`light_color`).
COLOR_ATTRS: tuple[str, ...] = ("color_r", "color_g", "color_b")


def light_color(attrs: Mapping[str, ArrayLike], n: int,
                name: str = "light") -> tuple[FloatArray, bool] | None:
    """The colour a light emits, ``(n, 3)`` linear Rec.709, and whether it was derived.

    THE light-colour rule of every host. ``attrs``: one light's channels
    (``Channels.of(obj)``), ``n`` samples.

    * ``color_r/g/b`` present (a missing component is 1): that is the whole
      emitted colour. The light rig writes ``cct_to_rgb(color_temperature, tint)``
      there (luminance 1), so CCT and Duv are already in it; the
      ``color_temperature`` and ``tint`` channels are then a record of where the
      colour came from. Returns ``(rgb, False)``.
    * only ``color_temperature`` (and optionally ``tint``, Duv): the colour is
      :func:`moks_graph.nodes.imaging.colorimetry.cct_to_rgb` of them
      (luminance 1). Returns ``(rgb, True)``: the colour is *derived*, and
      readers do not return it as ``color_*`` channels.
    * neither: ``None`` (the host's default white).

    ``ValueError`` naming ``<name>.color_temperature`` / ``<name>.tint`` when a
    derived colour is out of the colorimetry's range (1000-20 000 K, ``|Duv| <= 0.05``).

    Every host writes this colour as the light's colour and switches the
    host's own colour temperature **off** (UsdLux ``enableColorTemperature =
    0``, Blender ``use_temperature = False``, Unreal ``bUseTemperature = False``;
    Maya lights have none), keeping ``color_temperature`` and ``tint`` as
    custom attributes. Why not temperature plus a tint colour: (1) a
    temperature alone cannot carry a Duv offset; (2) each renderer has its own
    blackbody table (UsdLux's spline stops at 10 000 K; Cycles, Karma and
    Arnold differ by up to a few 1e-3 and far more at 1000 K), so a
    temperature/tint split is exact for one renderer only, while an RGB colour
    is the same in all of them; (3) one colour curve instead of two.
    """
    have = [a for a in COLOR_ATTRS if a in attrs]
    if have:
        rgb = np.stack([np.broadcast_to(as_1d(attrs[a], a), (n,)) if a in attrs
                        else np.ones(n) for a in COLOR_ATTRS], -1)
        return np.array(rgb, dtype=np.float64), False
    if "color_temperature" not in attrs:
        return None
    cct = check_cct(np.broadcast_to(as_1d(attrs["color_temperature"], "color_temperature"),
                                    (n,)), f"channels: {name}.color_temperature")
    tint = check_duv(np.broadcast_to(as_1d(attrs.get("tint", 0.0), "tint"), (n,)),
                     f"channels: {name}.tint")
    return np.array(cct_to_rgb(cct, tint), dtype=np.float64), True


# --------------------------------------------------------------------------- frame rates

#: Maya's named time units (``currentUnit -t``) and their frame rates.
MAYA_TIME_UNITS: dict[str, float] = {
    "game": 15.0, "film": 24.0, "pal": 25.0, "ntsc": 30.0,
    "show": 48.0, "palf": 50.0, "ntscf": 60.0,
}
_NTSC = {"23.976fps": Fraction(24000, 1001), "29.97fps": Fraction(30000, 1001),
         "47.952fps": Fraction(48000, 1001), "59.94fps": Fraction(60000, 1001)}


def maya_time_unit(fps: float) -> str:
    """Maya ``currentUnit -t`` name for a frame rate.

    24 film, 25 pal, 30 ntsc, 48 show, 50 palf, 60 ntscf, 15 game; the NTSC
    rates ``N*1000/1001`` (within 1e-6) -> ``"23.976fps"`` style; else
    ``"<fps>fps"`` (e.g. ``"120fps"``, ``"12.5fps"``).
    """
    f = float(fps)
    if not (np.isfinite(f) and f > 0):
        raise ValueError(f"fps must be positive, got {fps!r}")
    for name, rate in MAYA_TIME_UNITS.items():
        if abs(f - rate) < 1e-9:
            return name
    for name, rate in _NTSC.items():
        if abs(f - float(rate)) < 1e-6:
            return name
    return f"{f:.6g}fps"


def fps_from_maya_time_unit(unit: str) -> float:
    """Inverse of :func:`maya_time_unit`."""
    if unit in MAYA_TIME_UNITS:
        return MAYA_TIME_UNITS[unit]
    if unit in _NTSC:
        return float(_NTSC[unit])
    if unit.endswith("fps"):
        try:
            f = float(unit[:-3])
        except ValueError:
            pass
        else:
            if f > 0:
                return f
    raise ValueError(f"unit {unit!r} is not a Maya frame-rate time unit")


def fps_to_frame_rate(fps: float) -> tuple[int, int]:
    """A frame rate as an exact ``(numerator, denominator)`` (Unreal ``FFrameRate``).

    NTSC rates within 1e-6 of ``N*1000/1001`` map to ``(N*1000, 1001)``; other
    rates to the nearest fraction with denominator <= 1001.
    """
    f = float(fps)
    if not (np.isfinite(f) and f > 0):
        raise ValueError(f"fps must be positive, got {fps!r}")
    n = round(f * 1001 / 1000)
    if abs(f - n * 1000 / 1001) < 1e-6 and abs(f - round(f)) > 1e-6:
        return n * 1000, 1001
    frac = Fraction(f).limit_denominator(1001)
    return frac.numerator, frac.denominator
