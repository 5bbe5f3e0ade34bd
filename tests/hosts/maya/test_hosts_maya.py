"""Maya host: the .ma writer and parser round trip, the mapping, and the adapter's Maya calls."""

from __future__ import annotations

import os
import re
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from moks_graph import rotations
from moks_graph.channels import Channels
from moks_graph.hosts import units
from moks_graph.hosts.maya import adapter
from moks_graph.hosts.maya.ma_parser import parse_ma_text, read_ma, statements
from moks_graph.hosts.maya.ma_writer import fmt, ma_text, write_ma
from moks_graph.hosts.maya.mapping import (
    TA,
    TL,
    TU,
    api_key_values,
    channels_from_maya_scene,
    plan_maya_scene,
)
from moks_graph.timebase import time_array


def _curves(scene):
    return {(c.node, c.attr): c for c in scene.curves}


def test_round_trip_every_key(tmp_path, scene, channels_close):
    path = write_ma(scene, tmp_path / "shot.ma")
    back = read_ma(path)
    channels_close(back, scene, rtol=1e-6, atol=1e-9, angle_atol=1e-9)
    # every key of every curve parses back to the planned value exactly
    planned = _curves(plan_maya_scene(scene))
    parsed = _curves(parse_ma_text((tmp_path / "shot.ma").read_text(encoding="utf-8")))
    assert planned.keys() == parsed.keys()
    for k, c in planned.items():
        assert parsed[k].curve_type == c.curve_type, k
        np.testing.assert_array_equal(parsed[k].times, c.times)
        np.testing.assert_array_equal(parsed[k].values, c.values)


def test_header_units_and_structure(scene):
    text = ma_text(plan_maya_scene(scene))
    lines = text.splitlines()
    assert lines[0] == "//Maya ASCII 2024 scene"
    assert 'requires maya "2024";' in lines
    assert "currentUnit -l centimeter -a degree -t film;" in lines
    assert 'createNode camera -n "camShape" -p "cam";' in lines
    assert 'createNode spotLight -n "keyShape" -p "key";' in lines
    assert 'createNode areaLight -n "softShape" -p "soft";' in lines
    assert 'createNode directionalLight -n "sunShape" -p "sun";' in lines
    assert 'createNode pointLight -n "bulbShape" -p "bulb";' in lines
    assert 'createNode locator -n "targetShape" -p "target";' in lines
    assert 'createNode animCurveTL -n "cam_translateX";' in lines
    assert 'createNode animCurveTA -n "cam_rotateY";' in lines
    assert 'createNode animCurveTU -n "camShape_focalLength";' in lines
    assert 'createNode animCurveTL -n "camShape_focusDistance";' in lines
    assert 'connectAttr "cam_translateX.o" "cam.translateX";' in lines
    assert 'connectAttr "camShape_horizontalFilmAperture.o" "camShape.horizontalFilmAperture";' \
        in lines
    n = len(scene.time)
    curves = plan_maya_scene(scene).curves
    held = [c for c in curves if len(c.times) == 1]  # constants: one key, held by Maya
    names = {c.name for c in held}
    assert {"camShape_horizontalFilmAperture", "key_translateX", "bulbShape_colorR"} <= names
    assert "camShape_focalLength" not in names
    assert text.count(f'setAttr -s {n} ".ktv[0:{n - 1}]"') == len(curves) - len(held)
    assert text.count('setAttr -s 1 ".ktv[0]"') == len(held)
    assert 'fileInfo "moks_frames" "range 1 24 2";' in lines
    assert lines[-1].startswith("// End of")


@pytest.mark.parametrize(("fps", "unit"), [(25.0, "pal"), (24000 / 1001, '"23.976fps"'),
                                           (120.0, '"120fps"'), (60.0, "ntscf")])
