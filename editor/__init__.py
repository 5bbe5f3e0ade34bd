"""The MOKS graph editor (PySide6 + NodeGraphQt): ``moks-editor``, and a widget to embed.

Importing this package does not import Qt; the names below load on first use
(module ``__getattr__``), so ``import moks_graph.editor`` is safe in a headless
farm process::

    from moks_graph.editor import EditorWidget      # imports PySide6 now
    editor = EditorWidget("graphs/handheld_chase.mgraph")  # a plain QWidget: show or embed it

``EditorWidget`` (:mod:`.widget`), ``MainWindow`` (:mod:`.main_window`),
``EditorDocument`` (:mod:`.model`); recipes for Maya and Blender in :mod:`.embed`;
the ``moks-editor`` command in :mod:`.app`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from moks_graph.editor.main_window import MainWindow
    from moks_graph.editor.model import EditorDocument
    from moks_graph.editor.widget import EditorWidget

_LAZY = {
    "EditorWidget": "moks_graph.editor.widget",
    "MainWindow": "moks_graph.editor.main_window",
    "EditorDocument": "moks_graph.editor.model",
}

__all__ = ["EditorDocument", "EditorWidget", "MainWindow"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'moks_graph.editor' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
