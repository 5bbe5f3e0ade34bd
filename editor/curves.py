"""Curve viewer: a node's Channels at once, one plot per object, units on the axes.

:class:`CurveViewer` stacks one pyqtgraph plot per object (camera, each light, the subject,
the atmosphere), X-linked over frames, each with its own legend. A channel's unit comes from
the engine's attribute table (:data:`moks_graph.channels.ATTRIBUTES`). When the ticked
channels of an object share one unit they are drawn in it and the left axis says so; when
they mix units (metres and degrees) each is drawn normalised to its own range,
``(v - min) / (max - min)``, the axis says "normalised" and the legend gives each channel's
unit and range. *normalise* forces that for every plot. The channel tree (objects, then
their channels with units) chooses what is drawn: by default every animated channel.
An invalid graph shows its reason (:meth:`CurveViewer.set_empty`) instead of an empty plot.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from moks_graph.channels import ATTRIBUTES, Channels
from moks_graph.editor.qtcompat import QtCore, QtGui, QtWidgets
from moks_graph.editor.viewers import CURVE_COLORS, PANEL_BG

#: Height of one object's plot [px]; more objects than fit scroll.
PLOT_HEIGHT = 150
EMPTY_TEXT = "no channels: select a node with curve outputs"
CHECKED, UNCHECKED = QtCore.Qt.CheckState.Checked, QtCore.Qt.CheckState.Unchecked
UNTICKED_COLOR = (150, 154, 160)


def channel_unit(name: str) -> str:
    """The unit of ``object.attribute`` from the engine's attribute table ('' if unknown)."""
    return ATTRIBUTES.get(name.split(".", 1)[-1], ("", ""))[0]


def default_ticked(channels: Channels) -> list[str]:
    """Every animated channel; every channel when none moves."""
    moving = [n for n, v in channels.values.items() if len(v) and float(np.ptp(v)) > 0]
    return moving or list(channels)


def object_groups(channels: Channels, names: list[str]) -> dict[str, list[str]]:
    """``names`` grouped by object, cameras first, then lights, then the rest (stable)."""
    def rank(obj: str) -> int:
        kind = channels.kinds.get(obj, "")
        return 0 if kind == "camera" else 1 if kind.startswith("light") else 2

    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(name.split(".", 1)[0], []).append(name)
    return {obj: groups[obj] for obj in sorted(groups, key=rank)}


def legend_label(name: str, values: np.ndarray, normalised: bool) -> str:
    """``attr [unit]``, with the channel's range when it is drawn normalised."""
    unit = channel_unit(name)
    label = f"{name.split('.', 1)[-1]} [{unit}]" if unit else name.split(".", 1)[-1]
    if normalised:
        label += f"  {float(values.min()):.4g}…{float(values.max()):.4g}"
    return label


class FrameScrubber(QtWidgets.QWidget):
    """A frame slider with a spin box and play; emits ``frame_changed(int)``."""

    frame_changed = QtCore.Signal(int)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.play = QtWidgets.QToolButton()
        self.play.setText("▶")
        self.play.setCheckable(True)
        self.play.setToolTip("play the shot at its frame rate (loops)")
        self.play.toggled.connect(self._toggle)
        self.timer = QtCore.QTimer(self)
        self.timer.timeout.connect(self.step)
        self.fps = 24.0
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.spin = QtWidgets.QSpinBox()
        self.spin.setPrefix("frame ")
        self.spin.setMinimumWidth(110)
        self.readout = QtWidgets.QLabel()
        self.readout.setObjectName("dim")
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.play)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        layout.addWidget(self.readout)
        self.slider.valueChanged.connect(self._set)
        self.spin.valueChanged.connect(self._set)

    def set_range(self, start: int, end: int, fps: float | None = None) -> None:
        for w in (self.slider, self.spin):
            with QtCore.QSignalBlocker(w):
                w.setRange(start, end)
        if fps:
            self.fps = float(fps)
            self.timer.setInterval(max(1, round(1000.0 / self.fps)))

    def frame(self) -> int:
        return self.spin.value()

    def step(self) -> None:
        """The next frame (back to the first after the last)."""
        nxt = self.frame() + 1
        self.set_frame(self.spin.minimum() if nxt > self.spin.maximum() else nxt)

    def _toggle(self, on: bool) -> None:
        self.play.setText("■" if on else "▶")
        if on:
            self.timer.start(max(1, round(1000.0 / self.fps)))
        else:
            self.timer.stop()

    def _set(self, value: int) -> None:
        for w in (self.slider, self.spin):
            if w.value() != value:
                with QtCore.QSignalBlocker(w):
                    w.setValue(value)
        self.frame_changed.emit(value)

    def set_frame(self, value: int) -> None:
        self._set(max(self.spin.minimum(), min(self.spin.maximum(), int(value))))


