"""USD writer/reader: round trips, stage layout and metadata, validation, bad input."""

from __future__ import annotations

import os

import numpy as np
import pytest

pxr = pytest.importorskip("pxr")

from pxr import Usd, UsdGeom, UsdLux  # noqa: E402

from moks_graph import rotations  # noqa: E402
from moks_graph.channels import Channels  # noqa: E402
from moks_graph.hosts import units  # noqa: E402
from moks_graph.hosts.usd import writer as usd_writer  # noqa: E402
from moks_graph.hosts.usd.reader import read_usd  # noqa: E402
from moks_graph.hosts.usd.writer import validate_usd, write_usd  # noqa: E402
from moks_graph.nodes.imaging.colorimetry import cct_to_rgb  # noqa: E402

# Float32 schema attributes (lens, light inputs) and quatf orients bound the precision.
ANGLE_ATOL = 1e-4  # degrees


def _prim(stage, name):
    prim = stage.GetPrimAtPath(f"/World/{name}")
    assert prim.IsValid(), name
    return prim


def test_round_trip_usda(tmp_path, scene, channels_close):
    path = write_usd(scene, tmp_path / "shot.usda")
    assert path == str(tmp_path / "shot.usda")
    back = read_usd(path)
    channels_close(back, scene, rtol=1e-6, atol=1e-6, angle_atol=ANGLE_ATOL)


def test_round_trip_usdc_y_up_metres(tmp_path, scene, channels_close):
    path = write_usd(scene, tmp_path / "shot.usdc", up_axis="Y", meters_per_unit=1.0)
    stage = Usd.Stage.Open(path)
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.y
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    cam = UsdGeom.Camera(_prim(stage, "cam"))
    # tenths of a metre: 35 mm -> 0.35
    assert cam.GetFocalLengthAttr().Get(Usd.TimeCode(1)) == pytest.approx(0.35, rel=1e-6)
    channels_close(read_usd(path), scene, rtol=1e-6, atol=1e-6, angle_atol=ANGLE_ATOL)


def test_stage_metadata_and_layout(tmp_path, scene):
    path = write_usd(scene, tmp_path / "shot.usda")
    stage = Usd.Stage.Open(path)
    assert UsdGeom.GetStageMetersPerUnit(stage) == 0.01
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.z
    assert stage.GetTimeCodesPerSecond() == 24.0
    assert stage.GetFramesPerSecond() == 24.0
    assert stage.GetStartTimeCode() == 1.0 and stage.GetEndTimeCode() == 24.0
    assert stage.GetDefaultPrim().GetPath() == "/World"
    assert _prim(stage, "cam").IsA(UsdGeom.Camera)
    assert _prim(stage, "bulb").IsA(UsdLux.SphereLight)
    key = _prim(stage, "key")
    assert key.IsA(UsdLux.SphereLight) and key.HasAPI(UsdLux.ShapingAPI)
    assert not _prim(stage, "bulb").HasAPI(UsdLux.ShapingAPI)
    assert _prim(stage, "soft").IsA(UsdLux.RectLight)
    assert _prim(stage, "sun").IsA(UsdLux.DistantLight)
    assert _prim(stage, "target").IsA(UsdGeom.Xform)
    atmos = stage.GetPrimAtPath("/World/Atmosphere")
    assert atmos.IsA(UsdGeom.Scope)
    assert atmos.GetAttribute("moks:fog_density").GetNumTimeSamples() == len(scene.time)
    for name in ("cam", "bulb", "key", "soft", "sun", "target"):
        xf = UsdGeom.Xformable(_prim(stage, name))
        ops = xf.GetOrderedXformOps()
        assert [op.GetOpName() for op in ops] == ["xformOp:translate", "xformOp:orient",
                                                  "xformOp:scale"]
        assert ops[1].GetAttr().GetTypeName() == "quatd"  # float32 loses tiny turns
        assert not any(op.GetOpType() == UsdGeom.XformOp.TypeTransform for op in ops)


