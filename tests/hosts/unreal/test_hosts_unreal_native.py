"""``--host unreal`` (issue 17): an FBX through Blender's own exporter plus a Level Sequence
script for Unreal's ``unreal`` module, both read back here.

The FBX is imported with Blender's own FBX importer into a fresh factory scene; each object's
world matrix (metres, Z-up) and the camera's lens (mm) at every sample, sub-frames included,
must equal the engine's channels within 1e-5. The FBX header is read with Blender's FBX
parser (Z up, -Y front, 100 cm per unit, object scale 1). The script is parsed with ``ast``
(never run as text we did not write) and its keys must equal the engine's, value for value;
the script body is then run against a stand-in ``unreal`` module to check the calls it makes.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pytest

import moks_graph as mg
from moks_graph import rotations
from moks_graph.channels import Channels
from moks_graph.hosts import units
from moks_graph.hosts.bake import bake
from moks_graph.hosts.unreal.mapping import TRANSFORM_TRACK, plan_unreal_sequence
from moks_graph.hosts.unreal.script import DATA_NAME, script_data, unreal_script
from moks_graph.hosts.unreal.writer import script_path, sequence_path, write_unreal

pytest.importorskip("bpy")

TOL = 1e-5  # metres for positions, unitless for rotation matrix entries, mm for the lens
GRAPH = Path(__file__).resolve().parents[3] / "graphs" / "dolly_walk_and_talk.mgraph"


def _engine_pose(channels: Channels, obj: str) -> tuple[np.ndarray, np.ndarray]:
    r = rotations.euler_angles_to_matrix(*(channels[f"{obj}.r{a}"] for a in "xyz"))
    return r, np.stack([channels[f"{obj}.t{a}"] for a in "xyz"], axis=-1)


@pytest.mark.parametrize("fps", [24.0, 25.0, 30000 / 1001])
def test_fbx_reads_back_in_blender_equal_to_the_engine(tmp_path, make_scene_fn, fps):
    from moks_graph.hosts.blender.interchange import (
        fbx_import_frames,
        import_interchange,
        sample_objects,
    )

    scene = make_scene_fn(fps=fps)
    out = write_unreal(scene, tmp_path / "shot.fbx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shot.fbx", "shot.py"]
    imported = import_interchange(out)  # at the file's own rate
    got = sample_objects(imported, fbx_import_frames(imported, scene.time.frames))
    movers = [o for o, k in scene.kinds.items() if k != "atmosphere"]
    assert sorted(got) == sorted(movers)
    assert len(scene.time) == 47 and scene.time.frames[1] == 1.5  # sub-frames included
    for obj in movers:
        r, t = _engine_pose(scene, obj)
        np.testing.assert_allclose(got[obj].matrix[:, :3, :3], r, atol=TOL, err_msg=obj)
        np.testing.assert_allclose(got[obj].matrix[:, :3, 3], t, atol=TOL, err_msg=obj)
    lens = got["cam"].lens
    assert np.ptp(scene["cam.focal_length"]) > 10.0  # a real zoom
    np.testing.assert_allclose(lens, scene["cam.focal_length"], atol=TOL)


def test_fbx_header_is_what_unreal_expects(tmp_path, scene):
    from io_scene_fbx import parse_fbx

    out = write_unreal(scene, tmp_path / "shot.fbx")
    root, _ = parse_fbx.parse(str(out))

    def children(elem, name: bytes) -> list:
        return [c for c in elem.elems if c.id == name]

    def props(elem) -> dict[bytes, list]:
        return {p.props[0]: p.props[4:] for p in children(children(elem, b"Properties70")[0],
                                                            b"P")}

    settings = props(children(root, b"GlobalSettings")[0])
    assert settings[b"UpAxis"] == [2] and settings[b"UpAxisSign"] == [1]  # Z up
    assert settings[b"FrontAxis"] == [1] and settings[b"FrontAxisSign"] == [-1]  # -Y front
    assert settings[b"CoordAxis"] == [0] and settings[b"CoordAxisSign"] == [1]  # right-handed
    assert settings[b"UnitScaleFactor"] == [100.0]  # 1 unit = 100 cm: values in metres
    models = children(children(root, b"Objects")[0], b"Model")
    assert len(models) == 6
    for model in models:
        np.testing.assert_allclose(props(model)[b"Lcl Scaling"], 1.0, atol=1e-6)


def test_script_keys_equal_the_engine(tmp_path, scene):
    out = write_unreal(scene, tmp_path / "shot.fbx")
    data = script_data(script_path(out).read_text("utf-8"))
    plan = plan_unreal_sequence(scene)
    assert data["fbx"] == "shot.fbx" and data["sequence_path"] == "/Game/MOKS/shot"
    assert data["frame_rate"] == [24, 1] and data["playback"] == list(plan.playback)
    assert data["frames"] == plan.frame_numbers.tolist()
    assert data["sub_frames"] == plan.sub_frames.tolist()
    assert [a["name"] for a in data["actors"]] == [a.name for a in plan.actors]
    keyed = 0
    for actor, spec in zip(data["actors"], plan.actors, strict=True):
        assert actor["actor_class"] == spec.actor_class
        want = [t for t in spec.tracks if t.track_class != TRANSFORM_TRACK]
        assert [t["property_path"] for t in actor["tracks"]] == [t.property_path for t in want]
        for track, t in zip(actor["tracks"], want, strict=True):
            for (name, values), (want_name, want_values) in zip(track["channels"], t.channels,
                                                                 strict=True):
                assert name == want_name
                held = want_values[:1] if np.all(want_values == want_values[0]) else want_values
                assert values == held.tolist()  # exact: repr round-trips a float
                keyed += len(values)
    cam = next(a for a in data["actors"] if a["name"] == "cam")
    assert cam["actor_class"] == "CineCameraActor"
    focal = next(t for t in cam["tracks"] if t["property_name"] == "CurrentFocalLength")
    np.testing.assert_array_equal(focal["channels"][0][1], scene["cam.focal_length"])
    key = next(a for a in data["actors"] if a["name"] == "key")
    intensity = next(t for t in key["tracks"] if t["property_name"] == "Intensity")
    assert len(intensity["channels"][0][1]) == len(scene.time)
    assert keyed > 10 * len(scene.time)


def test_script_body_calls_the_documented_api(tmp_path, scene, unreal_stand_in):
    out = write_unreal(scene, tmp_path / "shot.fbx")
    ue = unreal_stand_in(script_path(out))
    data = script_data(script_path(out).read_text("utf-8"))
    tools = ue.AssetToolsHelpers.get_asset_tools.return_value
    tools.create_asset.assert_called_once_with("shot", "/Game/MOKS", ue.LevelSequence,
                                               ue.LevelSequenceFactoryNew.return_value)
    sequence = tools.create_asset.return_value
    sequence.set_display_rate.assert_called_once_with(ue.FrameRate.return_value)
    ue.FrameRate.assert_called_once_with(24, 1)
    spawned = ue.get_editor_subsystem.return_value.spawn_actor_from_class
    assert spawned.call_count == len(data["actors"])
    channel = sequence.add_possessable.return_value.add_track.return_value.add_section \
        .return_value.get_all_channels.return_value.__getitem__.return_value
    keys = [c.args for c in channel.add_key.call_args_list]
    want = sum(len(v) for a in data["actors"] for t in a["tracks"] for _, v in t["channels"])
    assert len(keys) == want
    focal = [k for k in keys if k[1] in set(scene["cam.focal_length"].tolist())]
    assert [(k[0][1], k[2]) for k in focal[:3]] == [(1, 0.0), (1, 0.5), (2, 0.0)]
    call = ue.SequencerTools.import_level_sequence_fbx.call_args
    assert call.args[4] == str(out) and len(call.args[2]) == len(data["actors"])


def _plan_named(scene: Channels, name: str):
    plan = plan_unreal_sequence(scene)
    actors = (dataclasses.replace(plan.actors[0], name=name), *plan.actors[1:])
    return dataclasses.replace(plan, actors=actors)


@pytest.mark.parametrize("name", ['a"b', "it's", "x'); import os; os.system('rm -rf /') #",
                                  '"""', "back\\slash", "ünïcode ✓"])
