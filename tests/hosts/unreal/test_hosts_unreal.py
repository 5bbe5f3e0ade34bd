"""Unreal host: the Level Sequence plan (pure) and the adapter's calls against a fake `unreal`."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from moks_graph.hosts import units
from moks_graph.hosts.unreal import adapter
from moks_graph.hosts.unreal.mapping import (
    COLOR_TRACK,
    FLOAT_TRACK,
    TRANSFORM_CHANNELS,
    TRANSFORM_TRACK,
    plan_unreal_sequence,
    split_frames,
)
from moks_graph.nodes.imaging.colorimetry import cct_to_rgb


def _actor(plan, name):
    return next(a for a in plan.actors if a.name == name)


def _track(actor, prop):
    return next(t for t in actor.tracks if t.property_name == prop)


def test_split_frames_for_subframe_keys():
    whole, sub = split_frames(np.array([1.0, 1.5, 2.0, -0.5, -1.0]))
    np.testing.assert_array_equal(whole, [1, 1, 2, -1, -1])
    np.testing.assert_allclose(sub, [0.0, 0.5, 0.0, 0.5, 0.0])
    assert whole.dtype == np.int64


def test_plan_actors_and_report(scene):
    plan = plan_unreal_sequence(scene)
    assert plan.frame_rate == (24, 1)
    assert plan.playback == (1, 25)
    classes = {a.name: a.actor_class for a in plan.actors}
    assert classes == {"bulb": "PointLight", "cam": "CineCameraActor", "key": "SpotLight",
                       "soft": "RectLight", "sun": "DirectionalLight", "target": "TargetPoint",
                       "atmos": "ExponentialHeightFog"}  # the fog (issue 17)
    report = "\n".join(plan.report)
    assert "atmos.fog_density" not in report
    for name in ("cam.buffet", "bulb.flicker", "bulb.size", "soft.tint",
                 "key.exposure_ev"):
        assert name in report
    np.testing.assert_array_equal(plan.frame_numbers + plan.sub_frames, scene.time.frames)


def test_transform_track_matches_unit_conversion(scene):
    plan = plan_unreal_sequence(scene)
    cam = _actor(plan, "cam")
    tr = _track(cam, "Transform")
    assert tr.track_class == TRANSFORM_TRACK and not tr.on_component
    assert tuple(name for name, _ in tr.channels) == TRANSFORM_CHANNELS
    want = units.to_unreal_transform(*(scene[f"cam.{a}"] for a in
                                       ("tx", "ty", "tz", "rx", "ry", "rz")))
    for (_, values), w in zip(tr.channels, want, strict=True):
        np.testing.assert_array_equal(values, w)
    loc_y = dict(tr.channels)["Location.Y"]
    np.testing.assert_allclose(loc_y, -100 * scene["cam.ty"])  # left-handed mirror, cm
    assert np.abs(np.diff(dict(tr.channels)["Rotation.Z"])).max() < 10  # continuous yaw


def test_camera_and_light_properties(scene):
    plan = plan_unreal_sequence(scene)
    cam = _actor(plan, "cam")
    assert cam.component_class == "CineCameraComponent"
    assert ("focus_method", "MANUAL") in cam.settings
    fd = _track(cam, "ManualFocusDistance")
    assert fd.property_path == "FocusSettings.ManualFocusDistance"
    np.testing.assert_allclose(fd.channels[0][1], 100 * scene["cam.focus_distance"])
    np.testing.assert_allclose(_track(cam, "CurrentFocalLength").channels[0][1],
                               scene["cam.focal_length"])
    assert _track(cam, "SensorWidth").property_path == "Filmback.SensorWidth"
    key = _actor(plan, "key")
    assert ("intensity_units", "CANDELAS") in key.settings
    assert ("use_temperature", False) in key.settings  # the colour carries the CCT
    outer = _track(key, "OuterConeAngle").channels[0][1]
    np.testing.assert_allclose(outer, scene["key.spot_angle"] / 2)
    np.testing.assert_allclose(_track(key, "InnerConeAngle").channels[0][1],
                               outer * (1 - scene["key.spot_blend"]))
    # LightColor is an FColor (<= 1): its peak moves into Intensity; the product is the same
    peak = cct_to_rgb(scene["key.color_temperature"]).max(axis=1)
    np.testing.assert_allclose(_track(key, "Intensity").channels[0][1],
                               scene["key.intensity"] * peak)
    key_rgb = cct_to_rgb(scene["key.color_temperature"]) / peak[:, None]
    for i, c in enumerate("RGB"):
        np.testing.assert_allclose(dict(_track(key, "LightColor").channels)[c], key_rgb[:, i])
    assert not [t for t in key.tracks if t.property_name == "Temperature"]
    bulb = _actor(plan, "bulb")
    color = _track(bulb, "LightColor")
    assert color.track_class == COLOR_TRACK
    np.testing.assert_allclose(dict(color.channels)["G"], scene["bulb.color_g"])
    np.testing.assert_allclose(dict(color.channels)["A"], 1.0)
    sun = _actor(plan, "sun")
    assert ("intensity_units", "CANDELAS") not in sun.settings  # directional: lux
    assert _track(sun, "Intensity").track_class == FLOAT_TRACK


def test_rect_light_size_in_cm(make_scene_fn):
    from moks_graph.channels import Channels

    ch = make_scene_fn()
    n = len(ch.time)
    ch = Channels(ch.time, {**ch.values, "soft.size": np.linspace(1.0, 2.0, n)}, ch.kinds)
    soft = _actor(plan_unreal_sequence(ch), "soft")
    np.testing.assert_allclose(_track(soft, "SourceWidth").channels[0][1],
                               np.linspace(100.0, 200.0, n))
    np.testing.assert_allclose(_track(soft, "Intensity").channels[0][1], ch["soft.intensity"])


def test_static_actor_spawns_at_internal_rest():
    from moks_graph.channels import Channels
    from moks_graph.timebase import time_array

    t = time_array(1, 2, 24.0)
    plan = plan_unreal_sequence(Channels(t, {"lamp.intensity": [1.0, 2.0]},
                                         {"lamp": "light.point"}))
    lamp = plan.actors[0]
    assert [tr.property_name for tr in lamp.tracks] == ["Intensity"]
    # internal rest looks straight down: pitch -90 (yaw -90, roll 0)
    np.testing.assert_allclose(lamp.spawn, (0, 0, 0, 0, -90, -90), atol=1e-9)


def test_ntsc_frame_rate(make_scene_fn):
    plan = plan_unreal_sequence(make_scene_fn(fps=24000 / 1001))
    assert plan.frame_rate == (24000, 1001)


def test_sequence_path_and_key_stream(scene):
    assert adapter.split_sequence_path("/Game/MOKS/shot010") == ("/Game/MOKS", "shot010")
    with pytest.raises(ValueError, match="sequence_path"):
        adapter.split_sequence_path("shot010")
    plan = plan_unreal_sequence(scene)
    keys = list(adapter.key_stream(plan, np.arange(len(scene.time), dtype=float)))
    assert keys[:3] == [(1, 0.0, 0.0), (1, 0.5, 1.0), (2, 0.0, 2.0)]
    with pytest.raises(ValueError, match="shape"):
        list(adapter.key_stream(plan, np.zeros(3)))
    assert list(adapter.key_stream(plan, np.full(len(scene.time), 35.0))) == [(1, 0.0, 35.0)]


def _fake_unreal(monkeypatch):
    log: list[tuple] = []
    ue = types.ModuleType("unreal")

    class _Obj:
        def __init__(self, tag):
            self.tag = tag
            self.props: dict = {}

        def set_editor_property(self, k, v):
            self.props[k] = v
            log.append(("set", self.tag, k, v))

        def get_editor_property(self, k):
            return self.props.setdefault(k, _Obj(f"{self.tag}.{k}"))

    class _Channel:
        def __init__(self, tag):
            self.tag = tag

        def add_key(self, frame, value, sub, unit, interp):
            log.append(("key", self.tag, frame.value, sub, value, unit, interp))

    class _Section:
        def __init__(self, tag):
            self.tag = tag

        def set_range(self, a, b):
            log.append(("range", self.tag, a, b))

        def get_all_channels(self):
            return [_Channel(f"{self.tag}#{i}") for i in range(10)]

    class _Track:
        def __init__(self, tag):
            self.tag = tag

        def set_property_name_and_path(self, name, path):
            log.append(("property", self.tag, name, path))

        def add_section(self):
            return _Section(self.tag)

    class _Binding:
        def __init__(self, tag):
            self.tag = tag

        def add_track(self, cls):
            return _Track(f"{self.tag}/{cls}")

    class _Sequence(_Obj):
        def set_display_rate(self, rate):
            log.append(("rate", rate))

        def set_playback_start(self, f):
            log.append(("start", f))

        def set_playback_end(self, f):
            log.append(("end", f))

        def add_possessable(self, obj):
            return _Binding(obj.tag)

    class _Actor(_Obj):
        def set_actor_label(self, label):
            self.tag = label

        def get_component_by_class(self, cls):
            return _Obj(f"{self.tag}:{cls}")

    class _Subsystem:
        def spawn_actor_from_class(self, cls, loc, rot):
            log.append(("spawn", cls, loc, rot))
            return _Actor(cls)

    ue.load_asset = lambda path: None
    ue.AssetToolsHelpers = types.SimpleNamespace(get_asset_tools=lambda: types.SimpleNamespace(
        create_asset=lambda name, folder, cls, factory: _Sequence(f"{folder}/{name}")))
    ue.LevelSequence = "LevelSequence"
    ue.LevelSequenceFactoryNew = lambda: None
    ue.FrameRate = lambda n, d: (n, d)
    ue.FrameNumber = lambda v: types.SimpleNamespace(value=v)
    ue.Vector = lambda *v: v
    ue.Rotator = lambda roll, pitch, yaw: ("rot", roll, pitch, yaw)
    ue.get_editor_subsystem = lambda cls: _Subsystem()
    ue.EditorActorSubsystem = "EditorActorSubsystem"
    ue.MovieSceneTimeUnit = types.SimpleNamespace(DISPLAY_RATE="DISPLAY_RATE")
    ue.MovieSceneKeyInterpolation = types.SimpleNamespace(LINEAR="LINEAR")
    ue.ComponentMobility = types.SimpleNamespace(MOVABLE="MOVABLE")
    ue.LightUnits = types.SimpleNamespace(CANDELAS="CANDELAS")
    ue.CameraFocusMethod = types.SimpleNamespace(MANUAL="MANUAL")
    ue.log_warning = lambda msg: log.append(("warn", msg))
    for name in ("CineCameraActor", "PointLight", "SpotLight", "RectLight", "DirectionalLight",
                 "TargetPoint", "CineCameraComponent", "PointLightComponent",
                 "SpotLightComponent", "RectLightComponent", "DirectionalLightComponent",
                 "ExponentialHeightFog", "ExponentialHeightFogComponent",
                 "MovieScene3DTransformTrack", "MovieSceneFloatTrack", "MovieSceneColorTrack"):
        setattr(ue, name, name)
    monkeypatch.setitem(sys.modules, "unreal", ue)
    return log


def test_apply_to_unreal_keys_every_sample(monkeypatch, scene):
    log = _fake_unreal(monkeypatch)
    adapter.apply_to_unreal(scene, "/Game/MOKS/shot")
    plan = plan_unreal_sequence(scene)
    assert ("rate", (24, 1)) in log and ("start", 1) in log and ("end", 25) in log
    spawns = [e for e in log if e[0] == "spawn"]
    assert len(spawns) == len(plan.actors)
    cam_spawn = next(e for e in spawns if e[1] == "CineCameraActor")
    first = [a[0] for a in units.to_unreal_transform(
        *(scene[f"cam.{a}"][:1] for a in ("tx", "ty", "tz", "rx", "ry", "rz")))]
    np.testing.assert_allclose(cam_spawn[2], first[:3])
    np.testing.assert_allclose(cam_spawn[3][1:], first[3:])
    keys = [e for e in log if e[0] == "key"]
    channels = [v for a in plan.actors for t in a.tracks for _, v in t.channels]
    held = [v for v in channels if np.all(v == v[0])]  # constants: one key, held
    assert held and len(keys) == (len(channels) - len(held)) * len(scene.time) + len(held)
    # Rotation.Z (yaw) of the camera: channel index 5 of the transform section
    yaw = [e for e in keys if e[1] == "cam/MovieScene3DTransformTrack#5"]
    want = units.to_unreal_transform(*(scene[f"cam.{a}"] for a in
                                       ("tx", "ty", "tz", "rx", "ry", "rz")))[5]
    np.testing.assert_allclose([e[4] for e in yaw], want)
    assert [(e[2], e[3]) for e in yaw[:2]] == [(1, 0.0), (1, 0.5)]
    assert all(e[5] == "DISPLAY_RATE" and e[6] == "LINEAR" for e in keys)
    assert ("property", "cam:CineCameraComponent/MovieSceneFloatTrack", "ManualFocusDistance",
            "FocusSettings.ManualFocusDistance") in log
    assert any(e[0] == "set" and e[2] == "focus_method" and e[3] == "MANUAL" for e in log)
    assert any(e[0] == "set" and e[2] == "intensity_units" and e[3] == "CANDELAS" for e in log)
    assert any(e[0] == "warn" and "atmos.wind_x" in e[1] for e in log)
    # the fog (issue 17): an ExponentialHeightFog keyed with FogDensity, uniform falloff
    assert ("property", "atmos:ExponentialHeightFogComponent/MovieSceneFloatTrack",
            "FogDensity", "FogDensity") in log
    assert any(e[0] == "set" and e[2] == "fog_height_falloff" for e in log)
