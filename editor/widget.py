"""``EditorWidget``: the whole MOKS graph editor as one plain QWidget.

Entry points: :class:`EditorWidget`.

Details (moved from this docstring, issue 15): docs/editor.md#editorwidgetpy
"""

from __future__ import annotations

from pathlib import Path

from moks_graph.editor.camera_view import CameraView, subject_track
from moks_graph.editor.canvas import GraphCanvas
from moks_graph.editor.curves import CurveViewer
from moks_graph.editor.evaluation import Evaluation, LiveEvaluator
from moks_graph.editor.model import EditorDocument
from moks_graph.editor.palette import NodePalette
from moks_graph.editor.properties import PropertiesPanel
from moks_graph.editor.qtcompat import QtCore, QtGui, QtWidgets
from moks_graph.editor.theme import STYLE_SHEET
from moks_graph.editor.viewers import (
    ImageViewer,
    LayoutView,
    display_channels,
    display_images,
    overlay_mask,
    overlay_points,
)
from moks_graph.errors import MoksError, Problem
from moks_graph.evaluate import Evaluator
from moks_graph.graph import Graph
from moks_graph.registry import Registry


class ProblemList(QtWidgets.QTreeWidget):
    """Problems with code, name, path and message; activating one emits its node id."""

    node_activated = QtCore.Signal(str)
    COLUMNS = ("code", "problem", "path", "message")

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(list(self.COLUMNS))
        self.setRootIsDecorated(False)
        self.setAlternatingRowColors(True)
        self.setUniformRowHeights(True)
        self.setWordWrap(False)
        for i, w in enumerate((60, 130, 170)):
            self.setColumnWidth(i, w)
        self.itemActivated.connect(self._activated)
        self.problems: list[Problem] = []

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        super().paintEvent(event)
        if not self.problems:
            painter = QtGui.QPainter(self.viewport())
            painter.setPen(QtGui.QColor(120, 200, 140))
            painter.drawText(self.viewport().rect().adjusted(10, 6, 0, 0),
                             QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop,
                             "✓ no problems")
            painter.end()

    def set_problems(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        self.clear()
        for p in self.problems:
            item = QtWidgets.QTreeWidgetItem([p.code, p.name, p.path, p.message])
            item.setToolTip(3, p.message)
            item.setData(0, QtCore.Qt.ItemDataRole.UserRole, p.node or "")
            item.setForeground(0, QtGui.QColor(255, 107, 107))
            self.addTopLevelItem(item)

    def rows(self) -> list[tuple[str, str, str, str]]:
        return [tuple(self.topLevelItem(i).text(c) for c in range(4))  # type: ignore[misc]
                for i in range(self.topLevelItemCount())]

    def _activated(self, item: QtWidgets.QTreeWidgetItem, _col: int) -> None:
        node = item.data(0, QtCore.Qt.ItemDataRole.UserRole)
        if node:
            self.node_activated.emit(node)


class EditorWidget(QtWidgets.QWidget):
    """The MOKS graph editor (canvas, palette, properties, viewers, problems) as a widget."""

    #: a short line for a status bar (refusals, evaluation timing, file actions)
    message = QtCore.Signal(str)
    #: window title text: file name with "*" when modified
    title_changed = QtCore.Signal(str)

    def __init__(self, path: str | Path | None = None, registry: Registry | None = None,
                 parent: QtWidgets.QWidget | None = None, *, evaluator: Evaluator | None = None,
                 live: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("editorRoot")
        self.setStyleSheet(STYLE_SHEET)
        self.doc = EditorDocument(registry=registry, parent=self)
        self.live = LiveEvaluator(evaluator, self)
        self.live.enabled = live
        self.selected: str | None = None
        self.eval_problems: list[Problem] = []

        self.canvas = GraphCanvas(self.doc)
        self.palette = NodePalette(self.doc.registry)
        self.properties = PropertiesPanel(self.doc)
        self.curves = CurveViewer()
        self.images = ImageViewer()
        self.layout_view = LayoutView()
        self.camera_view = CameraView()
        self.problems = ProblemList()
        self.status = QtWidgets.QLabel("ready")
        self.status.setObjectName("statusLine")
        self._build_layout()

        self.palette.node_chosen.connect(lambda t: self.canvas.add_node_at(t))
        self.canvas.selection_changed.connect(self._selection_changed)
        self.canvas.message.connect(self.show_message)
        self.problems.node_activated.connect(self.focus_node)
        self.curves.frame_changed.connect(self.layout_view.set_frame)
        self.curves.frame_changed.connect(self.camera_view.set_frame)
        self.doc.changed.connect(self._schedule_refresh)
        self.doc.modified_changed.connect(lambda _m: self.title_changed.emit(self.title()))
        self.doc.path_changed.connect(lambda _p: self.title_changed.emit(self.title()))
        self.live.evaluated.connect(self._evaluated)
        self.live.started.connect(lambda _g: self.status.setText("evaluating…"))
        self._refresh_timer = QtCore.QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self.refresh)
        self.undo_action = self.doc.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QtGui.QKeySequence.StandardKey.Undo)
        self.redo_action = self.doc.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QtGui.QKeySequence("Ctrl+Shift+Z"),
                                       QtGui.QKeySequence.StandardKey.Redo])
        for action in (self.undo_action, self.redo_action):
            action.setShortcutContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
        if path is not None:
            self.open_file(path)
        else:
            self.refresh()

    def _build_layout(self) -> None:
        viewer_tabs = QtWidgets.QTabWidget()
        viewer_tabs.addTab(self.curves, "Curves")
        viewer_tabs.addTab(self.images, "Image")
        self.follow_selection = QtWidgets.QCheckBox("follow selection")
        self.follow_selection.setChecked(True)
        self.follow_selection.setToolTip("show the selected node's outputs (off: the whole "
                                         "graph's sinks)")
        self.follow_selection.toggled.connect(lambda _on: self.update_viewers())
        viewer_tabs.setCornerWidget(self.follow_selection)
        self.viewer_tabs = viewer_tabs
        bottom = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        bottom.addWidget(viewer_tabs)
        space_tabs = QtWidgets.QTabWidget()  # the shot through the camera | top and side
        space_tabs.addTab(self.camera_view, "Camera")
        space_tabs.addTab(self.layout_view, "Top / Side")
        self.space_tabs = space_tabs
        bottom.addWidget(space_tabs)
        bottom.setStretchFactor(0, 3)
        bottom.setStretchFactor(1, 2)
        center = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        center.addWidget(self.canvas)
        center.addWidget(bottom)
        center.setStretchFactor(0, 3)
        center.setStretchFactor(1, 2)
        problems_box = QtWidgets.QWidget()
        pl = QtWidgets.QVBoxLayout(problems_box)
        pl.setContentsMargins(4, 4, 4, 4)
        title = QtWidgets.QLabel("PROBLEMS")
        title.setObjectName("panelTitle")
        pl.addWidget(title)
        self.problems_title = title
        pl.addWidget(self.problems)
        self.problems_box = problems_box
        props_box = QtWidgets.QWidget()
        ppl = QtWidgets.QVBoxLayout(props_box)
        ppl.setContentsMargins(0, 4, 0, 0)
        ptitle = QtWidgets.QLabel("  PROPERTIES")
        ptitle.setObjectName("panelTitle")
        ppl.addWidget(ptitle)
        ppl.addWidget(self.properties, 1)
        right = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        right.addWidget(props_box)
        right.addWidget(problems_box)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 1)
        self.right_splitter = right
        main = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        main.addWidget(self.palette)
        main.addWidget(center)
        main.addWidget(right)
        main.setStretchFactor(0, 0)
        main.setStretchFactor(1, 1)
        main.setStretchFactor(2, 0)
        main.setSizes([220, 980, 400])
        self.main_splitter, self.center_splitter = main, center
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(main, 1)
        layout.addWidget(self.status)

    # -- file --------------------------------------------------------------------------
    def title(self) -> str:
        return f"{self.doc.display_name}{' *' if self.doc.modified else ''}"

    def open_file(self, path: str | Path) -> bool:
        """Open a graph; problems go to the list. False (and the old graph kept) if unreadable."""
        try:
            problems = self.doc.open(path)
        except MoksError as exc:
            self.problems.set_problems(exc.problems)
            self.show_message(f"cannot open {path}: {exc.problems[0].message}"
                              if exc.problems else f"cannot open {path}")
            return False
        self.eval_problems = []
        self._refresh_timer.stop()
        self.refresh()  # problems at once (an edit defers this to keep the UI responsive)
        placeholders = sum(1 for r in self.doc.graph.nodes.values() if r.is_placeholder)
        self.show_message(f"opened {path}: {len(self.doc.graph.nodes)} nodes, "
                          f"{len(problems)} problems"
                          + (f", {placeholders} placeholders" if placeholders else ""))
        return True

    def new_file(self) -> None:
        self.doc.new()
        self._fresh("new graph")

    def new_from_graph(self, graph: Graph, text: str) -> None:
        """Show ``graph`` as a new, unsaved document; ``text`` goes to the status line."""
        self.doc.adopt(graph)
        self._fresh(text)

    def _fresh(self, text: str) -> None:
        """A new document's problems at once, no stale evaluation errors."""
        self.eval_problems = []
        self._refresh_timer.stop()
        self.refresh()
        self.show_message(text)

    def save_file(self, path: str | Path | None = None) -> bool:
        try:
            self.doc.save(path)
        except (MoksError, ValueError) as exc:
            self.show_message(f"save failed: {exc}")
            return False
        self.show_message(f"saved {self.doc.path}")
        return True

    def confirm_discard(self) -> bool:
        """Ask before losing unsaved changes: True to go on (saved or discarded)."""
        if not self.doc.modified:
            return True
        answer = QtWidgets.QMessageBox.question(
            self, "Unsaved changes", f"Save changes to {self.doc.display_name}?",
            QtWidgets.QMessageBox.StandardButton.Save
            | QtWidgets.QMessageBox.StandardButton.Discard
            | QtWidgets.QMessageBox.StandardButton.Cancel,
            QtWidgets.QMessageBox.StandardButton.Save)
        if answer == QtWidgets.QMessageBox.StandardButton.Save:
            if self.doc.path is None:
                path, _ = QtWidgets.QFileDialog.getSaveFileName(
                    self, "Save graph", "untitled.mgraph", "MOKS graphs (*.mgraph)")
                return bool(path) and self.save_file(path)
            return self.save_file()
        return answer == QtWidgets.QMessageBox.StandardButton.Discard

    # -- refresh and evaluation --------------------------------------------------------
    def show_message(self, text: str) -> None:
        self.status.setText(text.splitlines()[0] if text else "")
        self.status.setToolTip(text)
        self.message.emit(text)

    def _schedule_refresh(self) -> None:
        self._refresh_timer.start()

    def refresh(self) -> None:
        """Problems list and node markers from the engine; then a live evaluation."""
        self.update_problems()
        if self.live.enabled:
            self.live.request(self.doc.graph)

    def update_problems(self) -> None:
        problems = self.doc.problems()
        seen = {(p.code, p.path, p.message) for p in problems}
        problems += [p for p in self.eval_problems if (p.code, p.path, p.message) not in seen]
        self.problems.set_problems(problems)
        self.canvas.set_problems(problems)

    def evaluate_now(self) -> int:
        return self.live.request(self.doc.graph)

    def wait_for_evaluation(self, timeout_ms: int = 60000) -> bool:
        return self.live.wait(timeout_ms)

    def _evaluated(self, done: Evaluation) -> None:
        if done.result is None:
            self.eval_problems = [Problem("MG120", done.error.splitlines()[0])]
            self.update_problems()
            self.show_message(f"evaluation failed: {done.error.splitlines()[0]}")
            self.curves.set_empty(f"graph invalid: {done.error.splitlines()[0]}")
            return
        result = done.result
        self.eval_problems = [p for p in result.problems if p.code in ("MG120", "MG121")]
        if self.eval_problems:
            self.update_problems()
        self.show_message(f"evaluated frames {done.frames[0]}-{done.frames[1]} in "
                          f"{done.seconds * 1000:.0f} ms: computed {len(result.computed)}, "
                          f"reused {len(result.reused)} from the cache")
        self.update_viewers()

    def update_viewers(self) -> None:
        """Show the newest evaluation for the selected node (or the graph's sinks)."""
        done = self.live.latest
        if done is None or done.result is None:
            return
        values, graph = done.result.values, self.doc.graph
        node = self.selected if self.selected in graph.nodes else None
        if not self.follow_selection.isChecked():
            node = None
        channels, title = display_channels(graph, values, node)
        if channels is None and node is not None:
            channels, title = display_channels(graph, values, None)
        if channels is None and self.problems.problems:
            first = self.problems.problems[0]
            title = f"graph invalid: {first.message}" + (f" ({first.node})" if first.node
                                                         else "")
        self.curves.set_channels(channels, title)
        self.layout_view.set_channels(channels)
        self.layout_view.set_frame(self.curves.scrubber.frame())
        scene, _ = display_channels(graph, values, None)  # the whole shot, whatever is selected
        self.camera_view.set_scene(scene, subject_track(graph, values, scene))
        self.camera_view.set_frame(self.curves.scrubber.frame())
        images = display_images(graph, values, node)
        points: list[tuple[float, float, str]] = []
        if images:
            owner = node if node is not None else images[0][0].rsplit(".", 1)[0]
            points = overlay_points(graph, values, owner, images[0][1].shape[:2])
            is_mask = ["mask" in ref.rsplit(".", 1)[1] for ref, _ in images]
            shown = [im for im, m in zip(images, is_mask, strict=True) if not m]
            masks = [im for im, m in zip(images, is_mask, strict=True) if m]
            mask = masks[0][1].mean(axis=2) > 0.5 if masks and shown else None
            if mask is None and node is not None:  # an analysis node's own mask (specular)
                mask = overlay_mask(graph, node, (shown or images)[0][1])
            self.images.set_images(shown or images, points, mask)
        else:
            self.images.set_images([])

    # -- selection ---------------------------------------------------------------------
    def _selection_changed(self, ids: list[str]) -> None:
        self.selected = ids[0] if ids else None
        self.properties.show_node(self.selected)
        self.update_viewers()

    def focus_node(self, node_id: str) -> None:
        if node_id in self.doc.graph.nodes:
            self.canvas.select([node_id])
            self.canvas.center_on(node_id)
