"""The node canvas: a NodeGraphQt view kept in step with the :class:`EditorDocument`.

Entry points: :class:`GraphCanvas`.

Details (moved from this docstring, issue 15): docs/editor.md#editorcanvaspy
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from moks_graph.editor.qtcompat import QtCore, QtGui, QtWidgets

# isort: split
# (qtcompat first: it pins NodeGraphQt's Qt.py shim to PySide6 and guards the binding)
from NodeGraphQt import BaseNode, NodeGraph
from NodeGraphQt.qgraphics.node_base import NodeItem
from NodeGraphQt.qgraphics.port import PortItem
from NodeGraphQt.widgets.viewer import NodeViewer

from moks_graph.editor.model import EditorDocument
from moks_graph.editor.palette import NODE_MIME, NodeSearchPopup, category_color
from moks_graph.errors import Problem
from moks_graph.graph import Edge
from moks_graph.layout import layered_layout
from moks_graph.types import PORT_TYPES

#: Port colour of placeholders and unknown types.
UNKNOWN_PORT = (150, 150, 150)
PLACEHOLDER_BODY = (70, 34, 34)
PROBLEM_BORDER = (235, 70, 70, 255)
BACKGROUND = (29, 31, 35)
GRID = (40, 43, 48)
_SELECTED_CHANGE = QtWidgets.QGraphicsItem.GraphicsItemChange.ItemSelectedChange
_MOVED = QtWidgets.QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged
#: Furthest "frame all" zooms out: node titles and port labels (9 pt) stay >= 9 px on screen
#: (9.1 px at 96 dpi); a laid-out graph up to :data:`moks_graph.layout.FIT_WIDTH` wide fits
#: whole at this zoom in the default 1600 x 1000 window.
MIN_FIT_ZOOM = 0.76
class MoksPortItem(PortItem):
    """NodeGraphQt's port without a Python ``itemChange``: Qt then never calls into Python
    for the ~14 notifications each port gets while built; its node redraws the pipes."""

    itemChange = QtWidgets.QGraphicsItem.itemChange

    @classmethod
    def make(cls, node: Any, name: str, kind: str, multi: bool, display_name: bool,
             locked: bool) -> MoksPortItem:
        port = cls(node)
        port.name = name
        port.port_type = kind
        port.multi_connection = multi
        port.display_name = display_name
        port.locked = locked
        return port


class MoksNodeItem(NodeItem):
    """A node drawn by NodeGraphQt plus a placeholder hatch and a problem badge.

    While :meth:`deferred_drawing` is active, NodeGraphQt's repeated layout passes
    (one per port, per property, per insertion) are collected and run once per node.
    """

    _deferred: ClassVar[set[MoksNodeItem] | None] = None

    def __init__(self, name: str = "node", parent: Any = None) -> None:
        super().__init__(name, parent)
        self.moks_placeholder = False
        self.moks_problems = 0
        self._icon_item.setVisible(False)
        self.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges, True)

    @classmethod
    @contextmanager
    def deferred_drawing(cls) -> Iterator[None]:
        cls._deferred = pending = set()
        try:
            yield
        finally:
            cls._deferred = None
            for item in pending:
                if item.scene() is not None:
                    item.draw_node()

    def itemChange(self, change: Any, value: Any) -> Any:
        # NodeGraphQt acts on selection; pipes follow a moved node here (its ports do not
        # listen, see MoksPortItem); the ~80 other notifications of a new node are skipped
        if change is _SELECTED_CHANGE:
            return super().itemChange(change, value)
        if change is _MOVED:
            self.redraw_pipes()
        return value

    def redraw_pipes(self) -> None:
        for port in (*self._input_items, *self._output_items):
            port.redraw_connected_pipes()

    def draw_node(self) -> None:
        if MoksNodeItem._deferred is not None:
            MoksNodeItem._deferred.add(self)
            return
        super().draw_node()
        self.redraw_pipes()

    def add_input(self, name: str = "input", multi_port: bool = False,
                  display_name: bool = True, locked: bool = False,
                  painter_func: Any = None) -> Any:
        if painter_func is not None:
            return super().add_input(name, multi_port, display_name, locked, painter_func)
        return self._add_port(MoksPortItem.make(self, name, "in", multi_port, display_name,
                                                locked))

    def add_output(self, name: str = "output", multi_port: bool = False,
                   display_name: bool = True, locked: bool = False,
                   painter_func: Any = None) -> Any:
        if painter_func is not None:
            return super().add_output(name, multi_port, display_name, locked, painter_func)
        return self._add_port(MoksPortItem.make(self, name, "out", multi_port, display_name,
                                                locked))

    def _set_icon(self, path: Any = None) -> None:
        self._properties["icon"] = path  # the icon is hidden: skip loading its pixmap

    icon = property(NodeItem.icon.fget, _set_icon)

    def paint(self, painter: QtGui.QPainter, option: Any, widget: Any) -> None:
        super().paint(painter, option, widget)
        if not (self.moks_placeholder or self.moks_problems):
            return
        painter.save()
        rect = self.boundingRect().adjusted(1, 1, -1, -1)
        if self.moks_placeholder:
            painter.setPen(QtCore.Qt.PenStyle.NoPen)
            painter.setBrush(QtGui.QBrush(QtGui.QColor(255, 90, 90, 40),
                                          QtCore.Qt.BrushStyle.BDiagPattern))
            painter.drawRoundedRect(rect, 4, 4)
        pen = QtGui.QPen(QtGui.QColor(*PROBLEM_BORDER), 1.6)
        if self.moks_placeholder:
            pen.setStyle(QtCore.Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(rect, 4, 4)
        badge = QtCore.QRectF(rect.right() - 15, rect.top() + 3, 12, 12)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(QtGui.QColor(*PROBLEM_BORDER))
        painter.drawEllipse(badge)
        painter.setPen(QtGui.QColor(255, 255, 255))
        font = painter.font()
        font.setPointSizeF(7.0)
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(badge, QtCore.Qt.AlignmentFlag.AlignCenter, "?" if self.moks_placeholder
                         else "!")
        painter.restore()


class MoksNode(BaseNode):
    """The one NodeGraphQt node class: ports are added per MOKS node type."""

    __identifier__ = "moks"
    NODE_NAME = "node"

    def __init__(self, name: str = "node") -> None:
        self.NODE_NAME = name  # read by NodeGraphQt's constructor: the label is set once
        super().__init__(qgraphics_item=MoksNodeItem)


class MoksViewer(NodeViewer):
    """NodeGraphQt's viewer with a fast fit, Tab, and our own context menu and drops."""

    tab_pressed = QtCore.Signal()
    menu_requested = QtCore.Signal(QtCore.QPoint, QtCore.QPointF)
    #: items under the cursor -> tooltip text (set by the canvas)
    tooltip_for: Callable[[list[Any]], str] | None = None

    def _combined_rect(self, nodes: list[Any]) -> QtCore.QRectF:
        # NodeGraphQt groups and ungroups the items here, which is quadratic in the node count
        rect = QtCore.QRectF()
        for item in nodes:
            rect = rect.united(item.sceneBoundingRect())
        return rect

    def fit_rect(self, rect: QtCore.QRectF) -> None:
        self._scene_range = QtCore.QRectF(rect)
        self._update_scene()

    def event(self, event: QtCore.QEvent) -> bool:
        if (event.type() == QtCore.QEvent.Type.KeyPress
                and event.key() == QtCore.Qt.Key.Key_Tab):  # type: ignore[attr-defined]
            self.tab_pressed.emit()
            return True
        return super().event(event)

    def viewportEvent(self, event: QtCore.QEvent) -> bool:
        # tooltips are built on demand (not stored on 500 nodes and their ports at load)
        if event.type() == QtCore.QEvent.Type.ToolTip and self.tooltip_for is not None:
            pos = event.pos()  # type: ignore[attr-defined]
            text = self.tooltip_for(self.items(pos))
            if text:
                QtWidgets.QToolTip.showText(event.globalPos(), text,  # type: ignore[attr-defined]
                                            self.viewport())
            else:
                QtWidgets.QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    def contextMenuEvent(self, event: QtGui.QContextMenuEvent) -> None:
        self.RMB_state = False
        self.menu_requested.emit(event.globalPos(), self.mapToScene(event.pos()))

    def dragEnterEvent(self, event: QtGui.QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(NODE_MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QtGui.QDragMoveEvent) -> None:
        if event.mimeData().hasFormat(NODE_MIME):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)


