"""Subgraphs on the canvas (issue 18): collapse a selection into one node, expand it again.

**Ctrl+G** collapses the selected nodes into a subgraph (:mod:`moks_graph.subgraphs`):
the canvas hides them and their pipes and draws one node, titled with the subgraph's
title, whose ports are the exposed ones (derived from the edges crossing the
boundary), wired to the outside nodes. **Ctrl+Shift+G** (or a double-click) expands the
selected subgraph node. Both are undo steps; moving the subgraph node is recorded in the
file. The graph itself stays flat, so live evaluation and bakes are unchanged by collapsing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moks_graph import subgraphs
from moks_graph.editor.edit_ops import CollapseOp, DissolveOp, SubgraphUiOp
from moks_graph.editor.qtcompat import QtCore, QtGui, QtWidgets
from moks_graph.layout import clear_place

if TYPE_CHECKING:
    from moks_graph.editor.canvas import GraphCanvas, MoksNode

#: Body colour of a subgraph node (RGB).
SUBGRAPH_BODY = (38, 72, 96)


class SubgraphOverlay(QtCore.QObject):
    """Draws each subgraph of the document as one node over its hidden members."""

    def __init__(self, canvas: GraphCanvas) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self.proxies: dict[str, MoksNode] = {}
        self.pipes: list[QtWidgets.QGraphicsPathItem] = []
        self.collapse_action = self._action("Collapse to subgraph", "Ctrl+G",
                                            lambda: self.collapse())
        self.expand_action = self._action("Expand subgraph", "Ctrl+Shift+G",
                                          lambda: self.expand())
        canvas.doc.changed.connect(self.refresh)
        canvas.doc.reset.connect(self.refresh)
        canvas.viewer.moved_nodes.connect(lambda _data: self._record_moves())
        canvas.graph.node_double_clicked.connect(self._double_clicked)
        self.refresh()

    def _action(self, text: str, key: str, slot: Any) -> QtGui.QAction:
        action = QtGui.QAction(text, self.canvas)
        action.setShortcut(QtGui.QKeySequence(key))
        action.setShortcutContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        self.canvas.viewer.addAction(action)
        return action

    # -- edits -----------------------------------------------------------------------
    def collapse(self, node_ids: list[str] | None = None, title: str | None = None) -> str | None:
        """Collapse the nodes (default: the selection) into a subgraph; its id, or None."""
        ids = node_ids if node_ids is not None else self.canvas.selected_ids()
        if not ids:
            self.canvas.message.emit("collapse: select nodes first")
            return None
        if title is None:
            text, ok = QtWidgets.QInputDialog.getText(self.canvas, "Subgraph", "title:")
            if not ok:
                return None
            title = text
        op = CollapseOp(ids, title, place=self.clear_spot)
        return op.sub_id if self.canvas.doc.perform(f"collapse {len(ids)} nodes", [op]) else None

    def clear_spot(self, sub_id: str) -> dict[str, Any]:
        """The new subgraph node's ui: the engine's place (its most upstream member's), moved
        up or down clear of the drawn nodes its own drawn size would cover
        (:func:`moks_graph.layout.clear_place`; its exposed ports can make it wide)."""
        canvas, sub = self.canvas, self.canvas.doc.graph.subgraphs[sub_id]
        pos = sub.ui.get("pos")
        if not pos:
            return {}
        proxy = self._proxy_node(sub_id)
        canvas.graph.add_node(proxy, pos=[float(pos[0]), float(pos[1])], selected=False,
                              push_undo=False)
        size = proxy.view.boundingRect()
        canvas.graph.remove_node(proxy, push_undo=False)
        hidden = self.hidden()
        drawn = [canvas.node_view(n).view for n in canvas.node_ids() if n not in hidden]
        rects = [v.sceneBoundingRect() for v in [*drawn, *(p.view for p in self.proxies.values())]]
        x, y = clear_place((float(pos[0]), float(pos[1]), size.width(), size.height()),
                           [(r.x(), r.y(), r.width(), r.height()) for r in rects])
        return {"pos": [round(x), round(y)]}

    def expand(self, sub_id: str | None = None) -> bool:
        """Expand a subgraph (default: the selected subgraph node) back into its nodes."""
        chosen = [sub_id] if sub_id is not None else self.selected()
        if not chosen:
            self.canvas.message.emit("expand: select a subgraph node first")
            return False
        sub = self.canvas.doc.graph.subgraphs.get(chosen[0])
        members = list(sub.members) if sub is not None else []
        ok = self.canvas.doc.perform(f"expand {chosen[0]}", [DissolveOp(chosen[0])])
        if ok:
            self.canvas.select(members)
        return ok

    def _double_clicked(self, node: Any) -> None:
        """Double-clicking a subgraph node expands it."""
        for sub_id, proxy in self.proxies.items():
            if proxy is node:
                self.expand(sub_id)
                return

    def selected(self) -> list[str]:
        return [s for s, p in self.proxies.items() if p.view.isSelected()]

    def _record_moves(self) -> None:
        ops = []
        for sub_id, proxy in self.proxies.items():
            pos = [round(v) for v in proxy.view.xy_pos]
            sub = self.canvas.doc.graph.subgraphs.get(sub_id)
            if sub is not None and sub.ui.get("pos") != pos:
                ops.append(SubgraphUiOp(sub_id, {**sub.ui, "pos": pos}))
        if ops:
            self.canvas.doc.perform("move subgraph", ops)

    # -- drawing ---------------------------------------------------------------------
    def hidden(self) -> set[str]:
        """Node ids drawn inside a subgraph node (their own views are hidden)."""
        return {m for s in self.canvas.doc.graph.subgraphs.values() for m in s.members}

    def refresh(self) -> None:
        """Redraw: members hidden with their pipes, one node per subgraph, wired outside."""
        canvas, graph = self.canvas, self.canvas.doc.graph
        for proxy in self.proxies.values():
            canvas.graph.remove_node(proxy, push_undo=False)
        for item in self.pipes:
            canvas.viewer.scene().removeItem(item)
        self.proxies, self.pipes = {}, []
        hidden = self.hidden()
        for node_id in canvas.node_ids():
            node = canvas.node_view(node_id)
            assert node is not None
            node.view.setVisible(node_id not in hidden)
            for port in [*node.inputs().values(), *node.outputs().values()]:
                for pipe in port.view.connected_pipes:
                    ends = {canvas._ids.get(pipe.input_port.node.id),
                            canvas._ids.get(pipe.output_port.node.id)}
                    pipe.setVisible(not (ends & hidden))
        for sub_id, sub in sorted(graph.subgraphs.items()):
            proxy = self._proxy_node(sub_id)
            pos = sub.ui.get("pos") or [0, 0]
            canvas.graph.add_node(proxy, pos=[float(pos[0]), float(pos[1])], selected=False,
                                  push_undo=False)
            self.proxies[sub_id] = proxy
            self._wire(sub_id, proxy, *subgraphs.exposed_ports(graph, sub_id))

    def _proxy_node(self, sub_id: str) -> MoksNode:
        """A subgraph's node (not yet on the canvas): its title, its exposed ports."""
        from moks_graph.editor.canvas import MoksNode

        canvas, graph = self.canvas, self.canvas.doc.graph
        inputs, outputs = subgraphs.exposed_ports(graph, sub_id)
        proxy = MoksNode(graph.subgraphs[sub_id].title or sub_id)
        for name, targets in inputs.items():
            proxy.add_input(name, multi_input=False, color=canvas.port_color(*targets[0], False))
        for name, (node_id, port) in outputs.items():
            proxy.add_output(name, multi_output=True,
                             color=canvas.port_color(node_id, port, True))
        proxy.model.color = (*SUBGRAPH_BODY, 255)
        return proxy

    def _wire(self, sub_id: str, proxy: MoksNode, inputs: dict[str, list[tuple[str, str]]],
              outputs: dict[str, tuple[str, str]]) -> None:
        """Pipes between the subgraph node and the outside, drawn for the view only (the
        engine edges stay between the real ports, whose pipes are hidden)."""
        canvas, graph = self.canvas, self.canvas.doc.graph
        members, hidden = set(graph.subgraphs[sub_id].members), self.hidden()
        for name, targets in inputs.items():
            first = next(e for e in graph.edges if (e.dst, e.dst_port) == targets[0])
            src = canvas._port(first.src, first.src_port, True)
            if src is not None and first.src not in hidden:
                self._pipe(src.view, proxy.inputs()[name].view)
        for name, (node_id, port) in outputs.items():
            for e in graph.edges:
                if (e.src, e.src_port) == (node_id, port) and e.dst not in members:
                    dst = canvas._port(e.dst, e.dst_port, False)
                    if dst is not None and e.dst not in hidden:
                        self._pipe(proxy.outputs()[name].view, dst.view)

    def _pipe(self, out_port: Any, in_port: Any) -> None:
        a = out_port.scenePos() + out_port.boundingRect().center()
        b = in_port.scenePos() + in_port.boundingRect().center()
        path = QtGui.QPainterPath(a)
        dx = max(40.0, abs(b.x() - a.x()) / 2)
        path.cubicTo(a + QtCore.QPointF(dx, 0), b - QtCore.QPointF(dx, 0), b)
        item = QtWidgets.QGraphicsPathItem(path)
        item.setPen(QtGui.QPen(QtGui.QColor(*out_port.color[:3]), 2.0))
        item.setZValue(-1)
        self.canvas.viewer.scene().addItem(item)
        self.pipes.append(item)

    def proxy_ports(self, sub_id: str) -> tuple[list[str], list[str]]:
        """The subgraph node's input and output port names (tests, scripts)."""
        proxy = self.proxies[sub_id]
        return list(proxy.inputs()), list(proxy.outputs())
