"""Backdrops (issue 18): titled boxes behind groups of nodes, saved with the graph.

Backdrops are editor-only metadata: ``graph.meta["editor"]["backdrops"]``, a list of
``{"title": str, "text": str, "pos": [x, y], "size": [w, h]}`` (scene units). The
engine keeps ``meta`` as written, so headless loads, bakes and saves ignore and
round-trip them, and no schema migration is involved. Malformed entries are skipped
with a message naming the file and the field (the file still opens).

The canvas draws each as a NodeGraphQt ``BackdropNode`` (title = its name, body
text); dragging one moves the nodes on it, and every move or resize is written back
to the meta as one undo step (:class:`~moks_graph.editor.edit_ops.SetMetaOp`).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from NodeGraphQt import BackdropNode

from moks_graph.editor.edit_ops import SetMetaOp
from moks_graph.editor.qtcompat import QtCore, QtGui, QtWidgets

if TYPE_CHECKING:
    from moks_graph.editor.canvas import GraphCanvas

#: ``graph.meta`` key of the editor's own metadata.
EDITOR_META = "editor"
BACKDROPS = "backdrops"
_KEYS = {"title", "text", "pos", "size"}


def _pair(value: Any) -> bool:
    return (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value))


def read_backdrops(meta: dict[str, Any], source: str = "<graph>") -> tuple[list[dict[str, Any]],
                                                                           list[str]]:
    """The well-formed backdrops of ``meta`` and one message per entry skipped."""
    section = meta.get(EDITOR_META, {})
    items = section.get(BACKDROPS, []) if isinstance(section, dict) else None
    if not isinstance(items, list):
        return [], [f"{source}: meta.{EDITOR_META}.{BACKDROPS} must be a list; backdrops ignored"]
    good, bad = [], []
    for i, item in enumerate(items):
        where = f"{source}: meta.{EDITOR_META}.{BACKDROPS}[{i}]"
        if not isinstance(item, dict):
            bad.append(f"{where} must be an object; skipped")
        elif set(item) - _KEYS:
            bad.append(f"{where}: unknown field(s) {sorted(set(item) - _KEYS)}; skipped")
        elif not isinstance(item.get("title", ""), str) or not isinstance(item.get("text", ""),
                                                                          str):
            bad.append(f"{where}: title and text must be strings; skipped")
        elif not _pair(item.get("pos")) or not _pair(item.get("size")):
            bad.append(f"{where}: pos and size must be [x, y] numbers; skipped")
        else:
            good.append({"title": item.get("title", ""), "text": item.get("text", ""),
                         "pos": list(item["pos"]), "size": list(item["size"])})
    return good, bad


def with_backdrops(meta: dict[str, Any], backdrops: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The new ``meta["editor"]`` holding ``backdrops`` (None: the section becomes empty)."""
    section = copy.deepcopy(meta.get(EDITOR_META)) if isinstance(meta.get(EDITOR_META),
                                                                  dict) else {}
    if backdrops:
        section[BACKDROPS] = backdrops
    else:
        section.pop(BACKDROPS, None)
    return section or None


class MoksBackdrop(BackdropNode):
    """A backdrop whose resizes are reported to :class:`Backdrops` (not NodeGraphQt's undo)."""

    __identifier__ = "moks"
    NODE_NAME = "Backdrop"
    owner: Backdrops | None = None

    def on_backdrop_updated(self, update_prop: str, value: Any = None) -> None:
        if isinstance(value, dict) and "width" in value:
            self.view.width, self.view.height = value["width"], value["height"]
            self.view.xy_pos = value["pos"]
        if self.owner is not None:
            self.owner.record_view()


