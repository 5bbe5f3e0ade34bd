"""Synthetic Channels for the host tests: a circling camera, one light of each kind,
an atmosphere and a null, at 24 fps with 2 samples per frame."""

from __future__ import annotations

import math
import runpy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest

from moks_graph.channels import Channels
from moks_graph.nodes.lights.emitters import polygon_illuminance_per_luminance
from moks_graph.timebase import time_array


def make_scene(start: int = 1, end: int = 24, fps: float = 24.0, subframes: int = 2) -> Channels:
    t = time_array(start, end, fps, subframes)
    s = t.seconds
    n = len(t)
    u = np.linspace(0.0, 1.0, n)
    pan = -30.0 + 300.0 * u  # passes +-90 and 180: Maya ry and Unreal yaw gimbal/wrap regions
    radius = 4.0
    values: dict[str, np.ndarray] = {
        # camera circling the origin at 1.6 m, looking inward and slightly down
        "cam.tx": radius * np.sin(np.radians(pan)),
        "cam.ty": -radius * np.cos(np.radians(pan)),
        "cam.tz": 1.6 + 0.1 * np.sin(2 * np.pi * s),
        "cam.rx": 80.0 + 3.0 * np.sin(3.0 * s),
        "cam.ry": 2.0 * np.sin(5.0 * s),
        "cam.rz": pan,
        "cam.focal_length": 35.0 + 15.0 * u,
        "cam.focus_distance": 4.0 + 0.5 * np.cos(s),
        "cam.fstop": 2.8 + 1.2 * u,
        "cam.sensor_width": np.full(n, 36.0),
        "cam.sensor_height": np.full(n, 24.0),
        "cam.buffet": 0.2 * np.sin(7.0 * s),
        # point light with a size and colour
        "bulb.tx": np.full(n, 1.0), "bulb.ty": 0.5 * u, "bulb.tz": np.full(n, 2.5),
        "bulb.rx": np.zeros(n), "bulb.ry": np.zeros(n), "bulb.rz": np.zeros(n),
        "bulb.intensity": 800.0 + 100.0 * np.sin(4.0 * s),
        "bulb.size": 0.2 + 0.05 * u,
        "bulb.color_r": np.full(n, 1.0), "bulb.color_g": 0.8 + 0.1 * u, "bulb.color_b": 0.6 + 0 * u,
        "bulb.flicker": 0.1 * np.sin(11.0 * s),
        # spot light aimed down-ish, animated cone
        "key.tx": np.full(n, -2.0), "key.ty": np.full(n, -2.0), "key.tz": np.full(n, 3.0),
        "key.rx": 40.0 + 5.0 * u, "key.ry": 10.0 * u, "key.rz": -45.0 + 20.0 * u,
        "key.intensity": 5000.0 * (1.0 + 0.2 * u),
        "key.spot_angle": 40.0 + 10.0 * u,
        "key.spot_blend": 0.15 + 0.1 * u,
        "key.color_temperature": 3200.0 + 300.0 * u,
        "key.exposure_ev": 0.5 * u,
        # area light without a size channel (default edge), with tint
        "soft.tx": np.full(n, 2.0), "soft.ty": np.full(n, -1.0), "soft.tz": np.full(n, 2.0),
        "soft.rx": np.full(n, 70.0), "soft.ry": np.zeros(n), "soft.rz": 60.0 + 5.0 * u,
        "soft.intensity": 300.0 + 50.0 * u,
        "soft.tint": 0.002 * u,
        # sun: illuminance in lux
        "sun.rx": np.full(n, 30.0), "sun.ry": np.full(n, 15.0), "sun.rz": 120.0 + 10.0 * u,
        "sun.tx": np.zeros(n), "sun.ty": np.zeros(n), "sun.tz": np.full(n, 10.0),
        "sun.intensity": 50000.0 + 1000.0 * u,
        # atmosphere
        "atmos.fog_density": 0.02 + 0.01 * u,
        "atmos.wind_x": 1.5 * np.sin(s),
        "atmos.wind_y": 0.5 * np.cos(s),
        # a null (look-at target) moving in a line
        "target.tx": 0.2 * u, "target.ty": np.zeros(n), "target.tz": 1.2 + 0 * u,
        "target.rx": np.zeros(n), "target.ry": np.zeros(n), "target.rz": np.zeros(n),
    }
    kinds = {
        "cam": "camera", "bulb": "light.point", "key": "light.spot", "soft": "light.area",
        "sun": "light.sun", "atmos": "atmosphere", "target": "null",
    }
    return Channels(t, values, kinds)


