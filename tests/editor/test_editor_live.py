"""Live evaluation in the worker, the viewers it feeds, and their pure helpers."""

from __future__ import annotations

import numpy as np
import pytest

import moks_graph as mg
from moks_graph.channels import Channels
from moks_graph.editor.evaluation import LiveEvaluator
from moks_graph.editor.viewers import (
    camera_forward,
    display_channels,
    display_images,
    metric_points,
    object_tracks,
    to_display_u8,
)
from moks_graph.timebase import time_array


def test_live_evaluation_updates_the_curve_viewer(editor, demo_path, qtbot):
    editor.open_file(demo_path)
    qtbot.waitUntil(lambda: editor.curves.channels is not None, timeout=10000)
    assert set(editor.curves.channels) == {"camera.tx", "camera.tz", "key.intensity"}
    before = editor.curves.channels["camera.tx"].copy()
    assert np.abs(before).max() == pytest.approx(0.25, rel=0.02)  # sway amplitude
    editor.doc.set_param("sway", "amplitude", 1.5)
    qtbot.waitUntil(lambda: np.abs(editor.curves.channels["camera.tx"]).max() > 1.0,
                    timeout=10000)
    after = editor.curves.channels["camera.tx"]
    np.testing.assert_allclose(after, before * 6.0, rtol=1e-12, atol=1e-15)
    # only the dirty part was recomputed: sway and what it feeds
    result = editor.live.latest.result
    assert set(result.computed) == {"sway", "camera_rig", "scene"}
    assert {"breath", "flicker"} <= set(result.reused)
    # the curve items show the data (pyqtgraph) and the layout view got the camera
    x, y = editor.curves.curves["camera.tx"].getData()
    np.testing.assert_allclose(x, np.arange(1, 49))
    # one plot per object: the camera's metres drawn in metres, the key's candela apart
    assert not editor.curves.normalise.isChecked()
    np.testing.assert_allclose(y, after)
    assert editor.curves.axis_label("camera") == "m"
    assert editor.curves.axis_label("key") == "cd"
    assert [t[0] for t in object_tracks(editor.layout_view.channels)] == ["camera"]


def test_viewer_follows_selection(editor, demo_path, qtbot):
    editor.open_file(demo_path)
    qtbot.waitUntil(lambda: editor.curves.channels is not None, timeout=10000)
    editor.canvas.select(["flicker"])
    assert list(editor.curves.channels) == ["key.intensity"]
    editor.follow_selection.setChecked(False)
    assert len(editor.curves.channels) == 3


def test_stale_results_are_discarded(qapp, chain_graph, qtbot):
    live = LiveEvaluator()
    seen = []
    live.evaluated.connect(seen.append)
    gens = [live.request(chain_graph) for _ in range(4)]
    chain_graph.set_param("gain", "gain", 3.0)
    last = live.request(chain_graph)
    assert live.wait(20000)
    assert [e.generation for e in seen] == [last]
    assert gens == [1, 2, 3, 4] and last == 5
    assert live.discarded >= 1
    values = seen[0].result["gain.channels"]["cam.ty"]
    np.testing.assert_allclose(values, 3.0 * seen[0].result["osc_b.channels"]["cam.ty"])


def test_srgb_display_conversion():
    img = np.array([[[0.0, 1.0, 0.18], [2.0, -1.0, 0.0031308]]], dtype=np.float32)
    out = to_display_u8(img)
    assert out.dtype == np.uint8
    # 0.18 linear -> 1.055 * 0.18**(1/2.4) - 0.055 = 0.4614 -> 118; 0.0031308 -> 12.92x = 0.04045
    assert out[0, 0].tolist() == [0, 255, 118]
    assert out[0, 1].tolist() == [255, 0, 10]
    assert to_display_u8(np.full((1, 1, 3), 0.5, np.float32), exposure_ev=1.0)[0, 0, 0] == 255
    with pytest.raises(ValueError, match="image"):
        to_display_u8(np.zeros((4, 4)))


def test_camera_forward_blender_convention():
    np.testing.assert_allclose(camera_forward(0, 0, 0), [0, 0, -1], atol=1e-12)
    np.testing.assert_allclose(camera_forward(90, 0, 0), [0, 1, 0], atol=1e-12)
    np.testing.assert_allclose(camera_forward(90, 0, 90), [-1, 0, 0], atol=1e-12)


def test_display_choices_and_metric_points(registry):
    g = mg.Graph(mg.Settings(frame_start=1, frame_end=4), registry)
    g.add_node("moks.channels.oscillator", "a", {"object": "cam", "kind": "camera",
                                               "attribute": "tx"})
    g.add_node("moks.channels.oscillator", "b", {"object": "key", "kind": "light.point",
                                               "attribute": "tz", "offset": 3.0})
    g.add_node("moks.channels.gain", "g")
    g.connect("a.channels", "g.channels")
    values = g.evaluate().values
    merged, title = display_channels(g, values)
    assert set(merged) == {"cam.tx", "key.tz"} and "b.channels" in title and "g.channels" in title
    own, ref = display_channels(g, values, "a")
    assert ref == "a.channels" and list(own) == ["cam.tx"]
    tracks = {name: xyz for name, _kind, xyz in object_tracks(merged)}
    np.testing.assert_allclose(tracks["key"][:, 2], values["b.channels"]["key.tz"])
    assert display_images(g, values) == []
    t = time_array(1, 2, 24.0)
    ch = Channels(t, {"cam.tx": np.zeros(2)}, {"cam": "camera"})
    assert object_tracks(ch)[0][2].shape == (2, 3)


class Still(mg.Node):
    """A synthetic still with a bright spot, a mask of it, and the spot as metrics."""

    type_id = "test.still"
    category = "Imaging"
    outputs = {"image": mg.Output(mg.IMAGE), "spot_mask": mg.Output(mg.IMAGE),
               "metrics": mg.Output(mg.METRICS)}

    def compute(self, ctx, params):
        img = np.full((40, 80, 3), 0.18, np.float32)
        img[8:12, 38:42] = 1.0
        mask = np.zeros_like(img)
        mask[8:12, 38:42] = 1.0
        return {"image": img, "spot_mask": mask,
                "metrics": {"lotus_x": 0.5, "lotus_y": 0.25, "mean": 0.2}}


def test_image_viewer_shows_image_points_and_mask(qtbot):
    from moks_graph.editor.widget import EditorWidget

    reg = mg.Registry()
    reg.register(Still)
    editor = EditorWidget(registry=reg)
    qtbot.addWidget(editor)
    g = editor.doc.graph
    assert editor.doc.add_node("test.still", (0, 0), node_id="still")
    qtbot.waitUntil(lambda: bool(editor.images.images), timeout=10000)
    values = editor.live.latest.result.values
    assert metric_points(g, values, "still", (40, 80)) == [(40.0, 10.0, "lotus")]
    assert [ref for ref, _ in editor.images.images] == ["still.image"]
    assert editor.images.mask is not None and editor.images.mask.sum() == 16
    assert editor.images.pixmap_item.pixmap().width() == 80
    image = editor.images.pixmap_item.pixmap().toImage()
    assert image.pixelColor(0, 0).red() == 118  # 0.18 linear shown sRGB-encoded
    spot = image.pixelColor(39, 9)
    assert spot.red() > spot.green()  # the mask tint over the white spot
