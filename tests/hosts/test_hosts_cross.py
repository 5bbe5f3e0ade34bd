"""Cross-host: the same Channels give the same world-space numbers in USD, Maya and Unreal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moks_graph import rotations
from moks_graph.hosts import units
from moks_graph.hosts.maya.ma_parser import parse_ma_text, read_ma
from moks_graph.hosts.maya.ma_writer import write_ma
from moks_graph.hosts.unreal.mapping import plan_unreal_sequence

pytest.importorskip("pxr")


def _internal_axes(scene, obj):
    r = rotations.euler_angles_to_matrix(*(scene[f"{obj}.{a}"] for a in ("rx", "ry", "rz")))
    pos = np.stack([scene[f"{obj}.{a}"] for a in ("tx", "ty", "tz")], -1)
    return pos, -r[:, :, 2], r[:, :, 1]  # position, forward (-Z local), up (+Y local)


@pytest.mark.parametrize("obj", ["cam", "key", "soft", "sun", "target"])
def test_world_pose_agrees_in_every_host(tmp_path, scene, obj):
    from pxr import Usd, UsdGeom

    from moks_graph.hosts.usd.writer import write_usd

    pos, fwd, up = _internal_axes(scene, obj)

    # USD: composed local-to-world matrices (row vectors), cm stage, Z-up
    stage = Usd.Stage.Open(write_usd(scene, tmp_path / "x.usda"))
    prim = stage.GetPrimAtPath(f"/World/{obj}")
    cache = UsdGeom.XformCache()
    for i, f in enumerate(scene.time.frames):
        cache.SetTime(Usd.TimeCode(float(f)))
        m = np.array(cache.GetLocalToWorldTransform(prim))
        np.testing.assert_allclose(m[3, :3] / 100, pos[i], atol=1e-9)
        np.testing.assert_allclose(-m[2, :3], fwd[i], atol=2e-6)  # quatf precision
        np.testing.assert_allclose(m[1, :3], up[i], atol=2e-6)

    # Maya: parse the .ma keys; Maya world (x, y, z) cm Y-up -> internal (x, -z, y) m
    scene_ma = parse_ma_text(Path(write_ma(scene, tmp_path / "x.ma")).read_text("utf-8"))
    n = len(scene.time)  # a constant curve holds one key
    curves = {(c.node, c.attr): np.broadcast_to(c.values, n) for c in scene_ma.curves}
    t = np.stack([curves[obj, f"translate{a}"] for a in "XYZ"], -1)
    rm = rotations.euler_angles_to_matrix(*(curves[obj, f"rotate{a}"] for a in "XYZ"))
    to_internal = units.Z_UP_TO_Y_UP.T
    np.testing.assert_allclose(t @ to_internal.T / 100, pos, atol=1e-12)
    np.testing.assert_allclose(-rm[:, :, 2] @ to_internal.T, fwd, atol=1e-12)
    np.testing.assert_allclose(rm[:, :, 1] @ to_internal.T, up, atol=1e-12)

    # Unreal: FRotator axes (X forward, Z up), left-handed: internal = (x, -y, z) / 100
    actor = next(a for a in plan_unreal_sequence(scene).actors if a.name == obj)
    ch = dict(actor.tracks[0].channels)
    loc = np.stack([ch[f"Location.{a}"] for a in "XYZ"], -1)
    m = units.unreal_rotator_to_matrix(ch["Rotation.X"], ch["Rotation.Y"], ch["Rotation.Z"])
    mirror = np.array([1.0, -1.0, 1.0])
    np.testing.assert_allclose(loc * mirror / 100, pos, atol=1e-12)
    np.testing.assert_allclose(m[:, :, 0] * mirror, fwd, atol=1e-12)
    np.testing.assert_allclose(m[:, :, 2] * mirror, up, atol=1e-12)


def test_usd_and_maya_read_back_the_same_channels(tmp_path, scene, channels_close):
    from moks_graph.hosts.usd.reader import read_usd
    from moks_graph.hosts.usd.writer import write_usd

    from_usd = read_usd(write_usd(scene, tmp_path / "x.usda"))
    from_ma = read_ma(write_ma(scene, tmp_path / "x.ma"))
    channels_close(from_usd, from_ma, rtol=1e-6, atol=1e-6, angle_atol=1e-4)


def test_light_intensity_is_one_photometric_value_everywhere(tmp_path, scene):
    """Recover candela from each host's stored value with that host's documented formula."""
    from pxr import Usd, UsdLux

    from moks_graph.hosts.usd.writer import write_usd

    stage = Usd.Stage.Open(write_usd(scene, tmp_path / "x.usda"))
    text = Path(write_ma(scene, tmp_path / "x.ma")).read_text("utf-8")
    ma = {(c.node, c.attr): c.values for c in parse_ma_text(text).curves}
    plan = {a.name: a for a in plan_unreal_sequence(scene).actors}
    for i in (0, 17, len(scene.time) - 1):
        code = Usd.TimeCode(float(scene.time.frames[i]))
        bulb = UsdLux.SphereLight(stage.GetPrimAtPath("/World/bulb"))
        r_m = bulb.GetRadiusAttr().Get(code) / 100
        cd_usd = bulb.GetIntensityAttr().Get(code) * np.pi * r_m**2
        cd_maya = ma["bulbShape", "intensity"][i] / 1e4
        ue = next(t for t in plan["bulb"].tracks if t.property_name == "Intensity")
        cd_ue = ue.channels[0][1][i]
        want = scene["bulb.intensity"][i]
        assert cd_usd == pytest.approx(want, rel=1e-6)
        assert cd_maya == pytest.approx(want, rel=1e-12)
        assert cd_ue == pytest.approx(want, rel=1e-12)
        blender_w = units.light_to_host("blender", "light.point", want)[0]
        assert blender_w * units.LUMINOUS_EFFICACY / (4 * np.pi) == pytest.approx(want)
