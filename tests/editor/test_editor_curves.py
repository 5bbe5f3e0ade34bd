"""Curve viewer (issue 18): a node's channels at once, grouped per object, units, empty state."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import moks_graph as mg
from moks_graph.channels import ATTRIBUTES, Channels
from moks_graph.editor.curves import CurveViewer
from moks_graph.timebase import time_array

STARTER = Path(__file__).resolve().parents[2] / "graphs" / "interrogation_low_key.mgraph"


def opened(editor, qtbot, path: Path) -> None:
    editor.open_file(path)
    qtbot.waitUntil(lambda: editor.live.latest is not None and not editor.live.busy,
                    timeout=30000)


def test_the_scene_shows_every_object_in_its_own_plot_with_a_legend(editor, qtbot) -> None:
    opened(editor, qtbot, STARTER)
    editor.canvas.select(["scene"])
    curves = editor.curves
    channels = curves.channels
    assert channels is not None
    moving = {n.split(".")[0] for n, v in channels.values.items() if np.ptp(v) > 0}
    assert set(curves.plots) == moving and len(moving) >= 4
    assert next(iter(curves.plots)) == "camera"  # cameras first, then lights
    for obj in curves.plots:
        labels = curves.legend_labels(obj)
        drawn = [n for n in curves.curves if n.startswith(obj + ".")]
        assert len(labels) == len(drawn) > 0  # every curve in the legend
        for name, label in zip(drawn, labels, strict=True):
            unit = ATTRIBUTES[name.split(".")[1]][0]
            assert label.startswith(f"{name.split('.')[1]} [{unit}]")
    # the camera mixes metres and degrees: normalised, each range in the legend
    assert curves.axis_label("camera") == "normalised 0-1"
    ty = next(label for label in curves.legend_labels("camera") if label.startswith("ty [m]"))
    assert f"{channels['camera.ty'].min():.4g}" in ty
    assert curves.axis_label(list(curves.plots)[-1], "bottom").startswith("frame (24 fps)")


def test_one_unit_per_plot_is_drawn_in_that_unit(qtbot) -> None:
    t = time_array(1, 5, 24.0)
    ramp = np.linspace(0.0, 2.0, 5)
    viewer = CurveViewer()
    qtbot.addWidget(viewer)
    viewer.set_channels(Channels(t, {"cam.tx": ramp, "cam.tz": ramp + 1, "cam.rz": ramp * 10,
                                     "key.intensity": ramp * 100},
                                 {"cam": "camera", "key": "light.point"}), "test")
    viewer.set_visible(["cam.tx", "cam.tz", "key.intensity"])
    assert set(viewer.plots) == {"cam", "key"}
    assert viewer.axis_label("cam") == "m" and viewer.axis_label("key") == "cd"
    np.testing.assert_allclose(viewer.curves["cam.tz"].getData()[1], ramp + 1)
    assert viewer.legend_labels("cam") == ["tx [m]", "tz [m]"]
    viewer.normalise.setChecked(True)
    np.testing.assert_allclose(viewer.curves["key.intensity"].getData()[1], ramp / 2)
    # the channel tree names the object and each channel's unit
    top = viewer.tree.topLevelItem(0)
    assert top.text(0) == "cam  (camera)"
    assert [top.child(i).text(0) for i in range(top.childCount())] == [
        "rz  [deg]", "tx  [m]", "tz  [m]"]  # the Channels' own (sorted) order


def test_an_invalid_graph_says_why_instead_of_an_empty_plot(editor, qtbot, tmp_path) -> None:
    g = mg.Graph(mg.Settings(frame_start=1, frame_end=8), mg.default_registry())
    g.add_node("moks.channels.merge", "merge")  # its required input 'a' is not connected
    path = tmp_path / "invalid.mgraph"
    mg.save(g, path)
    opened(editor, qtbot, path)
    curves = editor.curves
    assert curves.channels is None
    text = curves.empty.textItem.toPlainText()
    assert text.startswith("graph invalid: ") and "merge" in text
    assert curves.title.text().startswith("graph invalid: ")
    assert "x0.001" not in curves.plot.getAxis("bottom").labelString()


def test_the_first_node_selected_after_opening_shows_its_curves(editor, qtbot) -> None:
    opened(editor, qtbot, STARTER)
    editor.canvas.select(["key"])
    assert editor.curves.visible_names()
    assert set(editor.curves.plots) == {"key"}
    assert all(n.startswith("key.") for n in editor.curves.curves)