def test_time_units_round_trip(tmp_path, make_scene_fn, channels_close, fps, unit):
    ch = make_scene_fn(start=-3, end=5, fps=fps, subframes=2)
    path = write_ma(ch, tmp_path / "rate.ma")
    text = (tmp_path / "rate.ma").read_text()
    assert f"currentUnit -l centimeter -a degree -t {unit};" in text
    channels_close(read_ma(path), ch, rtol=1e-6, atol=1e-9, angle_atol=1e-9)


def test_maya_values_in_maya_units(scene):
    curves = _curves(plan_maya_scene(scene))
    i = 5
    want = units.to_maya_transform(
        *(scene[f"cam.{a}"] for a in ("tx", "ty", "tz", "rx", "ry", "rz")))
    for attr, values in zip(("translateX", "translateY", "translateZ", "rotateX", "rotateY",
                             "rotateZ"), want, strict=True):
        np.testing.assert_array_equal(curves["cam", attr].values, values)
    np.testing.assert_allclose(curves["cam", "translateY"].values[i], 100 * scene["cam.tz"][i])
    np.testing.assert_allclose(curves["cam", "translateZ"].values[i], -100 * scene["cam.ty"][i])
    assert curves["cam", "rotateX"].curve_type == TA
    assert curves["cam", "translateX"].curve_type == TL
    assert curves["camShape", "horizontalFilmAperture"].values[0] == pytest.approx(36 / 25.4)
    assert curves["camShape", "verticalFilmAperture"].values[0] == pytest.approx(24 / 25.4)
    assert curves["camShape", "focusDistance"].values[i] == pytest.approx(
        100 * scene["cam.focus_distance"][i])
    assert curves["camShape", "focalLength"].curve_type == TU
    assert curves["bulbShape", "intensity"].values[i] == pytest.approx(
        1e4 * scene["bulb.intensity"][i])
    assert curves["softShape", "intensity"].values[i] == pytest.approx(
        scene["soft.intensity"][i] / units.DEFAULT_AREA_SIZE_M**2)
    assert curves["sunShape", "intensity"].values[i] == pytest.approx(scene["sun.intensity"][i])
    assert curves["keyShape", "coneAngle"].values[i] == pytest.approx(scene["key.spot_angle"][i])
    assert curves["keyShape", "penumbraAngle"].values[i] == pytest.approx(
        -scene["key.spot_blend"][i] * scene["key.spot_angle"][i] / 2)
    assert curves["atmos", "moks_fog_density"].curve_type == TU
    assert curves["key", "moks_color_temperature"].values[0] == pytest.approx(3200.0)
    assert ("bulb", "moks_size") in curves  # Maya point lights have no size attribute
    np.testing.assert_array_equal(curves["cam", "rotateX"].times, scene.time.frames)


def test_area_light_size_on_scale(tmp_path):
    t = time_array(1, 3, 24.0, 2)
    n = len(t)
    ch = Channels(t, {"a.size": np.linspace(0.5, 2.0, n), "a.intensity": np.full(n, 100.0)},
                  {"a": "light.area"})
    curves = _curves(plan_maya_scene(ch))
    np.testing.assert_allclose(curves["a", "scaleX"].values, 50 * np.linspace(0.5, 2.0, n))
    np.testing.assert_allclose(curves["aShape", "intensity"].values,
                               100.0 / np.linspace(0.5, 2.0, n) ** 2)
    back = read_ma(write_ma(ch, tmp_path / "area.ma"))
    np.testing.assert_allclose(back["a.size"], ch["a.size"], rtol=1e-12)
    np.testing.assert_allclose(back["a.intensity"], 100.0, rtol=1e-12)
    assert sorted(back) == ["a.intensity", "a.size"]