def test_names_with_quotes_stay_data(scene, name):
    text = unreal_script(_plan_named(scene, name), sequence_path="/Game/MOKS/s",
                         fbx=f"{name}.fbx")
    tree = ast.parse(text)
    kinds = [type(n).__name__ for n in tree.body]
    assert kinds.count("Assign") == 1 and "Expr" in kinds
    assert all(k in ("Expr", "Import", "Assign", "FunctionDef", "If") for k in kinds)
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert names == ["_here", "_sequence", "_settings", "_key_track", "_look", "_ambient",
                     "_link", "build"]
    data = script_data(text)
    assert data["actors"][0]["name"] == name and data["fbx"] == f"{name}.fbx"


@pytest.mark.parametrize("bad", ["two\nlines", "cr\r", "nul\x00", "tab\t", "sep\u2028"])
def test_control_characters_are_refused(scene, bad):
    with pytest.raises(ValueError, match="control character") as err:
        unreal_script(_plan_named(scene, bad), sequence_path="/Game/MOKS/s", fbx="s.fbx")
    assert repr(bad) in str(err.value) and DATA_NAME in str(err.value)


LOOK = {"config": "moks_look_x.ocio", "working_space": "lin_rec709", "display": "sRGB",
        "view": "Film x", "asset_path": "/Game/MOKS/moks_look_x"}
