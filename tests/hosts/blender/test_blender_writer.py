"""Blender host with real bpy: write a .blend, reopen it, compare every key; errors; layering.

bpy is one process-wide session, so each module fixture writes/opens a file
and immediately copies what the tests need into plain Python data.
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("bpy")

from moks_graph.channels import Channels
from moks_graph.hosts.blender.keyframes import FOG_NODE_NAME
from moks_graph.hosts.blender.reader import read_blend
from moks_graph.hosts.blender.writer import (
    write_blend,
    write_blend_keyframe_insert,
)
from moks_graph.nodes.imaging.colorimetry import cct_to_rgb
from moks_graph.timebase import time_array

K = 683.0  # lm/W
#: Frames at which Blender's own evaluation is checked (integer and sub-frame).
EVAL_FRAMES = (1.0, 7.5, 30.0, 48.0)


def _evaluate(bpy: Any) -> dict[str, Any]:
    """Blender-evaluated properties of the open scene at EVAL_FRAMES."""
    scene = bpy.context.scene
    ob = bpy.data.objects
    out: dict[str, Any] = {}
    for f in EVAL_FRAMES:
        scene.frame_set(math.floor(f), subframe=f - math.floor(f))
        world = scene.world
        out[f] = {
            "cam_loc": tuple(ob["cam"].location), "cam_rot": tuple(ob["cam"].rotation_euler),
            "lens": ob["cam"].data.lens, "fstop": ob["cam"].data.dof.aperture_fstop,
            "pt_energy": ob["pt"].data.energy, "spot_size": ob["spot"].data.spot_size,
            "spot_temp": ob["spot"]["moks_color_temperature"],
            "spot_color": tuple(ob["spot"].data.color), "area_size": ob["area"].data.size,
            "area_energy": ob["area"].data.energy, "sun_energy": ob["sun"].data.energy,
            "pt_radius": ob["pt"].data.shadow_soft_size, "pt_flicker": ob["pt"]["moks_flicker"],
            "density": world.node_tree.nodes[FOG_NODE_NAME].inputs["Density"].default_value,
            "mist": world.mist_settings.depth, "wind_x": world["moks_wind_x"],
        }
    return out


def _structure(bpy: Any) -> dict[str, Any]:
    """Actions, slots, assignments and static settings of the open file."""
    actions = {}
    for action in bpy.data.actions:
        strips = [s for layer in action.layers for s in layer.strips]
        interps = set()
        for strip in strips:
            for bag in strip.channelbags:
                for fc in bag.fcurves:
                    n = len(fc.keyframe_points)
                    arr = np.empty(n, dtype=np.int32)
                    fc.keyframe_points.foreach_get("interpolation", arr)
                    interps |= {fc.keyframe_points[i].interpolation for i in {0, n - 1}}
                    interps |= set(np.unique(arr).tolist())
        actions[action.name] = {
            "layered": action.is_action_layered,
            "layers": len(action.layers), "strips": [s.type for s in strips],
            "slots": sorted((s.target_id_type, s.identifier) for s in action.slots),
            "interpolations": interps,
        }
    assigned = {}
    ids = [*bpy.data.objects, *bpy.data.cameras, *bpy.data.lights, *bpy.data.worlds,
           *[w.node_tree for w in bpy.data.worlds]]
    for idb in ids:
        ad = idb.animation_data
        if ad is not None and ad.action is not None:
            assigned[(type(idb).__name__, idb.name)] = (ad.action.name, ad.action_slot.identifier,
                                                        ad.action_slot.target_id_type)
    scene = bpy.context.scene
    world = scene.world
    tree = world.node_tree
    fog = tree.nodes[FOG_NODE_NAME]
    links = [(lk.from_node.name, lk.from_socket.identifier, lk.to_node.bl_idname,
              lk.to_socket.identifier) for lk in tree.links]
    lights = {o.name: o.data.type for o in bpy.data.objects if o.type == "LIGHT"}
    return {
        "actions": actions, "assigned": assigned, "scene": scene.name,
        "fps": (scene.render.fps, scene.render.fps_base),
        "range": (scene.frame_start, scene.frame_end), "camera": scene.camera.name,
        "world": world.name, "fog_type": fog.bl_idname, "links": links, "lights": lights,
        "empty": bpy.data.objects["target"].type, "sensor_fit": bpy.data.cameras["cam"].sensor_fit,
        "use_dof": bpy.data.cameras["cam"].dof.use_dof,
        "use_temperature": {o: bpy.data.lights[o].use_temperature for o in lights},
        "rotation_mode": {o.name: o.rotation_mode for o in bpy.data.objects},
        "key_counts": {(o.name, fc.data_path, fc.array_index): len(fc.keyframe_points)
                       for o in bpy.data.objects
                       for block in (o, o.data) if block is not None and block.animation_data
                       for fc in block.animation_data.action.layers[0].strips[0]
                       .channelbag(block.animation_data.action_slot).fcurves},
    }


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory, scenario: Channels) -> dict[str, Any]:
    import bpy

    path = tmp_path_factory.mktemp("blend") / "scene.blend"
    returned = write_blend(scenario, path, scene_name="Shot010")
    back = read_blend(path)
    return {"path": path, "returned": returned, "back": back,
            "structure": _structure(bpy), "eval": _evaluate(bpy),
            "listing": sorted(p.name for p in path.parent.iterdir())}


# ----------------------------------------------------------------- round trip


def test_every_key_reads_back(written: dict[str, Any], scenario: Channels) -> None:
    back: Channels = written["back"]
    assert written["returned"] == written["path"]
    assert written["listing"] == ["scene.blend"]  # no temp file, no .blend1 backup
    assert back.kinds == scenario.kinds
    assert list(back) == list(scenario)
    np.testing.assert_array_equal(back.time.frames, scenario.time.frames)
    assert back.time.fps == scenario.time.fps
    assert len(back.time) == 2 * 47 + 1
    for name in scenario:
        np.testing.assert_allclose(back[name], scenario[name], rtol=1e-6, atol=0, err_msg=name)


def test_constants_are_one_held_key(written: dict[str, Any], scenario: Channels) -> None:
    """A channel that holds one value gets one key (Blender holds it), not one per frame."""
    counts = written["structure"]["key_counts"]
    n = len(scenario.time)
    assert counts["cam", "lens", 0] == n  # zooms
    assert counts["cam", "sensor_width", 0] == counts["cam", "sensor_height", 0] == 1
    assert counts["pt", "color", 0] == counts["pt", "color", 1] == 1  # static colour
    assert counts["pt", "color", 2] == n
    assert counts["area", "energy", 0] == 1 and counts["pt", "energy", 0] == n
    assert counts["spot", '["moks_tint"]', 0] == 1


def test_camera_circle_reads_back_on_its_circle(written: dict[str, Any],
                                                circle: tuple[float, float, float]) -> None:
    back: Channels = written["back"]
    radius_m, height_m, _ = circle
    radius = np.hypot(back["cam.tx"], back["cam.ty"])
    np.testing.assert_allclose(radius, radius_m, rtol=1e-6)
    np.testing.assert_allclose(back["cam.tz"], height_m, rtol=1e-6)
    np.testing.assert_allclose(back["cam.focal_length"], 24.0 + 2.0 * back.time.seconds,
                               rtol=1e-6)


def test_blender_evaluates_the_keys(written: dict[str, Any],
                                   circle: tuple[float, float, float]) -> None:
    """Blender's own evaluation at (sub-)frames equals the analytic values in host units."""
    radius_m, height_m, speed = circle
    for f in EVAL_FRAMES:
        e = written["eval"][f]
        t = f / 24.0
        theta = math.radians(speed * t)
        np.testing.assert_allclose(e["cam_loc"], [radius_m * math.cos(theta),
                                                  radius_m * math.sin(theta), height_m],
                                   rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(e["cam_rot"], [math.radians(80.0),
                                                  math.radians(2.0 * math.sin(3.0 * t)),
                                                  theta + math.pi / 2], rtol=1e-6, atol=1e-7)
        assert e["lens"] == pytest.approx(24.0 + 2.0 * t, rel=1e-6)
        assert e["fstop"] == pytest.approx(2.8 + 0.5 * t, rel=1e-6)
        assert e["pt_energy"] == pytest.approx(4 * math.pi * (120 + 10 * math.sin(t)) / K,
                                               rel=1e-6)
        assert e["area_energy"] == pytest.approx(math.pi * 450.0 / K, rel=1e-6)
        assert e["sun_energy"] == pytest.approx((50_000.0 + 1000.0 * t) / K, rel=1e-6)
        assert e["spot_size"] == pytest.approx(math.radians(35.0 + 5.0 * t), rel=1e-6)
        assert e["spot_temp"] == pytest.approx(3200.0 + 100.0 * t, rel=1e-6)
        # temperature-only light: the colour is derived from CCT + Duv (units.light_color)
        np.testing.assert_allclose(e["spot_color"], cct_to_rgb(3200.0 + 100.0 * t, 0.002),
                                   atol=1e-5)
        assert e["area_size"] == pytest.approx(1.2 + 0.1 * t, rel=1e-6)
        assert e["pt_radius"] == pytest.approx(0.15, rel=1e-6)
        assert e["pt_flicker"] == pytest.approx(0.05 * math.sin(11.0 * t), rel=1e-5, abs=1e-7)
        sigma = 0.02 + 0.01 * t
        assert e["density"] == pytest.approx(sigma, rel=1e-6)
        assert e["mist"] == pytest.approx(math.log(20.0) / sigma, rel=1e-6)
        assert e["wind_x"] == pytest.approx(1.5 * math.cos(t), rel=1e-6)


# ----------------------------------------------------------------- scene structure


def test_actions_are_layered_with_one_slot_per_id(written: dict[str, Any]) -> None:
    s = written["structure"]
    expected_slots = {
        "camAction": [("CAMERA", "CAcam"), ("OBJECT", "OBcam")],
        "ptAction": [("LIGHT", "LApt"), ("OBJECT", "OBpt")],
        "spotAction": [("LIGHT", "LAspot"), ("OBJECT", "OBspot")],
        "areaAction": [("LIGHT", "LAarea"), ("OBJECT", "OBarea")],
        "sunAction": [("LIGHT", "LAsun"), ("OBJECT", "OBsun")],
        "fogAction": [("NODETREE", "NTfog"), ("WORLD", "WOfog")],
        "targetAction": [("OBJECT", "OBtarget")],
    }
    assert {a: v["slots"] for a, v in s["actions"].items()} == expected_slots
    for action in s["actions"].values():
        assert action["layered"]
        assert action["layers"] == 1
        assert action["strips"] == ["KEYFRAME"]
        assert action["interpolations"] == {"LINEAR", 1}
    assigned = s["assigned"]
    assert assigned["Object", "cam"] == ("camAction", "OBcam", "OBJECT")
    assert assigned["Camera", "cam"] == ("camAction", "CAcam", "CAMERA")
    assert assigned["SpotLight", "spot"] == ("spotAction", "LAspot", "LIGHT")
    assert assigned["World", "fog"] == ("fogAction", "WOfog", "WORLD")
    assert assigned["ShaderNodeTree", "Shader Nodetree"] == ("fogAction", "NTfog", "NODETREE")
    assert len(assigned) == sum(len(v) for v in expected_slots.values())


def test_scene_settings_and_objects(written: dict[str, Any]) -> None:
    s = written["structure"]
    assert s["scene"] == "Shot010"
    assert s["fps"] == (24, 1.0)
    assert s["range"] == (1, 48)
    assert s["camera"] == "cam"
    assert s["lights"] == {"pt": "POINT", "spot": "SPOT", "area": "AREA", "sun": "SUN"}
    assert s["empty"] == "EMPTY"
    assert s["sensor_fit"] == "HORIZONTAL"
    assert s["use_dof"] is True
    # one colour rule (units.light_color): the colour carries the CCT, Blender's is off
    assert s["use_temperature"] == {"pt": False, "spot": False, "area": False, "sun": False}
    assert set(s["rotation_mode"].values()) == {"XYZ"}
    assert s["world"] == "fog"
    assert s["fog_type"] == "ShaderNodeVolumePrincipled"
    assert (FOG_NODE_NAME, "Volume", "ShaderNodeOutputWorld", "Volume") in s["links"]


# ----------------------------------------------------------------- other writes


def test_ntsc_fps_round_trips(tmp_path: Path) -> None:
    import bpy

    fps = 24000 / 1001
    ch = Channels(time_array(0, 12, fps, 3), {"n.tx": np.linspace(0.0, 1.0, 37)},
                  {"n": "null"})
    write_blend(ch, tmp_path / "ntsc.blend")
    back = read_blend(tmp_path / "ntsc.blend")
    render = bpy.context.scene.render
    assert (render.fps, round(render.fps_base, 6)) == (24, 1.001)
    assert back.time.fps == fps
    np.testing.assert_array_equal(back.time.frames, ch.time.frames)  # 1/3 frames snapped
    np.testing.assert_allclose(back["n.tx"], ch["n.tx"], rtol=1e-6, atol=0)


def test_keyframe_insert_baseline_writes_the_same_keys(
        tmp_path: Path, make_scenario: Callable[..., Channels]) -> None:
    ch = make_scenario(1, 4, 24.0, 2)
    write_blend_keyframe_insert(ch, tmp_path / "slow.blend")
    slow = read_blend(tmp_path / "slow.blend")
    write_blend(ch, tmp_path / "fast.blend")
    fast = read_blend(tmp_path / "fast.blend")
    assert list(slow) == list(fast) == list(ch)
    for name in ch:
        np.testing.assert_array_equal(slow[name], fast[name], err_msg=name)


def test_objects_without_channels_are_created(tmp_path: Path) -> None:
    ch = Channels(time_array(5, 9, 25.0), {}, {"loc": "null", "key": "light.area"})
    write_blend(ch, tmp_path / "static.blend")
    back = read_blend(tmp_path / "static.blend")
    assert back.kinds == {"key": "light.area", "loc": "null"}
    assert len(back) == 0
    np.testing.assert_array_equal(back.time.frames, ch.time.frames)
    assert back.time.fps == 25.0


# ----------------------------------------------------------------- failures leave nothing


def test_missing_folder_raises_and_writes_nothing(tmp_path: Path, scenario: Channels) -> None:
    target = tmp_path / "no_such_folder" / "x.blend"
    with pytest.raises(FileNotFoundError, match="no_such_folder"):
        write_blend(scenario, target)
    assert not target.parent.exists()
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(NotADirectoryError):
        write_blend(scenario, blocker / "x.blend")
    with pytest.raises(ValueError, match="must end in"):
        write_blend(scenario, tmp_path / "x.usda")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


def test_failed_save_keeps_old_file_and_leaves_no_temp(tmp_path: Path, scenario: Channels,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Blender failing half-way through its save leaves the previous file untouched."""
    from moks_graph.hosts.blender import writer

    target = tmp_path / "shot.blend"
    target.write_bytes(b"previous version")

    def half_written(bpy: Any, filepath: Path) -> None:
        filepath.write_bytes(b"BLENDER-v500 partial")
        raise RuntimeError("Error: Cannot write file: disk full")

    monkeypatch.setattr(writer, "_save_copy", half_written)
    with pytest.raises(OSError, match="disk full"):
        write_blend(scenario, target)
    assert target.read_bytes() == b"previous version"
    assert [p.name for p in tmp_path.iterdir()] == ["shot.blend"]
    fresh = tmp_path / "fresh.blend"
    with pytest.raises(OSError, match="disk full"):
        write_blend(scenario, fresh)
    assert not fresh.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["shot.blend"]


def test_values_outside_blender_ranges_raise(tmp_path: Path) -> None:
    t = time_array(1, 3, 24.0)
    hot = Channels(t, {"k.color_temperature": np.array([3000.0, 25_000.0, 3000.0])},
                   {"k": "light.point"})
    with pytest.raises(ValueError, match=r"k\.color_temperature must be within"):
        write_blend(hot, tmp_path / "hot.blend")
    wide = Channels(t, {"s.spot_angle": np.array([30.0, 200.0, 30.0])}, {"s": "light.spot"})
    with pytest.raises(ValueError, match=r"s\.spot_angle"):
        write_blend(wide, tmp_path / "wide.blend")
    with pytest.raises(ValueError, match="scene_name"):
        write_blend(wide, tmp_path / "x.blend", scene_name="")
    assert list(tmp_path.iterdir()) == []


def test_read_blend_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_blend(tmp_path / "missing.blend")
    with pytest.raises(TypeError, match="path"):
        read_blend(42)  # type: ignore[arg-type]


def test_importing_the_host_does_not_import_bpy() -> None:
    code = ("import sys, moks_graph.hosts.blender.writer, moks_graph.hosts.blender.reader, "
            "moks_graph.hosts.blender.keyframes; assert 'bpy' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
