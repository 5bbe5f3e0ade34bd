"""Live linkage (``moks bake --link-to-target``, issue 17): lights and the camera aim baked as
children / constraints of the moving subject, with the engine's numbers at baked frames.

Each moving-subject starter is baked linked to USD, .blend and .ma and read back by the host's
own evaluation where there is one: pxr composes the prim hierarchy, Blender evaluates the
Child Of / Track To constraints (``matrix_world`` per frame), and the .ma parser composes
the DAG and Maya's aimConstraint rule (``hosts.maya.mapping.aim_constraint_matrices``).
The world numbers must be the engine's (positions within 1e-6 m plus float32 rounding,
rotation matrices within 1e-6). Then the subject is moved after the bake, as a TD would:
the lights go with it (the same offset, the same distance, so the same illuminance) and
the camera keeps it framed.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import moks_graph as mg
from moks_graph import rotations
from moks_graph.channels import Channels
from moks_graph.hosts.bake import bake, bake_graph
from moks_graph.hosts.linkage import (
    Linkage,
    graph_linkage,
    linkage_refs,
    local_transform,
    world_from_local,
)
from moks_graph.nodes.camera.lookat import project_to_screen
from moks_graph.timebase import time_array

GRAPHS = Path(__file__).resolve().parents[2] / "graphs"
MOVING = ("tripod_walk_to_mark", "dolly_walk_and_talk", "handheld_follow_walk_away")
SUFFIX = {"usd": ".usda", "blender": ".blend", "maya": ".ma"}


def _xyz(ch: Channels, obj: str, prefix: str = "t") -> np.ndarray:
    return np.stack([ch[f"{obj}.{prefix}{a}"] for a in "xyz"], axis=-1)


def _reader(host: str):
    if host == "usd":
        pytest.importorskip("pxr")
        from moks_graph.hosts.usd.reader import read_usd
        return read_usd
    if host == "blender":
        pytest.importorskip("bpy")
        from moks_graph.hosts.blender.reader import read_blend
        return read_blend
    from moks_graph.hosts.maya.ma_parser import read_ma
    return read_ma


@pytest.fixture(scope="module")
def engine() -> dict[str, tuple[mg.Graph, Channels]]:
    return {name: (g := mg.load(GRAPHS / f"{name}.mgraph"), bake_graph(g)) for name in MOVING}


def test_the_graph_says_what_follows_the_subject(engine):
    graph, _ = engine["handheld_follow_walk_away"]
    values = graph.evaluate(linkage_refs(graph)).values
    linkage = graph_linkage(graph, values)
    assert dict(linkage.children) == {"key": "subject", "fill": "subject", "rim": "subject"}
    assert dict(linkage.aims) == {"camera": "subject"}
    assert linkage.parents()["camera"] == "camera_aim"
    still = mg.load(GRAPHS / "foggy_tripod_noir.mgraph")
    assert not graph_linkage(still, still.evaluate(linkage_refs(still)).values)


def test_local_and_world_round_trip_under_a_turning_parent():
    t = time_array(1, 48, 24.0)
    n = len(t)
    s = np.linspace(0.0, 1.0, n)
    values = {"p.tx": s, "p.ty": 2 * s, "p.tz": np.full(n, 1.0), "p.rx": 30 * s,
              "p.ry": -20 * s, "p.rz": 200 * s, "c.tx": np.cos(3 * s), "c.ty": np.sin(3 * s),
              "c.tz": 2 + s, "c.rx": 80 + 5 * s, "c.ry": 10 * s, "c.rz": -150 + 90 * s}
    ch = Channels(t, values, {"p": "null", "c": "light.point"})
    local = local_transform(ch, "c", "p")
    parent = {a: ch[f"p.{a}"] for a in ("tx", "ty", "tz", "rx", "ry", "rz")}
    back = world_from_local(parent, local)
    np.testing.assert_allclose(np.stack([back[a] for a in ("tx", "ty", "tz")], -1), _xyz(ch, "c"),
                               atol=1e-12)
    got = rotations.euler_angles_to_matrix(back["rx"], back["ry"], back["rz"])
    want = rotations.euler_angles_to_matrix(ch["c.rx"], ch["c.ry"], ch["c.rz"])
    np.testing.assert_allclose(got, want, atol=1e-12)


@pytest.mark.parametrize("host", sorted(SUFFIX))
@pytest.mark.parametrize("scenario", MOVING)
def test_linked_bake_reads_back_the_engine_numbers(tmp_path, engine, scenario, host):
    read = _reader(host)
    graph, want = engine[scenario]
    result = bake(graph, host, tmp_path / f"{scenario}{SUFFIX[host]}", link_to_target=True)
    assert result.linkage.aims == {"camera": "subject"}
    got = read(result.path)
    assert dict(got.kinds) == dict(want.kinds)  # the aim null is a rig helper, not an object
    for obj in want.kinds:
        if f"{obj}.tx" not in want:
            continue
        scale = max(1.0, float(np.abs(_xyz(want, obj)).max()))
        np.testing.assert_allclose(_xyz(got, obj), _xyz(want, obj), rtol=0,
                                   atol=1e-6 + 2e-7 * scale, err_msg=f"{host} {obj}")
        r_got = rotations.euler_angles_to_matrix(*(got[f"{obj}.r{a}"] for a in "xyz"))
        r_want = rotations.euler_angles_to_matrix(*(want[f"{obj}.r{a}"] for a in "xyz"))
        np.testing.assert_allclose(r_got, r_want, rtol=0, atol=1e-6, err_msg=f"{host} {obj}")
    for name in want:
        if name.rpartition(".")[2] not in ("tx", "ty", "tz", "rx", "ry", "rz"):
            np.testing.assert_allclose(got[name], want[name], rtol=1e-6, atol=1e-12,
                                       err_msg=name)


def test_usd_lights_are_child_prims_of_the_subject(tmp_path, engine):
    pytest.importorskip("pxr")
    from pxr import Usd, UsdGeom

    graph, want = engine["tripod_walk_to_mark"]
    path = bake(graph, "usd", tmp_path / "walk.usda", link_to_target=True).path
    stage = Usd.Stage.Open(str(path))
    assert stage.GetPrimAtPath("/World/subject/key").IsValid()
    assert stage.GetPrimAtPath("/World/subject/fill").IsValid()
    assert stage.GetPrimAtPath("/World/camera").IsValid()  # no aim constraint in USD
    # the TD moves the actor: 1 m along +x on every sample
    translate = stage.GetPrimAtPath("/World/subject").GetAttribute("xformOp:translate")
    for code in translate.GetTimeSamples():
        v = translate.Get(code)
        translate.Set(type(v)(v[0] + 100.0, v[1], v[2]), code)
    key = stage.GetPrimAtPath("/World/subject/key")
    for i, frame in enumerate(want.time.frames[::24]):
        m = np.array(UsdGeom.XformCache(Usd.TimeCode(frame)).GetLocalToWorldTransform(key))
        np.testing.assert_allclose(m[3, :3] * 0.01, _xyz(want, "key")[24 * i] + [1.0, 0, 0],
                                   atol=1e-6)


def test_blender_constraints_follow_a_moved_actor(tmp_path, engine):
    bpy = pytest.importorskip("bpy")
    from moks_graph.hosts.blender.writer import quiet_blender

    graph, want = engine["tripod_walk_to_mark"]
    path = bake(graph, "blender", tmp_path / "walk.blend", link_to_target=True).path
    with quiet_blender():
        bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False)
    objects = bpy.data.objects
    for light in ("key", "fill"):
        (con,) = objects[light].constraints
        assert con.type == "CHILD_OF" and con.target == objects["subject"]
        assert not con.set_inverse_pending
        assert np.allclose(np.array(con.inverse_matrix), np.eye(4))
    (track,) = objects["camera_aim"].constraints
    assert track.type == "TRACK_TO" and track.target == objects["subject"]
    assert track.track_axis == "TRACK_NEGATIVE_Z" and track.up_axis == "UP_Y"
    (child,) = objects["camera"].constraints
    assert child.type == "CHILD_OF" and child.target == objects["camera_aim"]
    # the TD moves the actor 1 m along +x after the bake
    for fcurve in _fcurves(objects["subject"]):
        if fcurve.data_path == "location" and fcurve.array_index == 0:
            for point in fcurve.keyframe_points:
                point.co.y += 1.0
            fcurve.update()
    scene = bpy.context.scene
    cam = objects["camera"].data
    framed = project_to_screen(_xyz(want, "camera"), _xyz(want, "camera", "r"),
                               _xyz(want, "subject"), want["camera.focal_length"], 36.0, 24.0)
    for i in range(0, len(want.time), 24):
        scene.frame_set(int(want.time.frames[i]))
        graph_ = bpy.context.evaluated_depsgraph_get()

        def world(name: str, graph_=graph_) -> np.ndarray:
            return np.array(objects[name].evaluated_get(graph_).matrix_world)

        subject, key, camera = world("subject"), world("key"), world("camera")
        np.testing.assert_allclose(subject[:3, 3], _xyz(want, "subject")[i] + [1.0, 0, 0],
                                   atol=1e-5)
        np.testing.assert_allclose(key[:3, 3], _xyz(want, "key")[i] + [1.0, 0, 0], atol=1e-5)
        np.testing.assert_allclose(key[:3, :3], subject[:3, :3] @ _rot(want, "key", i),
                                   atol=1e-5)
        euler = rotations.continuous_euler_xyz(camera[None, :3, :3])
        screen = project_to_screen(camera[:3, 3], np.stack(euler, -1), subject[:3, 3],
                                   cam.lens, cam.sensor_width, cam.sensor_height)
        # the subject stays where the baked shot framed it (its fluid-head drift included)
        np.testing.assert_allclose(screen[0], framed[i], atol=1e-6)


def _rot(ch: Channels, obj: str, i: int) -> np.ndarray:
    return rotations.euler_angles_to_matrix(*(ch[f"{obj}.r{a}"][i:i + 1] for a in "xyz"))[0]


def _fcurves(obj):
    anim = obj.animation_data
    for layer in anim.action.layers:
        for strip in layer.strips:
            yield from strip.channelbag(anim.action_slot).fcurves


def test_ma_parents_lights_and_aims_the_camera(tmp_path, engine):
    from moks_graph.hosts.maya.ma_parser import read_ma

    graph, want = engine["tripod_walk_to_mark"]
    path = bake(graph, "maya", tmp_path / "walk.ma", link_to_target=True).path
    text = path.read_text()
    assert 'createNode transform -n "key" -p "subject";' in text
    assert 'createNode transform -n "camera" -p "camera_aim";' in text
    assert 'createNode aimConstraint -n "camera_aim_aimConstraint1" -p "camera_aim";' in text
    for plug in ('"subject.t" "camera_aim_aimConstraint1.tg[0].tt"',
                 '"camera_aim_aimConstraint1.crx" "camera_aim.rx"',
                 '"camera_aim_aimConstraint1.w0" "camera_aim_aimConstraint1.tg[0].tw"'):
        assert f"connectAttr {plug};" in text
    assert "camera_aim_rotate" not in text  # the constraint drives the aim's rotation
    # the TD moves the actor 1 m along Maya's +x after the bake
    moved = re.sub(r'(createNode animCurveTL -n "subject_translateX";.*?\.ktv\[[^\]]*\]")'
                   r'([^;]*);', lambda m: m.group(1) + _shift(m.group(2), 100.0) + ";", text,
                   flags=re.S)
    assert moved != text
    (tmp_path / "moved.ma").write_text(moved)
    got = read_ma(tmp_path / "moved.ma")
    np.testing.assert_allclose(_xyz(got, "key"), _xyz(want, "key") + np.array([1.0, 0, 0]),
                               atol=1e-9)
    screen = project_to_screen(_xyz(got, "camera"), _xyz(got, "camera", "r"),
                               _xyz(got, "subject"), want["camera.focal_length"], 36.0, 24.0)
    framed = project_to_screen(_xyz(want, "camera"), _xyz(want, "camera", "r"),
                               _xyz(want, "subject"), want["camera.focal_length"], 36.0, 24.0)
    np.testing.assert_allclose(screen, framed, atol=1e-6)  # still framed as baked


def _shift(pairs: str, by: float) -> str:
    """``t v t v ...`` with every value moved by ``by``."""
    words = pairs.split()
    return " " + " ".join(w if i % 2 == 0 else repr(float(w) + by) for i, w in enumerate(words))


def test_cli_flag_and_its_errors(tmp_path):
    from click.testing import CliRunner

    from moks_graph.cli import main

    runner = CliRunner()
    out = tmp_path / "walk.ma"
    ok = runner.invoke(main, ["bake", str(GRAPHS / "tripod_walk_to_mark.mgraph"), "--host",
                              "maya", "--out", str(out), "--link-to-target"])
    assert ok.exit_code == 0, ok.output
    assert '-p "subject"' in out.read_text()
    wrong = runner.invoke(main, ["bake", str(GRAPHS / "tripod_walk_to_mark.mgraph"), "--host",
                                 "chan", "--out", str(tmp_path / "w.chan"), "--link-to-target"])
    assert wrong.exit_code == 2 and "--link-to-target applies to" in wrong.output
    still = tmp_path / "still.ma"
    nothing = runner.invoke(main, ["bake", str(GRAPHS / "foggy_tripod_noir.mgraph"), "--host",
                                   "maya", "--out", str(still), "--link-to-target"])
    assert nothing.exit_code != 0 and "nothing follows a moving target" in nothing.output
    assert not still.exists()


def test_a_linkage_naming_missing_objects_is_refused(engine):
    _, channels = engine["tripod_walk_to_mark"]
    with pytest.raises(ValueError, match="not baked"):
        Linkage(children={"key": "actor"}).check(channels)
    with pytest.raises(ValueError, match="not a baked light"):
        Linkage(children={"camera": "subject"}).check(channels)
