"""The node palette: every registered node type (built-ins and TD plugins alike), by category.

:func:`palette_entries` reads the registry (no Qt); :class:`NodePalette` is the
dockable, searchable tree; :class:`NodeSearchPopup` is the Tab menu on the
canvas. Both show each node's docstring as help (tooltip and help pane) and
emit ``node_chosen(type_id)``. Search matches type id, title, category and
docstring words, case-insensitively; every word typed must match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from moks_graph.editor.qtcompat import QtCore, QtGui, QtWidgets
from moks_graph.registry import Registry

#: MIME type of a node type dragged from the palette onto the canvas.
NODE_MIME = "application/x-moks-node-type"


@dataclass(frozen=True)
class PaletteEntry:
    """One node type as the palette shows it."""

    type_id: str
    name: str
    title: str
    category: str
    doc: str
    source: str
    inputs: tuple[tuple[str, str], ...]
    outputs: tuple[tuple[str, str], ...]

    @property
    def help(self) -> str:
        """Docstring plus port list: the tooltip and the help pane text."""
        ins = ", ".join(f"{n}: {t}" for n, t in self.inputs) or "none"
        outs = ", ".join(f"{n}: {t}" for n, t in self.outputs)
        return (f"{self.name}  ({self.type_id})\n\n{self.doc or self.title}\n\n"
                f"inputs: {ins}\noutputs: {outs}\nfrom: {self.source}")

    def matches(self, text: str) -> bool:
        hay = f"{self.name} {self.type_id} {self.title} {self.category} {self.doc}".lower()
        return all(word in hay for word in text.lower().split())


def display_name(cls_name: str) -> str:
    """``DollyRig`` -> ``Dolly Rig``, ``LoadHDRI`` -> ``Load HDRI``, ``exposure_offset`` ->
    ``Exposure offset``."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", cls_name)
    words = words.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def palette_entries(registry: Registry) -> list[PaletteEntry]:
    """Every node type of the registry, sorted by category then title."""
    out = []
    for cls in registry:
        out.append(PaletteEntry(
            cls.type_id, display_name(cls.__name__), cls.title().rstrip("."),
            cls.category or "General", cls.doc(),
            registry.source(cls.type_id) or "python",
            tuple((n, p.type.name) for n, p in cls.inputs.items()),
            tuple((n, p.type.name) for n, p in cls.outputs.items()),
        ))
    return sorted(out, key=lambda e: (e.category.lower(), e.name.lower(), e.type_id))


def filter_entries(entries: Iterable[PaletteEntry], text: str) -> list[PaletteEntry]:
    return [e for e in entries if e.matches(text)] if text.strip() else list(entries)


class NodePalette(QtWidgets.QWidget):
    """A search box over a category tree of node types; double-click or Enter adds one."""

    node_chosen = QtCore.Signal(str)
    HINT = ("Double-click a node type (or drag it onto the canvas) to add it. "
            "Tab on the canvas opens a search menu at the cursor.")

    def __init__(self, registry: Registry, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.registry = registry
        self.search = QtWidgets.QLineEdit(placeholderText="Search nodes…")
        self.search.setClearButtonEnabled(True)
        self.tree = QtWidgets.QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.mimeData = self._mime  # type: ignore[method-assign]
        self.help = QtWidgets.QTextBrowser()
        self.help.setObjectName("paletteHelp")
        self.help.setMaximumHeight(150)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        title = QtWidgets.QLabel("NODES")
        title.setObjectName("panelTitle")
        layout.addWidget(title)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.help)
        self.help.setPlainText(self.HINT)
        self.search.textChanged.connect(self._fill)
        self.search.returnPressed.connect(self._choose_first)
        self.tree.itemActivated.connect(self._activated)
        self.tree.currentItemChanged.connect(self._show_help)
        self.refresh()

    def refresh(self) -> None:
        self.entries = palette_entries(self.registry)
        self._fill(self.search.text())

    def _fill(self, text: str) -> None:
        self.tree.clear()
        groups: dict[str, QtWidgets.QTreeWidgetItem] = {}
        for entry in filter_entries(self.entries, text):
            group = groups.get(entry.category)
            if group is None:
                group = groups[entry.category] = QtWidgets.QTreeWidgetItem([entry.category])
                group.setFlags(QtCore.Qt.ItemFlag.ItemIsEnabled)
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                self.tree.addTopLevelItem(group)
            item = QtWidgets.QTreeWidgetItem([entry.name])
            item.setData(0, QtCore.Qt.ItemDataRole.UserRole, entry.type_id)
            item.setToolTip(0, entry.help)
            group.addChild(item)
        self.tree.expandAll()

    def visible_type_ids(self) -> list[str]:
        out = []
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            out += [group.child(j).data(0, QtCore.Qt.ItemDataRole.UserRole)
                    for j in range(group.childCount())]
        return out

    def _entry(self, type_id: str) -> PaletteEntry | None:
        return next((e for e in self.entries if e.type_id == type_id), None)

    def _show_help(self, item: QtWidgets.QTreeWidgetItem | None, *_: object) -> None:
        type_id = item.data(0, QtCore.Qt.ItemDataRole.UserRole) if item is not None else None
        entry = self._entry(type_id) if type_id else None
        self.help.setPlainText(entry.help if entry else self.HINT)

    def _activated(self, item: QtWidgets.QTreeWidgetItem, _column: int = 0) -> None:
        type_id = item.data(0, QtCore.Qt.ItemDataRole.UserRole)
        if type_id:
            self.node_chosen.emit(type_id)

    def _choose_first(self) -> None:
        ids = self.visible_type_ids()
        if ids:
            self.node_chosen.emit(ids[0])

    def _mime(self, items: list[QtWidgets.QTreeWidgetItem]) -> QtCore.QMimeData:
        data = QtCore.QMimeData()
        ids = [i.data(0, QtCore.Qt.ItemDataRole.UserRole) for i in items]
        ids = [i for i in ids if i]
        if ids:
            data.setData(NODE_MIME, QtCore.QByteArray(ids[0].encode()))
            data.setText(ids[0])
        return data


