"""One light-colour rule per host (``hosts.units.light_color``), checked the renderer's way.

Each host file is read back with the host's own library and the emitted colour computed as the
renderer computes it: UsdLux ``inputs:color`` x ``UsdLux.BlackbodyTemperatureAsRgb(T)`` when
``enableColorTemperature`` is on (pxr); Blender ``color`` x ``temperature_color`` when
``use_temperature`` is on (bpy, at every frame through ``frame_set``); Maya (parsed .ma) and
Unreal (the Sequencer plan) have no temperature switched on, so the colour is the light colour.
It must equal the graph's CCT + Duv colour ``cct_to_rgb(CCT, Duv)`` within 1e-3 linear RGB.

``key`` and ``fill`` come from the light rig (:func:`moks_graph.nodes.lights.rig.light_channels`,
which writes ``color_r/g/b = cct_to_rgb(cct, tint)`` next to ``color_temperature`` and
``tint``); ``gel`` and ``sun`` carry only ``color_temperature`` (+ ``tint``), the case where the
hosts derive the colour.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moks_graph.channels import Channels
from moks_graph.nodes.imaging.colorimetry import cct_to_rgb
from moks_graph.nodes.lights.rig import light_channels
from moks_graph.timebase import time_array

#: Largest allowed difference between the emitted and the graph's colour (linear RGB).
COLOR_TOL = 1e-3


def light_color_scene() -> tuple[Channels, dict[str, np.ndarray]]:
    """``(channels, {light: expected (n, 3) linear Rec.709 colour})``."""
    time = time_array(1, 24, 24.0, 1)
    n = len(time)
    u = np.linspace(0.0, 1.0, n)
    cam, tgt = np.array([0.0, -4.0, 1.6]), np.array([0.0, 0.0, 1.5])
    key_cct, key_duv = 2000.0 + 7000.0 * u, -0.01 + 0.03 * u
    key = light_channels("spot", time, cam, tgt, 45.0, 30.0, 3.0, 1000.0, key_cct, key_duv)
    fill = light_channels("area", time, cam, tgt, -60.0, 10.0, 4.0, 300.0, 5600.0, 0.005)
    values = {f"key.{a}": v for a, v in key.items()}
    values.update({f"fill.{a}": v for a, v in fill.items()})
    gel_cct, gel_duv = np.full(n, 3200.0), np.full(n, -0.008)
    sun_cct = 15000.0 - 2000.0 * u  # above UsdLux's 10 000 K blackbody range
    values.update({
        "gel.tx": np.full(n, 1.0), "gel.intensity": np.full(n, 50.0),
        "gel.color_temperature": gel_cct, "gel.tint": gel_duv,
        "sun.rx": np.full(n, 30.0), "sun.intensity": np.full(n, 20000.0),
        "sun.color_temperature": sun_cct,
    })
    kinds = {"key": "light.spot", "fill": "light.area", "gel": "light.point",
             "sun": "light.sun"}
    expected = {
        "key": cct_to_rgb(key_cct, key_duv),
        "fill": cct_to_rgb(np.full(n, 5600.0), np.full(n, 0.005)),
        "gel": cct_to_rgb(gel_cct, gel_duv),
        "sun": cct_to_rgb(sun_cct, 0.0),
    }
    return Channels(time, values, kinds), expected


def _max_error(emitted: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> float:
    assert set(emitted) == set(expected)
    return max(float(np.abs(emitted[o] - expected[o]).max()) for o in expected)


def test_usd_emitted_colour_is_the_graph_colour(tmp_path: Path) -> None:
    """pxr reads the stage; emitted = color x blackbody(T) if enableColorTemperature (UsdLux)."""
    pytest.importorskip("pxr")
    from pxr import Usd, UsdLux

    from moks_graph.hosts.usd.reader import read_usd
    from moks_graph.hosts.usd.writer import write_usd

    scene, expected = light_color_scene()
    stage = Usd.Stage.Open(write_usd(scene, tmp_path / "lights.usda"))
    emitted: dict[str, np.ndarray] = {}
    for obj in expected:
        light = UsdLux.LightAPI(stage.GetPrimAtPath(f"/World/{obj}"))
        rows = []
        for f in scene.time.frames:
            t = Usd.TimeCode(float(f))
            rgb = np.array(light.GetColorAttr().Get(t), dtype=np.float64)
            if light.GetEnableColorTemperatureAttr().Get(t):
                kelvin = light.GetColorTemperatureAttr().Get(t)
                rgb = rgb * np.array(UsdLux.BlackbodyTemperatureAsRgb(kelvin))
            rows.append(rgb)
        emitted[obj] = np.array(rows)
        assert light.GetEnableColorTemperatureAttr().Get() is False
    assert _max_error(emitted, expected) < COLOR_TOL
    # CCT and Duv travel as moks: attributes; a derived colour does not read back as channels
    back = read_usd(tmp_path / "lights.usda")
    np.testing.assert_allclose(back["gel.color_temperature"], scene["gel.color_temperature"])
    np.testing.assert_allclose(back["key.tint"], scene["key.tint"])
    assert "gel.color_r" not in back and "key.color_r" in back


def test_blender_emitted_colour_is_the_graph_colour(tmp_path: Path) -> None:
    """bpy opens the .blend; emitted = color x temperature_color if use_temperature (Cycles)."""
    bpy = pytest.importorskip("bpy")
    from moks_graph.hosts.blender.reader import read_blend
    from moks_graph.hosts.blender.writer import quiet_blender, write_blend

    scene, expected = light_color_scene()
    path = write_blend(scene, tmp_path / "lights.blend")
    with quiet_blender():
        bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False)
    emitted: dict[str, list[np.ndarray]] = {o: [] for o in expected}
    for f in scene.time.frames:
        bpy.context.scene.frame_set(int(f))
        for obj in expected:
            light = bpy.data.objects[obj].data
            rgb = np.array(light.color, dtype=np.float64)
            if light.use_temperature:
                rgb = rgb * np.array(light.temperature_color, dtype=np.float64)
            emitted[obj].append(rgb)
    assert _max_error({o: np.array(v) for o, v in emitted.items()}, expected) < COLOR_TOL
    assert not any(bpy.data.objects[o].data.use_temperature for o in expected)
    back = read_blend(path)
    np.testing.assert_allclose(back["gel.color_temperature"], scene["gel.color_temperature"])
    assert "gel.color_r" not in back and "key.color_r" in back


def test_maya_and_unreal_colour_is_the_graph_colour(tmp_path: Path) -> None:
    """Maya lights have no temperature; Unreal's bUseTemperature is off: colour = light colour."""
    from moks_graph.hosts.maya.ma_parser import read_ma
    from moks_graph.hosts.maya.ma_writer import write_ma
    from moks_graph.hosts.maya.mapping import plan_maya_scene
    from moks_graph.hosts.unreal.mapping import plan_unreal_sequence

    scene, expected = light_color_scene()
    curves = {(c.node, c.attr): c.values for c in plan_maya_scene(scene).curves}
    maya = {o: np.stack([np.broadcast_to(curves[f"{o}Shape", f"color{c}"], len(scene.time))
                         for c in "RGB"], -1) for o in expected}
    assert _max_error(maya, expected) < COLOR_TOL
    back = read_ma(write_ma(scene, tmp_path / "lights.ma"))
    assert "gel.color_r" not in back and "key.color_r" in back
    np.testing.assert_allclose(back["gel.tint"], scene["gel.tint"])
    plan = plan_unreal_sequence(scene)
    unreal = {}
    for actor in plan.actors:  # emission = Intensity x LightColor (an FColor: at most 1)
        assert ("use_temperature", False) in actor.settings
        track = dict(next(t for t in actor.tracks if t.property_name == "LightColor").channels)
        rgb = np.stack([track[c] for c in "RGB"], -1)
        assert rgb.max() <= 1.0 + 1e-12
        intensity = next(t for t in actor.tracks if t.property_name == "Intensity").channels
        unreal[actor.name] = rgb * (intensity[0][1] / scene[f"{actor.name}.intensity"])[:, None]
    assert _max_error(unreal, expected) < COLOR_TOL


def test_the_rule_is_needed_blackbody_tables_disagree() -> None:
    """Why temperature stays off: UsdLux's blackbody is not the graph's CCT colour at 1000 K or
    above 10 000 K, and no blackbody has a Duv."""
    pytest.importorskip("pxr")
    from pxr import UsdLux

    for kelvin in (1000.0, 15000.0):
        usd = np.array(UsdLux.BlackbodyTemperatureAsRgb(kelvin))
        assert np.abs(usd - cct_to_rgb(kelvin)).max() > 0.05
