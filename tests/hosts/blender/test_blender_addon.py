"""The MOKS Graph Blender add-on (hosts/blender/addon), installed and run in the real bpy.

The add-on folder is packed by Blender's own ``extension build`` tool (the one
``blender --command extension build`` runs) and installed offline with
``bpy.ops.extensions.package_install_files`` into a temporary local extension
repository (so nothing lands in the user's Blender folders), which enables it
as ``bl_ext.<repo>.moks_graph``. Then the "Bake MOKS graph" operator runs
headless on starter scenarios and the scene's keys are read back (saved to a
.blend and read with ``read_blend``) and compared with the engine's channels.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import moks_graph as mg
from moks_graph import rotations
from moks_graph.hosts.bake import bake_graph

ADDON = Path(__file__).resolve().parents[3] / "hosts" / "blender" / "addon"
GRAPHS = Path(__file__).resolve().parents[3] / "graphs"
REPO_MODULE = "moks_addon_test"
MODULE = f"bl_ext.{REPO_MODULE}.moks_graph"


def test_manifest_declares_a_blender_extension():
    manifest = tomllib.loads((ADDON / "blender_manifest.toml").read_text(encoding="utf-8"))
    assert manifest["schema_version"] == "1.0.0"
    assert manifest["id"] == "moks_graph"
    assert manifest["name"] == "MOKS Graph"
    assert manifest["type"] == "add-on"
    assert manifest["blender_version_min"] == "5.0.0"  # slotted actions, as tested
    assert manifest["version"].count(".") == 2 and manifest["maintainer"]
    assert all(lic.startswith("SPDX:") for lic in manifest["license"])
    assert manifest["permissions"]["files"]
    tree = ast.parse((ADDON / "__init__.py").read_text(encoding="utf-8"))
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert {"register", "unregister"} <= functions


def build_zip(bpy: Any, folder: Path) -> Path:
    """The extension zip, built by Blender's own ``extension build`` tool (which validates the
    manifest); the tool ships inside the bpy wheel as ``bl_pkg/cli/blender_ext.py``."""
    tool = Path(bpy.utils.system_resource("SCRIPTS")) / "addons_core/bl_pkg/cli/blender_ext.py"
    proc = subprocess.run([sys.executable, str(tool), "build", "--source-dir", str(ADDON),
                           "--output-dir", str(folder)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (path,) = folder.glob("moks_graph-*.zip")
    with zipfile.ZipFile(path) as archive:
        assert {"blender_manifest.toml", "__init__.py", "core.py"} <= set(archive.namelist())
    return path


@pytest.fixture(scope="module")
def bpy(tmp_path_factory) -> Any:
    """bpy with the add-on installed from its zip into a temporary repository, and enabled."""
    bpy = pytest.importorskip("bpy")
    import addon_utils

    bpy.ops.wm.read_factory_settings(use_empty=True)
    folder = tmp_path_factory.mktemp("addon")
    repos = bpy.context.preferences.extensions.repos
    repo = repos.new(name="MOKS add-on test", module=REPO_MODULE,
                     custom_directory=str(folder / "repo"), source="USER")
    result = bpy.ops.extensions.package_install_files(filepath=str(build_zip(bpy, folder)),
                                                      repo=REPO_MODULE, enable_on_install=True)
    assert result == {"FINISHED"}
    yield bpy
    addon_utils.disable(MODULE, default_set=True)
    repos.remove(repo)
    bpy.ops.wm.read_factory_settings(use_empty=True)


def clear(bpy: Any) -> Any:
    """Empty the current scene's data (objects, worlds, actions); returns the scene."""
    for collection in (bpy.data.objects, bpy.data.cameras, bpy.data.lights, bpy.data.worlds,
                       bpy.data.actions):
        for block in list(collection):
            collection.remove(block)
    return bpy.context.scene


def scene_channels(bpy: Any, folder: Path):
    """The current scene's MOKS channels: saved to a .blend and read back with read_blend."""
    from moks_graph.hosts.blender.reader import read_blend

    path = folder / "scene.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path), copy=True, check_existing=False)
    return read_blend(path)


