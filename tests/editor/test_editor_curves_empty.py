"""Curve viewer empty state (issue 18): a message, no SI-scaled axis label."""
from __future__ import annotations

from editor.viewers import CurveViewer


def test_empty_curve_viewer_says_so_without_si_prefix(qtbot) -> None:
    viewer = CurveViewer()
    qtbot.addWidget(viewer)
    viewer.set_channels(None, "invalid graph")
    assert viewer.empty.scene() is not None
    assert "no channels" in viewer.empty.textItem.toPlainText()
    assert "x0.001" not in viewer.plot.getAxis("bottom").labelString()
    assert viewer.plot.getAxis("bottom").autoSIPrefix is False
