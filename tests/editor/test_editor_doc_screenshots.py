"""The editor's doc screenshots (issue 18): drawn offscreen, small, and where the page says."""

from __future__ import annotations

import re
from pathlib import Path

from moks_graph.editor.doc_screenshots import shoot_graph, shoot_views

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 200 * 1024


def test_the_views_are_drawn_offscreen_from_the_starters(qapp, tmp_path) -> None:
    written = shoot_views(ROOT / "graphs", tmp_path)
    assert {p.name for p in written} == {"editor-camera-view.png", "editor-top-side.png",
                                         "editor-curves.png"}
    for path in written:
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and 4096 < len(data) < LIMIT


def test_the_compact_graph_is_drawn_from_a_tidied_starter(qapp, tmp_path) -> None:
    path = shoot_graph(ROOT / "graphs", tmp_path)
    data = path.read_bytes()
    assert path.name == "editor-graph-compact.png"
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and 4096 < len(data) < LIMIT
    page = (ROOT / "docs" / "editor.md").read_text(encoding="utf-8")
    assert "](images/editor-graph-compact.png)" in page


def test_the_editor_page_shows_small_committed_images() -> None:
    page = (ROOT / "docs" / "editor.md").read_text(encoding="utf-8")
    images = re.findall(r"\]\((images/editor-[a-z-]+\.png)\)", page)
    assert len(images) >= 4
    for rel in images:
        path = ROOT / "docs" / rel
        assert path.is_file() and path.stat().st_size < LIMIT, rel