def test_validators_find_no_errors(tmp_path, scene):
    path = write_usd(scene, tmp_path / "shot.usda")
    assert validate_usd(path) == []
    # and the validator does catch a broken stage (so the check can fail)
    bad = Usd.Stage.CreateNew(str(tmp_path / "bad.usda"))
    UsdGeom.Xform.Define(bad, "/World")
    bad.GetRootLayer().Save()
    assert validate_usd(tmp_path / "bad.usda") != []


def test_time_codes_are_frames_with_subframes(tmp_path, scene):
    path = write_usd(scene, tmp_path / "shot.usda")
    stage = Usd.Stage.Open(path)
    attr = UsdGeom.Camera(_prim(stage, "cam")).GetFocalLengthAttr()
    assert attr.GetTimeSamples() == list(scene.time.frames)
    assert 1.5 in attr.GetTimeSamples()
    i = int(np.where(scene.time.frames == 1.5)[0][0])
    assert attr.Get(Usd.TimeCode(1.5)) == pytest.approx(scene["cam.focal_length"][i], rel=1e-6)


def test_light_and_camera_values(tmp_path, scene):
    stage = Usd.Stage.Open(write_usd(scene, tmp_path / "shot.usda"))
    t0 = Usd.TimeCode(1)
    bulb = UsdLux.SphereLight(_prim(stage, "bulb"))
    r_cm = bulb.GetRadiusAttr().Get(t0)
    assert r_cm == pytest.approx(100 * scene["bulb.size"][0] / 2, rel=1e-6)
    r_m = r_cm / 100
    assert bulb.GetIntensityAttr().Get(t0) == pytest.approx(
        scene["bulb.intensity"][0] / (np.pi * r_m**2), rel=1e-6)
    assert bulb.GetExposureAttr().Get() == 0.0
    assert bulb.GetNormalizeAttr().Get() is False
    key = _prim(stage, "key")
    shaping = UsdLux.ShapingAPI(key)
    assert shaping.GetShapingConeAngleAttr().Get(t0) == pytest.approx(
        scene["key.spot_angle"][0] / 2, rel=1e-6)
    assert shaping.GetShapingConeSoftnessAttr().Get(t0) == pytest.approx(
        scene["key.spot_blend"][0], rel=1e-6)
    key_light = UsdLux.SphereLight(key)
    # one colour rule (units.light_color): the colour carries the CCT, UsdLux's blackbody is off
    assert key_light.GetEnableColorTemperatureAttr().Get() is False
    assert key.GetAttribute("moks:color_temperature").Get(t0) == pytest.approx(3200.0)
    np.testing.assert_allclose(key_light.GetColorAttr().Get(t0), cct_to_rgb(3200.0), rtol=1e-6)
    # no size channel: default sphere, static radius
    assert key_light.GetRadiusAttr().GetNumTimeSamples() == 0
    assert key_light.GetRadiusAttr().Get() == pytest.approx(
        100 * units.DEFAULT_SPHERE_SIZE_M / 2)
    soft = UsdLux.RectLight(_prim(stage, "soft"))
    assert soft.GetWidthAttr().Get() == pytest.approx(100 * units.DEFAULT_AREA_SIZE_M)
    assert soft.GetIntensityAttr().Get(t0) == pytest.approx(
        scene["soft.intensity"][0] / units.DEFAULT_AREA_SIZE_M**2, rel=1e-6)
    sun = UsdLux.DistantLight(_prim(stage, "sun"))
    assert sun.GetNormalizeAttr().Get() is True
    assert sun.GetIntensityAttr().Get(t0) == pytest.approx(scene["sun.intensity"][0], rel=1e-6)
    cam = UsdGeom.Camera(_prim(stage, "cam"))
    assert cam.GetFocalLengthAttr().Get(t0) == pytest.approx(35.0)
    assert cam.GetHorizontalApertureAttr().Get(t0) == pytest.approx(36.0)
    assert cam.GetVerticalApertureAttr().Get(t0) == pytest.approx(24.0)
    assert cam.GetFocusDistanceAttr().Get(t0) == pytest.approx(
        100 * scene["cam.focus_distance"][0], rel=1e-6)
    assert _prim(stage, "cam").GetAttribute("moks:buffet").GetNumTimeSamples() > 0


