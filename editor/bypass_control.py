"""Bypass in the editor (issue 18): the D key / menu toggles the selected nodes' bypass
(:meth:`moks_graph.Graph.set_bypass`, one undo step; refused with MG117 and the engine's
message when a node has no input to pass through); bypassed nodes are drawn dimmed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from moks_graph.editor.edit_ops import BypassOp
from moks_graph.editor.qtcompat import QtCore, QtGui

if TYPE_CHECKING:
    from moks_graph.editor.canvas import GraphCanvas

#: Opacity of a bypassed node's drawing.
BYPASSED_OPACITY = 0.4


class BypassControl(QtCore.QObject):
    """The Bypass action of one canvas and the dimming of bypassed nodes."""

    def __init__(self, canvas: GraphCanvas) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self.action = QtGui.QAction("Bypass", canvas)
        self.action.setShortcut(QtGui.QKeySequence("D"))
        self.action.setShortcutContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.action.setToolTip("pass each selected node's first input of its output's type "
                               "through (headless bakes too)")
        self.action.triggered.connect(lambda _checked=False: self.toggle())
        canvas.viewer.addAction(self.action)
        doc = canvas.doc
        doc.params_changed.connect(self.redraw)
        doc.node_added.connect(self.redraw)
        doc.reset.connect(self.redraw_all)
        self.redraw_all()

    def toggle(self, node_ids: list[str] | None = None) -> bool:
        """Bypass the nodes (default: the selection), or un-bypass them if all are bypassed."""
        ids = node_ids if node_ids is not None else self.canvas.selected_ids()
        graph = self.canvas.doc.graph
        ids = [n for n in ids if n in graph.nodes]
        if not ids:
            self.canvas.message.emit("bypass: select nodes first")
            return False
        on = not all(graph.nodes[n].bypass for n in ids)
        label = f"{'bypass' if on else 'un-bypass'} {ids[0] if len(ids) == 1 else len(ids)}"
        return self.canvas.doc.perform(label, [BypassOp(ids, on)])

    def redraw(self, node_id: str) -> None:
        node = self.canvas.node_view(node_id)
        rec = self.canvas.doc.graph.nodes.get(node_id)
        if node is not None and rec is not None:
            node.view.setOpacity(BYPASSED_OPACITY if rec.bypass else 1.0)

    def redraw_all(self) -> None:
        for node_id in self.canvas.node_ids():
            self.redraw(node_id)

    def is_dimmed(self, node_id: str) -> bool:
        node = self.canvas.node_view(node_id)
        return node is not None and node.view.opacity() < 1.0