class CurveViewer(QtWidgets.QWidget):
    """Channels over frames: one plot per object with legend and units, a tree, a scrubber."""

    frame_changed = QtCore.Signal(int)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        import pyqtgraph as pg

        pg.setConfigOptions(antialias=True, foreground=(200, 204, 210), background=PANEL_BG)
        self.graphics = pg.GraphicsLayoutWidget()
        self.scroll = QtWidgets.QScrollArea()
        self.scroll.setWidget(self.graphics)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.empty_text = EMPTY_TEXT
        self.empty: Any = None  # the empty state's text item (made anew by each draw)
        self.title = QtWidgets.QLabel("no channels")
        self.title.setObjectName("viewerTitle")
        self.tree = QtWidgets.QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setMaximumWidth(210)
        self.tree.itemChanged.connect(lambda _i, _c: self._draw())
        self.normalise = QtWidgets.QCheckBox("normalise")
        self.normalise.setToolTip("draw every channel scaled to its own min..max "
                                  "(plots that mix units always are)")
        self.normalise.toggled.connect(lambda _on: self._draw())
        self.scrubber = FrameScrubber()
        self.scrubber.frame_changed.connect(self._frame)
        side = QtWidgets.QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.tree, 1)
        side.addWidget(self.normalise)
        body = QtWidgets.QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.addLayout(side)
        body.addWidget(self.scroll, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addLayout(body, 1)
        layout.addWidget(self.scrubber)
        self.channels: Channels | None = None
        self.curves: dict[str, Any] = {}
        #: plots by object (the empty state has one plot under "")
        self.plots: dict[str, Any] = {}
        self.cursors: list[Any] = []
        self.items: dict[str, QtWidgets.QTreeWidgetItem] = {}
        self._draw()

    # -- inputs -------------------------------------------------------------------------
    def set_channels(self, channels: Channels | None, title: str = "") -> None:
        """Show these channels (None: the empty state, ``title`` saying why); keeps ticks."""
        previous = {n: item.checkState(0) for n, item in self.items.items()}
        self.channels = channels if channels is not None and len(channels) else None
        self.items = {}
        with QtCore.QSignalBlocker(self.tree):
            self.tree.clear()
            if self.channels is not None:
                self._fill_tree(self.channels, previous)
        if self.channels is not None and not self.visible_names():
            with QtCore.QSignalBlocker(self.tree):  # carried-over ticks hid everything
                for name in default_ticked(self.channels):
                    self.items[name].setCheckState(0, CHECKED)
        if self.channels is not None and len(self.channels.time):
            frames = self.channels.time.frames
            self.scrubber.set_range(int(np.floor(frames[0])), int(np.ceil(frames[-1])),
                                    getattr(self.channels.time, "fps", None))
        n = len(self.channels) if self.channels is not None else 0
        self.title.setText(f"{title}   ·   {n} channels" if self.channels is not None
                           else (title or "no channels"))
        self.empty_text = title if self.channels is None and title else EMPTY_TEXT
        self._draw()
        self._frame(self.scrubber.frame())

    def set_empty(self, reason: str) -> None:
        """Nothing to plot, and why (e.g. ``graph invalid: <reason>``)."""
        self.set_channels(None, reason)

    def _fill_tree(self, channels: Channels, previous: dict[str, Any]) -> None:
        ticked = set(default_ticked(channels))
        for obj, members in object_groups(channels, list(channels)).items():
            top = QtWidgets.QTreeWidgetItem([f"{obj}  ({channels.kinds.get(obj, '?')})"])
            top.setFlags(top.flags() & ~QtCore.Qt.ItemFlag.ItemIsSelectable)
            self.tree.addTopLevelItem(top)
            for name in members:
                unit = channel_unit(name)
                item = QtWidgets.QTreeWidgetItem([name.split(".", 1)[1]
                                                  + (f"  [{unit}]" if unit else "")])
                item.setData(0, QtCore.Qt.ItemDataRole.UserRole, name)
                item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(0, previous.get(name, CHECKED if name in ticked
                                                   else UNCHECKED))
                item.setForeground(0, QtGui.QColor(*UNTICKED_COLOR))  # ticked: its curve's
                top.addChild(item)
                self.items[name] = item
            top.setExpanded(True)

    def visible_names(self) -> list[str]:
        """Ticked channels, in the tree's order."""
        return [n for n, item in self.items.items() if item.checkState(0) == CHECKED]

    def set_visible(self, names: list[str]) -> None:
        """Tick exactly ``names``."""
        with QtCore.QSignalBlocker(self.tree):
            for n, item in self.items.items():
                item.setCheckState(0, CHECKED if n in names else UNCHECKED)
        self._draw()

    # -- drawing ------------------------------------------------------------------------
    def _new_plot(self, row: int, title: str) -> Any:
        import pyqtgraph as pg

        plot = self.graphics.addPlot(row=row, col=0)
        plot.setMenuEnabled(False)
        plot.showGrid(x=True, y=True, alpha=0.15)
        for axis in ("bottom", "left"):  # no "(x0.001)" on an empty or tiny range
            plot.getAxis(axis).enableAutoSIPrefix(False)
        plot.getAxis("left").setWidth(64)
        if title:
            plot.setTitle(title, color="#c8ccd2", size="9pt")
        cursor = pg.InfiniteLine(angle=90, movable=True, pen=pg.mkPen((255, 220, 90), width=1.5))
        cursor.sigPositionChanged.connect(lambda line: self.scrubber.set_frame(
            round(line.value())))
        plot.addItem(cursor)
        self.cursors.append(cursor)
        return plot

    def _draw(self) -> None:
        import pyqtgraph as pg

        self.graphics.clear()
        self.plots, self.curves, self.cursors = {}, {}, []
        visible = self.visible_names() if self.channels is not None else []
        with QtCore.QSignalBlocker(self.tree):
            for item in self.items.values():
                item.setForeground(0, QtGui.QColor(*UNTICKED_COLOR))
        if self.channels is None or not visible:
            plot = self._new_plot(0, "")
            self.empty = pg.TextItem(self.empty_text, color=(150, 154, 160), anchor=(0.5, 0.5))
            plot.addItem(self.empty)
            plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            plot.setLabel("bottom", "frame")
            self.empty.setPos(0.5, 0.5)
            self.plots[""] = plot
            self.plot = plot
            self.graphics.setMinimumHeight(0)
            return
        channels = self.channels
        x = channels.time.frames
        groups = object_groups(channels, visible)
        first = None
        for row, (obj, members) in enumerate(groups.items()):
            plot = self._new_plot(row, f"{obj}  ·  {channels.kinds.get(obj, '')}")
            legend = pg.LegendItem(labelTextColor=(210, 214, 220), verSpacing=-6)
            self.graphics.addItem(legend, row=row, col=1)  # beside its plot, never over it
            units = {channel_unit(n) for n in members}
            norm = self.normalise.isChecked() or len(units) > 1
            for j, name in enumerate(members):  # colours distinct within a plot
                color = CURVE_COLORS[j % len(CURVE_COLORS)]
                y = channels[name]
                if norm:
                    lo, span = float(y.min()), float(np.ptp(y))
                    y = (y - lo) / span if span > 0 else np.zeros_like(y) + 0.5
                self.curves[name] = plot.plot(x, y, pen=pg.mkPen(color, width=1.6))
                legend.addItem(self.curves[name], legend_label(name, channels[name], norm))
                with QtCore.QSignalBlocker(self.tree):
                    self.items[name].setForeground(0, QtGui.QColor(*color))
            (unit,) = units if len(units) == 1 else ("",)
            plot.setLabel("left", "normalised 0-1" if norm else (unit or "value"))
            plot.legend = legend
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            self.plots[obj] = plot
        last = self.plots[list(groups)[-1]]
        fps = getattr(channels.time, "fps", None)
        last.setLabel("bottom", f"frame ({fps:g} fps)" if fps else "frame")
        self.plot = last
        self.graphics.setMinimumHeight(PLOT_HEIGHT * len(groups) if len(groups) > 2 else 0)

    def legend_labels(self, obj: str) -> list[str]:
        """The legend's entries of one object's plot."""
        plot = self.plots.get(obj)
        legend = getattr(plot, "legend", None)
        return [label.text for _sample, label in legend.items] if legend is not None else []

    def axis_label(self, obj: str, axis: str = "left") -> str:
        return str(self.plots[obj].getAxis(axis).labelText)

    def _frame(self, frame: int) -> None:
        for cursor in self.cursors:
            with QtCore.QSignalBlocker(cursor):
                cursor.setValue(frame)
        if self.channels is not None and len(self.channels.time):
            i = int(np.argmin(np.abs(self.channels.time.frames - frame)))
            shown = self.visible_names()[:3]
            self.scrubber.readout.setText("   ".join(
                f"{n}={self.channels[n][i]:.4g}{channel_unit(n) and ' ' + channel_unit(n)}"
                for n in shown))
        self.frame_changed.emit(frame)
