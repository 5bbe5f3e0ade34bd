"""``--host alembic`` (issue 17): an .abc through Blender's own Alembic exporter, read back.

Blender's Alembic importer, in a fresh factory scene at the bake's frame rate, gives every
object's world matrix at every sample (sub-frames included; 24, 25 and 29.97 fps): it must equal
the engine's within 1e-5 (metres for positions, unitless for rotation matrix entries). Lights
come back as xforms (empties): Alembic has no light schema, so intensity, colour, size and cone
are not in the file.

Blender 5.0's Alembic importer reads a camera's lens once (the first sample), so the zoom is
checked in the file itself: the camera's CameraSample records (Alembic's ``.core`` property,
16 float64: focal length mm, horizontal aperture cm, offset, vertical aperture cm, offset,
squeeze, 4 overscans, f-stop, focus distance, shutter open/close, near, far), found in the
Ogawa file by their film back, must hold each sample's focal length within 1e-5 mm.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moks_graph import rotations
from moks_graph.channels import Channels
from moks_graph.hosts.alembic.writer import write_abc
from moks_graph.hosts.bake import bake

pytest.importorskip("bpy")

TOL = 1e-5
GRAPH = Path(__file__).resolve().parents[3] / "graphs" / "handheld_follow_walk_away.mgraph"


def camera_records(path: Path, sensor_width_mm: float, sensor_height_mm: float) -> np.ndarray:
    """The (N, 16) CameraSample records of an .abc, in file order, found by their film back
    (apertures in cm, zero offsets, squeeze 1) at any byte alignment."""
    raw = path.read_bytes()
    found: list[tuple[int, np.ndarray]] = []
    for align in range(8):
        words = np.frombuffer(raw[align:align + (len(raw) - align) // 8 * 8], dtype="<f8")
        with np.errstate(invalid="ignore"):
            hits = np.where((np.abs(words[1:-15] - sensor_width_mm / 10.0) < 1e-6)
                            & (np.abs(words[3:-13] - sensor_height_mm / 10.0) < 1e-6)
                            & (words[2:-14] == 0.0) & (words[5:-11] == 1.0))[0]
        found += [(align + 8 * int(i), words[i:i + 16]) for i in hits]
    return np.array([record for _, record in sorted(found, key=lambda f: f[0])])


@pytest.mark.parametrize("fps", [24.0, 25.0, 30000 / 1001])
def test_abc_reads_back_in_blender_equal_to_the_engine(tmp_path, make_scene_fn, fps):
    from moks_graph.hosts.blender.interchange import import_interchange, sample_objects

    scene = make_scene_fn(fps=fps)
    out = write_abc(scene, tmp_path / "shot.abc")
    assert [p.name for p in tmp_path.iterdir()] == ["shot.abc"]
    # an .abc keeps seconds: Blender maps them to frames at the scene rate it is given
    got = sample_objects(import_interchange(out, fps), scene.time.frames)
    movers = {o: k for o, k in scene.kinds.items() if k != "atmosphere"}
    assert sorted(got) == sorted(movers)
    assert len(scene.time) == 47 and scene.time.frames[1] == 1.5  # sub-frames included
    for obj, kind in movers.items():
        assert got[obj].type == ("CAMERA" if kind == "camera" else "EMPTY"), obj
        r = rotations.euler_angles_to_matrix(*(scene[f"{obj}.r{a}"] for a in "xyz"))
        t = np.stack([scene[f"{obj}.t{a}"] for a in "xyz"], axis=-1)
        np.testing.assert_allclose(got[obj].matrix[:, :3, :3], r, atol=TOL, err_msg=obj)
        np.testing.assert_allclose(got[obj].matrix[:, :3, 3], t, atol=TOL, err_msg=obj)
    # what Blender's importer reads of the lens: the first sample
    assert got["cam"].lens[0] == pytest.approx(scene["cam.focal_length"][0], abs=TOL)


def test_abc_holds_the_zoom_sample_by_sample(tmp_path, scene):
    out = write_abc(scene, tmp_path / "shot.abc")
    records = camera_records(out, 36.0, 24.0)
    assert records.shape == (len(scene.time), 16)
    assert np.ptp(scene["cam.focal_length"]) > 10.0
    np.testing.assert_allclose(records[:, 0], scene["cam.focal_length"], atol=TOL)  # mm
    np.testing.assert_allclose(records[:, 10], scene["cam.fstop"], atol=TOL)
    np.testing.assert_allclose(records[:, 11], scene["cam.focus_distance"], atol=TOL)  # m


def test_failed_bake_leaves_no_file(tmp_path, scene):
    bad = Channels(scene.time, {**scene.values, "key.tz": np.full(len(scene.time), np.inf)},
                   scene.kinds)
    with pytest.raises(ValueError, match="infinite"):
        write_abc(bad, tmp_path / "shot.abc")
    with pytest.raises(ValueError, match=r"\.abc"):
        write_abc(scene, tmp_path / "shot.usda")
    assert list(tmp_path.iterdir()) == []


def test_moks_bake_host_alembic_cli(tmp_path):
    from click.testing import CliRunner

    from moks_graph.cli import main

    out = tmp_path / "walk.abc"
    result = CliRunner().invoke(main, ["bake", str(GRAPH), "--host", "alembic", "--out",
                                       str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:5] == b"Ogawa"
    assert not any(".tmp" in p.name for p in tmp_path.iterdir())


def test_bake_dialog_lists_unreal_and_alembic():
    from moks_graph.editor.bake_dialog import host_status

    status = host_status()
    assert status["unreal"] == "" and status["alembic"] == ""  # offered, bpy installed


def test_moks_bake_python_api_alembic(tmp_path):
    import moks_graph as mg

    result = bake(mg.load(GRAPH), "alembic", tmp_path / "walk.abc")
    assert result.path == tmp_path / "walk.abc" and result.path.stat().st_size > 1000


@pytest.mark.parametrize(("host", "suffix"), [("alembic", ".abc"), ("unreal", ".fbx")])
def test_moks_scene_bakes_to_the_new_hosts(tmp_path, host, suffix):
    from click.testing import CliRunner

    from moks_graph.cli import main

    out = tmp_path / f"shot{suffix}"
    result = CliRunner().invoke(main, ["scene", "handheld close-up", "--frames", "1-12",
                                       "--out", str(tmp_path / "shot.mgraph"),
                                       "--bake", host, "--bake-out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"({host})" in result.output and out.stat().st_size > 1000
    assert (tmp_path / "shot.mgraph").exists()
    if host == "unreal":
        assert (tmp_path / "shot.py").exists()
    lonely = CliRunner().invoke(main, ["scene", "handheld close-up", "--bake", host])
    assert lonely.exit_code == 2 and "--bake-out" in lonely.output
