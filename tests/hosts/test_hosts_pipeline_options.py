"""Pipeline options of ``moks bake``: USD up axis / metres per unit, and a Nuke ``.chan`` camera.

Each file is read back independently: the USD stage with pxr (stage metadata and
``UsdGeom.XformCache`` world matrices), the ``.chan`` as plain text columns checked against
Nuke's ZXY rotation order in a Y-up world, and through ``read_chan``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import moks_graph as mg
from moks_graph import rotations
from moks_graph.cli import main
from moks_graph.hosts import units
from moks_graph.hosts.bake import bake_graph
from moks_graph.hosts.nuke.chan import read_chan, write_chan

GRAPH = Path(__file__).resolve().parents[2] / "graphs" / "dolly_push_in_dialogue.mgraph"


def _moks(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def engine():
    """The engine's channels for frames 1-24 and its camera."""
    ch = bake_graph(mg.load(GRAPH), (1, 24))
    cam = next(o for o, k in ch.kinds.items() if k == "camera")
    return ch, cam


def _pose(ch, cam):
    pos = np.stack([ch[f"{cam}.{a}"] for a in ("tx", "ty", "tz")], -1)
    rot = rotations.euler_angles_to_matrix(*(ch[f"{cam}.{a}"] for a in ("rx", "ry", "rz")))
    return pos, rot


def test_bake_usd_up_axis_y_and_metres(tmp_path, engine):
    pytest.importorskip("pxr")
    from pxr import Usd, UsdGeom

    ch, cam = engine
    out = tmp_path / "shot.usda"
    result = _moks("bake", str(GRAPH), "--host", "usd", "--out", str(out), "--frames", "1-24",
                   "--up-axis", "Y", "--meters-per-unit", "1")
    assert result.exit_code == 0, result.output
    stage = Usd.Stage.Open(str(out))
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.y
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    prim = stage.GetPrimAtPath(f"/World/{cam}")
    pos, rot = _pose(ch, cam)
    c = units.Z_UP_TO_Y_UP
    cache = UsdGeom.XformCache()
    for i, f in enumerate(ch.time.frames):
        cache.SetTime(Usd.TimeCode(float(f)))
        m = np.array(cache.GetLocalToWorldTransform(prim))  # row vectors
        np.testing.assert_allclose(m[3, :3], c @ pos[i], atol=1e-9)  # metres, Y-up
        # a level camera on a Y-up stage: a rotation within 0.02 deg of identity (a float32
        # orient read back as identity through USD's 2 acos(real))
        np.testing.assert_allclose(m[:3, :3].T, c @ rot[i], atol=1e-9)
    # focal length in tenths of a scene unit: mm / (100 * mpu)
    focal = UsdGeom.Camera(prim).GetFocalLengthAttr().Get(Usd.TimeCode(1.0))
    assert focal == pytest.approx(ch[f"{cam}.focal_length"][0] / 100.0, rel=1e-6)
    # defaults unchanged: no flags -> Z-up, centimetres
    plain = tmp_path / "plain.usda"
    assert _moks("bake", str(GRAPH), "--host", "usd", "--out", str(plain),
                 "--frames", "1-2").exit_code == 0
    stage = Usd.Stage.Open(str(plain))
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.z
    assert UsdGeom.GetStageMetersPerUnit(stage) == 0.01


def test_options_a_host_does_not_take_are_refused(tmp_path):
    result = CliRunner().invoke(main, ["bake", str(GRAPH), "--host", "maya", "--out",
                                       str(tmp_path / "x.ma"), "--up-axis", "Y"])
    assert result.exit_code == 2
    assert "--up-axis applies to --host usd only, not maya" in result.output
    assert not (tmp_path / "x.ma").exists()


def test_bake_nuke_chan_camera(tmp_path, engine):
    """frame, translate (cm, Y-up), rotate (deg, Nuke ZXY), vertical FOV, one line per frame."""
    ch, cam = engine
    out = tmp_path / "cam.chan"
    result = _moks("bake", str(GRAPH), "--host", "chan", "--out", str(out), "--frames", "1-24")
    assert result.exit_code == 0, result.output
    rows = np.array([line.split() for line in out.read_text().splitlines()], dtype=float)
    assert rows.shape == (24, 8)
    np.testing.assert_array_equal(rows[:, 0], np.arange(1, 25))
    pos, rot = _pose(ch, cam)
    c = units.Z_UP_TO_Y_UP
    np.testing.assert_allclose(rows[:, 1:4], 100.0 * pos @ c.T, atol=1e-9)
    rx, ry, rz = np.radians(rows[:, 4:7].T)
    for i in range(len(rows)):  # Nuke's ZXY: R = Ry @ Rx @ Rz, built here by hand
        cx, sx, cy, sy, cz, sz = (np.cos(rx[i]), np.sin(rx[i]), np.cos(ry[i]), np.sin(ry[i]),
                                  np.cos(rz[i]), np.sin(rz[i]))
        r_x = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
        r_y = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
        r_z = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
        np.testing.assert_allclose(r_y @ r_x @ r_z, c @ rot[i], atol=1e-12)
    h, f = ch[f"{cam}.sensor_height"], ch[f"{cam}.focal_length"]
    np.testing.assert_allclose(rows[:, 7], np.degrees(2 * np.arctan(h / (2 * f))), rtol=1e-12)
    back = read_chan(out, fps=ch.time.fps, name=cam, sensor_height_mm=float(h[0]))
    np.testing.assert_allclose(back[f"{cam}.focal_length"], f, rtol=1e-12)
    for a in ("tx", "ty", "tz"):
        np.testing.assert_allclose(back[f"{cam}.{a}"], ch[f"{cam}.{a}"], atol=1e-12)


def test_chan_needs_a_camera(tmp_path):
    from moks_graph.channels import Channels
    from moks_graph.timebase import time_array

    lights = Channels(time_array(1, 3, 24.0), {"k.intensity": np.ones(3)}, {"k": "light.point"})
    with pytest.raises(ValueError, match="holds a camera"):
        write_chan(lights, tmp_path / "x.chan")
    assert not (tmp_path / "x.chan").exists()
