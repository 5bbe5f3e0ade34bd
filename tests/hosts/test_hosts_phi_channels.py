"""φ reaches every channel it names, in the baked files (issue 17).

A drone shot with a practical is baked with ``moks bake``'s own function at φ = 0 and φ = 1,
and once more at φ = 0 from the graph as it was before the wind existed (no
``moks.camera.weather`` node: the rig's clean move straight into the scene). Each file is
read back with the host's own reader, not the product's: pxr for USD, real bpy for the
.blend (the scene stepped frame by frame), the .ma text parser for Maya; the Unreal plan
is what its adapter keys. Per channel:

* camera (wind drift and buffet): φ = 1 moves the camera's position and rotation keys;
  φ = 0 keys equal the clean move's bit for bit (the whole USD/.ma file is byte-identical);
* fog: φ = 1 writes the host's fog (USD MaterialX volume, Blender world volume, Maya
  envFog, Unreal ExponentialHeightFog) whose keys convert back to the graph's
  ``fog_density``; φ = 0 writes none (Blender: density 0);
* flicker: the key's and the practical's intensity keys at φ = 1 are the φ = 0 keys times
  ``2**flicker`` of the graph (not constant), and at φ = 0 equal the clean bake's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moks_graph.hosts import fog
from moks_graph.hosts.bake import bake, bake_graph
from moks_graph.hosts.maya.ma_parser import parse_ma_text
from moks_graph.hosts.unreal.mapping import plan_unreal_sequence
from moks_graph.nodes.scenescript.compile import compile_scene
from moks_graph.nodes.scenescript.vocabulary import parse_prose

PROSE = "drone wide, practical"
LIGHTS = ("key", "practical")


def _graph(phi: float, weather: bool = True):
    graph = compile_scene(parse_prose(PROSE), fps=24.0, frames=(1, 24), seed=1)
    graph.set_param("atmosphere", "phi", phi)
    if not weather:  # the graph before issue 17: the rig's channels straight into the scene
        graph.remove_node("camera_weather")
        graph.connect("camera_rig.channels", "merge_0.a")
    return graph


@pytest.fixture(scope="module")
def graphs():
    return {"calm": _graph(0.0), "storm": _graph(1.0), "clean": _graph(0.0, weather=False)}


@pytest.fixture(scope="module")
def engine(graphs):
    return {name: bake_graph(g) for name, g in graphs.items()}


def _bake(tmp_path_factory, graphs, host: str, suffix: str) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp(host)
    out = {}
    for name, g in graphs.items():  # one file name: a .ma holds its own name
        (folder / name).mkdir()
        out[name] = Path(bake(g, host, folder / name / f"shot{suffix}").path)
    return out


def _flicker(engine) -> np.ndarray:
    return engine["storm"]["key.flicker"]


def _check_camera(read: dict[str, dict[str, np.ndarray]]) -> None:
    for channel in ("position", "rotation"):
        clean, calm, storm = (read[n][channel] for n in ("clean", "calm", "storm"))
        assert np.array_equal(calm, clean), channel  # φ = 0: the clean move, bit for bit
        assert np.max(np.abs(storm - calm)) > 1e-3, channel  # φ = 1: the wind moves it


def _check_flicker(read: dict[str, dict[str, np.ndarray]], engine, rtol: float) -> None:
    want = np.exp2(_flicker(engine))
    assert np.ptp(want) > 0.1  # the flicker is a real modulation at φ = 1
    for light in LIGHTS:
        calm, clean, storm = (read[n][light] for n in ("calm", "clean", "storm"))
        np.testing.assert_array_equal(calm, clean)
        np.testing.assert_allclose(storm / calm, want, rtol=rtol)


# ------------------------------------------------------------------------------------ USD


def _usd(path: Path) -> dict[str, np.ndarray]:
    from pxr import Usd, UsdGeom, UsdShade

    stage = Usd.Stage.Open(str(path))
    frames = [float(f) for f in stage.GetRootLayer().customLayerData["moks:frames"]]

    def samples(attr) -> np.ndarray:
        return np.array([np.array(attr.Get(f), dtype=np.float64) for f in frames])

    cam = UsdGeom.Xformable(stage.GetPrimAtPath("/World/camera"))
    world = np.array([np.array(cam.ComputeLocalToWorldTransform(f)) for f in frames])
    out = {"position": world[:, 3, :3], "rotation": world[:, :3, :3].reshape(len(frames), 9)}
    for light in LIGHTS:
        out[light] = samples(stage.GetPrimAtPath(f"/World/{light}")
                             .GetAttribute("inputs:intensity"))
    vdf = UsdShade.Shader.Get(stage, "/World/Atmosphere/FogMaterial/VDF")
    if vdf:
        mpu = float(stage.GetMetadata("metersPerUnit"))
        out["fog"] = fog.usd_extinction_to_sigma(samples(vdf.GetInput("scattering").GetAttr()),
                                                 samples(vdf.GetInput("absorption").GetAttr()),
                                                 mpu)
    return out


def test_usd_keys_carry_every_phi_channel(tmp_path_factory, graphs, engine):
    pytest.importorskip("pxr")
    paths = _bake(tmp_path_factory, graphs, "usd", ".usda")
    read = {n: _usd(p) for n, p in paths.items()}
    _check_camera(read)
    assert paths["calm"].read_bytes() == paths["clean"].read_bytes()
    _check_flicker(read, engine, rtol=1e-6)
    assert "fog" not in read["calm"]
    sigma = engine["storm"]["atmosphere.fog_density"]
    assert sigma.min() > 0.0
    np.testing.assert_allclose(read["storm"]["fog"], sigma, rtol=1e-6)


# ------------------------------------------------------------------------------------ Maya


def _maya(path: Path) -> dict[str, np.ndarray]:
    scene = parse_ma_text(path.read_text())
    curves = {(c.node, c.attr): c for c in scene.curves}
    frames = scene.frames

    def keys(node: str, attr: str) -> np.ndarray:
        c = curves[(node, attr)]
        return np.interp(frames, c.times, c.values)

    out = {"position": np.stack([keys("camera", f"translate{a}") for a in "XYZ"], -1),
           "rotation": np.stack([keys("camera", f"rotate{a}") for a in "XYZ"], -1)}
    for light in LIGHTS:
        out[light] = keys(f"{light}Shape", "intensity")
    if ("atmosphere_envFogMaterial", "saturationDistance") in curves:
        out["fog"] = fog.maya_saturation_to_sigma(
            keys("atmosphere_envFogMaterial", "saturationDistance"))
        out["fog_links"] = np.array([("atmosphere_envFogMaterial.outColor",
                                      "atmosphere_envFogSG.volumeShader") in scene.connections])
    return out


def test_maya_keys_carry_every_phi_channel(tmp_path_factory, graphs, engine):
    paths = _bake(tmp_path_factory, graphs, "maya", ".ma")
    read = {n: _maya(p) for n, p in paths.items()}
    _check_camera(read)
    assert paths["calm"].read_bytes() == paths["clean"].read_bytes()
    _check_flicker(read, engine, rtol=1e-12)
    assert "fog" not in read["calm"]
    assert read["storm"]["fog_links"].all()  # the fog shader drives its shading group
    np.testing.assert_allclose(read["storm"]["fog"], engine["storm"]["atmosphere.fog_density"],
                               rtol=1e-12)


# --------------------------------------------------------------------------------- Blender


def _blend(path: Path) -> dict[str, np.ndarray]:
    import bpy

    from moks_graph.hosts.blender.writer import quiet_blender

    with quiet_blender():
        bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False)
    scene = bpy.context.scene
    objects = {o.get("moks_object"): o for o in scene.objects if o.get("moks_object")}
    density = scene.world.node_tree.nodes["MOKS Fog"].inputs["Density"]
    rows: dict[str, list] = {"position": [], "rotation": [], "fog": [], **{n: [] for n in LIGHTS}}
    for f in scene["moks_frames"]:
        scene.frame_set(int(f))
        graph = bpy.context.evaluated_depsgraph_get()
        cam = objects["camera"].evaluated_get(graph)
        m = np.array(cam.matrix_world)
        rows["position"].append(m[:3, 3])
        rows["rotation"].append(m[:3, :3].ravel())
        for light in LIGHTS:
            rows[light].append(objects[light].evaluated_get(graph).data.energy)
        rows["fog"].append(density.default_value)
    return {k: np.array(v, dtype=np.float64) for k, v in rows.items()}


def test_blend_keys_carry_every_phi_channel(tmp_path_factory, graphs, engine):
    pytest.importorskip("bpy")
    paths = _bake(tmp_path_factory, graphs, "blender", ".blend")
    read = {n: _blend(p) for n, p in paths.items()}
    _check_camera(read)
    _check_flicker(read, engine, rtol=1e-6)  # Blender keys are float32
    assert not read["calm"]["fog"].any()
    np.testing.assert_allclose(read["storm"]["fog"], engine["storm"]["atmosphere.fog_density"],
                               rtol=1e-6)
    assert read["storm"]["fog"].min() > 0.0


# ---------------------------------------------------------------------------------- Unreal


def test_unreal_plan_carries_every_phi_channel(engine):
    plans = {n: plan_unreal_sequence(ch) for n, ch in engine.items()}

    def track(name: str, actor: str, prop: str) -> np.ndarray:
        spec = next(a for a in plans[name].actors if a.name == actor)
        found = next(t for t in spec.tracks if t.property_name == prop)
        return np.stack([v for _, v in found.channels], axis=-1)

    read = {n: {"position": track(n, "camera", "Transform")[:, :3],
                "rotation": track(n, "camera", "Transform")[:, 3:],
                **{light: track(n, light, "Intensity")[:, 0] for light in LIGHTS}}
            for n in plans}
    _check_camera(read)
    _check_flicker(read, engine, rtol=1e-12)
    assert not any(a.actor_class == "ExponentialHeightFog" for a in plans["calm"].actors)
    density = track("storm", "atmosphere", "FogDensity")[:, 0]
    np.testing.assert_allclose(density / fog.UNREAL_DENSITY_PER_M,
                               engine["storm"]["atmosphere.fog_density"], rtol=1e-12)


# ------------------------------------------------------------------------------------- CLI


def test_moks_scene_and_moks_bake_take_phi(tmp_path):
    from click.testing import CliRunner

    from moks_graph import mgraph
    from moks_graph.cli import main

    def run(*args: str):
        return CliRunner().invoke(main, list(args))

    graph_path = tmp_path / "drone.mgraph"
    done = run("scene", PROSE, "--frames", "1-24", "--seed", "1", "--phi", "0.7",
               "--out", str(graph_path))
    assert done.exit_code == 0, done.output
    graph = mgraph.load(graph_path)
    assert graph.nodes["atmosphere"].params["phi"] == 0.7
    assert graph.nodes["camera_weather"].params["rig"] == "drone"
    shots = {}
    for phi in ("0", "1"):
        out = tmp_path / f"phi{phi}.ma"
        done = run("bake", str(graph_path), "--host", "maya", "--out", str(out), "--phi", phi)
        assert done.exit_code == 0, done.output
        shots[phi] = _maya(out)
    assert "fog" not in shots["0"] and shots["1"]["fog"].min() > 0.0
    assert np.max(np.abs(shots["1"]["position"] - shots["0"]["position"])) > 1e-3
    bad = run("bake", str(graph_path), "--host", "maya", "--out", str(tmp_path / "x.ma"),
              "--phi", "1.5")
    assert bad.exit_code == 2 and "phi" in bad.output.lower()
    clean = tmp_path / "clean.mgraph"
    graph.remove_node("atmosphere")
    mgraph.save(graph, clean)
    none = run("bake", str(clean), "--host", "maya", "--out", str(tmp_path / "y.ma"),
               "--phi", "1")
    assert none.exit_code != 0 and "moks.atmosphere.phase" in none.output


def test_chunked_bakes_write_the_same_wind_fog_and_flicker_keys(tmp_path, graphs):
    """φ = 1, baked whole and in two chunks (frames 1-10, 11-24): the .ma keys agree exactly."""
    storm = graphs["storm"]
    whole = _maya(Path(bake(storm, "maya", tmp_path / "whole.ma").path))
    parts = [_maya(Path(bake(storm, "maya", tmp_path / f"part{i}.ma", frames=rng).path))
             for i, rng in enumerate(((1, 10), (11, 24)))]
    for name in ("position", "rotation", "fog", *LIGHTS):
        joined = np.concatenate([p[name] for p in parts])
        assert joined.tobytes() == whole[name].tobytes(), name


def test_usd_fog_stage_validates_and_other_unknown_shaders_still_fail(tmp_path, graphs):
    pytest.importorskip("pxr")
    from pxr import Usd, UsdShade

    from moks_graph.hosts.usd.writer import validate_usd

    path = Path(bake(graphs["storm"], "usd", tmp_path / "storm.usda").path)
    assert validate_usd(path) == []
    stage = Usd.Stage.Open(str(path))
    UsdShade.Shader.Get(stage, "/World/Atmosphere/FogMaterial/VDF").SetShaderId("NotAShader")
    stage.GetRootLayer().Export(str(tmp_path / "bad.usda"))
    assert any("NotAShader" in e for e in validate_usd(tmp_path / "bad.usda"))