class Backdrops(QtCore.QObject):
    """The backdrops of one canvas: drawn from the meta, edits written back as undo steps."""

    def __init__(self, canvas: GraphCanvas) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        canvas.graph.register_node(MoksBackdrop)
        self.views: list[MoksBackdrop] = []
        self.action = QtGui.QAction("Backdrop around selection…", canvas)
        self.action.setShortcut(QtGui.QKeySequence("Ctrl+B"))
        self.action.setShortcutContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.action.triggered.connect(lambda _checked=False: self.add_interactive())
        canvas.viewer.addAction(self.action)
        self.title_action = QtGui.QAction("Backdrop title…", canvas)
        self.title_action.triggered.connect(lambda _checked=False: self.retitle_interactive())
        canvas.viewer.moved_nodes.connect(lambda _data: self.record_view())
        canvas.delete_action.triggered.connect(lambda _checked=False: self.remove_selected())
        canvas.doc.reset.connect(self.rebuild)
        canvas.doc.meta_changed.connect(lambda key: key == EDITOR_META and self.rebuild())
        self.rebuild()

    # -- model ---------------------------------------------------------------------
    def items(self) -> list[dict[str, Any]]:
        return read_backdrops(self.canvas.doc.graph.meta)[0]

    def _write(self, items: list[dict[str, Any]], label: str) -> bool:
        section = with_backdrops(self.canvas.doc.graph.meta, items)
        return self.canvas.doc.perform(label, [SetMetaOp(EDITOR_META, section)])

    def add(self, title: str, around: list[str] | None = None, text: str = "") -> bool:
        """A backdrop titled ``title`` around the nodes (default: the selection)."""
        ids = around if around is not None else self.canvas.selected_ids()
        views = [self.canvas.node_view(n).view for n in ids if self.canvas.node_view(n)]
        if views:
            rect = views[0].sceneBoundingRect()
            for v in views[1:]:
                rect = rect.united(v.sceneBoundingRect())
            rect = rect.adjusted(-40, -70, 40, 40)
        else:
            center = self.canvas.viewer.mapToScene(self.canvas.viewer.viewport().rect().center())
            rect = QtCore.QRectF(center.x() - 200, center.y() - 120, 400, 240)
        item = {"title": title, "text": text, "pos": [round(rect.x()), round(rect.y())],
                "size": [round(rect.width()), round(rect.height())]}
        return self._write([*self.items(), item], f"backdrop {title!r}")

    def add_interactive(self) -> bool:
        title, ok = QtWidgets.QInputDialog.getText(self.canvas, "Backdrop", "title:")
        return bool(ok) and self.add(title)

    def selected(self) -> list[int]:
        """Indices of the selected backdrops."""
        return [i for i, v in enumerate(self.views) if v.view.isSelected()]

    def retitle(self, index: int, title: str) -> bool:
        items = self.items()
        if not 0 <= index < len(items):
            return False
        items[index] = {**items[index], "title": title}
        return self._write(items, f"backdrop title {title!r}")

    def retitle_interactive(self) -> bool:
        chosen = self.selected()
        if not chosen:
            self.canvas.message.emit("backdrop title: select a backdrop first")
            return False
        old = self.items()[chosen[0]]["title"]
        title, ok = QtWidgets.QInputDialog.getText(self.canvas, "Backdrop", "title:", text=old)
        return bool(ok) and self.retitle(chosen[0], title)

    def remove_selected(self) -> bool:
        chosen = set(self.selected())
        if not chosen:
            return False
        return self._write([b for i, b in enumerate(self.items()) if i not in chosen],
                           "delete backdrop")

    # -- view ----------------------------------------------------------------------
    def _state(self) -> list[dict[str, Any]]:
        out = []
        for v, item in zip(self.views, self.items(), strict=False):
            x, y = v.view.xy_pos
            out.append({**item, "pos": [round(x), round(y)],
                        "size": [round(v.view.width), round(v.view.height)]})
        return out

    def record_view(self) -> None:
        """Write moved / resized backdrops to the meta (one undo step), if anything changed."""
        state = self._state()
        if state != self.items():
            self._write(state, "move backdrop")

    def rebuild(self) -> None:
        """Redraw the backdrops from the meta (messages for entries that were skipped)."""
        items, bad = read_backdrops(self.canvas.doc.graph.meta, self.canvas.doc.display_name)
        if len(items) == len(self.views) and self._state() == items and all(
                v.name() == b["title"] for v, b in zip(self.views, items, strict=True)):
            return
        for v in self.views:
            self.canvas.graph.remove_node(v, push_undo=False)
        self.views = []
        for item in items:
            v = MoksBackdrop()
            v.owner = self
            v.NODE_NAME = item["title"]  # read by NodeGraphQt's add_node: the title
            self.canvas.graph.add_node(v, selected=False, push_undo=False)
            for name, value in (("width", item["size"][0]), ("height", item["size"][1]),
                                ("pos", [float(p) for p in item["pos"]]),
                                ("backdrop_text", item["text"])):
                v.set_property(name, value, push_undo=False)
            v.view.setZValue(-10)
            self.views.append(v)
        for message in bad:
            self.canvas.message.emit(message)

    def titles(self) -> list[str]:
        return [v.name() for v in self.views]