class MoksNodeGraph(NodeGraph):
    """NodeGraphQt's controller with every user gesture routed to a :class:`GraphCanvas`."""

    def __init__(self, canvas: GraphCanvas) -> None:
        self.canvas = canvas
        super().__init__(viewer=MoksViewer())
        self.set_acyclic(False)  # cycles are refused by the engine, with a message
        self.set_pipe_collision(False)

    def get_unique_name(self, name: str) -> str:
        return name  # node ids are unique already (the engine refuses duplicates)

    def _on_connection_changed(self, disconnected: list[Any], connected: list[Any]) -> None:
        self.canvas._gesture_rewire(disconnected, connected)

    def _on_connection_sliced(self, ports: list[Any]) -> None:
        self.canvas._gesture_rewire(ports, [])

    def _on_nodes_moved(self, node_data: dict[Any, Any]) -> None:
        self.canvas._gesture_moved(node_data)

    def _on_search_triggered(self, node_type: str, pos: Any) -> None:
        return  # NodeGraphQt's own tab search is not used (see NodeSearchPopup)

    def _on_insert_node(self, pipe: Any, node_id: str, prev_node_pos: Any) -> None:
        return

    def _on_node_name_changed(self, node_id: str, name: str) -> None:
        node = self.get_node_by_id(node_id)
        if node is not None:  # ids are not renamed from the canvas: restore the label
            node.view.name = node.model.name

    def _on_node_data_dropped(self, mimedata: QtCore.QMimeData, pos: QtCore.QPoint) -> None:
        if mimedata.hasFormat(NODE_MIME):
            type_id = bytes(mimedata.data(NODE_MIME).data()).decode()
            self.canvas.add_node_at(type_id, QtCore.QPointF(pos))


