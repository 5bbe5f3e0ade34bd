"""Fixtures for the editor tests (pytest-qt, offscreen)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# the Qt bootstrap (binding choice, PySide6 None-refcount guard) before any Qt use
from moks_graph.editor import qtcompat  # noqa: F401

DEMO = Path(__file__).resolve().parents[2] / "moks_graph" / "data" / "demo.mgraph"

#: A graph with an unknown node type (a placeholder) and an out-of-range parameter.
ERROR_GRAPH = """{
  "edges": [
    {"from": ["osc", "channels"], "to": ["mystery", "input"]},
    {"from": ["osc", "channels"], "to": ["gain", "channels"]}
  ],
  "meta": {},
  "nodes": {
    "gain": {"params": {"gain": 2.0}, "type": "moks.channels.gain", "type_version": 1,
             "ui": {"pos": [300, 100]}},
    "mystery": {"params": {"secret": 42}, "type": "studio.unknown.thing", "type_version": 3,
                "ui": {"pos": [300, -100]}},
    "osc": {"params": {"object": "cam", "kind": "camera", "attribute": "tx",
                       "frequency_hz": 5000.0},
            "type": "moks.channels.oscillator", "type_version": 2, "ui": {"pos": [0, 0]}}
  },
  "schema_version": 2,
  "settings": {"fps": 24.0, "frame_end": 24, "frame_start": 1, "seed": 1, "subframes": 1}
}
"""


@pytest.fixture
def demo_path() -> Path:
    return DEMO


@pytest.fixture
def error_file(tmp_path: Path) -> Path:
    path = tmp_path / "broken.mgraph"
    path.write_text(ERROR_GRAPH)
    return path


@pytest.fixture
def doc(qapp):
    from moks_graph.editor.model import EditorDocument

    return EditorDocument()


@pytest.fixture
def editor(qtbot):
    """An EditorWidget on its own (no QMainWindow), shown offscreen."""
    from moks_graph.editor.widget import EditorWidget

    widget = EditorWidget()
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    return widget