def test_static_objects_get_the_rest_pose():
    t = time_array(1, 2, 24.0)
    ch = Channels(t, {"lamp.intensity": [1.0, 2.0]}, {"lamp": "light.point", "fog": "atmosphere"})
    nodes = {n.name: dict(n.static) for n in plan_maya_scene(ch).nodes}
    # internal rest (looking down -Z) is Maya rotate (-90, 0, 0) in Y-up
    assert nodes["lamp"]["rotate"] == pytest.approx((-90.0, 0.0, 0.0))
    assert "rotate" not in nodes["fog"]
    text = ma_text(plan_maya_scene(ch))
    assert 'setAttr ".rotate" -type "double3" -90 0 0;' in text


def test_parser_is_robust_to_line_wrapping(scene, channels_close):
    text = ma_text(plan_maya_scene(scene))
    # re-wrap: every run of blanks becomes a newline + tab, and statements share lines
    rewrapped = re.sub(r"[ \t]+", "\n\t", text).replace(";\n", "; ")
    channels_close(channels_from_maya_scene(parse_ma_text(rewrapped)), scene,
                   rtol=1e-6, atol=1e-9, angle_atol=1e-9)


def test_parser_short_names_other_units_and_statics():
    text = """//Maya ASCII 2024 scene
    // a comment; with a semicolon
    currentUnit -l meter -a radian -t pal;
    createNode transform -n "lamp";
        addAttr -ci true -sn "moks_kind" -ln "moks_kind" -dt "string";
        setAttr ".moks_kind" -type "string" "light.area";
        setAttr ".s" -type "double3" 0.5 0.5 0.5 ;
    createNode areaLight -n "lampShape" -p "lamp";
        setAttr -k off ".v";
    createNode animCurveTL -n "lamp_tx";
        setAttr ".tan" 2;
        setAttr -s 2 ".ktv[0:1]"  1 0.5
            2 -1.25;
    createNode animCurveTA -n "lamp_rx";
        setAttr -s 2 ".ktv[0:1]"  1 1.5707963267948966 2 0;
    createNode animCurveTU -n "lamp_in";
        setAttr -s 2 ".ktv[0:1]"  1 4 2 8;
    select -ne :time1;
        setAttr ".o" 1;
    connectAttr "lamp_tx.o" "|lamp.tx";
    connectAttr "lamp_rx.o" "lamp.rx";
    connectAttr "lamp_in.output" "lampShape.in";
    """
    ch = channels_from_maya_scene(parse_ma_text(text))
    assert ch.kinds == {"lamp": "light.area"}
    assert ch.time.fps == 25.0
    np.testing.assert_array_equal(ch.time.frames, [1.0, 2.0])
    np.testing.assert_allclose(ch["lamp.tx"], [0.5, -1.25], atol=1e-15)  # metres in file
    # rx = 90 deg (Maya) about X, no other rotation -> internal rx = 180
    np.testing.assert_allclose(rotations.euler_angles_to_matrix(ch["lamp.rx"][0], ch["lamp.ry"][0],
                                                         ch["lamp.rz"][0])[0],
                               rotations.euler_angles_to_matrix(180, 0, 0)[0], atol=1e-12)
    # scale is unitless: the area light spans 2 cm * scale, i.e. size = 0.5 * 2 / 100 m
    size = 0.5 * 2 / 100
    np.testing.assert_allclose(ch["lamp.intensity"], np.array([4.0, 8.0]) * size**2)


def test_statement_tokenizer_keeps_semicolons_in_strings():
    stmts = statements('setAttr ".b" -type "string" "a; b \\"c\\"";\nfoo 1;')
    assert [t.text for t in stmts[0]] == ["setAttr", ".b", "-type", "string", 'a; b "c"']
    assert [t.text for t in stmts[1]] == ["foo", "1"]


def test_fmt_is_exact():
    for v in (0.1, 1 / 3, -2.5e-17, 123456789.125, 1.0, -0.0):
        assert float(fmt(v)) == v
    assert fmt(2.0) == "2"
    with pytest.raises(ValueError, match="non-finite"):
        fmt(float("nan"))