class GraphCanvas(QtWidgets.QWidget):
    """The node graph view of one document."""

    #: selected node ids
    selection_changed = QtCore.Signal(list)
    #: a status / error line for the user (refused edits)
    message = QtCore.Signal(str)

    def __init__(self, doc: EditorDocument, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.graph = MoksNodeGraph(self)
        self.graph.register_node(MoksNode)
        self.graph.set_background_color(*BACKGROUND)
        self.graph.set_grid_color(*GRID)
        self.viewer: MoksViewer = self.graph.viewer()  # type: ignore[assignment]
        self.viewer.tooltip_for = self.tooltip
        self.viewer.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.viewer)
        self._nodes: dict[str, MoksNode] = {}
        self._ids: dict[str, str] = {}  # NodeGraphQt id -> MOKS node id
        self._problems: dict[str, list[Problem]] = {}
        self.search_popup = NodeSearchPopup(doc.registry, self)
        self.search_popup.node_chosen.connect(self._search_chosen)
        self._search_scene_pos: QtCore.QPointF | None = None
        self.viewer.tab_pressed.connect(self.show_search)
        self.viewer.menu_requested.connect(self._context_menu)
        self.graph.node_selection_changed.connect(self._selection_changed)
        self.graph.node_selected.connect(lambda _n: self._selection_changed([], []))
        self.delete_action = QtGui.QAction("Delete", self)
        self.delete_action.setShortcuts([QtGui.QKeySequence.StandardKey.Delete,
                                         QtGui.QKeySequence(QtCore.Qt.Key.Key_Backspace)])
        self.delete_action.setShortcutContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.delete_action.triggered.connect(self.delete_selected)
        self.viewer.addAction(self.delete_action)
        self.fit_action = QtGui.QAction("Frame all", self)
        self.fit_action.setShortcut(QtGui.QKeySequence("F"))
        self.fit_action.setShortcutContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.fit_action.triggered.connect(self.fit_all)
        self.viewer.addAction(self.fit_action)
        doc.reset.connect(self.rebuild)
        doc.node_added.connect(self._doc_node_added)
        doc.node_removed.connect(self._doc_node_removed)
        doc.edge_added.connect(self._doc_edge_added)
        doc.edge_removed.connect(self._doc_edge_removed)
        doc.node_moved.connect(self._doc_node_moved)
        doc.refused.connect(lambda text, _problems: self.message.emit(text))
        self.rebuild()
        self._install_tools()

    def _install_tools(self) -> None:
        """Copy / paste / duplicate, bypass, backdrops and keys (issue 18), each in its module."""
        from moks_graph.editor.backdrops import Backdrops
        from moks_graph.editor.bypass_control import BypassControl
        from moks_graph.editor.clipboard import Clipboard
        from moks_graph.editor.keys_control import KeysControl
        from moks_graph.editor.subgraph_view import SubgraphOverlay

        self.clipboard = Clipboard(self)
        self.bypass = BypassControl(self)
        self.backdrops = Backdrops(self)
        self.keys = KeysControl(self)
        self.subgraphs = SubgraphOverlay(self)

    # -- queries --------------------------------------------------------------------
    def node_view(self, node_id: str) -> MoksNode | None:
        return self._nodes.get(node_id)

    def node_ids(self) -> set[str]:
        return set(self._nodes)

    def view_edges(self) -> set[Edge]:
        """The connections the view draws, as engine edges (for checks and tests)."""
        out = set()
        for dst, node in self._nodes.items():
            for port_name, port in node.inputs().items():
                for src_port in port.connected_ports():
                    src = self._ids.get(src_port.node().id)
                    if src is not None:
                        out.add(Edge(src, src_port.name(), dst, port_name))
        return out

    def selected_ids(self) -> list[str]:
        return [self._ids[n.id] for n in self.graph.selected_nodes() if n.id in self._ids]

    def port_color(self, node_id: str, port: str, output: bool) -> tuple[int, int, int]:
        cls = self.doc.graph.node_class(node_id) if node_id in self.doc.graph.nodes else None
        ports = (cls.outputs if output else cls.inputs) if cls is not None else {}
        spec = ports.get(port)
        return PORT_TYPES[spec.type.name].color if spec is not None else UNKNOWN_PORT

    # -- document -> view -------------------------------------------------------------
    def rebuild(self) -> None:
        """Redraw every node and edge from the document (open, new)."""
        scene = self.viewer.scene()
        self.viewer.setUpdatesEnabled(False)
        scene.setItemIndexMethod(QtWidgets.QGraphicsScene.ItemIndexMethod.NoIndex)
        try:
            for node in list(self._nodes.values()):
                self.graph.remove_node(node, push_undo=False)
            self._nodes.clear()
            self._ids.clear()
            g = self.doc.graph
            missing = [n for n, rec in g.nodes.items() if not rec.ui.get("pos")]
            auto = layered_layout(g, missing) if missing else {}
            with MoksNodeItem.deferred_drawing():
                for node_id in g.nodes:
                    self._create(node_id, auto.get(node_id))
            for edge in g.edges:
                self._connect_view(edge)
        finally:
            scene.setItemIndexMethod(QtWidgets.QGraphicsScene.ItemIndexMethod.BspTreeIndex)
            self.viewer.setUpdatesEnabled(True)
        self.fit_all()

    def _create(self, node_id: str, fallback: tuple[float, float] | None = None) -> MoksNode:
        g = self.doc.graph
        rec = g.nodes[node_id]
        cls = g.registry.get(rec.type) if rec.raw is None else None
        node = MoksNode(node_id)
        item: MoksNodeItem = node.view  # type: ignore[assignment]
        if cls is not None:
            for name, spec in cls.inputs.items():
                node.add_input(name, multi_input=False, color=PORT_TYPES[spec.type.name].color)
            for name, out in cls.outputs.items():
                node.add_output(name, multi_output=True, color=PORT_TYPES[out.type.name].color)
            node.model.color = (*category_color(cls.category), 255)
        else:  # placeholder: ports as the file's edges use them
            ins = dict.fromkeys(e.dst_port for e in g.edges_into(node_id))
            outs = dict.fromkeys(e.src_port for e in g.edges_from(node_id))
            for name in ins:
                node.add_input(name, multi_input=False, color=UNKNOWN_PORT)
            for name in outs:
                node.add_output(name, multi_output=True, color=UNKNOWN_PORT)
            node.model.color = (*PLACEHOLDER_BODY, 255)
            item.moks_placeholder = True
        pos = rec.ui.get("pos") or fallback or (0.0, 0.0)
        self.graph.add_node(node, pos=[float(pos[0]), float(pos[1])], selected=False,
                            push_undo=False)
        self._nodes[node_id] = node
        self._ids[node.id] = node_id
        self._decorate(node_id)
        return node

    def _decorate(self, node_id: str) -> None:
        """The node's problem marker (tooltips are built on demand by :meth:`tooltip`)."""
        item: MoksNodeItem = self._nodes[node_id].view  # type: ignore[assignment]
        item.moks_problems = len(self._problems.get(node_id, []))
        item.update()

    def tooltip(self, items: list[Any]) -> str:
        """Help for the port or node under the cursor: type, doc, problems."""
        for item in items:
            node_item = item if isinstance(item, MoksNodeItem) else item.parentItem()
            if not isinstance(node_item, MoksNodeItem) or node_item.id not in self._ids:
                continue
            node_id = self._ids[node_item.id]
            rec = self.doc.graph.nodes[node_id]
            cls = self.doc.graph.registry.get(rec.type) if rec.raw is None else None
            if item is not node_item and getattr(item, "port_type", None) in ("in", "out"):
                ports = (cls.outputs if item.port_type == "out" else cls.inputs) if cls else {}
                spec = ports.get(item.name)
                if spec is None:
                    return f"{item.name}: ?"
                optional = " (optional)" if getattr(spec, "required", True) is False else ""
                return f"{item.name}: {spec.type.name}{optional}" + (
                    f"\n{spec.doc}" if spec.doc else "")
            lines = [f"<b>{node_id}</b> &nbsp;<i>{rec.type}</i> v{rec.type_version}"]
            if cls is not None:
                lines.append(cls.title())
            else:
                lines.append("<font color='#ff7070'>placeholder: this node type is not "
                             "installed; it is kept unchanged and saved back as it was</font>")
            lines += [f"<font color='#ff7070'>{p.code}: {p.message}</font>"
                      for p in self._problems.get(node_id, [])]
            return "<br>".join(lines)
        return ""

    def set_problems(self, problems: Iterable[Problem]) -> None:
        """Mark nodes that have problems (red border, badge, tooltip)."""
        by_node: dict[str, list[Problem]] = defaultdict(list)
        for p in problems:
            if p.node:
                by_node[p.node].append(p)
        changed = set(by_node) | set(self._problems)
        self._problems = dict(by_node)
        for node_id in changed:
            if node_id in self._nodes:
                self._decorate(node_id)

    def _port(self, node_id: str, port: str, output: bool) -> Any:
        node = self._nodes.get(node_id)
        if node is None:
            return None
        ports = node.outputs() if output else node.inputs()
        if port not in ports and self.doc.graph.nodes[node_id].raw is not None:
            # a placeholder gained an edge (undo): give it the port
            if output:
                node.add_output(port, multi_output=True, color=UNKNOWN_PORT)
            else:
                node.add_input(port, multi_input=False, color=UNKNOWN_PORT)
            node.view.draw_node()
            ports = node.outputs() if output else node.inputs()
        return ports.get(port)

    def _connect_view(self, edge: Edge) -> None:
        src = self._port(edge.src, edge.src_port, True)
        dst = self._port(edge.dst, edge.dst_port, False)
        if src is None or dst is None:
            return
        if src in dst.connected_ports():
            return
        for old in list(dst.connected_ports()):
            dst.disconnect_from(old, push_undo=False, emit_signal=False)
        dst.connect_to(src, push_undo=False, emit_signal=False)
        color = (*self.port_color(edge.src, edge.src_port, True), 255)
        for pipe in dst.view.connected_pipes:
            if pipe.output_port is src.view:
                pipe.color = color
                pipe.reset()

    def _disconnect_view(self, edge: Edge) -> None:
        src = self._port(edge.src, edge.src_port, True)
        dst = self._port(edge.dst, edge.dst_port, False)
        if src is not None and dst is not None and src in dst.connected_ports():
            dst.disconnect_from(src, push_undo=False, emit_signal=False)

    def _doc_node_added(self, node_id: str) -> None:
        if node_id not in self._nodes:
            self._create(node_id)

    def _doc_node_removed(self, node_id: str) -> None:
        node = self._nodes.pop(node_id, None)
        if node is not None:
            self._ids.pop(node.id, None)
            self.graph.remove_node(node, push_undo=False)

    def _doc_edge_added(self, edge: Edge) -> None:
        self._connect_view(edge)

    def _doc_edge_removed(self, edge: Edge) -> None:
        self._disconnect_view(edge)

    def _doc_node_moved(self, node_id: str) -> None:
        node = self._nodes.get(node_id)
        pos = self.doc.graph.nodes[node_id].ui.get("pos") if node is not None else None
        if node is not None and pos:
            want = [float(pos[0]), float(pos[1])]
            if [round(v) for v in node.view.xy_pos] != [round(v) for v in want]:
                node.set_property("pos", want, push_undo=False)

    def _resync_inputs(self, inputs: Iterable[tuple[str, str]]) -> None:
        """Make the view's connections into these input ports equal the document's."""
        for node_id, port_name in set(inputs):
            port = self._port(node_id, port_name, False)
            if port is None:
                continue
            for old in list(port.connected_ports()):
                port.disconnect_from(old, push_undo=False, emit_signal=False)
            for pipe in list(port.view.connected_pipes):
                pipe.delete()
            for edge in self.doc.graph.edges_into(node_id):
                if edge.dst_port == port_name:
                    self._connect_view(edge)

    # -- view -> document -------------------------------------------------------------
    def _ref(self, port_view: Any) -> tuple[str, bool] | None:
        node_id = self._ids.get(port_view.node.id)
        if node_id is None:
            return None
        return f"{node_id}.{port_view.name}", port_view.port_type == "out"

    def _pair(self, a: Any, b: Any) -> tuple[str, str] | None:
        ra, rb = self._ref(a), self._ref(b)
        if ra is None or rb is None:
            return None
        if ra[1] and not rb[1]:
            return ra[0], rb[0]
        if rb[1] and not ra[1]:
            return rb[0], ra[0]
        return None

    def _gesture_rewire(self, disconnected: list[Any], connected: list[Any]) -> None:
        """A pipe was dragged, dropped or cut in the view: ask the document."""
        cut = [p for p in (self._pair(a, b) for a, b in disconnected) if p is not None]
        made = [p for p in (self._pair(a, b) for a, b in connected) if p is not None]
        if cut or made:
            self.request_rewire([dst for _, dst in cut], made)

    def request_rewire(self, disconnect: list[str], connect: list[tuple[str, str]]) -> bool:
        """The UI's connection gesture, as the document sees it (accepted or refused)."""
        ok = self.doc.rewire(disconnect, connect)
        touched = [tuple(ref.rsplit(".", 1)) for ref in disconnect]
        touched += [tuple(dst.rsplit(".", 1)) for _, dst in connect]
        self._resync_inputs(touched)  # type: ignore[arg-type]
        return ok

    def request_connect(self, src: str, dst: str) -> bool:
        """Connect as if a pipe were dragged from ``src`` ("a.out") to ``dst`` ("b.in")."""
        return self.request_rewire([], [(src, dst)])

    def _gesture_moved(self, node_data: dict[Any, Any]) -> None:
        moves = {}
        for view, _prev in node_data.items():
            node_id = self._ids.get(view.id)
            if node_id is not None:
                moves[node_id] = (float(view.xy_pos[0]), float(view.xy_pos[1]))
        if moves:
            self.doc.move_nodes(moves)

    def add_node_at(self, type_id: str, scene_pos: QtCore.QPointF | None = None) -> str | None:
        """Add a node of ``type_id`` (at the view centre by default) and select it."""
        if scene_pos is None:
            scene_pos = self.viewer.mapToScene(self.viewer.viewport().rect().center())
        node_id = self.doc.add_node(type_id, (scene_pos.x(), scene_pos.y()))
        if node_id is not None:
            self.select([node_id])
        return node_id

    def delete_selected(self) -> None:
        ids = self.selected_ids()
        if ids:
            self.doc.remove_nodes(ids)

    def select(self, node_ids: Iterable[str]) -> None:
        wanted = set(node_ids)
        for node_id, node in self._nodes.items():
            node.view.setSelected(node_id in wanted)
        self._selection_changed([], [])

    def _selection_changed(self, _sel: Any, _desel: Any) -> None:
        self.selection_changed.emit(self.selected_ids())

    # -- view helpers ---------------------------------------------------------------
    def fit_all(self) -> None:
        """Zoom to show every node, with a margin (never closer than 1:1, never further than
        :data:`MIN_FIT_ZOOM`: a graph too big for that shows its left, source end, legibly)."""
        items = [n.view for n in self._nodes.values()]
        if not items:
            self.viewer.reset_zoom()
            return
        rect = self.viewer._combined_rect(items)
        margin = 30.0
        rect = rect.adjusted(-margin, -margin, margin, margin)
        view = self.viewer.viewport().rect()
        if rect.width() < view.width() and rect.height() < view.height():
            rect = QtCore.QRectF(0, 0, view.width(), view.height()).translated(
                rect.center() - QtCore.QPointF(view.width() / 2, view.height() / 2))
        elif min(view.width() / rect.width(), view.height() / rect.height()) < MIN_FIT_ZOOM:
            w, h = view.width() / MIN_FIT_ZOOM, view.height() / MIN_FIT_ZOOM
            rect = QtCore.QRectF(rect.left(), rect.center().y() - h / 2, w, h)
        self.viewer.fit_rect(rect)

    def center_on(self, node_id: str) -> None:
        """Pan (keeping the zoom) so the node is in the middle of the view."""
        node = self._nodes.get(node_id)
        if node is None:
            return
        rect = QtCore.QRectF(self.viewer.sceneRect())
        rect.moveCenter(node.view.sceneBoundingRect().center())
        self.viewer.fit_rect(rect)

    def auto_layout(self) -> bool:
        """Lay every node out by DAG columns, left to right, at their drawn sizes (one undoable
        move; :mod:`moks_graph.layout`)."""
        positions = layered_layout(self.doc.graph, size=self._drawn_size)
        moved = self.doc.move_nodes(positions)
        self.fit_all()
        return moved

    def _drawn_size(self, node_id: str) -> tuple[float, float]:
        rect = self._nodes[node_id].view.boundingRect()
        return rect.width(), rect.height()

    def show_search(self, global_pos: QtCore.QPoint | None = None) -> None:
        """The Tab menu at the cursor; the chosen node type is added there."""
        if global_pos is None:
            global_pos = QtGui.QCursor.pos()
        local = self.viewer.mapFromGlobal(global_pos)
        if not self.viewer.rect().contains(local):
            local = self.viewer.rect().center()
            global_pos = self.viewer.mapToGlobal(local)
        self._search_scene_pos = self.viewer.mapToScene(local)
        self.search_popup.popup(global_pos)

    def _search_chosen(self, type_id: str) -> None:
        self.add_node_at(type_id, self._search_scene_pos)

    def _context_menu(self, global_pos: QtCore.QPoint, scene_pos: QtCore.QPointF) -> None:
        menu = QtWidgets.QMenu(self)
        add = menu.addMenu("Add node")
        by_category: dict[str, QtWidgets.QMenu] = {}
        for entry in self.search_popup.entries:
            sub = by_category.get(entry.category)
            if sub is None:
                sub = by_category[entry.category] = add.addMenu(entry.category)
            action = sub.addAction(entry.name)
            action.setToolTip(entry.help)
            action.triggered.connect(
                lambda _=False, t=entry.type_id: self.add_node_at(t, scene_pos))
        menu.addSeparator()
        undo = menu.addAction("Undo", self.doc.undo_stack.undo)
        undo.setEnabled(self.doc.undo_stack.canUndo())
        redo = menu.addAction("Redo", self.doc.undo_stack.redo)
        redo.setEnabled(self.doc.undo_stack.canRedo())
        menu.addSeparator()
        delete = menu.addAction("Delete selected", self.delete_selected)
        delete.setEnabled(bool(self.selected_ids()))
        for action in (self.clipboard.copy_action, self.clipboard.paste_action,
                       self.clipboard.duplicate_action, self.bypass.action,
                       self.keys.action, self.backdrops.action, self.backdrops.title_action,
                       self.subgraphs.collapse_action, self.subgraphs.expand_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction("Frame all", self.fit_all)
        menu.addAction("Layout graph", self.auto_layout)
        menu.popup(global_pos)
