"""`moks scene`, `moks sh`, `moks check`, `moks look export`, `moks demo`."""

from __future__ import annotations

import json

import numpy as np
import PyOpenColorIO as ocio
from click.testing import CliRunner

from moks_graph import mgraph
from moks_graph.cli import main
from moks_graph.nodes.environment.sh import preset_to_sh
from moks_graph.nodes.environment.skies import overcast_sky


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_scene_prose_to_graph(tmp_path):
    out = tmp_path / "shot.mgraph"
    r = run("scene", "low-key handheld close-up, rim from camera left, light fog, Tri-X",
            "--out", str(out), "--frames", "1-48")
    assert r.exit_code == 0, r.output
    g = mgraph.load(out)
    assert g.validate() == [] and g.nodes["camera_rig"].type == "moks.rig.handheld"
    assert g.meta["scene_script"]["look"]["stock"] == "tri_x"


def test_scene_unknown_words_exit_1(tmp_path):
    r = run("scene", "handheld closup", "--out", str(tmp_path / "x.mgraph"))
    assert r.exit_code == 1 and not (tmp_path / "x.mgraph").exists()


def test_scene_vocabulary_and_starters(tmp_path):
    r = run("scene", "--vocabulary")
    assert r.exit_code == 0 and "rim from camera left" in r.output
    r = run("scene", "--starters", str(tmp_path))
    assert r.exit_code == 0 and len(list(tmp_path.glob("*.mgraph"))) == 11


def test_sh_prints_27_floats(tmp_path):
    sky = overcast_sky(64)
    path = tmp_path / "sky.npy"
    np.save(path, sky)
    r = run("sh", str(path), "--json")
    assert r.exit_code == 0, r.output
    coeffs = preset_to_sh(json.loads(r.output))
    assert coeffs.shape == (9, 3) and coeffs[0, 0] > 0
    assert len(r.output) < 1024
    r = run("sh", str(path))
    assert r.exit_code == 0 and len(r.output.strip().splitlines()) == 9
    np.save(path, sky[:, :100])  # not 2:1
    r = run("sh", str(path))
    assert r.exit_code == 1 and "sky.npy" in r.output and "equirectangular" in r.output


def test_check_flags_binary_assets(tmp_path):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps({"kind": "preset", "ratio": 4}))
    bad.write_text(json.dumps({"hdri": "/abs/sky.exr"}))
    assert run("check", str(good)).exit_code == 0
    r = run("check", str(good), str(bad))
    assert r.exit_code == 1 and "MOM00" in r.output


def test_starter_graphs_pass_math_over_matter():
    from pathlib import Path

    graphs = Path(__file__).resolve().parents[3] / "graphs"
    files = sorted(str(p) for p in graphs.glob("*.mgraph"))
    assert len(files) >= 8
    r = run("check", *files)
    assert r.exit_code == 0, r.output


def test_look_export_formats_read_back(tmp_path):
    cfg, cube, clf = tmp_path / "looks.ocio", tmp_path / "trix.cube", tmp_path / "k.clf"
    assert run("look", "export", str(cfg)).exit_code == 0
    config = ocio.Config.CreateFromFile(str(cfg))
    assert {look.getName() for look in config.getLooks()} >= {"tri_x", "kodachrome"}
    assert run("look", "export", str(cube), "--stock", "tri_x", "--size", "17").exit_code == 0
    assert "LUT_3D_SIZE 17" in cube.read_text()
    assert run("look", "export", str(clf), "--stock", "kodachrome").exit_code == 0
    assert "ProcessList" in clf.read_text()
    r = run("look", "export", str(tmp_path / "x.cube"))
    assert r.exit_code != 0 and "--stock" in r.output


def test_demo_bakes_folder_to_usd(tmp_path):
    from pathlib import Path

    graphs = Path(__file__).resolve().parents[3] / "graphs"
    r = run("demo", str(graphs / "moco_product_turntable.mgraph"), "--host", "usd",
            "--out", str(tmp_path))
    assert r.exit_code == 0, r.output
    assert (tmp_path / "moco_product_turntable.usda").exists()
