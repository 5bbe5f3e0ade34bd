"""The standalone editor window: menus, recent files, title marker, problem dock, Bake, Match.

Entry points: :class:`MainWindow`.

Details (moved from this docstring, issue 15): docs/editor.md#editormain_windowpy
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from moks_graph.editor.match_dialog import MatchDialog, ambient_text, subject_text
from moks_graph.editor.model import AddNodeOp, ConnectOp, Op
from moks_graph.editor.qtcompat import QtCore, QtGui, QtWidgets
from moks_graph.editor.widget import EditorWidget
from moks_graph.registry import Registry

APP_NAME = "MOKS Graph"
MAX_RECENT = 8
MATCH_MODULE = "moks_graph.hosts.inverse"
MATCH_MISSING = "needs inverse cinematography (issue 6)"


def match_view(parent: QtWidgets.QWidget, module: Any, outcome: Any,
               kept: bool = False) -> QtWidgets.QDialog:
    """A window with reference | fitted preview | residual heat map and the match's status."""
    compare = module.compare_image(outcome.reference, outcome.preview, outcome.heatmap,
                                   module.subject_outline(outcome))
    h, w, _ = compare.shape
    data = np.ascontiguousarray(compare)
    qimage = QtGui.QImage(data.data, w, h, 3 * w, QtGui.QImage.Format.Format_RGB888).copy()
    dialog = QtWidgets.QDialog(parent)
    result = outcome.result
    dialog.setWindowTitle(f"Match: {result.status}")
    layout = QtWidgets.QVBoxLayout(dialog)
    picture = QtWidgets.QLabel()
    picture.setObjectName("match_compare")
    picture.setPixmap(QtGui.QPixmap.fromImage(qimage))
    layout.addWidget(picture)
    if result.status == "failed":  # no lights were measured: say why, report none
        text = f"failed: {result.message}"
    else:
        doubt = result.uncertainty.get("key_direction_deg", float("nan"))
        text = (f"{result.status}: key {result.key_azimuth_deg:.0f}° / "
                f"{result.key_elevation_deg:.0f}° (±{doubt:.0f}°), "
                f"key/fill {result.key_fill_ratio:.1f}, {result.key_cct_K:.0f} K, rim "
                f"{result.rim_mode}; residual {result.residual:.3f}. {result.message}")
    where = subject_text(getattr(result, "subject", None))
    if where:
        text += f"\n{where[0].upper()}{where[1:]}."
    light = ambient_text(getattr(result, "ambient", None), kept)
    if light:
        text += f"\n{light[0].upper()}{light[1:]}."
    caption = QtWidgets.QLabel(text)
    caption.setObjectName("match_caption")
    caption.setWordWrap(True)
    layout.addWidget(caption)
    return dialog


def match_available() -> bool:
    """Whether the inverse-cinematography module can be imported."""
    try:
        return importlib.util.find_spec(MATCH_MODULE) is not None
    except (ImportError, ValueError):
        return False