class NodeSearchPopup(QtWidgets.QFrame):
    """The Tab menu: type to filter, arrows to pick, Enter to add, Escape to close."""

    node_chosen = QtCore.Signal(str)

    def __init__(self, registry: Registry, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent, QtCore.Qt.WindowType.Popup)
        self.setObjectName("nodeSearchPopup")
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.registry = registry
        self.entries = palette_entries(registry)
        self.edit = QtWidgets.QLineEdit(placeholderText="Add node…")
        self.list = QtWidgets.QListWidget()
        self.list.setUniformItemSizes(True)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.edit)
        layout.addWidget(self.list)
        self.resize(320, 380)
        self.edit.textChanged.connect(self._fill)
        self.edit.installEventFilter(self)
        self.edit.returnPressed.connect(self._accept)
        self.list.itemActivated.connect(lambda _item: self._accept())
        self._fill("")

    def _fill(self, text: str) -> None:
        self.list.clear()
        category = None
        for entry in filter_entries(self.entries, text):
            if entry.category != category and not text.strip():
                category = entry.category
                header = QtWidgets.QListWidgetItem(category.upper())
                header.setFlags(QtCore.Qt.ItemFlag.NoItemFlags)
                self.list.addItem(header)
            label = f"{entry.name}    [{entry.category}]" if text.strip() else f"  {entry.name}"
            item = QtWidgets.QListWidgetItem(label)
            item.setData(QtCore.Qt.ItemDataRole.UserRole, entry.type_id)
            item.setToolTip(entry.help)
            self.list.addItem(item)
        for row in range(self.list.count()):
            if self.list.item(row).data(QtCore.Qt.ItemDataRole.UserRole):
                self.list.setCurrentRow(row)
                break

    def choices(self) -> list[str]:
        return [self.list.item(r).data(QtCore.Qt.ItemDataRole.UserRole)
                for r in range(self.list.count())
                if self.list.item(r).data(QtCore.Qt.ItemDataRole.UserRole)]

    def popup(self, global_pos: QtCore.QPoint) -> None:
        self.edit.clear()
        self.move(global_pos)
        self.show()
        self.edit.setFocus()

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if obj is self.edit and event.type() == QtCore.QEvent.Type.KeyPress:
            key = event.key()  # type: ignore[attr-defined]
            if key in (QtCore.Qt.Key.Key_Down, QtCore.Qt.Key.Key_Up):
                self._step(1 if key == QtCore.Qt.Key.Key_Down else -1)
                return True
            if key == QtCore.Qt.Key.Key_Escape:
                self.hide()
                return True
        return super().eventFilter(obj, event)

    def _step(self, direction: int) -> None:
        row = self.list.currentRow()
        for _ in range(self.list.count()):
            row = (row + direction) % max(1, self.list.count())
            if self.list.item(row).data(QtCore.Qt.ItemDataRole.UserRole):
                self.list.setCurrentRow(row)
                return

    def _accept(self) -> None:
        item = self.list.currentItem()
        type_id = item.data(QtCore.Qt.ItemDataRole.UserRole) if item is not None else None
        self.hide()
        if type_id:
            self.node_chosen.emit(type_id)


def category_color(category: str) -> tuple[int, int, int]:
    """A muted, stable node body colour per category (known ones hand-picked)."""
    known = {
        "values": (52, 62, 48), "time": (40, 60, 66), "channels": (72, 52, 34),
        "camera": (40, 52, 78), "lights": (78, 66, 32), "lighting": (78, 60, 36),
        "looks": (70, 46, 60), "imaging": (44, 44, 80), "metrics": (64, 40, 72),
        "atmosphere": (40, 66, 70), "geometry": (58, 58, 58), "topology": (60, 48, 76),
        "inverse": (80, 40, 46), "scenescript": (78, 38, 60),
    }
    key = category.lower().split("/")[0].strip()
    if key in known:
        return known[key]
    h = sum(ord(c) * 31 ** i for i, c in enumerate(key)) % 360
    color = QtGui.QColor.fromHsv(h, 110, 80)
    return color.red(), color.green(), color.blue()
