"""Curve viewer empty state (issue 18): a message, no SI-scaled axis label."""
from __future__ import annotations

import numpy as np

from moks_graph.channels import Channels
from moks_graph.editor.curves import CurveViewer
from moks_graph.timebase import time_array


def test_empty_curve_viewer_says_so_without_si_prefix(qtbot) -> None:
    viewer = CurveViewer()
    qtbot.addWidget(viewer)
    viewer.set_channels(None)
    assert viewer.empty.scene() is not None
    assert "no channels" in viewer.empty.textItem.toPlainText()
    assert "x0.001" not in viewer.plot.getAxis("bottom").labelString()
    assert viewer.plot.getAxis("bottom").autoSIPrefix is False



def test_channels_unticked_earlier_still_show_when_a_node_is_selected(qtbot) -> None:
    t = time_array(1, 3, 24.0)
    viewer = CurveViewer()
    qtbot.addWidget(viewer)
    viewer.set_channels(Channels(t, {"cam.tx": np.zeros(3), "cam.ty": np.ones(3)},
                                 {"cam": "camera"}), "all")
    viewer.set_visible([])
    viewer.set_channels(Channels(t, {"cam.tx": np.zeros(3)}, {"cam": "camera"}), "node")
    assert viewer.visible_names() == ["cam.tx"] and "cam.tx" in viewer.curves