AMBIENT = {"image": "moks_ambient_0.exr", "intensity": 2.0, "texture_path": "/Game/MOKS/a",
           "name": "moks_ambient"}


@pytest.mark.parametrize(("record", "key", "bad"), [
    ("look", "config", "x.ocio\nimport os"), ("look", "view", "Film\rx"),
    ("ambient", "image", "a\x00.exr"), ("ambient", "name", "sky\u2028")])
def test_look_and_ambient_records_refuse_control_characters(scene, record, key, bad):
    records = {"look": dict(LOOK), "ambient": dict(AMBIENT)}
    records[record][key] = bad
    with pytest.raises(ValueError, match="control character") as err:
        unreal_script(plan_unreal_sequence(scene), sequence_path="/Game/MOKS/s", fbx="s.fbx",
                      **records)
    assert f"{DATA_NAME}.{record}.{key}" in str(err.value)


def test_look_and_ambient_records_stay_data(scene):
    look = {**LOOK, "view": "Film x'); import os #"}
    text = unreal_script(plan_unreal_sequence(scene), sequence_path="/Game/MOKS/s",
                         fbx="s.fbx", look=look, ambient=AMBIENT)
    data = script_data(text)
    assert data["look"] == look and data["ambient"] == AMBIENT
    with pytest.raises(ValueError, match="lacks texture_path"):
        unreal_script(plan_unreal_sequence(scene), sequence_path="/Game/MOKS/s", fbx="s.fbx",
                      ambient={k: v for k, v in AMBIENT.items() if k != "texture_path"})
    with pytest.raises(ValueError, match="asset path"):
        unreal_script(plan_unreal_sequence(scene), sequence_path="/Game/MOKS/s", fbx="s.fbx",
                      look={**LOOK, "asset_path": "moks_look_x"})


def test_file_name_with_a_newline_writes_nothing(tmp_path, scene):
    with pytest.raises(ValueError, match="FBX file name"):
        write_unreal(scene, tmp_path / "shot\nimport os.fbx")
    assert list(tmp_path.iterdir()) == []


def test_sequence_asset_name_is_sanitised():
    assert sequence_path("/x/my shot 'A'.fbx") == "/Game/MOKS/my_shot__A_"


def test_failed_bake_leaves_no_file(tmp_path, scene):
    bad = Channels(scene.time, {**scene.values, "cam.tx": np.full(len(scene.time), np.nan)},
                   scene.kinds)
    with pytest.raises(ValueError, match="NaN"):
        write_unreal(bad, tmp_path / "shot.fbx")
    assert list(tmp_path.iterdir()) == []


def test_moks_bake_host_unreal(tmp_path):
    import moks_graph as mg

    result = bake(mg.load(GRAPH), "unreal", tmp_path / "walk.fbx")
    names = {p.name for p in tmp_path.iterdir()}
    assert {"walk.fbx", "walk.py"} <= names and not any(".tmp" in n for n in names)
    assert result.path.read_bytes()[:18] == b"Kaydara FBX Binary"
    data = script_data((tmp_path / "walk.py").read_text("utf-8"))
    assert set(data["side_files"]) == names - {"walk.fbx", "walk.py"}  # look files, if any
    assert {a["name"] for a in data["actors"]} >= {"camera", "key", "fill", "subject"}


LINKED = Path(__file__).resolve().parents[3] / "graphs" / "handheld_follow_walk_away.mgraph"


@pytest.fixture(scope="module")
def linked(tmp_path_factory) -> tuple[Path, Channels]:
    """``moks bake --host unreal --link-to-target`` of a starter whose key, fill, rim and
    camera follow a walking subject (a handheld: the camera's aim is off the subject by up to
    2 deg of shake), and the engine's channels."""
    graph = mg.load(LINKED)
    out = tmp_path_factory.mktemp("linked") / "walk.fbx"
    result = bake(graph, "unreal", out, link_to_target=True, look=False, ambient=False)
    return script_path(result.path), result.channels


def _keys(actor: dict, n: int) -> tuple[np.ndarray, ...]:
    """The six transform channels of a script actor, each held key spread over ``n``."""
    track = next(t for t in actor["tracks"] if t["track_class"] == TRANSFORM_TRACK)
    return tuple(np.broadcast_to(np.asarray(v, np.float64), (n,)) for _, v in track["channels"])


def _world(parent: tuple[np.ndarray, ...], relative: tuple[np.ndarray, ...]):
    """Unreal's ``parent * relative``: world location (N, 3) and rotation matrices."""
    rp = units.unreal_rotator_to_matrix(*parent[3:])
    loc = np.stack(parent[:3], -1) + np.einsum("nij,nj->ni", rp, np.stack(relative[:3], -1))
    return loc, rp @ units.unreal_rotator_to_matrix(*relative[3:])


