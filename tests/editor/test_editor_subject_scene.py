"""Graph > Subject from scene… (issue 17): a USD prim's animated transform becomes the subject
that the camera and the lights follow, through the functions behind ``moks track``; one undo
step; an unresolved selector writes and changes nothing."""

from __future__ import annotations

import numpy as np
import pytest

from moks_graph import mgraph
from moks_graph.editor.qtcompat import QtCore
from moks_graph.hosts.bake import bake_channels
from moks_graph.hosts.commands.scene import prose_graph

pytest.importorskip("pxr")

FPS, FIRST, LAST = 24.0, 1, 48


def _stage(path) -> np.ndarray:
    """A Z-up metre stage whose prim ``/World/actor`` walks; its positions at every frame."""
    from pxr import Gf, Usd, UsdGeom

    stage = Usd.Stage.CreateNew(str(path))
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.z)
    UsdGeom.SetStageMetersPerUnit(stage, 1.0)
    stage.SetTimeCodesPerSecond(FPS)
    stage.SetStartTimeCode(FIRST)
    stage.SetEndTimeCode(LAST)
    actor = UsdGeom.Xform.Define(stage, "/World/actor")
    op = actor.AddTranslateOp()
    frames = np.arange(FIRST, LAST + 1)
    u = (frames - FIRST) / (LAST - FIRST)
    where = np.stack([-2.0 + 4.0 * u, 2.0 - 2.0 * u ** 2, np.full_like(u, 1.6)], axis=1)
    for f, p in zip(frames, where, strict=True):
        op.Set(Gf.Vec3d(*p.tolist()), Usd.TimeCode(float(f)))
    stage.GetRootLayer().Save()
    return where


@pytest.fixture
def window(qtbot, tmp_path):
    from moks_graph.editor.main_window import MainWindow

    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    graph, _ = prose_graph("handheld medium shot, actor walks in", frames=(FIRST, LAST))
    win.editor.new_from_graph(graph, "walk")
    return win


def test_graph_menu_offers_subject_from_scene(window):
    graph_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Graph")
    assert window.subject_action in graph_menu.actions()


def test_scene_prim_becomes_the_subject_the_camera_follows(window, qtbot, tmp_path):
    where = _stage(tmp_path / "set.usda")
    doc = window.editor.doc
    before = mgraph.dumps(doc.graph)
    fed_before = sorted(f"{e.dst}.{e.dst_port}" for e in doc.graph.edges if e.src == "subject")
    dialog = window.subject_dialog()
    qtbot.addWidget(dialog)
    dialog.scene.setText(str(tmp_path / "set.usda"))
    dialog.selector.setText("name:actor")
    dialog.out.setText(str(tmp_path / "actor.json"))
    dialog.read_and_accept()
    assert dialog.result() == dialog.DialogCode.Accepted, dialog.report.text()
    assert dialog.command_line() == ["moks", "track", str(tmp_path / "set.usda"), "--select",
                                     "name:actor", "--out", str(tmp_path / "actor.json")]
    assert window.use_subject(dialog)
    g = doc.graph
    assert "subject" not in g.nodes  # the prose walk it replaces
    assert g.nodes["scene_subject"].type == "moks.subject.track"
    assert g.nodes["scene_subject"].params["path"] == str((tmp_path / "actor.json").resolve())
    fed = sorted(f"{e.dst}.{e.dst_port}" for e in g.edges if e.src == "scene_subject")
    assert fed == fed_before and "camera_rig.subject" in fed and "key.subject" in fed
    channels, _ = bake_channels(g)
    frames = channels.time.frames
    whole = np.isclose(frames, np.round(frames))
    at = where[np.round(frames[whole]).astype(int) - FIRST]
    got = np.stack([channels[f"subject.t{a}"] for a in "xyz"], axis=1)[whole]
    np.testing.assert_allclose(got, at, atol=1e-9)  # the prim's own positions, in metres
    cam = next(o for o, k in channels.kinds.items() if k == "camera")
    lens = np.stack([channels[f"{cam}.t{a}"] for a in "xyz"], axis=1)[whole]
    np.testing.assert_allclose(channels[f"{cam}.focus_distance"][whole],
                               np.linalg.norm(at - lens, axis=1), rtol=1e-6)  # focus follows
    bake = window.bake_dialog()
    qtbot.addWidget(bake)
    bake.host.setCurrentIndex(bake.host.findData("usd"))
    assert bake.link.isEnabled()  # --link-to-target reaches the scene subject
    doc.undo_stack.undo()  # one step takes it all back
    assert mgraph.dumps(doc.graph) == before


def test_unresolved_selector_writes_and_changes_nothing(window, qtbot, tmp_path):
    _stage(tmp_path / "set.usda")
    before = mgraph.dumps(window.editor.doc.graph)
    dialog = window.subject_dialog()
    qtbot.addWidget(dialog)
    dialog.scene.setText(str(tmp_path / "set.usda"))
    dialog.selector.setText("name:nobody")
    dialog.out.setText(str(tmp_path / "nobody.json"))
    dialog.read_and_accept()
    assert dialog.result() != dialog.DialogCode.Accepted
    assert "nobody" in dialog.report.text() and "actor" in dialog.report.text()
    assert not (tmp_path / "nobody.json").exists()
    assert not window.use_subject(dialog)
    assert mgraph.dumps(window.editor.doc.graph) == before


def test_target_from_another_node_wired_in_the_editor(qtbot, tmp_path):
    """A still shot; a moks.subject.path from the palette wired into the rig's and the key's
    subject inputs (one undo step): the camera's focus and the key's exposure hold follow it."""
    from moks_graph.editor.model import AddNodeOp, ConnectOp, EditorDocument
    from moks_graph.editor.palette import palette_entries

    doc = EditorDocument()
    graph, _ = prose_graph("tripod medium shot", frames=(FIRST, LAST))
    doc.adopt(graph)
    assert {"moks.subject.path", "moks.subject.track"} <= {
        e.type_id for e in palette_entries(doc.registry)}
    walk = {"start": [-1.5, 1.0, 1.6], "end": [1.5, 0.0, 1.6], "start_time": 0.2}
    assert doc.perform("walker", [AddNodeOp("moks.subject.path", "walker", walk, (0, 0)),
                                  ConnectOp("walker.channels", "camera_rig.subject"),
                                  ConnectOp("walker.channels", "key.subject")])
    channels, _ = bake_channels(doc.graph)
    values = doc.graph.evaluate(["walker.channels"])["walker.channels"]  # not merged: read it
    at = np.stack([values[f"subject.t{a}"] for a in "xyz"], axis=1)
    assert np.ptp(at[:, 0]) > 0.5  # it walks
    cam = next(o for o, k in channels.kinds.items() if k == "camera")
    lens = np.stack([channels[f"{cam}.t{a}"] for a in "xyz"], axis=1)
    np.testing.assert_allclose(channels[f"{cam}.focus_distance"],
                               np.linalg.norm(at - lens, axis=1), rtol=1e-6)
    assert np.ptp(channels["key.intensity"]) > 0.0  # the exposure hold follows the distance
    doc.undo_stack.undo()
    assert not any(e.dst_port == "subject" for e in doc.graph.edges)
