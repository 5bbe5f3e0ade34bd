"""Copy, paste and duplicate (issue 18): ``.mgraph`` fragments on the Qt clipboard.

Copy puts the selected nodes and the edges among them on the clipboard as a
fragment (:mod:`moks_graph.fragments`): the canonical ``.mgraph`` text, under
:data:`~moks_graph.fragments.FRAGMENT_MIME` and as plain text (so it can be pasted
into a text editor, a chat or another MOKS session). Paste reads it with the file
loader (checks and migrations, never code), gives taken ids new unique ones,
offsets positions and re-wires the internal edges, as one undoable step that
selects what it added. Duplicate is copy + paste without touching the clipboard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from moks_graph import fragments
from moks_graph.editor.edit_ops import AddSubgraphOp, InsertRecordOp
from moks_graph.editor.model import ConnectOp, EditorDocument, Op
from moks_graph.editor.qtcompat import QtCore, QtGui
from moks_graph.errors import MoksError

if TYPE_CHECKING:
    from moks_graph.editor.canvas import GraphCanvas

#: Scene units each successive paste of one clipboard moves by.
PASTE_STEP = 40.0


def clipboard() -> QtGui.QClipboard:
    return QtGui.QGuiApplication.clipboard()


def put_on_clipboard(text: str) -> None:
    """``text`` on the clipboard as a fragment and as plain text."""
    data = QtCore.QMimeData()
    data.setData(fragments.FRAGMENT_MIME, QtCore.QByteArray(text.encode("utf-8")))
    data.setText(text)
    clipboard().setMimeData(data)


def clipboard_text() -> str | None:
    """The fragment on the clipboard (its own MIME type first, then plain text), or None."""
    data = clipboard().mimeData()
    if data is None:
        return None
    if data.hasFormat(fragments.FRAGMENT_MIME):
        return bytes(data.data(fragments.FRAGMENT_MIME).data()).decode("utf-8", "replace")
    text = data.text() if data.hasText() else ""
    return text if fragments.is_fragment_text(text) else None


def paste_fragment(doc: EditorDocument, text: str,
                   offset: tuple[float, float] = (PASTE_STEP, PASTE_STEP)) -> list[str] | None:
    """Insert a fragment into ``doc`` (one undo step); the new ids, or None if refused."""
    try:
        part = fragments.loads(text, doc.registry)
    except MoksError as exc:
        doc.refused.emit(f"paste refused: {exc.describe()}", list(exc.problems))
        return None
    plan = fragments.paste_plan(part, [*doc.graph.nodes, *doc.graph.subgraphs], offset)
    ops: list[Op] = [InsertRecordOp(rec) for rec in plan.records]
    ops += [ConnectOp(f"{e.src}.{e.src_port}", f"{e.dst}.{e.dst_port}") for e in plan.edges]
    ops += [AddSubgraphOp(sub) for sub in plan.subgraphs]
    n = len(plan.records)
    label = f"paste {plan.records[0].id}" if n == 1 else f"paste {n} nodes"
    return [rec.id for rec in plan.records] if n and doc.perform(label, ops) else None


class Clipboard(QtCore.QObject):
    """Copy / paste / duplicate for one canvas, with Ctrl+C / Ctrl+V / Ctrl+D actions."""

    def __init__(self, canvas: GraphCanvas) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self._pastes = 0
        self.copy_action = self._action("Copy", QtGui.QKeySequence.StandardKey.Copy, self.copy)
        self.paste_action = self._action("Paste", QtGui.QKeySequence.StandardKey.Paste,
                                         self.paste)
        self.duplicate_action = self._action("Duplicate", QtGui.QKeySequence("Ctrl+D"),
                                             self.duplicate)

    def _action(self, text: str, key: object, slot: object) -> QtGui.QAction:
        action = QtGui.QAction(text, self.canvas)
        action.setShortcut(key)  # type: ignore[arg-type]
        action.setShortcutContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(lambda _checked=False: slot())  # type: ignore[operator]
        self.canvas.viewer.addAction(action)
        return action

    def _selection(self) -> list[str]:
        """Selected node ids plus the members of selected subgraph nodes."""
        graph = self.canvas.doc.graph
        members = [m for s in self.canvas.subgraphs.selected() for m in graph.subgraphs[s].members]
        return list(dict.fromkeys([*self.canvas.selected_ids(), *members]))

    def copy(self) -> bool:
        """The selection on the clipboard; False when nothing is selected."""
        ids = self._selection()
        if not ids:
            self.canvas.message.emit("copy: select nodes first")
            return False
        put_on_clipboard(fragments.dumps(self.canvas.doc.graph, ids))
        self._pastes = 0
        self.canvas.message.emit(f"copied {len(ids)} node{'s' * (len(ids) != 1)}")
        return True

    def paste(self) -> list[str] | None:
        """The clipboard's fragment into this graph, offset a step further each time."""
        text = clipboard_text()
        if text is None:
            self.canvas.message.emit("paste: the clipboard holds no MOKS graph fragment")
            return None
        self._pastes += 1
        step = PASTE_STEP * self._pastes
        return self._select(paste_fragment(self.canvas.doc, text, (step, step)))

    def duplicate(self) -> list[str] | None:
        """A copy of the selection next to it (the clipboard is left alone)."""
        ids = self._selection()
        if not ids:
            self.canvas.message.emit("duplicate: select nodes first")
            return None
        text = fragments.dumps(self.canvas.doc.graph, ids)
        return self._select(paste_fragment(self.canvas.doc, text))

    def _select(self, ids: list[str] | None) -> list[str] | None:
        if ids:
            self.canvas.select(ids)
            for sub_id, sub in self.canvas.doc.graph.subgraphs.items():
                if set(sub.members) <= set(ids) and sub_id in self.canvas.subgraphs.proxies:
                    self.canvas.subgraphs.proxies[sub_id].view.setSelected(True)
        return ids
