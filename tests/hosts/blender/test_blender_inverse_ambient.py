"""The SH ambient ``moks match`` reads, on a Cycles render it did not make: a grey sphere
under a sun and a uniform world, whose ambient is known exactly (``pi L`` on every side).
It reaches ``match.json``, ``scene.mgraph`` and a baked USD stage read back with pxr."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from moks_graph.graph import Graph, Settings
from moks_graph.hosts.ambient import USD_DOME, USD_KEY, ambient_refs
from moks_graph.hosts.bake import bake
from moks_graph.hosts.blender.references import _link, _principled, _reset, _with_nodes
from moks_graph.hosts.inverse.match import AMBIENT_KEPT, match, match_still, write_outcome
from moks_graph.mgraph import load

bpy = pytest.importorskip("bpy")

SUN = 3.0  # W/m2: the key's irradiance
WORLD = 0.2  # the world's radiance: irradiance pi * 0.2 on every side


def _render(path: Path) -> Path:
    """A grey sphere lit by a sun at 50 deg azimuth, 30 deg elevation and a uniform world,
    on a transparent film (its alpha is the matte)."""
    import bmesh
    from mathutils import Vector

    scene = _reset(bpy, (160, 120), 32)
    mesh = bpy.data.meshes.new("sphere")
    bm = bmesh.new()
    bmesh.ops.create_uvsphere(bm, u_segments=64, v_segments=32, radius=0.5)
    bm.to_mesh(mesh)
    bm.free()
    mesh.shade_smooth()
    _link(bpy, scene, "sphere", mesh)
    mesh.materials.append(_principled(bpy, "grey", (0.6, 0.6, 0.6), 0.6))
    camera = _link(bpy, scene, "camera", bpy.data.cameras.new("camera"))
    camera.location, camera.rotation_euler = (0.0, -4.0, 0.0), (math.pi / 2, 0.0, 0.0)
    scene.camera = camera
    sun = bpy.data.lights.new("sun", "SUN")
    sun.energy, sun.angle = SUN, math.radians(2.0)
    az, el = math.radians(50.0), math.radians(30.0)
    to_light = (math.sin(az) * math.cos(el), -math.cos(az) * math.cos(el), math.sin(el))
    _link(bpy, scene, "sun", sun).rotation_euler = \
        Vector(to_light).to_track_quat("Z", "Y").to_euler()
    world = _with_nodes(bpy.data.worlds.new("world"))
    world.node_tree.nodes["Background"].inputs["Color"].default_value = (WORLD, WORLD, WORLD, 1)
    scene.world = world
    scene.render.film_transparent = True
    settings = scene.render.image_settings
    settings.file_format, settings.color_mode, settings.color_depth = "PNG", "RGBA", "16"
    scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)
    return path


@pytest.fixture(scope="module")
def matched(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The match folder (its still beside it as ``../../sphere.png``) and its match.json."""
    folder = tmp_path_factory.mktemp("ambient")
    still = _render(folder / "sphere.png")
    out = write_outcome(match(still), folder / "matched")
    return out, json.loads((out / "match.json").read_text())


def test_the_ambient_level_is_read_on_every_side(matched: tuple[Path, dict]) -> None:
    _, result = matched
    assert result["subject"]["from"] == "alpha"
    assert abs(result["key_azimuth_deg"] - 50.0) < 6.0
    want = math.pi * WORLD / SUN  # the world's irradiance over the sun's
    sides = result["ambient"]["relative_to_key"]
    for side in ("above", "below", "front"):
        assert sides[side] == pytest.approx(want, rel=0.15), side


def test_the_ambient_reaches_the_scene_and_the_usd_stage(matched: tuple[Path, dict],
                                                          tmp_path: Path) -> None:
    from pxr import Usd

    folder, result = matched
    coeffs = result["ambient"]["coefficients"]
    graph = load(folder / "scene.mgraph")
    assert ambient_refs(graph) == ["ambient.sh"]
    assert graph.nodes["ambient"].params["coefficients"] == coeffs
    # the key's lux times the ratio above, as nits: irradiance pi * L00 * Y00
    lux = result["script"]["key"]["illuminance_lux"]
    l00 = np.asarray(coeffs).reshape(9, 3)[0].mean()
    front = result["ambient"]["relative_to_key"]["front"]
    assert math.pi * l00 * 0.5 / math.sqrt(math.pi) == pytest.approx(front * lux, rel=0.3)
    stage_path = bake(graph, "usd", tmp_path / "matched.usda", frames=(1, 4)).path
    stage = Usd.Stage.Open(str(stage_path))  # held: a prim expires with its stage
    dome = stage.GetPrimAtPath(USD_DOME)
    assert dome.IsValid()
    assert list(dome.GetCustomDataByKey(USD_KEY)) == pytest.approx(coeffs, rel=1e-9)


def test_a_graph_with_its_own_ambient_keeps_it(matched: tuple[Path, dict]) -> None:
    still = matched[0].parent.parent / "sphere.png"
    own = Graph(Settings())
    own.add_node("moks.lighting.sh_preset", "studio_ambient", {"coefficients": [1.0] * 27})
    fitted = match_still(still, own)
    assert "ambient" not in fitted.nodes and "match_ambient" not in fitted.nodes
    assert fitted.meta["match"]["ambient_note"] == AMBIENT_KEPT
    assert match_still(still).nodes["ambient"].type \
        == "moks.lighting.sh_preset"
