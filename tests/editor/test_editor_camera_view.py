"""Camera viewport (issue 18): the shot through the evaluated camera, drawn offscreen."""

from __future__ import annotations

import time

import numpy as np
import pytest

import moks_graph as mg
from moks_graph.editor.camera_view import (
    ACTION_SAFE,
    TITLE_SAFE,
    CameraView,
    camera_pose,
    subject_track,
)
from moks_graph.editor.viewers import LayoutView, display_channels, grid_step
from moks_graph.evaluate import Evaluator
from moks_graph.nodes.camera.lookat import project_to_screen

SCREEN = (0.2, -0.1)  # where the rig is told to frame the subject (x right, y up)
TARGET = (0.5, 1.0, 1.5)


def shot(registry=None, key_kind: str = "light.spot") -> mg.Graph:
    """A clean tripod framing TARGET at SCREEN, a key (spot by default), an area rim, a point."""
    g = mg.Graph(mg.Settings(frame_start=1, frame_end=12), registry or mg.default_registry())
    g.add_node("moks.rig.tripod_locked", "cam", {"position": (0.5, -5.0, 1.7), "target": TARGET,
                                          "focal_length": 40.0, "screen_x": SCREEN[0],
                                          "screen_y": SCREEN[1], "noise_scale": 0.0})
    for name, kind, type_id in (("key", key_kind, "moks.light.key"),
                                ("rim", "light.area", "moks.light.rim"),
                                ("practical", "light.point", "moks.light.practical")):
        g.add_node(type_id, name, {"kind": kind})
        g.connect("cam.channels", f"{name}.camera")
        g.connect("cam.target", f"{name}.target")
    g.add_node("moks.channels.merge", "m1")
    g.add_node("moks.channels.merge", "m2")
    g.add_node("moks.channels.merge", "scene")
    g.connect("cam.channels", "m1.a")
    g.connect("key.channels", "m1.b")
    g.connect("m1.channels", "m2.a")
    g.connect("rim.channels", "m2.b")
    g.connect("m2.channels", "scene.a")
    g.connect("practical.channels", "scene.b")
    return g


def view_of(qtbot, graph: mg.Graph, frame: int = 1) -> CameraView:
    values = Evaluator().evaluate(graph).values
    scene, _ = display_channels(graph, values, None)
    view = CameraView()
    qtbot.addWidget(view)
    view.resize(900, 560)
    view.set_scene(scene, subject_track(graph, values, scene))
    view.set_frame(frame)
    view.show()
    view.grab()  # paints
    return view


def widget_point(view: CameraView, screen: np.ndarray) -> np.ndarray:
    return view.to_widget(view.gate(), np.reshape(screen, (1, 2)))[0]


def test_the_subject_lands_where_the_rig_frames_it(qtbot) -> None:
    view = view_of(qtbot, shot())
    gate = view.gate()
    assert gate.width() / gate.height() == pytest.approx(36.0 / 24.0)
    x, y = view.drawn["subject"]
    # the rig's framing: screen_x of the width right of centre, screen_y of the height up
    assert x == pytest.approx(gate.center().x() + SCREEN[0] * gate.width(), abs=0.5)
    assert y == pytest.approx(gate.center().y() - SCREEN[1] * gate.height(), abs=0.5)
    image = view.grab().toImage()
    hit = image.pixelColor(round(x) + 4, round(y))  # on the cross's horizontal bar
    assert hit.green() > 150 and hit.green() > hit.blue() + 20


def test_lights_land_where_the_engine_projects_them(qtbot) -> None:
    graph = shot()
    view = view_of(qtbot, graph, frame=6)
    pose = camera_pose(view.channels, "camera", view.index())
    seen = 0
    for name, info in view.drawn["lights"].items():
        attrs = view.channels.of(name)
        pos = [attrs[a][view.index()] for a in ("tx", "ty", "tz")]
        screen = project_to_screen(pose.position, pose.euler_deg, pos, pose.focal_length,
                                   pose.sensor_width, pose.sensor_height)
        if info["at"] is not None:
            np.testing.assert_allclose(info["at"], widget_point(view, screen), atol=0.5)
            seen += 1
    assert seen >= 1


def test_a_spot_cone_is_drawn_for_spot_lights_only(qtbot) -> None:
    lights = view_of(qtbot, shot()).drawn["lights"]
    assert {n: i["kind"] for n, i in lights.items()} == {
        "key": "light.spot", "rim": "light.area", "practical": "light.point"}
    assert lights["key"]["cone"] is True
    assert lights["rim"]["cone"] is False and lights["practical"]["cone"] is False
    assert lights["rim"].get("panel") is True  # the area light's square
    # the falloff circle: one stop under the light's level at the subject (inverse square)
    d = np.linalg.norm(np.asarray(TARGET) - [view_of(qtbot, shot()).channels.of("practical")[a][0]
                                             for a in ("tx", "ty", "tz")])
    assert lights["practical"]["falloff_m"] == pytest.approx(np.sqrt(2.0) * d)
    area_key = view_of(qtbot, shot(key_kind="light.area")).drawn["lights"]["key"]
    assert area_key["cone"] is False and area_key["kind"] == "light.area"