def test_camera_world_position_and_view_direction(tmp_path, scene):
    """Read the stage as a renderer would: local-to-world matrices give the same camera."""
    stage = Usd.Stage.Open(write_usd(scene, tmp_path / "shot.usda"))
    cache = UsdGeom.XformCache()
    for i in (0, 11, len(scene.time) - 1):
        cache.SetTime(Usd.TimeCode(float(scene.time.frames[i])))
        m = np.array(cache.GetLocalToWorldTransform(_prim(stage, "cam")))  # row vectors
        pos_m = m[3, :3] * 0.01
        np.testing.assert_allclose(pos_m, [scene["cam.tx"][i], scene["cam.ty"][i],
                                           scene["cam.tz"][i]], atol=1e-9)
        view = -m[2, :3] / np.linalg.norm(m[2, :3])  # local -Z in world
        want = -rotations.euler_angles_to_matrix(scene["cam.rx"][i], scene["cam.ry"][i],
                                          scene["cam.rz"][i])[0][:, 2]
        np.testing.assert_allclose(view, want, atol=1e-6)


def test_orient_samples_are_sign_continuous(tmp_path, scene):
    stage = Usd.Stage.Open(write_usd(scene, tmp_path / "shot.usda"))
    op = UsdGeom.Xformable(_prim(stage, "cam")).GetOrderedXformOps()[1]
    qs = []
    for t in op.GetAttr().GetTimeSamples():
        q = op.Get(Usd.TimeCode(t))
        qs.append([q.GetReal(), *q.GetImaginary()])
    q = np.array(qs)
    assert np.all(np.sum(q[1:] * q[:-1], axis=1) > 0.0)


def test_fps_override_and_23976(tmp_path, make_scene_fn, channels_close):
    ch = make_scene_fn(fps=24000 / 1001)
    path = write_usd(ch, tmp_path / "ntsc.usda")
    stage = Usd.Stage.Open(path)
    assert stage.GetTimeCodesPerSecond() == pytest.approx(24000 / 1001, rel=1e-12)
    channels_close(read_usd(path), ch, rtol=1e-6, atol=1e-6, angle_atol=ANGLE_ATOL)
    stage = Usd.Stage.Open(write_usd(ch, tmp_path / "fast.usda", fps=48.0))
    assert stage.GetFramesPerSecond() == 48.0
    assert stage.GetStartTimeCode() == 1.0


# --------------------------------------------------------------------------- bad input


def _listing(folder):
    return sorted(os.listdir(folder))