def run_bake(bpy: Any, graph: Path, frames: tuple[int, int] | None = None) -> set[str]:
    settings = bpy.context.scene.moks_bake
    settings.graph_path = str(graph)
    settings.use_graph_range = frames is None
    if frames is not None:
        settings.frame_start, settings.frame_end = frames
    return bpy.ops.moks.bake_graph()


def test_addon_is_installed_and_registered(bpy):
    assert MODULE in bpy.context.preferences.addons
    assert hasattr(bpy.ops.moks, "bake_graph")
    op = bpy.types.Operator.bl_rna_get_subclass_py("MOKS_OT_bake_graph")
    assert op.bl_label == "Bake MOKS graph"
    panel = bpy.types.Panel.bl_rna_get_subclass_py("MOKS_PT_bake")
    assert (panel.bl_space_type, panel.bl_region_type, panel.bl_category) == ("VIEW_3D", "UI",
                                                                              "MOKS")
    props = bpy.types.Scene.bl_rna.properties["moks_bake"].fixed_type.properties
    assert props["graph_path"].subtype == "FILE_PATH"
    assert {"use_graph_range", "frame_start", "frame_end", "subframes"} <= set(props.keys())


def test_operator_bakes_a_starter_into_the_current_scene(bpy, tmp_path):
    scene = clear(bpy)
    set_piece = bpy.data.objects.new("set_piece", None)  # the user's own object stays
    scene.collection.objects.link(set_piece)
    graph = GRAPHS / "wirecam_stadium.mgraph"  # 30 fps, camera + 4 lights + fog
    assert run_bake(bpy, graph, (1, 48)) == {"FINISHED"}

    want = bake_graph(mg.load(graph), (1, 48))
    assert (scene.frame_start, scene.frame_end, scene.render.fps) == (1, 48, 30)
    # named after the graph (two graphs in one scene do not clash); moks_object keeps the name
    p = "wirecam_stadium_"
    assert scene.camera.name == p + "camera" and scene.world.name == p + "atmosphere"
    types = {o.name: o.type for o in scene.objects}
    assert types == {"set_piece": "EMPTY", p + "camera": "CAMERA", p + "key": "LIGHT",
                     p + "fill": "LIGHT", p + "rim_0": "LIGHT", p + "rim_1": "LIGHT"}
    assert bpy.data.objects[p + "key"]["moks_object"] == "key"
    for name in ("camera", "key", "rim_0"):
        anim = bpy.data.objects[p + name].animation_data
        assert anim.action is not None and anim.action_slot is not None
    assert "baked 83 channels x 48 samples" in scene.moks_bake.last_result

    got = scene_channels(bpy, tmp_path)
    assert dict(got.kinds) == dict(want.kinds) and sorted(got) == sorted(want)
    np.testing.assert_array_equal(got.time.frames, want.time.frames)
    for name in want:
        if name.rpartition(".")[2] not in ("rx", "ry", "rz"):
            np.testing.assert_allclose(got[name], want[name], rtol=1e-6, atol=1e-12,
                                       err_msg=name)
    for obj in want.kinds:
        if f"{obj}.rx" in want:
            r_got, r_want = (rotations.euler_angles_to_matrix(c[f"{obj}.rx"], c[f"{obj}.ry"],
                                                       c[f"{obj}.rz"]) for c in (got, want))
            np.testing.assert_allclose(r_got, r_want, atol=1e-6, err_msg=obj)