def test_linked_script_keys_give_the_engine_world_at_every_sample(linked):
    """Each linked actor's relative keys, composed with its parent the way Unreal composes an
    attachment, give the engine's world transform (cm, rotation matrix entries); the aim's
    keyed rotation is what its look-at tracking computes (Unreal's FVector::Rotation() of the
    direction to the subject, roll 0), so tracking leaves the baked numbers unchanged."""
    script, channels = linked
    data = script_data(script.read_text("utf-8"))
    n = len(channels.time)
    engine = {a.name: tuple(v for _, v in next(t for t in a.tracks
                                                if t.track_class == TRANSFORM_TRACK).channels)
              for a in plan_unreal_sequence(channels).actors if a.kind != "atmosphere"}
    actors = {a["name"]: a for a in data["actors"]}
    assert data["links"] == {"attach": [["fill", "subject"], ["key", "subject"],
                                        ["rim", "subject"], ["camera", "camera_aim"]],
                             "track": [["camera_aim", "subject"]]}
    for child, parent in data["links"]["attach"]:
        base = _keys(actors[parent], n) if parent == "camera_aim" else engine[parent]
        loc, rot = _world(base, _keys(actors[child], n))
        np.testing.assert_allclose(loc, np.stack(engine[child][:3], -1), atol=1e-6)
        np.testing.assert_allclose(rot, units.unreal_rotator_to_matrix(*engine[child][3:]),
                                   atol=1e-9)
    aim = _keys(actors["camera_aim"], n)
    to = np.stack(engine["subject"][:3], -1) - np.stack(aim[:3], -1)
    yaw = np.degrees(np.arctan2(to[:, 1], to[:, 0]))
    pitch = np.degrees(np.arctan2(to[:, 2], np.hypot(to[:, 0], to[:, 1])))
    np.testing.assert_allclose(units.unreal_rotator_to_matrix(np.zeros(n), pitch, yaw),
                               units.unreal_rotator_to_matrix(*aim[3:]), atol=1e-9)
    np.testing.assert_allclose(np.stack(aim[:3], -1), np.stack(engine["camera"][:3], -1),
                               atol=1e-9)
    off = np.degrees(np.arccos(np.clip(np.einsum(
        "ni,ni->n", units.unreal_rotator_to_matrix(*aim[3:])[:, :, 0],
        units.unreal_rotator_to_matrix(*engine["camera"][3:])[:, :, 0]), -1, 1)))
    assert off.max() > 0.5, "the handheld camera is off the plain look-at: the aim keeps it"


def test_linked_script_attaches_and_tracks_in_unreal(linked, unreal_stand_in):
    script, _ = linked
    data = script_data(script.read_text("utf-8"))
    ue = unreal_stand_in(script)
    made = {actor.set_actor_label.call_args.args[0]: actor for actor in ue.spawned_actors}
    assert sorted(made) == sorted(a["name"] for a in data["actors"])
    keep = ue.AttachmentRule.KEEP_WORLD
    for child, parent in data["links"]["attach"]:
        made[child].attach_to_actor.assert_called_once_with(made[parent], "", keep, keep, keep,
                                                            False)
    tracking = ue.CameraLookatTrackingSettings.return_value
    set_calls = dict(c.args for c in tracking.set_editor_property.call_args_list)
    assert set_calls == {"enable_look_at_tracking": True, "actor_to_track": made["subject"],
                         "look_at_tracking_interp_speed": 0.0, "allow_roll": False}
    made["camera_aim"].set_editor_property.assert_called_once_with("lookat_tracking_settings",
                                                                   tracking)
    assert data["actors"][-1]["actor_class"] == "CineCameraActor"
    fbx = ue.SequencerTools.import_level_sequence_fbx.call_args
    keyed = {c for c, _ in data["links"]["attach"]} | {"camera_aim"}
    assert len(fbx.args[2]) == len(data["actors"]) - len(keyed)


def test_link_to_target_reaches_unreal_from_the_cli(tmp_path):
    from click.testing import CliRunner

    from moks_graph.cli import main

    out = tmp_path / "walk.fbx"
    ok = CliRunner().invoke(main, ["bake", str(LINKED.parent / "tripod_walk_to_mark.mgraph"),
                                   "--host", "unreal", "--out", str(out), "--link-to-target",
                                   "--no-look", "--no-ambient"])
    assert ok.exit_code == 0, ok.output
    links = script_data(script_path(out).read_text("utf-8"))["links"]
    assert ["key", "subject"] in links["attach"] and links["track"] == [["camera_aim", "subject"]]