def test_frame_and_safe_area_guides(qtbot) -> None:
    view = view_of(qtbot, shot())
    gate = view.gate()
    for name, frac in (("action", ACTION_SAFE), ("title", TITLE_SAFE)):
        x, y, w, h = view.drawn["safe"][name]
        assert (w, h) == pytest.approx((frac * gate.width(), frac * gate.height()))
        assert (x + w / 2, y + h / 2) == pytest.approx((gate.center().x(), gate.center().y()))
    assert view.drawn["grid"]["lines"] > 4


def test_no_camera_says_so(qtbot) -> None:
    g = mg.Graph(mg.Settings(frame_start=1, frame_end=4), mg.default_registry())
    g.add_node("moks.channels.oscillator", "osc", {"object": "key", "kind": "light.point",
                                                   "attribute": "intensity"})
    view = view_of(qtbot, g)
    assert view.drawn.get("empty") is True


def test_the_viewport_follows_the_scrubber_without_evaluating(editor, qtbot, tmp_path) -> None:
    path = tmp_path / "shot.mgraph"
    mg.save(shot(editor.doc.registry), path)
    editor.open_file(path)
    qtbot.waitUntil(lambda: editor.camera_view.channels is not None, timeout=20000)
    assert editor.space_tabs.widget(0) is editor.camera_view
    generation, done = editor.live.generation, editor.live.latest
    times = []
    for frame in range(1, 13):
        editor.curves.scrubber.set_frame(frame)
        assert editor.camera_view.frame == frame
        editor.camera_view.drawn = {}
        start = time.perf_counter()
        editor.camera_view.grab()  # a real paint (offscreen, repaint() may skip it)
        times.append(time.perf_counter() - start)
        assert editor.camera_view.drawn["subject"] is not None
    assert editor.live.generation == generation and editor.live.latest is done
    assert float(np.median(times)) < 0.1  # 24 fps needs < 42 ms; offscreen, shared CPUs


def test_top_and_side_views_share_one_grid_rule(qtbot) -> None:
    assert [grid_step(s) for s in (0.5, 3.0, 10.0, 48.0, 120.0)] == [0.05, 0.5, 1.0, 5.0,
                                                                       20.0]
    graph = shot()
    values = Evaluator().evaluate(graph).values
    layout = LayoutView()
    qtbot.addWidget(layout)
    layout.resize(800, 300)
    layout.set_channels(display_channels(graph, values, None)[0])
    layout.show()
    layout.grab()
    assert set(layout.grid_steps) == {"top", "side"}
    assert layout.grid_steps["top"] == layout.grid_steps["side"]


def test_play_runs_the_shot_through_the_camera_view(editor, qtbot, tmp_path) -> None:
    path = tmp_path / "shot.mgraph"
    mg.save(shot(editor.doc.registry), path)
    editor.open_file(path)
    qtbot.waitUntil(lambda: editor.camera_view.channels is not None, timeout=20000)
    scrubber = editor.curves.scrubber
    assert scrubber.timer.interval() == round(1000 / 24)  # the graph's fps
    scrubber.set_frame(1)
    scrubber.play.setChecked(True)
    qtbot.waitUntil(lambda: editor.camera_view.frame >= 4, timeout=5000)
    scrubber.play.setChecked(False)
    assert editor.camera_view.frame == scrubber.frame()
    scrubber.set_frame(12)
    scrubber.step()  # loops after the last frame
    assert scrubber.frame() == 1 and editor.camera_view.frame == 1


def test_a_walking_subject_stays_where_the_rig_frames_it(qtbot) -> None:
    """The proxy follows a moks.subject.path track (a null), and the tripod panning with it
    keeps it at its screen position on every frame."""
    g = mg.Graph(mg.Settings(frame_start=1, frame_end=48), mg.default_registry())
    g.add_node("moks.subject.path", "walker", {"start": (-2.0, 2.0, 1.6), "end": (2.0, 0.0, 1.6),
                                               "start_time": 0.0})
    g.add_node("moks.rig.tripod_locked", "cam", {"position": (0.0, -6.0, 1.7), "focal_length": 35.0,
                                                 "screen_x": SCREEN[0], "screen_y": SCREEN[1],
                                                 "noise_scale": 0.0})
    g.connect("walker.channels", "cam.subject")
    g.add_node("moks.channels.merge", "scene")
    g.connect("cam.channels", "scene.a")
    g.connect("walker.channels", "scene.b")
    view = view_of(qtbot, g)
    walker = view.channels.of("subject")  # the path node's object name
    np.testing.assert_allclose(view.subject[:, 0], walker["tx"])  # the track, not a target
    seen = []
    for frame in (1, 16, 32, 48):
        view.set_frame(frame)
        view.grab()
        gate = view.gate()
        seen.append(view.subject[view.index(), 0])
        x, y = view.drawn["subject"]
        assert x == pytest.approx(gate.center().x() + SCREEN[0] * gate.width(), abs=1.0)
        assert y == pytest.approx(gate.center().y() - SCREEN[1] * gate.height(), abs=1.0)
    assert np.ptp(seen) > 1.0  # it really walked