def test_bad_input_leaves_no_file(tmp_path, scene):
    with pytest.raises(FileNotFoundError):
        write_ma(scene, tmp_path / "nope" / "x.ma")
    with pytest.raises(ValueError, match="must end in"):
        write_ma(scene, tmp_path / "x.mb")
    hacked = Channels(scene.time, dict(scene.values), dict(scene.kinds))
    object.__setattr__(hacked, "kinds", {**hacked.kinds, "key": "light.laser"})
    with pytest.raises(ValueError, match=r"light\.laser"):
        write_ma(hacked, tmp_path / "x.ma")
    neg = {**scene.values, "soft.size": np.full(len(scene.time), -1.0)}
    with pytest.raises(ValueError, match=r"soft\.size"):
        write_ma(Channels(scene.time, neg, scene.kinds), tmp_path / "x.ma")
    assert os.listdir(tmp_path) == []


def test_failed_write_keeps_previous_file(tmp_path, scene, monkeypatch):
    target = tmp_path / "x.ma"
    target.write_text("old\n")
    from moks_graph.hosts.maya import ma_writer

    def boom(*_a, **_k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ma_writer, "ma_text", boom)
    with pytest.raises(RuntimeError):
        write_ma(scene, target)
    assert os.listdir(tmp_path) == ["x.ma"] and target.read_text() == "old\n"


# --------------------------------------------------------------------------- adapter


def test_key_arrays_use_internal_units(scene):
    curves = _curves(plan_maya_scene(scene))
    times, values = adapter.key_arrays(curves["cam", "rotateY"])
    np.testing.assert_allclose(values, np.deg2rad(curves["cam", "rotateY"].values))
    np.testing.assert_array_equal(times, scene.time.frames)
    np.testing.assert_array_equal(api_key_values(curves["cam", "translateX"]),
                                  curves["cam", "translateX"].values)
    assert adapter.static_set_args("n", "scale", (1.0, 2.0, 3.0)) == (
        ("n.scale", 1.0, 2.0, 3.0), {"type": "double3"})
    assert adapter.static_set_args("n", "moks_kind", "camera") == (
        ("n.moks_kind", "camera"), {"type": "string"})
    assert adapter.add_attr_args("moks_x", "double") == {
        "longName": "moks_x", "attributeType": "double", "keyable": True}


def _fake_maya(monkeypatch):
    log: list[tuple] = []

    cmds = types.ModuleType("maya.cmds")
    cmds.currentUnit = lambda **kw: log.append(("currentUnit", kw))
    cmds.createNode = lambda t, **kw: log.append(("createNode", t, kw)) or kw["name"]
    cmds.addAttr = lambda node, **kw: log.append(("addAttr", node, kw))
    cmds.setAttr = lambda *a, **kw: log.append(("setAttr", a, kw))
    cmds.playbackOptions = lambda **kw: log.append(("playbackOptions", kw))
    cmds.sets = lambda *a, **kw: log.append(("sets", a, kw))
    cmds.connectAttr = lambda *a, **kw: log.append(("connectAttr", a, kw))

    om = types.ModuleType("maya.api.OpenMaya")

    class MTime:
        def __init__(self, value, unit):
            self.value, self.unit = value, unit

        @staticmethod
        def uiUnit():
            return "UI"

    class MSelectionList:
        def add(self, path):
            self.path = path
            return self

        def getPlug(self, _i):
            return self.path

    om.MTime, om.MSelectionList = MTime, MSelectionList
    oma = types.ModuleType("maya.api.OpenMayaAnim")

    class MFnAnimCurve:
        kTangentLinear = "LINEAR"

        def create(self, plug):
            self.plug = plug
            log.append(("create", plug))

        def addKeys(self, times, values, tin, tout):
            log.append(("addKeys", self.plug, [t.value for t in times], list(values), tin, tout))

        def name(self):
            return f"curve:{self.plug}"

    oma.MFnAnimCurve = MFnAnimCurve
    maya = types.ModuleType("maya")
    api = types.ModuleType("maya.api")
    maya.cmds, maya.api, api.OpenMaya, api.OpenMayaAnim = cmds, api, om, oma
    for name, mod in (("maya", maya), ("maya.cmds", cmds), ("maya.api", api),
                      ("maya.api.OpenMaya", om), ("maya.api.OpenMayaAnim", oma)):
        monkeypatch.setitem(sys.modules, name, mod)
    return log


