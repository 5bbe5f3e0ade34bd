"""Embedding the editor in Maya and Blender: documented recipes plus their host-free parts.

The details (moved from this docstring): docs/editor.md, "Module notes", `editor/embed.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from moks_graph.editor.widget import EditorWidget

#: Seconds between two Qt event pumps in Blender (50 Hz keeps the UI fluid).
PUMP_INTERVAL = 0.02
#: Editor windows opened in Blender (kept referenced so Python does not delete them).
_WINDOWS: list[Any] = []


def attach_editor(container: Any, path: str | Path | None = None, **kwargs: Any) -> EditorWidget:
    """Create an EditorWidget inside ``container`` (any QWidget), filling its layout.

    Reuses the container's layout if it has one (Maya's workspaceControl does),
    else gives it a margin-free QVBoxLayout. Returns the editor.
    """
    from moks_graph.editor.qtcompat import QtWidgets
    from moks_graph.editor.widget import EditorWidget

    if not isinstance(container, QtWidgets.QWidget):
        raise TypeError(f"container must be a QWidget, got {type(container).__name__}")
    layout = container.layout()
    if layout is None:
        layout = QtWidgets.QVBoxLayout(container)
        layout.setContentsMargins(0, 0, 0, 0)
    editor = EditorWidget(path, parent=container, **kwargs)
    layout.addWidget(editor)
    return editor


def maya_workspace_control(name: str = "MOKSGraphEditor", label: str = "MOKS Graph",
                           path: str | Path | None = None, width: int = 1400,
                           height: int = 900) -> EditorWidget:
    """Open the editor in a dockable Maya workspaceControl (replacing one of the same name)."""
    import maya.cmds as cmds  # type: ignore[import-not-found]
    import shiboken6
    from maya import OpenMayaUI  # type: ignore[import-not-found]

    from moks_graph.editor.qtcompat import QtWidgets

    if cmds.workspaceControl(name, query=True, exists=True):
        cmds.deleteUI(name)
    cmds.workspaceControl(name, label=label, floating=True, retain=False,
                          initialWidth=width, initialHeight=height)
    pointer = OpenMayaUI.MQtUtil.findControl(name)
    if pointer is None:
        raise RuntimeError(f"Maya has no Qt control named {name!r}")
    control = shiboken6.wrapInstance(int(pointer), QtWidgets.QWidget)
    return attach_editor(control, path)


def pump_qt_events() -> float | None:
    """One ``bpy.app.timers`` tick: process Qt events; ``None`` (stop) once no window is open."""
    from moks_graph.editor.qtcompat import QtWidgets

    app = QtWidgets.QApplication.instance()
    if app is None:
        return None
    app.processEvents()
    _WINDOWS[:] = [w for w in _WINDOWS if _alive(w)]
    return PUMP_INTERVAL if any(w.isVisible() for w in _WINDOWS) else None


def _alive(widget: Any) -> bool:
    try:
        import shiboken6

        return bool(shiboken6.isValid(widget))
    except ImportError:
        return True


def register_pump(timers: Any = None) -> bool:
    """Register :func:`pump_qt_events` with ``bpy.app.timers`` (once); True if newly added."""
    if timers is None:
        import bpy  # type: ignore[import-not-found]

        timers = bpy.app.timers
    if timers.is_registered(pump_qt_events):
        return False
    timers.register(pump_qt_events, first_interval=0.0, persistent=True)
    return True


def open_in_blender(path: str | Path | None = None, size: tuple[int, int] = (1500, 950),
                    timers: Any = None) -> EditorWidget:
    """Open the editor as a top-level PySide6 window pumped by a Blender timer."""
    from moks_graph.editor.qtcompat import ensure_app
    from moks_graph.editor.widget import EditorWidget

    ensure_app()
    editor = EditorWidget(path)
    editor.setWindowTitle("MOKS Graph")
    editor.resize(*size)
    editor.show()
    _WINDOWS.append(editor)
    register_pump(timers)
    return editor
