"""Pure Channels <-> Blender F-curve mapping (no bpy): targets, units, time, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from moks_graph.channels import OBJECT_KINDS, Channels
from moks_graph.hosts.blender import keyframes as kf
from moks_graph.timebase import TimeArray, time_array


@pytest.mark.parametrize("kind", sorted(OBJECT_KINDS))
def test_attribute_for_inverts_target_for(kind: str) -> None:
    for attr in [*kf.NATIVE_TARGETS[kind], "tint", "custom_thing"]:
        target = kf.target_for(kind, attr)
        assert kf.attribute_for(kind, target) == attr
    assert kf.attribute_for(kind, kf.Target("OBJECT", "scale", 0)) is None
    if kind == "atmosphere":
        assert kf.attribute_for(kind, kf.MIST_TARGET) is None


def test_targets_by_kind() -> None:
    assert kf.target_for("camera", "focal_length") == kf.Target("CAMERA", "lens")
    assert kf.target_for("camera", "focus_distance").data_path == "dof.focus_distance"
    assert kf.target_for("light.spot", "spot_angle") == kf.Target("LIGHT", "spot_size", 0,
                                                                  math.pi / 180)
    assert kf.target_for("light.area", "size") == kf.Target("LIGHT", "size")
    assert kf.target_for("light.point", "size") == kf.Target("LIGHT", "shadow_soft_size", 0, 0.5)
    # a sun has no length size and a point light no cone: custom properties
    assert kf.target_for("light.sun", "size") == kf.Target("OBJECT", '["moks_size"]')
    assert kf.target_for("light.point", "spot_angle").data_path == '["moks_spot_angle"]'
    assert kf.target_for("atmosphere", "fog_scatter") == kf.Target("WORLD",
                                                                   '["moks_fog_scatter"]')
    assert kf.target_for("atmosphere", "haze_b") == kf.Target(
        "NODETREE", 'nodes["MOKS Fog"].inputs["Color"].default_value', 2)
    with pytest.raises(ValueError, match="kind"):
        kf.target_for("light.tube", "size")


def _light_channels() -> Channels:
    t = time_array(0, 4, 24.0)
    i = np.array([1.0, 10.0, 100.0, 683.0, 0.0])
    return Channels(t, {
        "p.intensity": i, "p.size": np.full(5, 0.2),
        "s.intensity": i, "s.spot_angle": np.array([10.0, 20.0, 30.0, 90.0, 180.0]),
        "a.intensity": i, "u.intensity": i, "u.rx": np.array([0.0, 45.0, 90.0, 180.0, 720.0]),
        "f.fog_density": np.array([0.0, 0.1, 1.0, 2.0, math.log(20.0)]),
    }, {"p": "light.point", "s": "light.spot", "a": "light.area", "u": "light.sun",
        "f": "atmosphere"})


def test_blender_curves_units() -> None:
    ch = _light_channels()
    curves = {(c.obj, c.attr, c.target.data_path): c for c in kf.blender_curves(ch)}
    i = ch["p.intensity"]
    k = 683.0
    # Blender watts (units.light_to_host): point/spot 4πI/K, area πI/K, sun E/K.
    np.testing.assert_allclose(curves["p", "intensity", "energy"].values, 4 * np.pi * i / k)
    np.testing.assert_allclose(curves["s", "intensity", "energy"].values, 4 * np.pi * i / k)
    np.testing.assert_allclose(curves["a", "intensity", "energy"].values, np.pi * i / k)
    np.testing.assert_allclose(curves["u", "intensity", "energy"].values, i / k)
    assert curves["u", "intensity", "energy"].values[3] == pytest.approx(1.0)
    np.testing.assert_allclose(curves["p", "size", "shadow_soft_size"].values, 0.1)
    np.testing.assert_allclose(curves["s", "spot_angle", "spot_size"].values,
                               [np.pi / 18, np.pi / 9, np.pi / 6, np.pi / 2, np.pi])
    np.testing.assert_allclose(curves["u", "rx", "rotation_euler"].values,
                               [0.0, np.pi / 4, np.pi / 2, np.pi, 4 * np.pi])
    mist = curves["f", None, "mist_settings.depth"]
    # ln(20)/σ: σ = ln 20 -> 1 m; σ = 1 -> ln 20; σ = 0 -> the cap
    np.testing.assert_allclose(mist.values, [kf.MIST_MAX_DEPTH_M, 10 * math.log(20.0),
                                             math.log(20.0), math.log(20.0) / 2, 1.0])
    assert len(curves) == len(ch) + 1
    co = mist.coords()
    np.testing.assert_array_equal(co[0::2], ch.time.frames)
    np.testing.assert_array_equal(co[1::2], mist.values)


def test_curves_round_trip_exactly(scenario: Channels) -> None:
    curves = kf.blender_curves(scenario)
    back = kf.channels_from_curves(curves, scenario.kinds, scenario.time)
    assert list(back) == list(scenario)
    assert back.kinds == scenario.kinds
    for name in scenario:
        np.testing.assert_allclose(back[name], scenario[name], rtol=1e-12, atol=0, err_msg=name)


def test_channels_from_curves_rejects_other_frames(scenario: Channels) -> None:
    curves = kf.blender_curves(scenario)
    shifted = [kf.CurveKeys(c.obj, c.attr, c.target, c.frames + 0.25, c.values)
               if c.attr == "tx" and c.obj == "cam" else c for c in curves]
    with pytest.raises(ValueError, match=r"cam\.tx"):
        kf.channels_from_curves(shifted, scenario.kinds, scenario.time)


@pytest.mark.parametrize(("fps", "expected"), [
    (24.0, (24, 1.0)), (25.0, (25, 1.0)), (24000 / 1001, (24, 1.001)),
    (30000 / 1001, (30, 1.001)), (12.5, (12, 0.96)), (0.5, (1, 2.0)),
])
def test_blender_fps(fps: float, expected: tuple[int, float]) -> None:
    base, fps_base = kf.blender_fps(fps)
    assert base == expected[0]
    assert fps_base == pytest.approx(expected[1], rel=1e-12)
    assert base / fps_base == pytest.approx(fps, rel=1e-12)


def test_blender_fps_rejects_bad_values() -> None:
    for bad in (0.0, -24.0, float("nan")):
        with pytest.raises(ValueError, match="fps"):
            kf.blender_fps(bad)


def test_subframes_and_snapping() -> None:
    for sub in (1, 2, 3, 4, 10):
        frames = time_array(-5, 40, 24.0, sub).frames
        assert kf.infer_subframes(frames) == sub
        noisy = frames.astype(np.float32).astype(np.float64)
        np.testing.assert_array_equal(kf.snap_frames(noisy, sub), frames)
    assert kf.infer_subframes(np.array([0.0, 0.3, 1.0])) == 0
    assert kf.infer_subframes(np.array([7.0])) == 1
    np.testing.assert_array_equal(kf.snap_frames(np.array([0.1, 0.7]), 0), [0.1, 0.7])


def test_frame_range() -> None:
    assert kf.frame_range(np.array([1.0, 1.5, 48.0])) == (1, 48)
    assert kf.frame_range(np.array([0.5, 10.25])) == (0, 11)
    assert kf.frame_range(np.array([-4.0, 3.0])) == (0, 3)


def _one(values: dict[str, np.ndarray], kinds: dict[str, str],
         frames: np.ndarray | None = None) -> Channels:
    time = TimeArray(frames=np.arange(3.0) if frames is None else frames, fps=24.0)
    return Channels(time, values, kinds)


def test_check_for_blender_errors() -> None:
    with pytest.raises(TypeError, match="channels"):
        kf.blender_curves({"cam.tx": np.zeros(3)})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="NaN"):
        kf.blender_curves(_one({"c.tx": np.array([0.0, np.nan, 1.0])}, {"c": "camera"}))
    with pytest.raises(ValueError, match="increasing"):
        kf.blender_curves(_one({"c.tx": np.zeros(3)}, {"c": "camera"},
                               np.array([0.0, 2.0, 1.0])))
    with pytest.raises(ValueError, match="MAXFRAME"):
        kf.blender_curves(_one({"c.tx": np.zeros(3)}, {"c": "camera"},
                               np.array([0.0, 1.0, 2e6])))
    with pytest.raises(ValueError, match="one world"):
        kf.blender_curves(_one({}, {"f1": "atmosphere", "f2": "atmosphere"}))
    with pytest.raises(ValueError, match=r"f\.fog_density"):
        kf.blender_curves(_one({"f.fog_density": np.array([0.1, -0.01, 0.1])},
                               {"f": "atmosphere"}))