class MainWindow(QtWidgets.QMainWindow):
    """The ``moks-editor`` window."""

    def __init__(self, path: str | Path | None = None, registry: Registry | None = None,
                 settings: QtCore.QSettings | None = None,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings if settings is not None else QtCore.QSettings("MOKS",
                                                                               "GraphEditor")
        self.editor = EditorWidget(None, registry, self)
        self.setCentralWidget(self.editor)
        self.problems_dock = QtWidgets.QDockWidget("Problems", self)
        self.problems_dock.setObjectName("problemsDock")
        self.problems_dock.setWidget(self.editor.problems_box)
        self.editor.problems_title.hide()
        self.problems_dock.setFeatures(
            QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.BottomDockWidgetArea, self.problems_dock)
        self.resizeDocks([self.problems_dock], [120], QtCore.Qt.Orientation.Vertical)
        self.editor.status.hide()
        self.editor.message.connect(lambda text: self.statusBar().showMessage(
            text.splitlines()[0] if text else ""))
        self.editor.title_changed.connect(self._update_title)
        self._build_actions()
        self._build_menus()
        self._update_title()
        if path is not None:
            self.open_path(str(path))

    # -- actions and menus -----------------------------------------------------------
    def _action(self, text: str, slot: object, shortcut: object = None,
                tip: str = "") -> QtGui.QAction:
        action = QtGui.QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QtGui.QKeySequence(shortcut))  # type: ignore[arg-type]
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.triggered.connect(slot)  # type: ignore[arg-type]
        return action

    def _build_actions(self) -> None:
        keys = QtGui.QKeySequence.StandardKey
        self.new_action = self._action("&New", self.new_file, keys.New)
        self.open_action = self._action("&Open…", self.open_dialog, keys.Open)
        self.prose_action = self._action("New from &prose…", self.new_from_prose, None,
                                         "compile a SceneScript prose line, as moks scene does")
        self.save_action = self._action("&Save", self.save, keys.Save)
        self.save_as_action = self._action("Save &As…", self.save_as, "Ctrl+Shift+S")
        self.quit_action = self._action("&Quit", self.close, keys.Quit)
        self.evaluate_action = self._action("&Evaluate", self.editor.evaluate_now, "F5",
                                            "evaluate the graph now (it also runs after edits)")
        self.bake_action = self._action("&Bake…", self.bake, "Ctrl+B",
                                        "evaluate and write keyframes for a host")
        self.subject_action = self._action(
            "&Subject from scene…", self.subject_from_scene, None,
            "a host scene object's animated position becomes the moving subject (moks track)")
        self.match_action = self._action("&Match still…", self.match, None,
                                         "fit the lighting to a reference still")
        if not match_available():
            self.match_action.setEnabled(False)
            self.match_action.setToolTip(MATCH_MISSING)
            self.match_action.setStatusTip(MATCH_MISSING)
        self.layout_action = self._action("&Layout graph", self.editor.canvas.auto_layout, "Ctrl+L",
                                          "lay the graph out left to right in DAG columns")
        self.compact_action = self._action(
            "&Compact merges", self.editor.doc.compact_merges, None,
            "collapse chains of two-input merges into one eight-input merge (same channels)")
        self.search_action = self._action("&Add node…", lambda: self.editor.canvas.show_search(),
                                          None, "Tab on the canvas")
        self.editor.undo_action.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
        self.editor.redo_action.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for action in (self.new_action, self.prose_action, self.open_action):
            file_menu.addAction(action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._fill_recent()
        file_menu.addSeparator()
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.save_as_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit = bar.addMenu("&Edit")
        edit.addAction(self.editor.undo_action)
        edit.addAction(self.editor.redo_action)
        edit.addSeparator()
        edit.addAction(self.search_action)
        edit.addAction(self.editor.canvas.delete_action)
        view = bar.addMenu("&View")
        view.addAction(self.editor.canvas.fit_action)
        view.addAction(self.layout_action)
        view.addAction(self.compact_action)
        view.addAction(self.problems_dock.toggleViewAction())
        graph = bar.addMenu("&Graph")
        graph.addAction(self.evaluate_action)
        graph.addAction(self.subject_action)
        graph.addSeparator()
        graph.addAction(self.bake_action)
        graph.addAction(self.match_action)
        graph.setToolTipsVisible(True)

    def _update_title(self, *_: object) -> None:
        self.setWindowTitle(f"{self.editor.title()} — {APP_NAME}")

    # -- recent files ----------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _remember(self, path: str) -> None:
        path = str(Path(path).resolve())
        files = [path] + [f for f in self.recent_files() if f != path]
        self.settings.setValue("recent_files", files[:MAX_RECENT])
        self.settings.sync()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for f in files:
            action = self.recent_menu.addAction(Path(f).name)
            action.setToolTip(f)
            action.triggered.connect(lambda _=False, p=f: self.open_path(p))
        self.recent_menu.setEnabled(bool(files))

    # -- file commands ---------------------------------------------------------------
    def new_file(self) -> bool:
        if not self.editor.confirm_discard():
            return False
        self.editor.new_file()
        return True

    def prose_dialog(self) -> QtWidgets.QDialog:
        from moks_graph.editor.prose_dialog import ProseDialog

        return ProseDialog(self)

    def new_from_prose(self) -> bool:
        """File > New from prose…: the compiled graph replaces the document (after the
        unsaved-changes prompt)."""
        if not self.editor.confirm_discard():
            return False
        dialog = self.prose_dialog()
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return False
        return self.show_compiled(dialog)

    def show_compiled(self, dialog: Any) -> bool:
        """Show the graph a :class:`~moks_graph.editor.prose_dialog.ProseDialog` compiled."""
        graph = dialog.graph
        if graph is None:
            return False
        rig = graph.meta.get("scene_script", {}).get("camera", {}).get("rig", "?")
        said = f"; warning: {dialog.warnings[0]}" if dialog.warnings else ""
        self.editor.new_from_graph(graph, f"compiled from prose: {len(graph.nodes)} nodes, "
                                          f"rig {rig}{said}")
        return True

    def open_dialog(self) -> bool:
        if not self.editor.confirm_discard():
            return False
        start = str(Path(self.editor.doc.path).parent) if self.editor.doc.path else ""
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open graph", start,
                                                        "MOKS graphs (*.mgraph);;All files (*)")
        return bool(path) and self.open_path(path)

    def open_path(self, path: str) -> bool:
        """Open a file (no prompt); recent files remember it; the problem dock shows errors."""
        ok = self.editor.open_file(path)
        if ok:
            self._remember(path)
        if self.editor.problems.problems:
            self.problems_dock.show()
        return ok

    def save(self) -> bool:
        if self.editor.doc.path is None:
            return self.save_as()
        return self.editor.save_file()

    def save_as(self, path: str | None = None) -> bool:
        if path is None:
            start = self.editor.doc.path or "untitled.mgraph"
            path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save graph as", start,
                                                            "MOKS graphs (*.mgraph)")
            if not path:
                return False
            if not path.endswith(".mgraph"):
                path += ".mgraph"
        ok = self.editor.save_file(path)
        if ok:
            self._remember(path)
        return ok

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        if self.editor.confirm_discard():
            event.accept()
        else:
            event.ignore()

    # -- bake and match --------------------------------------------------------------
    def bake_dialog(self) -> QtWidgets.QDialog:
        from moks_graph.editor.bake_dialog import BakeDialog

        folder = str(Path(self.editor.doc.path).parent) if self.editor.doc.path else None
        dialog = BakeDialog(self.editor.doc.graph, self, folder)
        dialog.finished_bake.connect(lambda _ok, text: self.statusBar().showMessage(
            text.splitlines()[0]))
        return dialog

    def subject_dialog(self) -> QtWidgets.QDialog:
        from moks_graph.editor.subject_dialog import SubjectDialog

        folder = str(Path(self.editor.doc.path).parent) if self.editor.doc.path else None
        return SubjectDialog(self, folder)

    def subject_from_scene(self) -> bool:
        """Graph > Subject from scene…: read the track, then wire it (one undo step)."""
        dialog = self.subject_dialog()
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return False
        return self.use_subject(dialog)

    def use_subject(self, dialog: Any) -> bool:
        """Wire the track a :class:`~moks_graph.editor.subject_dialog.SubjectDialog` read into
        every ``subject`` input and the scene merge (:func:`subject_ops`)."""
        from moks_graph.editor.subject_dialog import subject_ops

        if dialog.track_path is None:
            return False
        node_id, ops = subject_ops(self.editor.doc.graph, str(dialog.track_path.resolve()))
        if not self.editor.doc.perform(f"Subject from {dialog.track.source}", ops):
            return False
        fed = sum(1 for op in ops if isinstance(op, ConnectOp))
        self.editor.show_message(f"{node_id}: {dialog.track.object} from "
                                 f"{dialog.track.source} feeds {fed} inputs")
        return True

    def bake(self) -> None:
        self.bake_dialog().open()

    def match(self) -> None:
        if not match_available():
            self.statusBar().showMessage(MATCH_MISSING)
            return
        module = importlib.import_module(MATCH_MODULE)
        match_still = getattr(module, "match_still", None)
        if match_still is None:
            self.statusBar().showMessage(f"{MATCH_MODULE} has no match_still(image, graph)")
            return
        dialog = self.match_dialog()
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def match_dialog(self) -> QtWidgets.QDialog:
        """The Match still dialog (reference, optional matte or box, alpha switch); ``Match``
        runs :meth:`run_match` with its choices."""
        folder = str(Path(self.editor.doc.path).parent) if self.editor.doc.path else ""
        dialog = MatchDialog(self, folder)
        dialog.accepted.connect(lambda: self.run_match(dialog.image(), **dialog.options()))
        return dialog

    def run_match(self, image: str, matte: str | None = None, use_alpha: bool = True,
                  subject_box: list[float] | None = None, key_hint: str | None = None
                  ) -> None:
        """Match ``image`` (the subject from ``matte``, inside ``subject_box``, or from its
        alpha; the key inside ``key_hint`` when given) and insert the result."""
        module = importlib.import_module(MATCH_MODULE)
        match_still = module.match_still
        outcomes: list[Any] = []
        try:
            fitted = match_still(image, self.editor.doc.graph, on_outcome=outcomes.append,
                                 matte=matte or None, use_alpha=use_alpha,
                                 subject_box=subject_box, key_hint=key_hint)
        except Exception as exc:
            self.statusBar().showMessage(f"match failed: {type(exc).__name__}: {exc}")
            if outcomes:  # a failed match: the reference and why, no lights
                self.match_view = match_view(self, module, outcomes[0])
                self.match_view.show()
            return
        if outcomes:
            kept = "ambient_note" in fitted.meta.get("match", {})
            self.match_view = match_view(self, module, outcomes[0], kept)
            self.match_view.show()
        doc = self.editor.doc
        new = [n for n in fitted.nodes if n not in doc.graph.nodes]
        ops: list[Op] = [AddNodeOp(fitted.nodes[n].type, n, fitted.nodes[n].params,
                                   tuple(fitted.nodes[n].ui.get("pos", (0, 0)))) for n in new]
        ops += [ConnectOp(f"{e.src}.{e.src_port}", f"{e.dst}.{e.dst_port}")
                for e in fitted.edges if e.dst in new]
        if doc.perform("match still", ops):
            info = fitted.meta.get("match", {})
            why = "; ".join(info.get("reasons", []))
            where = subject_text(info.get("subject"))
            self.statusBar().showMessage(f"match inserted {len(new)} nodes: "
                                         f"{info.get('status', '?')}" + (f" ({why})" if why
                                                                        else "")
                                         + (f"; {where}" if where else ""))