def test_apply_to_maya_replays_the_plan(monkeypatch, scene):
    log = _fake_maya(monkeypatch)
    names = adapter.apply_to_maya(scene)
    plan = plan_maya_scene(scene)
    assert log[0] == ("currentUnit", {"linear": "centimeter", "angle": "degree",
                                      "time": "film"})
    created = [e for e in log if e[0] == "createNode"]
    assert len(created) == len(plan.nodes)
    assert ("createNode", "camera", {"name": "camShape", "skipSelect": True,
                                     "parent": "cam"}) in created
    keyed = {e[1]: e for e in log if e[0] == "addKeys"}
    assert len(keyed) == len(plan.curves)  # one bulk call per curve
    rot = keyed["cam.rotateY"]
    np.testing.assert_allclose(rot[3], np.deg2rad(_curves(plan)["cam", "rotateY"].values))
    np.testing.assert_array_equal(rot[2], scene.time.frames)
    assert rot[4] == rot[5] == "LINEAR"
    assert names["cam_rotateY"] == "curve:cam.rotateY"
    assert log[-1] == ("playbackOptions", {"minTime": 1.0, "maxTime": 24.0,
                                           "animationStartTime": 1.0,
                                           "animationEndTime": 24.0})


def test_apply_to_maya_joins_every_light_to_the_default_light_set(monkeypatch, scene):
    log = _fake_maya(monkeypatch)
    adapter.apply_to_maya(scene)
    lights = {o for o, k in scene.kinds.items() if k.startswith("light.")}
    assert {e[1][0] for e in log if e[0] == "sets"} == lights
    assert all(e[2] == {"add": "defaultLightSet"} for e in log if e[0] == "sets")
    made = [e for e in log if e[0] == "connectAttr"]
    fog = [e for e in made if e[1][0].startswith("atmos_envFog")]  # the fog (issue 17)
    light_made = [e for e in made if e not in fog]
    assert {e[1] for e in light_made} == {(f"{o}Shape.ltd", ":lightList1.l") for o in lights}
    assert all(e[2] == {"nextAvailable": True} for e in light_made)
    assert ("atmos_envFogMaterial.outColor", "atmos_envFogSG.volumeShader") in {
        e[1] for e in fog}


def test_ma_lights_are_in_the_default_light_set(tmp_path, scene):
    """Parse the .ma: every light transform's .iog goes to :defaultLightSet.dsm (-na), every
    light shape's .ltd to :lightList1.l; cameras, nulls and the atmosphere do not."""
    text = Path(write_ma(scene, tmp_path / "lit.ma")).read_text("utf-8")
    parsed = parse_ma_text(text)
    lights = {o for o, k in scene.kinds.items() if k.startswith("light.")}
    assert len(lights) == 4
    in_set = {s.rpartition(".")[0] for s, d in parsed.connections
              if d == ":defaultLightSet.dsm" and s.endswith(".iog")}
    assert in_set == lights
    listed = {s.rpartition(".")[0] for s, d in parsed.connections if d == ":lightList1.l"}
    assert listed == {f"{o}Shape" for o in lights}
    for o in lights:
        assert f'connectAttr "{o}.iog" ":defaultLightSet.dsm" -na;' in text
    assert read_ma(tmp_path / "lit.ma").kinds == scene.kinds


def test_apply_to_maya_needs_maya(monkeypatch, scene):
    monkeypatch.setitem(sys.modules, "maya", None)
    with pytest.raises(ImportError):
        adapter.apply_to_maya(scene)