def test_rebake_replaces_objects_and_resolves_scene_selectors(bpy, tmp_path):
    graph = mg.load(GRAPHS / "handheld_chase.mgraph")
    graph.meta["selectors"] = {"hero": {"select": "tag:hero", "at": "camera_rig.target"},
                               "villain": "tag:villain", "crowd": "tag:extras"}
    path = tmp_path / "chase.mgraph"
    mg.save(graph, path)
    scene = clear(bpy)
    hero = bpy.data.objects.new("hero_body", None)
    hero["moks_tags"] = "actor, hero"  # tagged by custom property
    scene.collection.objects.link(hero)
    extras = bpy.data.collections.new("extras")  # tagged by collection
    scene.collection.children.link(extras)
    extras.objects.link(bpy.data.objects.new("extra_01", None))

    assert run_bake(bpy, path, (1, 24)) == {"FINISHED"}
    assert run_bake(bpy, path, (1, 30)) == {"FINISHED"}  # again, longer: replaces, no .001
    names = sorted(o.name for o in scene.objects)
    assert names == ["chase_MISSING_TARGET_tag_villain", "chase_camera", "chase_fill",
                     "chase_key", "chase_subject", "extra_01", "hero_body"]  # + the chased actor
    assert bpy.data.objects["chase_MISSING_TARGET_tag_villain"].type == "EMPTY"
    assert sorted(a.name for a in bpy.data.actions) == [
        "chase_atmosphereAction", "chase_cameraAction", "chase_fillAction", "chase_keyAction",
        "chase_subjectAction"]
    assert [w.name for w in bpy.data.worlds] == ["chase_atmosphere"]
    got = scene_channels(bpy, tmp_path)
    assert len(got.time) == 30
    assert got.kinds["MISSING_TARGET_tag_villain"] == "null"


def test_failed_bake_leaves_the_scene_as_it_was(bpy, tmp_path):
    scene = clear(bpy)
    assert run_bake(bpy, GRAPHS / "handheld_chase.mgraph", (1, 12)) == {"FINISHED"}
    # the user's own object named like a light of the next bake: that bake is refused
    scene.collection.objects.link(bpy.data.objects.new("moco_product_turntable_rim", None))
    before = sorted((o.name, o.type) for o in scene.objects)
    key_action = bpy.data.objects["handheld_chase_key"].animation_data.action.name
    with pytest.raises(RuntimeError, match="'moco_product_turntable_rim' not made by MOKS"):
        run_bake(bpy, GRAPHS / "moco_product_turntable.mgraph", (1, 24))
    assert sorted((o.name, o.type) for o in scene.objects) == before
    assert bpy.data.objects["handheld_chase_key"].animation_data.action.name == key_action
    assert scene.frame_end == 12

    bad = tmp_path / "bad.mgraph"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(RuntimeError, match="MG111"):
        run_bake(bpy, bad)
    with pytest.raises(RuntimeError, match="no such file"):
        run_bake(bpy, tmp_path / "missing.mgraph")
    assert sorted((o.name, o.type) for o in scene.objects) == before
    assert run_bake(bpy, GRAPHS / "handheld_chase.mgraph") == {"FINISHED"}  # graph's range
    assert (scene.frame_start, scene.frame_end, scene.render.fps) == (1, 120, 25)


def test_failure_while_keying_rolls_back(bpy, monkeypatch):
    """An error half-way through keying removes the new objects and restores the old ones."""
    from moks_graph.hosts.blender import writer
    from moks_graph.hosts.blender.addon import core

    graph = GRAPHS / "foggy_tripod_noir.mgraph"
    scene = clear(bpy)
    assert run_bake(bpy, graph, (1, 12)) == {"FINISHED"}
    before = sorted(o.name for o in bpy.data.objects)
    actions = sorted(a.name for a in bpy.data.actions)
    camera = scene.camera

    def fail(built, curves):
        writer.write_keys_bulk(built, curves[:3])
        raise ValueError("disk on fire")

    monkeypatch.setattr(core, "write_keys_bulk", fail)
    channels = bake_graph(mg.load(graph), (1, 24))
    with pytest.raises(ValueError, match="disk on fire"):
        core.write_into_scene(channels, scene)
    assert sorted(o.name for o in bpy.data.objects) == before
    assert sorted(a.name for a in bpy.data.actions) == actions
    assert scene.camera == camera and scene.world.name == "foggy_tripod_noir_atmosphere"
    assert scene.frame_end == 12