def test_unwritable_paths_raise_and_leave_nothing(tmp_path, scene):
    before = _listing(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_usd(scene, tmp_path / "missing" / "shot.usda")
    (tmp_path / "afile").write_text("x")
    before = _listing(tmp_path)
    with pytest.raises(NotADirectoryError, match="not a folder"):
        write_usd(scene, tmp_path / "afile" / "shot.usda")
    (tmp_path / "adir.usda").mkdir()
    before = _listing(tmp_path)
    with pytest.raises(IsADirectoryError):
        write_usd(scene, tmp_path / "adir.usda")
    with pytest.raises(ValueError, match="must end in"):
        write_usd(scene, tmp_path / "shot.abc")
    with pytest.raises(TypeError, match="path"):
        write_usd(scene, 42)  # type: ignore[arg-type]
    assert _listing(tmp_path) == before


def test_unknown_kind_and_bad_values_raise_before_writing(tmp_path, scene):
    hacked = Channels(scene.time, dict(scene.values), dict(scene.kinds))
    object.__setattr__(hacked, "kinds", {**hacked.kinds, "key": "light.laser"})
    with pytest.raises(ValueError, match=r"light\.laser"):
        write_usd(hacked, tmp_path / "shot.usda")
    nan = {**scene.values, "cam.tx": np.full(len(scene.time), np.nan)}
    with pytest.raises(ValueError, match=r"cam\.tx"):
        write_usd(Channels(scene.time, nan, scene.kinds), tmp_path / "shot.usda")
    two = Channels(scene.time, dict(scene.values), {**scene.kinds, "fog2": "atmosphere"})
    with pytest.raises(ValueError, match="one atmosphere"):
        write_usd(two, tmp_path / "shot.usda")
    with pytest.raises(ValueError, match="up_axis"):
        write_usd(scene, tmp_path / "shot.usda", up_axis="X")
    with pytest.raises(TypeError, match="Channels"):
        write_usd({"cam.tx": [0.0]}, tmp_path / "shot.usda")  # type: ignore[arg-type]
    assert _listing(tmp_path) == []


def test_failed_export_leaves_target_untouched(tmp_path, scene, monkeypatch):
    target = tmp_path / "shot.usda"
    target.write_text("previous version\n")
    real_build = usd_writer.build_stage

    def broken_build(*args, **kwargs):
        stage = real_build(*args, **kwargs)

        class _Layer:
            def Export(self, path):
                with open(path, "w") as fh:
                    fh.write("#usda 1.0\n(partial")
                return False

        class _Stage:
            def GetRootLayer(self):
                return _Layer()

        assert stage is not None
        return _Stage()

    monkeypatch.setattr(usd_writer, "build_stage", broken_build)
    with pytest.raises(OSError, match="could not export"):
        write_usd(scene, target)
    assert _listing(tmp_path) == ["shot.usda"]
    assert target.read_text() == "previous version\n"


def test_constant_channels_are_one_held_sample(tmp_path, scene, channels_close):
    path = write_usd(scene, tmp_path / "shot.usda")
    stage = Usd.Stage.Open(path)
    n = len(scene.time)
    cam = UsdGeom.Camera(_prim(stage, "cam"))
    # sensor_width/height hold one value: one sample, held at every time
    aperture = cam.GetHorizontalApertureAttr()
    assert aperture.GetNumTimeSamples() == 1
    assert aperture.Get(Usd.TimeCode(float(scene.time.frames[-1]))) == pytest.approx(36.0)
    assert cam.GetFocalLengthAttr().GetNumTimeSamples() == n  # animated: every sample
    # the bulb's orient (rx/ry/rz all zero) is constant, its translate is not
    bulb = UsdGeom.Xformable(_prim(stage, "bulb"))
    translate, orient, _ = bulb.GetOrderedXformOps()
    assert orient.GetAttr().GetNumTimeSamples() == 1
    assert translate.GetAttr().GetNumTimeSamples() == n
    recorded = stage.GetRootLayer().customLayerData[usd_writer.FRAMES_KEY]
    assert list(recorded) == list(scene.time.frames)
    channels_close(read_usd(path), scene, rtol=1e-6, atol=1e-6, angle_atol=ANGLE_ATOL)


def test_a_static_scene_keeps_every_frame(tmp_path, make_scene_fn, channels_close):
    moving = make_scene_fn(1, 12)
    still = Channels(moving.time, {k: np.full(len(moving.time), v[0]) for k, v in moving.items()},
                     moving.kinds)
    path = write_usd(still, tmp_path / "still.usdc")
    stage = Usd.Stage.Open(path)
    counts = {a.GetNumTimeSamples() for p in stage.Traverse() for a in p.GetAttributes()}
    assert counts <= {0, 1}
    back = read_usd(path)
    assert len(back.time) == len(moving.time)  # from customLayerData, not the samples
    channels_close(back, still, rtol=1e-6, atol=1e-6, angle_atol=ANGLE_ATOL)


def test_stages_from_elsewhere_use_the_union_of_time_samples(tmp_path, scene, channels_close):
    path = tmp_path / "shot.usda"
    write_usd(scene, path)
    stage = Usd.Stage.Open(str(path))
    layer = stage.GetRootLayer()
    layer.ClearCustomLayerData()
    layer.Save()
    assert usd_writer.FRAMES_KEY not in Usd.Stage.Open(str(path)).GetRootLayer().customLayerData
    channels_close(read_usd(path), scene, rtol=1e-6, atol=1e-6, angle_atol=ANGLE_ATOL)
