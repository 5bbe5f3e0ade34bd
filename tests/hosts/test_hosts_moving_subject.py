"""A moving subject keeps its illuminance in every host (issue 17, "done when").

A moving-subject starter is baked with ``moks bake``'s own function to USD, .blend and .ma,
plain and with ``link_to_target`` (lights as children / constraints of the subject). Each
file is then read back *raw*, not through the product's readers or its unit conversions:

* USD (pxr): world transforms from ``UsdGeom.XformCache`` (hierarchy, up axis and
  ``metersPerUnit`` as USD composes them), ``RectLight`` width/height, ``SphereLight``
  radius, ``inputs:intensity * 2**inputs:exposure`` = the emitter's luminance in nits
  (UsdLux, ``normalize`` off);
* Blender (bpy): ``matrix_world`` of each evaluated object at each frame (constraints
  evaluated by Blender), the evaluated light's ``energy`` in watts and ``size``: an area
  light's radiance is ``P / (π A)`` W/m²/sr (a one-sided Lambertian emitter), a point or
  spot light's intensity ``P / 4π`` W/sr, times 683 lm/W;
* Maya (.ma, parsed with the text parser only): each transform's translate / rotate (xyz)
  / scale curves, composed through the DAG; an ``areaLight`` spans -1..1 of its transform
  (emitting along -Z) with ``intensity`` its luminance in nits, a point or spot light with
  ``decayRate`` 2 gives ``intensity / d²`` with ``d`` in centimetres.

The subject illuminance of each light is recomputed from those numbers alone, with the
subject where the file puts its null, facing the light: Lambert's polygon formula over the
rectangle's corners for area lights (not the closed form the rig uses), ``π L (r / d)²``
for a sphere. Over the whole shot (the subject walks 3 m, so every light-to-subject
distance changes by a third or more) each light's illuminance must stay within 0.1%, and
equal the SceneScript's request within 0.1%.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import moks_graph as mg
from moks_graph.hosts.bake import bake, bake_graph
from moks_graph.nodes.lights.emitters import polygon_illuminance_per_luminance
from moks_graph.nodes.scenescript.compile import requested_illuminance
from moks_graph.nodes.scenescript.schema import SceneScript

GRAPHS = Path(__file__).resolve().parents[2] / "graphs"
MOVING = ("tripod_walk_to_mark", "dolly_walk_and_talk", "handheld_follow_walk_away")
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


HOSTS: dict[str, tuple[str, Callable[[Path], tuple[np.ndarray, dict[str, np.ndarray]]]]] = {
    "usd": (".usda", usd_lights),
    "blender": (".blend", blend_lights),
    "maya": (".ma", ma_lights),
}


@pytest.fixture(scope="module")
def engine() -> dict[str, tuple[mg.Graph, mg.Channels]]:
    return {name: (g := mg.load(GRAPHS / f"{name}.mgraph"), bake_graph(g)) for name in MOVING}


@pytest.mark.parametrize("linked", [False, True], ids=["plain", "linked"])
@pytest.mark.parametrize("host", sorted(HOSTS))
@pytest.mark.parametrize("scenario", MOVING)
def test_subject_illuminance_is_constant_in_every_host(tmp_path, engine, scenario, host,
                                                       linked):
    if host == "usd":
        pytest.importorskip("pxr")
    if host == "blender":
        pytest.importorskip("bpy")
    graph, channels = engine[scenario]
    suffix, read = HOSTS[host]
    result = bake(graph, host, tmp_path / f"{scenario}{suffix}", link_to_target=linked)
    assert bool(result.linkage) is linked
    subject, lux = read(result.path)
    walked = np.stack([channels[f"{SUBJECT}.t{a}"] for a in "xyz"], axis=-1)
    np.testing.assert_allclose(subject, walked, atol=1e-5)  # the file's subject walks the path
    assert np.linalg.norm(subject[-1] - subject[0]) > 2.9
    requested = requested_illuminance(SceneScript.model_validate(graph.meta["scene_script"]))
    assert set(lux) == set(requested)
    for name, e in lux.items():
        light = np.stack([channels[f"{name}.t{a}"] for a in "xyz"], axis=-1)
        distance = np.linalg.norm(light - walked, axis=1)
        assert distance.max() / distance.min() > 1.3, (name, "the distance hardly changes")
        assert e.max() / e.min() - 1.0 < TOLERANCE, (name, e.min(), e.max())
        assert np.abs(e / requested[name] - 1.0).max() < TOLERANCE, (name, requested[name])
    total = sum(lux.values())
    assert total.max() / total.min() - 1.0 < TOLERANCE
