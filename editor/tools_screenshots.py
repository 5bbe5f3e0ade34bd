"""Screenshots of the everyday tools for docs/editor-tools.md (issue 18).

``python -m moks_graph.editor.tools_screenshots [--out DIR]``.

Offscreen. Opens a starter in the editor, collapses its lights into a subgraph, bypasses
the camera weather, draws a backdrop around the camera rig, and grabs the whole canvas
(``editor-tools-canvas.png``); then the Bake dialog with its options set
(``editor-bake-dialog.png``); then the key light's parameter panel as an area light and as a
spot, side by side (``editor-panels.png``: the cone rows only on the spot); then a still
rendered by the built-in forward model loaded into a ``moks.image.load`` node feeding a
``moks.image.lotus_point`` node, the latter selected: the Image viewer shows the still with
the Lotus point overlaid (``editor-image-overlay.png``). Each file stays under 200 KB.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

STARTER = "handheld_chase"


def _app() -> object:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from moks_graph.editor import qtcompat  # noqa: F401  (binding bootstrap)
    from moks_graph.editor.qtcompat import QtWidgets

    return QtWidgets.QApplication.instance() or QtWidgets.QApplication([])


def shoot(graphs: Path, out: Path) -> list[Path]:
    """Write the PNGs into ``out``; returns their paths."""
    app = _app()
    from moks_graph.editor.bake_dialog import BakeDialog
    from moks_graph.editor.widget import EditorWidget

    out.mkdir(parents=True, exist_ok=True)
    editor = EditorWidget()
    editor.resize(1600, 1000)
    editor.show()
    editor.open_file(graphs / f"{STARTER}.mgraph")
    panels = _shoot_panels(editor, out / "editor-panels.png")
    canvas = editor.canvas
    canvas.subgraphs.collapse(["atmosphere", "key", "fill"], title="lights")
    canvas.bypass.toggle(["camera_weather"])
    canvas.backdrops.add("camera", around=["camera_rig"])
    canvas.select([])
    shown = [v for v in canvas.viewer.scene().items() if v.isVisible()]
    canvas.viewer.fit_rect(canvas.viewer._combined_rect(shown).adjusted(-30, -30, 30, 30))
    app.processEvents()  # type: ignore[attr-defined]
    shots = [out / "editor-tools-canvas.png", out / "editor-bake-dialog.png"]
    canvas.grab().save(str(shots[0]))
    dialog = BakeDialog(editor.doc.graph, None, str(out))
    dialog.host.setCurrentIndex(dialog.host.findData("usd"))
    dialog.subframes.setValue(2)
    dialog.up_axis.setCurrentIndex(dialog.up_axis.findData("Y"))
    dialog.meters_per_unit.setValue(1.0)
    dialog.phi_enabled.setChecked(True)
    dialog.phi.setValue(0.6)
    dialog.scene_map.setText("layout_scene_map.json")
    dialog.path.setText("out/handheld_chase.usda")
    dialog.show()
    app.processEvents()  # type: ignore[attr-defined]
    dialog.grab().save(str(shots[1]))
    dialog.close()
    shots.append(panels)
    editor.close()
    shots.append(_shoot_image_overlay(out / "editor-image-overlay.png"))
    return shots


def _shoot_image_overlay(target: Path, timeout_s: float = 60.0) -> Path:
    """A rendered still into a Lotus-point node, selected: the editor with its Image tab."""
    import tempfile
    import time

    import numpy as np

    from moks_graph.editor.qtcompat import QtWidgets
    from moks_graph.editor.widget import EditorWidget
    from moks_graph.nodes.inverse.render import BuiltinRenderer
    from moks_graph.nodes.scenescript.vocabulary import parse_prose

    editor = EditorWidget()
    editor.resize(1280, 760)
    editor.show()
    with tempfile.TemporaryDirectory() as folder:
        still = Path(folder) / "still.npy"
        np.save(still, BuiltinRenderer().render(parse_prose("split light medium"), (320, 180)))
        doc = editor.doc
        doc.add_node("moks.image.load", (0, 0), {"path": str(still)}, node_id="still")
        doc.add_node("moks.image.lotus_point", (260, 0), node_id="lotus")
        doc.connect("still.image", "lotus.image")
        deadline = time.monotonic() + timeout_s
        while not (editor.live.latest is not None and not editor.live.busy
                   and "lotus.point" in editor.live.latest.result.values):
            if time.monotonic() > deadline:
                raise RuntimeError("the Lotus point was not evaluated in time")
            QtWidgets.QApplication.processEvents()
            time.sleep(0.01)
        editor.canvas.select(["lotus"])
        editor.viewer_tabs.setCurrentWidget(editor.images)
        editor.canvas.parentWidget().setSizes([220, 540])  # the graph | the viewers
        editor.viewer_tabs.parentWidget().setSizes([520, 130])  # the image | the camera
        QtWidgets.QApplication.processEvents()
        editor.canvas.fit_all()
        QtWidgets.QApplication.processEvents()
        if not editor.images.points:
            raise RuntimeError("the image viewer shows no Lotus point")
        editor.grab().save(str(target))
    doc.undo_stack.setClean()
    editor.close()
    return target


def _shoot_panels(editor: object, target: Path) -> Path:
    """The key light's panel as an area light, then as a spot (undone after), side by side."""
    from moks_graph.editor.qtcompat import QtGui, QtWidgets

    editor.canvas.select(["key"])  # type: ignore[attr-defined]
    panel, doc = editor.properties, editor.doc  # type: ignore[attr-defined]
    if panel.node_id != "key":
        raise RuntimeError(f"the starter has no selectable 'key' node (panel: {panel.node_id})")
    grabs = []
    for kind in ("light.area", "light.spot"):
        doc.set_param("key", "kind", kind)
        QtWidgets.QApplication.processEvents()  # the form lays its shown rows out again
        grabs.append(panel.grab().toImage())
    doc.undo_stack.undo()
    image = QtGui.QImage(sum(g.width() for g in grabs) + 8, max(g.height() for g in grabs),
                         QtGui.QImage.Format.Format_RGB32)
    image.fill(QtGui.QColor(29, 31, 35))
    painter = QtGui.QPainter(image)
    painter.drawImage(0, 0, grabs[0])
    painter.drawImage(grabs[0].width() + 8, 0, grabs[1])
    painter.end()
    image.save(str(target), "PNG", 0)
    return target


def main(argv: list[str] | None = None) -> int:
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=root / "docs" / "images")
    args = parser.parse_args(argv)
    for path in shoot(root / "graphs", args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