@pytest.fixture
def scene() -> Channels:
    return make_scene()


def assert_channels_close(got: Channels, want: Channels, *, rtol: float = 1e-6,
                          atol: float = 1e-9, angle_atol: float | None = None) -> None:
    """Same objects, kinds, channel names, frames, fps; values within tolerance."""
    assert dict(got.kinds) == dict(want.kinds)
    assert sorted(got) == sorted(want)
    np.testing.assert_allclose(got.time.frames, want.time.frames, rtol=0, atol=1e-9)
    assert got.time.fps == pytest.approx(want.time.fps, rel=1e-12)
    for name in want:
        attr = name.split(".")[1]
        tol = angle_atol if (angle_atol is not None and attr in ("rx", "ry", "rz")) else atol
        np.testing.assert_allclose(got[name], want[name], rtol=rtol, atol=tol, err_msg=name)


@pytest.fixture
def make_scene_fn():
    """The scene factory, for tests that need other frame ranges or rates."""
    return make_scene


@pytest.fixture
def channels_close():
    """The Channels comparison helper (conftest functions are not importable in importlib mode)."""
    return assert_channels_close


# ------------------------------------------------------- raw readers of baked light rigs
# Shared by test_hosts_moving_subject.py and test_hosts_cross_host_illuminance.py (issue 17):
# each reads a host file with the host's own reader only (pxr, bpy, the .ma text parser),
# not through the product's readers or its unit conversions.

#: 683 lm/W, the luminous efficacy in the definition of the candela.
K = 683.0
TOLERANCE = 1e-3
SUBJECT = "subject"
SQUARE = np.array([[-1.0, -1.0, 0.0], [1.0, -1.0, 0.0], [1.0, 1.0, 0.0], [-1.0, 1.0, 0.0]])

#: per light: ("area", corners (N, 4, 3) m, luminance (N,) nit, aim -Z (N, 3))
#:         or ("sphere", centre (N, 3) m, E(d) callable)
Reading = dict[str, Any]


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def area_lux(corners: np.ndarray, luminance: np.ndarray, forward: np.ndarray,
             subject: np.ndarray) -> np.ndarray:
    """Lambert's polygon formula: a subject facing the rectangle's centre, lit by its front."""
    centre = corners.mean(axis=1)
    facing = _unit(centre - subject)
    assert (np.einsum("ij,ij->i", forward, subject - centre) > 0).all(), "subject behind light"
    return luminance * polygon_illuminance_per_luminance(corners, subject, facing)


# ------------------------------------------------------------------------------------- USD


