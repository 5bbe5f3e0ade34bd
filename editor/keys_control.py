"""Keys in the editor (issue 18): set a key on a keyable parameter at the current frame.

**K** (canvas menu: *Set key*) keys every keyable parameter of the selected nodes at the
current frame with the value it has there (its curve's value, or its static value
when it has no keys yet); :meth:`KeysControl.set_key` sets one value. Each is one undo
step through :meth:`moks_graph.Graph.set_keys` (validated against the parameter's
range; refusals appear in the status bar). The current frame is the timeline
scrubber's (``frame_source`` overrides it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from moks_graph.editor.edit_ops import SetKeysOp
from moks_graph.editor.model import Op
from moks_graph.editor.qtcompat import QtCore, QtGui
from moks_graph.keyframes import value_at, with_key

if TYPE_CHECKING:
    from moks_graph.editor.canvas import GraphCanvas


class KeysControl(QtCore.QObject):
    """The Set key action of one canvas."""

    def __init__(self, canvas: GraphCanvas) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        #: the current frame; default: the editor's timeline scrubber, else the first frame
        self.frame_source: Callable[[], float] = self._scrubber_frame
        self.action = QtGui.QAction("Set key", canvas)
        self.action.setShortcut(QtGui.QKeySequence("K"))
        self.action.setShortcutContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.action.setToolTip("key the selected nodes' keyable parameters at the current frame")
        self.action.triggered.connect(lambda _checked=False: self.key_selected())
        canvas.viewer.addAction(self.action)

    def _scrubber_frame(self) -> float:
        widget: Any = self.canvas.parent()
        while widget is not None:
            scrubber = getattr(getattr(widget, "curves", None), "scrubber", None)
            if scrubber is not None and callable(getattr(scrubber, "frame", None)):
                return float(scrubber.frame())
            widget = widget.parent()
        return float(self.canvas.doc.graph.settings.frame_start)

    def current_value(self, node_id: str, param: str, frame: float) -> float:
        """What ``param`` evaluates to at ``frame`` (its curve, else its static value)."""
        graph = self.canvas.doc.graph
        keys = graph.nodes[node_id].keys
        if param in keys:
            return value_at(keys[param], frame)
        return float(getattr(graph.validated(node_id), param))

    def set_key(self, node_id: str, param: str, value: float | None = None,
                frame: float | None = None) -> bool:
        """Key ``param`` at ``frame`` (default: now) to ``value`` (default: its value there)."""
        frame = self.frame_source() if frame is None else frame
        value = self.current_value(node_id, param, frame) if value is None else value
        rec = self.canvas.doc.graph.nodes[node_id]
        curve = with_key(rec.keys.get(param), _whole(frame), value)
        return self.canvas.doc.perform(f"key {node_id}.{param} at {_whole(frame)}",
                                       [SetKeysOp(node_id, param, curve)])

    def clear_keys(self, node_id: str, param: str) -> bool:
        if param not in self.canvas.doc.graph.nodes[node_id].keys:
            return False
        return self.canvas.doc.perform(f"delete keys {node_id}.{param}",
                                       [SetKeysOp(node_id, param, None)])

    def key_selected(self) -> bool:
        """Key every keyable param of the selected nodes at the current frame (one step)."""
        graph = self.canvas.doc.graph
        frame = self.frame_source()
        ops: list[Op] = []
        for node_id in self.canvas.selected_ids():
            cls = graph.node_class(node_id)
            for param in (cls.keyable if cls is not None else ()):
                value = self.current_value(node_id, param, frame)
                curve = with_key(graph.nodes[node_id].keys.get(param), _whole(frame), value)
                ops.append(SetKeysOp(node_id, param, curve))
        if not ops:
            self.canvas.message.emit("set key: no selected node has a keyable parameter")
            return False
        return self.canvas.doc.perform(f"set key at {_whole(frame)}", ops)


def _whole(frame: float) -> float | int:
    """Frames stored as integers when whole (clean files)."""
    return int(frame) if float(frame).is_integer() else float(frame)