def test_bake_is_non_destructive(bpy, tmp_path):
    """The user's HDRI world and camera survive a bake (and a save); objects go in a named
    collection; F-curves are grouped per object; the flags choose camera and world."""
    scene = clear(bpy)
    for c in list(bpy.data.collections):
        bpy.data.collections.remove(c)
    hdri = bpy.data.worlds.new("studio_hdri")
    scene.world = hdri
    user_cam = bpy.data.objects.new("shot_cam", bpy.data.cameras.new("shot_cam"))
    scene.collection.objects.link(user_cam)
    scene.camera = user_cam
    graph = GRAPHS / "foggy_tripod_noir.mgraph"  # has an atmosphere
    settings = scene.moks_bake
    settings.keep_camera, settings.replace_world = True, False
    assert run_bake(bpy, graph, (1, 12)) == {"FINISHED"}
    assert scene.world == hdri and scene.camera == user_cam
    moks = bpy.data.collections["MOKS foggy_tripod_noir"]
    assert moks.name in scene.collection.children
    assert {o.name for o in moks.objects} == {o.name for o in scene.objects} - {"shot_cam"}
    assert not [o for o in scene.collection.objects if o.get("moks_kind")]  # none in the root
    fog = bpy.data.worlds["foggy_tripod_noir_atmosphere"]
    assert fog.use_fake_user and scene["moks_world"] == fog.name
    key = bpy.data.objects["foggy_tripod_noir_key"]
    for block in (key, key.data):
        anim = block.animation_data
        bag = anim.action.layers[0].strips[0].channelbag(anim.action_slot)
        assert [g.name for g in bag.groups] == ["key"]
        assert all(fc.group is not None and fc.group.name == "key" for fc in bag.fcurves)
    got = scene_channels(bpy, tmp_path)  # saved and read back: the fog world is found
    assert got.kinds["atmosphere"] == "atmosphere"
    assert bpy.data.worlds["studio_hdri"].users >= 1  # reopened file: the HDRI is still there

    scene = bpy.context.scene
    settings = scene.moks_bake
    settings.keep_camera, settings.replace_world = False, True
    assert run_bake(bpy, graph, (1, 12)) == {"FINISHED"}  # again, into the same file
    hdri = bpy.data.worlds["studio_hdri"]
    assert scene.world.name == "foggy_tripod_noir_atmosphere" and hdri.use_fake_user
    assert scene.camera.name == "foggy_tripod_noir_camera" and "moks_world" not in scene
    assert sorted(w.name for w in bpy.data.worlds) == ["foggy_tripod_noir_atmosphere",
                                                       "studio_hdri"]
    assert len([c for c in bpy.data.collections if c.name.startswith("MOKS")]) == 1
    settings.keep_camera = settings.replace_world = False


def test_rebake_removes_what_the_last_bake_made_only(bpy, tmp_path):
    graph = mg.load(GRAPHS / "handheld_chase.mgraph")
    graph.meta["selectors"] = {"villain": "tag:villain"}
    path = tmp_path / "chase.mgraph"
    mg.save(graph, path)
    scene = clear(bpy)
    assert run_bake(bpy, path, (1, 12)) == {"FINISHED"}
    assert "chase_MISSING_TARGET_tag_villain" in bpy.data.objects
    mine = bpy.data.objects.new("my_prop", None)  # the user's object, in the MOKS collection
    bpy.data.collections["MOKS chase"].objects.link(mine)
    villain = bpy.data.objects.new("villain_body", None)
    villain["moks_tags"] = "villain"
    scene.collection.objects.link(villain)
    assert run_bake(bpy, path, (1, 12)) == {"FINISHED"}  # the selector resolves now
    assert "chase_MISSING_TARGET_tag_villain" not in bpy.data.objects
    assert {"my_prop", "villain_body"} <= {o.name for o in scene.objects}


def test_two_graphs_in_one_scene_do_not_clash(bpy):
    scene = clear(bpy)
    assert run_bake(bpy, GRAPHS / "handheld_chase.mgraph", (1, 6)) == {"FINISHED"}
    assert run_bake(bpy, GRAPHS / "foggy_tripod_noir.mgraph", (1, 6)) == {"FINISHED"}
    for graph in ("handheld_chase", "foggy_tripod_noir"):
        objects = bpy.data.collections[f"MOKS {graph}"].objects
        assert f"{graph}_key" in objects and f"{graph}_camera" in objects
        assert all(o.name.startswith(f"{graph}_") for o in objects)
    assert scene.camera.name == "foggy_tripod_noir_camera"  # the last bake's camera


def test_packages_folder_preference_extends_sys_path(bpy, tmp_path):
    prefs = bpy.context.preferences.addons[MODULE].preferences
    try:
        prefs.site_packages = str(tmp_path)
        assert str(tmp_path) in sys.path
    finally:
        if str(tmp_path) in sys.path:
            sys.path.remove(str(tmp_path))
        prefs.site_packages = ""