def usd_lights(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    from pxr import Usd, UsdGeom, UsdLux

    stage = Usd.Stage.Open(str(path))
    mpu = UsdGeom.GetStageMetersPerUnit(stage)
    frames = list(stage.GetRootLayer().customLayerData["moks:frames"])
    prims = {p.GetCustomDataByKey("moks:object"): p for p in stage.Traverse()
             if p.GetCustomDataByKey("moks:object")}
    subject, lux = [], {n: [] for n, p in prims.items() if p.HasAPI(UsdLux.LightAPI)}
    for f in frames:
        code = Usd.TimeCode(f)
        cache = UsdGeom.XformCache(code)

        def world(prim: Any, points: np.ndarray, cache: Any = cache) -> np.ndarray:
            m = np.array(cache.GetLocalToWorldTransform(prim))  # row vectors: p @ M
            return (np.c_[points, np.ones(len(points))] @ m)[:, :3] * mpu

        s = world(prims[SUBJECT], np.zeros((1, 3)))[0]
        subject.append(s)
        for name in lux:
            prim = prims[name]
            luminance = (prim.GetAttribute("inputs:intensity").Get(code)
                         * 2.0 ** prim.GetAttribute("inputs:exposure").Get(code))
            if prim.IsA(UsdLux.RectLight):
                w = prim.GetAttribute("inputs:width").Get(code)
                h = prim.GetAttribute("inputs:height").Get(code)
                corners = world(prim, SQUARE * [w / 2.0, h / 2.0, 0.0])
                ahead = world(prim, np.array([[0.0, 0.0, 0.0], [0.0, 0.0, -1.0]]))
                e = area_lux(corners[None], np.array([luminance]),
                             (ahead[1] - ahead[0])[None], s[None])[0]
            else:  # SphereLight: a Lambertian sphere, E = pi L (r / d)^2 outside it
                r = prim.GetAttribute("inputs:radius").Get(code) * mpu
                d = np.linalg.norm(world(prim, np.zeros((1, 3)))[0] - s)
                e = math.pi * luminance * (r / d) ** 2
            lux[name].append(e)
    return np.array(subject), {n: np.array(v) for n, v in lux.items()}


# --------------------------------------------------------------------------------- Blender


def blend_lights(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    import bpy

    from moks_graph.hosts.blender.writer import quiet_blender

    with quiet_blender():
        bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False)
    scene = bpy.context.scene
    objects = {o.get("moks_object"): o for o in scene.objects if o.get("moks_object")}
    lights = [n for n, o in objects.items() if o.type == "LIGHT"]
    subject, lux = [], {n: [] for n in lights}
    for f in scene["moks_frames"]:
        scene.frame_set(int(f))
        graph = bpy.context.evaluated_depsgraph_get()

        def world(name: str, points: np.ndarray, graph: Any = graph) -> np.ndarray:
            m = np.array(objects[name].evaluated_get(graph).matrix_world)
            return points @ m[:3, :3].T + m[:3, 3]

        s = world(SUBJECT, np.zeros((1, 3)))[0]
        subject.append(s)
        for name in lights:
            data = objects[name].evaluated_get(graph).data
            if data.type == "AREA":
                assert data.shape == "SQUARE"
                radiance = K * data.energy / (math.pi * data.size * data.size)
                corners = world(name, SQUARE * [data.size / 2.0, data.size / 2.0, 0.0])
                ahead = world(name, np.array([[0.0, 0.0, 0.0], [0.0, 0.0, -1.0]]))
                e = area_lux(corners[None], np.array([radiance]), (ahead[1] - ahead[0])[None],
                             s[None])[0]
            else:  # a point or spot light of power P: I = P / 4 pi W/sr in every direction
                assert not data.use_soft_falloff
                d = np.linalg.norm(world(name, np.zeros((1, 3)))[0] - s)
                e = K * data.energy / (4.0 * math.pi) / d**2
            lux[name].append(e)
    return np.array(subject), {n: np.array(v) for n, v in lux.items()}


# ------------------------------------------------------------------------------------ Maya


def _rot(axis: int, deg: np.ndarray) -> np.ndarray:
    """Right-handed rotations about X, Y or Z (column vectors)."""
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    m = np.zeros((len(deg), 3, 3))
    i, j = (axis + 1) % 3, (axis + 2) % 3  # (y, z), (z, x), (x, y)
    m[:, axis, axis] = 1.0
    m[:, i, i], m[:, j, j], m[:, i, j], m[:, j, i] = c, c, -s, s
    return m


def ma_lights(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    from moks_graph.hosts.maya.ma_parser import parse_ma_text

    scene = parse_ma_text(path.read_text())
    frames = np.asarray(scene.frames)
    curves = {(c.node, c.attr): c for c in scene.curves}
    nodes = {n.name: n for n in scene.nodes}

    def value(node: str, attr: str, default: float) -> np.ndarray:
        c = curves.get((node, attr))
        if c is not None:
            return np.interp(frames, c.times, c.values)
        return np.full(len(frames), float(dict(nodes[node].static).get(attr, default)))

    def matrix(node: str) -> np.ndarray:
        """World matrices (N, 4, 4) in Maya centimetres: parent @ T @ Rz Ry Rx @ S."""
        m = np.tile(np.eye(4), (len(frames), 1, 1))
        rx, ry, rz = (value(node, f"rotate{a}", 0.0) for a in "XYZ")
        scale = np.stack([value(node, f"scale{a}", 1.0) for a in "XYZ"], axis=-1)
        m[:, :3, :3] = _rot(2, rz) @ _rot(1, ry) @ _rot(0, rx) * scale[:, None, :]
        m[:, :3, 3] = np.stack([value(node, f"translate{a}", 0.0) for a in "XYZ"], axis=-1)
        parent = nodes[node].parent
        return m if parent is None else matrix(parent) @ m

    def world(node: str, points: np.ndarray) -> np.ndarray:  # -> metres
        m = matrix(node)
        return (np.einsum("nij,kj->nki", m[:, :3, :3], points) + m[:, None, :3, 3]) / 100.0

    subject = world(SUBJECT, np.zeros((1, 3)))[:, 0]
    lux = {}
    for shape in (n for n in scene.nodes if n.node_type in ("areaLight", "pointLight",
                                                             "spotLight")):
        name = shape.parent
        intensity = value(shape.name, "intensity", 1.0)
        if shape.node_type == "areaLight":
            corners = world(name, SQUARE)
            ahead = world(name, np.array([[0.0, 0.0, 0.0], [0.0, 0.0, -1.0]]))
            lux[name] = area_lux(corners, intensity, ahead[:, 1] - ahead[:, 0], subject)
        else:  # decayRate 2: E = intensity / d^2, d in centimetres
            assert dict(shape.static)["decayRate"] == 2
            d_cm = 100.0 * np.linalg.norm(world(name, np.zeros((1, 3)))[:, 0] - subject, axis=1)
            lux[name] = intensity / d_cm**2
    # Maya is Y-up: (x, y, z)_maya = (x, z, -y)_ours, for the comparison with the walk
    return np.stack([subject[:, 0], -subject[:, 2], subject[:, 1]], axis=-1), lux


#: host -> (suffix, raw reader): the subject's path (N, 3) m and each light's lux (N,).
RawReader = Callable[[Path], tuple[np.ndarray, dict[str, np.ndarray]]]
RAW_LIGHT_READERS: dict[str, tuple[str, RawReader]] = {
    "usd": (".usda", usd_lights),
    "blender": (".blend", blend_lights),
    "maya": (".ma", ma_lights),
}


@pytest.fixture
def raw_light_readers() -> dict[str, tuple[str, RawReader]]:
    """:data:`RAW_LIGHT_READERS` (conftest functions are not importable in importlib mode)."""
    return RAW_LIGHT_READERS


@pytest.fixture
def lambert_area_lux() -> Callable[..., np.ndarray]:
    """:func:`area_lux`: Lambert's polygon formula for a subject facing a rectangle."""
    return area_lux


@pytest.fixture
def unreal_stand_in(monkeypatch: pytest.MonkeyPatch) -> Callable[..., mock.MagicMock]:
    """``run(script, configure=None)``: run a generated Level Sequence script as ``__main__``
    against a stand-in ``unreal`` module (a ``MagicMock`` recording every call; ``load_asset``
    finds nothing, ``FrameNumber(v)`` is ``("frame", v)``, each spawned actor its own mock,
    listed in ``spawned_actors``; ``configure(module)`` changes it first) and return it."""
    def run(script: Path,
            configure: Callable[[mock.MagicMock], None] | None = None) -> mock.MagicMock:
        ue = mock.MagicMock(name="unreal")
        ue.load_asset.return_value = None
        ue.FrameNumber = lambda value: ("frame", value)
        ue.spawned_actors = []

        def spawn(*args: Any, **kwargs: Any) -> mock.MagicMock:
            ue.spawned_actors.append(mock.MagicMock(name="actor"))
            return ue.spawned_actors[-1]

        ue.get_editor_subsystem.return_value.spawn_actor_from_class.side_effect = spawn
        if configure is not None:
            configure(ue)
        monkeypatch.setitem(sys.modules, "unreal", ue)
        runpy.run_path(str(script), run_name="__main__")
        return ue
    return run

