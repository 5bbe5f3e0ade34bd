"""The everyday-tools screenshots for docs/editor-tools.md are drawn offscreen from a starter
(subgraph, bypass, backdrop; the Bake dialog with its options; an area and a spot light's
panels; a Lotus-point node's image with its point overlaid) and stay small (issue 18)."""

from __future__ import annotations

import re
from pathlib import Path

from moks_graph.editor.qtcompat import QtGui
from moks_graph.editor.tools_screenshots import shoot

GRAPHS = Path(__file__).resolve().parents[2] / "graphs"


def test_tools_screenshots(qapp, tmp_path):
    shots = shoot(GRAPHS, tmp_path)
    assert [p.name for p in shots] == ["editor-tools-canvas.png", "editor-bake-dialog.png",
                                       "editor-panels.png", "editor-image-overlay.png"]
    for path in shots:
        assert 5_000 < path.stat().st_size < 200_000
        image = QtGui.QImage(str(path))
        assert image.width() > 500 and image.height() > 300
        colours = {image.pixel(x, y) for x in range(0, image.width(), 7)
                   for y in range(0, image.height(), 5)}
        assert len(colours) > 3  # not a blank grab

    overlay = QtGui.QImage(str(shots[-1]))  # the Lotus point's ring and label, drawn in yellow
    yellow = [(x, y) for x in range(overlay.width()) for y in range(overlay.height() // 4,
                                                                       overlay.height())
              if _near(overlay.pixelColor(x, y), (255, 220, 90))]
    assert len(yellow) > 30


def _near(colour, rgb, tol: int = 40) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(colour.getRgb()[:3], rgb, strict=True))


def test_the_tools_page_shows_its_committed_images() -> None:
    """docs/editor-tools.md links each shot (the image node's overlay among them), committed
    and under 200 KB."""
    root = GRAPHS.parent
    page = (root / "docs" / "editor-tools.md").read_text(encoding="utf-8")
    linked = re.findall(r"\]\(images/(editor-[a-z-]+\.png)\)", page)
    assert "editor-image-overlay.png" in linked and len(linked) == 4
    for name in linked:
        path = root / "docs" / "images" / name
        assert path.is_file() and path.stat().st_size < 200_000, name