def test_disable_and_enable_again(bpy):
    import addon_utils

    assert addon_utils.check(MODULE) == (True, True)
    addon_utils.disable(MODULE, default_set=True)
    assert addon_utils.check(MODULE) == (False, False)
    assert not hasattr(bpy.types.Scene, "moks_bake")
    assert MODULE not in bpy.context.preferences.addons
    assert addon_utils.enable(MODULE, default_set=True) is not None
    assert addon_utils.check(MODULE) == (True, True)
    assert hasattr(bpy.types.Scene, "moks_bake") and hasattr(bpy.ops.moks, "bake_graph")


def test_in_scene_bake_carries_the_look_and_ambient_like_moks_bake(bpy, tmp_path):
    """Into a saved .blend, the operator writes the same film look (OCIO config, CLF) and SH
    ambient (EXR) files, byte for byte, as ``moks bake --host blender`` beside its file, and
    points the scene at them: the look's record on the scene, the ambient as the world's
    background (relative image path, strength 2**exposure)."""
    from moks_graph.hosts.ambient import BLENDER_BACKGROUND_NODE, BLENDER_TEXTURE_NODE
    from moks_graph.hosts.bake import evaluate_features
    from moks_graph.hosts.commands.scene import prose_graph
    from moks_graph.hosts.look import read_blender_look
    from moks_graph.nodes.environment.ambient import exposure_split, sh_environment

    pytest.importorskip("PyOpenColorIO")
    graph, _ = prose_graph("tripod medium, warm, Vision3 250D", frames=(1, 12),
                           ambient="overcast")
    path = tmp_path / "lookshot.mgraph"
    mg.save(graph, path)
    (tmp_path / "plain").mkdir()  # moks bake in its own process: it resets Blender's session
    moks = Path(sys.executable).with_name("moks")
    done = subprocess.run([str(moks), "bake", str(path), "--host", "blender", "--out",
                           str(tmp_path / "plain" / "lookshot.blend")], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    scene = clear(bpy)
    (tmp_path / "scene").mkdir()
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "scene" / "shot.blend"),
                                check_existing=False)
    scene = bpy.context.scene
    scene.moks_bake.replace_world = True
    try:
        assert run_bake(bpy, path) == {"FINISHED"}
    finally:
        scene.moks_bake.replace_world = False
    names = sorted(p.name for p in (tmp_path / "plain").iterdir() if p.suffix != ".blend")
    assert any(n.endswith(".ocio") for n in names) and any(n.endswith(".exr") for n in names)
    assert sorted(p.name for p in (tmp_path / "scene").iterdir()) == sorted(
        ["shot.blend", *names])
    for name in names:
        assert (tmp_path / "scene" / name).read_bytes() == \
            (tmp_path / "plain" / name).read_bytes()
    record = read_blender_look(scene)
    assert record["config"] in names and record["lut"] in names
    assert record["view"] == f"Film {record['stock']}"
    tree = scene.world.node_tree
    texture = tree.nodes[BLENDER_TEXTURE_NODE]
    exr = next(n for n in names if n.endswith(".exr"))
    assert texture.image.filepath == f"//{exr}" and tuple(texture.image.size) != (0, 0)
    coeffs = evaluate_features(mg.load(path), "blender")[1]
    exposure = exposure_split(sh_environment(np.asarray(coeffs).reshape(9, 3)))[1]
    strength = tree.nodes[BLENDER_BACKGROUND_NODE].inputs["Strength"].default_value
    assert strength == pytest.approx(2.0**exposure, rel=1e-6)
    assert exr in scene.moks_bake.last_result
    # the user's world stays untouched: the ambient goes on the bake's world kept beside it
    hdri = bpy.data.worlds.new("studio_hdri")
    scene.world = hdri
    assert run_bake(bpy, path) == {"FINISHED"}
    assert scene.world == hdri and BLENDER_TEXTURE_NODE not in hdri.node_tree.nodes
    kept = bpy.data.worlds[scene["moks_world"]]
    assert kept.node_tree.nodes[BLENDER_TEXTURE_NODE].image.filepath == f"//{exr}"
