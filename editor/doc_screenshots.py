"""Screenshots of the editor's views for docs/editor.md.

``python -m moks_graph.editor.doc_screenshots [--out DIR]``.

Offscreen (no display needed). Each view is filled from a real evaluation of a starter in
``graphs/`` and grabbed with ``QWidget.grab``; the PNGs go to ``docs/images/`` (or ``--out``):
``editor-window.png`` (the whole editor, camera tab), ``editor-camera-view.png``,
``editor-curves.png``, ``editor-top-side.png`` and ``editor-graph-compact.png`` (a starter
with its merges compacted and laid out, :func:`moks_graph.layout.tidy_graph`, at its default
zoom). The window is scaled to 1120 px wide so that every file stays small (< 200 KB).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

SHOT = "interrogation_low_key"  # curves: a handheld camera and a rim spot
WIDE = "technocrane_crowd_sweep"  # the window
CONE = "handheld_follow_walk_away"  # camera and top/side views: a rim spot's cone in frame


def _app() -> object:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from moks_graph.editor import qtcompat  # noqa: F401  (binding bootstrap)
    from moks_graph.editor.qtcompat import QtWidgets

    return QtWidgets.QApplication.instance() or QtWidgets.QApplication([])


def _scene(path: Path) -> tuple[object, object, object, int]:
    """A starter's graph, evaluated values, merged channels and middle frame."""
    import moks_graph as mg
    from moks_graph.editor.viewers import display_channels
    from moks_graph.evaluate import Evaluator

    graph = mg.load(path)
    values = Evaluator().evaluate(graph).values
    channels, _ = display_channels(graph, values, None)
    s = graph.settings
    return graph, values, channels, (s.frame_start + s.frame_end) // 2


def shoot_views(graphs: Path, out: Path) -> list[Path]:
    """The camera, curve and top/side views, each on its own."""
    from moks_graph.editor.camera_view import CameraView, subject_track
    from moks_graph.editor.curves import CurveViewer
    from moks_graph.editor.theme import STYLE_SHEET
    from moks_graph.editor.viewers import LayoutView

    graph, values, channels, frame = _scene(graphs / f"{CONE}.mgraph")
    camera = CameraView()
    camera.resize(720, 440)
    camera.set_scene(channels, subject_track(graph, values, channels))
    camera.set_frame(frame)
    layout = LayoutView()
    layout.resize(720, 300)
    layout.set_channels(channels)
    layout.set_frame(frame)
    graph, values, channels, frame = _scene(graphs / f"{SHOT}.mgraph")
    curves = CurveViewer()
    curves.resize(900, 520)
    curves.set_channels(channels, "scene.channels")
    curves.set_visible([n for n, v in channels.values.items()
                        if n.split(".")[0] in ("camera", "rim") and np.ptp(v) > 0])
    curves.scrubber.set_frame(frame)
    written = []
    for widget in (camera, layout, curves):
        widget.setStyleSheet(STYLE_SHEET)
    for name, widget in (("editor-camera-view", camera), ("editor-top-side", layout),
                         ("editor-curves", curves)):
        widget.show()
        target = out / f"{name}.png"
        widget.grab().save(str(target), "PNG", 0)  # 0: the smallest file
        written.append(target)
    return written


def _window() -> tuple[object, object]:
    """The themed application and a 1600 x 1000 editor window, shown."""
    import tempfile

    from moks_graph.editor.main_window import MainWindow
    from moks_graph.editor.qtcompat import QtCore, QtWidgets
    from moks_graph.editor.theme import apply_app_theme

    app = QtWidgets.QApplication.instance()
    apply_app_theme(app)
    settings = QtCore.QSettings(str(Path(tempfile.gettempdir()) / "moks-doc-shots.ini"),
                                QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    return app, window


def shoot_graph(graphs: Path, out: Path) -> Path:
    """The canvas of a starter with its merges compacted and laid out, at the default zoom."""
    import tempfile

    from moks_graph import mgraph
    from moks_graph.layout import tidy_graph

    app, window = _window()
    with tempfile.TemporaryDirectory() as tmp:
        tidy = Path(tmp) / f"{SHOT}.mgraph"
        mgraph.save(tidy_graph(mgraph.load(graphs / f"{SHOT}.mgraph")), tidy)
        window.open_path(str(tidy))
    app.processEvents()
    target = out / "editor-graph-compact.png"
    window.editor.canvas.viewer.grab().save(str(target), "PNG", 0)
    window.close()
    return target


def shoot_window(graphs: Path, out: Path) -> Path:
    """The whole editor on the camera tab, the scene selected, scaled to 1120 px wide."""
    from moks_graph.editor.qtcompat import QtCore

    app, window = _window()
    window.open_path(str(graphs / f"{WIDE}.mgraph"))
    editor = window.editor
    editor.wait_for_evaluation(120000)
    editor.canvas.select(["scene"] if "scene" in editor.doc.graph.nodes else [])
    s = editor.doc.graph.settings
    editor.curves.scrubber.set_frame((s.frame_start + s.frame_end) // 2)
    app.processEvents()
    editor.canvas.fit_all()
    app.processEvents()
    image = window.grab().toImage().scaledToWidth(
        1120, QtCore.Qt.TransformationMode.SmoothTransformation)
    target = out / "editor-window.png"
    image.save(str(target), "PNG", 0)
    return target


def main(argv: list[str] | None = None) -> int:
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(prog="python -m moks_graph.editor.doc_screenshots",
                                     description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=root / "docs" / "images")
    parser.add_argument("--graphs", type=Path, default=root / "graphs")
    args = parser.parse_args(argv)
    app = _app()
    args.out.mkdir(parents=True, exist_ok=True)
    written = [*shoot_views(args.graphs, args.out), shoot_window(args.graphs, args.out),
               shoot_graph(args.graphs, args.out)]
    for path in written:
        print(f"{path} ({path.stat().st_size // 1024} KB)")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
