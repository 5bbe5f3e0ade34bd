"""Viewers of evaluated outputs: Images and a top/side layout view, and what to show.

Entry points: :class:`ImageViewer`, :func:`display_channels`, :func:`display_images`.

Details (moved from this docstring, issue 15): docs/editor.md#editorviewerspy
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from moks_graph.channels import Channels
from moks_graph.editor.qtcompat import QtCore, QtGui, QtWidgets
from moks_graph.graph import Graph
from moks_graph.types import CHANNELS, IMAGE, METRICS, VEC3

#: Curve colours (a qualitative palette readable on a dark background).
CURVE_COLORS = [(102, 194, 255), (255, 159, 67), (120, 220, 120), (240, 100, 120),
                (200, 150, 255), (255, 220, 90), (80, 220, 210), (230, 140, 200)]
PANEL_BG = (24, 26, 30)


# -- what to show -------------------------------------------------------------------------
def _outputs_of(graph: Graph, node_id: str, kind: str) -> list[str]:
    cls = graph.node_class(node_id) if node_id in graph.nodes else None
    if cls is None:
        return []
    return [f"{node_id}.{p}" for p, out in cls.outputs.items() if out.type.name == kind]


def display_channels(graph: Graph, values: Mapping[str, Any],
                     node_id: str | None = None) -> tuple[Channels | None, str]:
    """The Channels to plot and a title: the node's own, else every sink's merged."""
    if node_id is not None:
        for ref in _outputs_of(graph, node_id, CHANNELS.name):
            if isinstance(values.get(ref), Channels):
                return values[ref], ref
    merged: Channels | None = None
    names = []
    for nid in sorted(graph.nodes):
        if graph.edges_from(nid):
            continue
        for ref in _outputs_of(graph, nid, CHANNELS.name):
            value = values.get(ref)
            if isinstance(value, Channels):
                try:
                    merged = value if merged is None else merged.merged(value)
                    names.append(ref)
                except ValueError:
                    continue
    return merged, ("sinks: " + ", ".join(names)) if names else ""


def display_images(graph: Graph, values: Mapping[str, Any],
                   node_id: str | None = None) -> list[tuple[str, np.ndarray]]:
    """Image outputs to show: the node's own, else those of every node (sinks first).

    A node that reads an image and outputs none (Lotus point, metrics) shows the images
    feeding it, so its overlay (:func:`overlay_points`) has a picture to sit on.
    """
    ids = [node_id] if node_id is not None else sorted(
        graph.nodes, key=lambda n: (bool(graph.edges_from(n)), n))
    out = []
    for nid in ids:
        for ref in _outputs_of(graph, nid, IMAGE.name):
            if isinstance(values.get(ref), np.ndarray):
                out.append((ref, values[ref]))
    if node_id is not None and not out and node_id in graph.nodes:
        for edge in graph.edges_into(node_id):
            ref = f"{edge.src}.{edge.src_port}"
            if ref in _outputs_of(graph, edge.src, IMAGE.name) and isinstance(
                    values.get(ref), np.ndarray):
                out.append((ref, values[ref]))
    return out


def overlay_mask(graph: Graph, node_id: str | None, image: np.ndarray) -> np.ndarray | None:
    """The node class's ``overlay_mask(image)`` (values in [0, 1], any grid) as a boolean mask
    of the image's shape (nearest sample), or None when it declares none."""
    cls = graph.node_class(node_id) if node_id is not None and node_id in graph.nodes else None
    fn = getattr(cls, "overlay_mask", None)
    if fn is None or not isinstance(image, np.ndarray) or image.ndim != 3:
        return None
    mask = np.asarray(fn(image)) > 0.5
    h, w = image.shape[:2]
    rows = np.minimum((np.arange(h) + 0.5) * mask.shape[0] / h, mask.shape[0] - 1).astype(int)
    cols = np.minimum((np.arange(w) + 0.5) * mask.shape[1] / w, mask.shape[1] - 1).astype(int)
    return mask[rows][:, cols]


def overlay_points(graph: Graph, values: Mapping[str, Any], node_id: str,
                   shape: tuple[int, int]) -> list[tuple[float, float, str]]:
    """A node's points on its image: Metrics ``*_x/*_y`` pairs (:func:`metric_points`) and
    Vec3 outputs read as ``(x pixel, y pixel, value)`` (the Lotus point) inside the image."""
    points = metric_points(graph, values, node_id, shape)
    h, w = shape
    for ref in _outputs_of(graph, node_id, VEC3.name):
        value = values.get(ref)
        if isinstance(value, np.ndarray) and value.shape == (3,):
            x, y = float(value[0]), float(value[1])
            if 0.0 <= x <= w and 0.0 <= y <= h:
                points.append((x, y, ref.rsplit(".", 1)[1]))
    return points


def metric_points(graph: Graph, values: Mapping[str, Any], node_id: str,
                  shape: tuple[int, int]) -> list[tuple[float, float, str]]:
    """Overlay points from a node's Metrics: every ``<name>_x``/``<name>_y`` key pair.

    Values in [0, 1] are taken as normalised image coordinates (x right, y down),
    larger ones as pixels.
    """
    points = []
    h, w = shape
    for ref in _outputs_of(graph, node_id, METRICS.name):
        metrics = values.get(ref)
        if not isinstance(metrics, Mapping):
            continue
        for key, x in metrics.items():
            if key.endswith("_x") and f"{key[:-2]}_y" in metrics:
                y = float(metrics[f"{key[:-2]}_y"])
                x = float(x)
                if 0.0 <= x <= 1.0 and 0.0 <= y <= 1.0:
                    x, y = x * w, y * h
                points.append((x, y, key[:-2]))
    return points


# -- image conversion ------------------------------------------------------------------
_LUT_SIZE = 4096
_LUT: np.ndarray | None = None


def _srgb_lut() -> np.ndarray:
    global _LUT
    if _LUT is None:
        try:
            from moks_graph.nodes.imaging.colorimetry import srgb_encode
            enc = srgb_encode(np.linspace(0.0, 1.0, _LUT_SIZE))
        except ImportError:  # same formula (IEC 61966-2-1) if the node library is missing
            lin = np.linspace(0.0, 1.0, _LUT_SIZE)
            enc = np.where(lin <= 0.0031308, 12.92 * lin,
                           1.055 * np.maximum(lin, 0.0031308) ** (1 / 2.4) - 0.055)
        _LUT = np.round(np.clip(enc, 0.0, 1.0) * 255.0).astype(np.uint8)
    return _LUT


def to_display_u8(image: np.ndarray, exposure_ev: float = 0.0) -> np.ndarray:
    """Linear float RGB ``(H, W, 3)`` -> sRGB-encoded uint8, after ``2**exposure_ev`` gain."""
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be an (H, W, 3) array, got "
                         f"{getattr(image, 'shape', type(image).__name__)}")
    lin = np.nan_to_num(image.astype(np.float32, copy=False) * np.float32(2.0 ** exposure_ev),
                        nan=0.0, posinf=1.0, neginf=0.0)
    idx = np.clip(lin * (_LUT_SIZE - 1) + 0.5, 0, _LUT_SIZE - 1).astype(np.int32)
    return np.ascontiguousarray(_srgb_lut()[idx])


def qimage_from_u8(rgb: np.ndarray) -> QtGui.QImage:
    """A deep-copied QImage (RGB888) from an ``(H, W, 3)`` uint8 array."""
    h, w, _ = rgb.shape
    data = np.ascontiguousarray(rgb)
    return QtGui.QImage(data.data, w, h, 3 * w, QtGui.QImage.Format.Format_RGB888).copy()


# -- image viewer ------------------------------------------------------------------------
class ImageViewer(QtWidgets.QWidget):
    """A linear Image shown sRGB-encoded, fitted to the view, with points and a mask overlay."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene = QtWidgets.QGraphicsScene(self)
        self.view = QtWidgets.QGraphicsView(self.scene)
        self.view.setBackgroundBrush(QtGui.QColor(*PANEL_BG))
        self.view.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
        self.title = QtWidgets.QLabel("no image")
        self.title.setObjectName("viewerTitle")
        self.choice = QtWidgets.QComboBox()
        self.choice.currentIndexChanged.connect(self._show_current)
        self.exposure = QtWidgets.QDoubleSpinBox()
        self.exposure.setRange(-10, 10)
        self.exposure.setSingleStep(0.5)
        self.exposure.setSuffix(" EV")
        self.exposure.valueChanged.connect(lambda _v: self._show_current())
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.choice)
        top.addWidget(QtWidgets.QLabel("exposure"))
        top.addWidget(self.exposure)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        self.images: list[tuple[str, np.ndarray]] = []
        self.points: list[tuple[float, float, str]] = []
        self.mask: np.ndarray | None = None
        self.pixmap_item: QtWidgets.QGraphicsPixmapItem | None = None

    def set_images(self, images: list[tuple[str, np.ndarray]],
                   points: list[tuple[float, float, str]] | None = None,
                   mask: np.ndarray | None = None) -> None:
        """Images by reference name, with optional overlay points (x, y, label) and mask."""
        current = self.choice.currentText()
        self.images = list(images)
        self.points = list(points or [])
        self.mask = mask
        with QtCore.QSignalBlocker(self.choice):
            self.choice.clear()
            self.choice.addItems([ref for ref, _ in self.images])
            if current in [ref for ref, _ in self.images]:
                self.choice.setCurrentText(current)
        self._show_current()

    def _show_current(self) -> None:
        self.scene.clear()
        self.pixmap_item = None
        if not self.images:
            self.title.setText("no image")
            return
        ref, image = self.images[max(0, self.choice.currentIndex())]
        rgb = to_display_u8(image, self.exposure.value())
        if self.mask is not None and self.mask.shape == rgb.shape[:2]:
            tint = np.array([255, 60, 200], dtype=np.float32)
            m = self.mask.astype(bool)
            rgb = rgb.copy()
            rgb[m] = (0.55 * rgb[m] + 0.45 * tint).astype(np.uint8)
        self.pixmap_item = self.scene.addPixmap(QtGui.QPixmap.fromImage(qimage_from_u8(rgb)))
        pen = QtGui.QPen(QtGui.QColor(255, 220, 90), 0)
        for x, y, label in self.points:
            r = max(3.0, 0.012 * max(image.shape[:2]))
            self.scene.addEllipse(x - r, y - r, 2 * r, 2 * r, pen)
            text = self.scene.addSimpleText(label)
            text.setBrush(QtGui.QColor(255, 220, 90))
            text.setPos(x + r, y + r)
        h, w = image.shape[:2]
        self.title.setText(f"{ref}   ·   {w}x{h}")
        self.scene.setSceneRect(0, 0, w, h)
        self.view.fitInView(self.scene.sceneRect(), QtCore.Qt.AspectRatioMode.KeepAspectRatio)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        """Fitted again when its tab is brought forward (set while hidden, it was not)."""
        super().showEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self.pixmap_item is not None:
            self.view.fitInView(self.scene.sceneRect(), QtCore.Qt.AspectRatioMode.KeepAspectRatio)


# -- layout (top / side) view ----------------------------------------------------------
#: Grid lines wanted across a view's span (the one spacing rule of every spatial view).
GRID_LINES = 10


def grid_step(span: float, lines: int = GRID_LINES) -> float:
    """Grid spacing [m] for a view ``span`` metres across: the smallest 1-2-5 step with at
    most ``lines`` lines, never under 1 cm. The top, side and camera views all use it."""
    target = max(float(span), 0.01) / lines
    decade = 10.0 ** np.floor(np.log10(target))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * decade >= target * (1 - 1e-9):
            return float(max(m * decade, 0.01))
    return float(10.0 * decade)


def camera_forward(rx: float, ry: float, rz: float) -> np.ndarray:
    """World direction of local -Z after Euler XYZ rotation ``Rz @ Ry @ Rx`` (degrees)."""
    a, b, c = np.radians([rx, ry, rz])
    rot_x = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    rot_y = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    rot_z = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    return rot_z @ rot_y @ rot_x @ np.array([0.0, 0.0, -1.0])


def object_tracks(channels: Channels | None) -> list[tuple[str, str, np.ndarray]]:
    """``(object, kind, (N, 3) positions)`` of cameras and lights with any of tx/ty/tz."""
    if channels is None:
        return []
    n = len(channels.time)
    out = []
    for obj, kind in channels.kinds.items():
        if kind != "camera" and not kind.startswith("light"):
            continue
        attrs = channels.of(obj)
        if not {"tx", "ty", "tz"} & set(attrs):
            continue
        xyz = np.stack([attrs.get(a, np.zeros(n)) for a in ("tx", "ty", "tz")], axis=1)
        out.append((obj, kind, xyz))
    return out


class LayoutView(QtWidgets.QWidget):
    """Top (X, Y) and side (X, Z) views of camera paths and light positions."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(240, 160)
        self.channels: Channels | None = None
        self.frame = 0.0
        #: grid spacing [m] of each pane at the last paint ("top", "side")
        self.grid_steps: dict[str, float] = {}

    def set_channels(self, channels: Channels | None) -> None:
        self.channels = channels
        self.update()

    def set_frame(self, frame: float) -> None:
        self.frame = float(frame)
        self.update()

    def _index(self) -> int:
        if self.channels is None or not len(self.channels.time):
            return 0
        return int(np.argmin(np.abs(self.channels.time.frames - self.frame)))

    def paintEvent(self, _event: QtGui.QPaintEvent) -> None:
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QtGui.QColor(*PANEL_BG))
        tracks = object_tracks(self.channels)
        w, h = self.width(), self.height()
        half = QtCore.QRectF(6, 22, w / 2 - 9, h - 28)
        panes = [("TOP  x→ y↑", half, (0, 1)),
                 ("SIDE  x→ z↑", half.translated(w / 2, 0), (0, 2))]
        p.setPen(QtGui.QColor(150, 156, 166))
        font = p.font()
        font.setPointSizeF(8.5)
        p.setFont(font)
        p.drawText(QtCore.QPointF(8, 15), "LAYOUT")
        if not tracks:
            p.drawText(self.rect(), QtCore.Qt.AlignmentFlag.AlignCenter,
                       "no camera or light positions (tx / ty / tz channels)")
            p.end()
            return
        pts = np.concatenate([xyz for _, _, xyz in tracks] + [np.zeros((1, 3))])
        span = max(float(np.ptp(pts, axis=0).max()), 1.0) * 1.25  # one scale and grid for both
        for title, rect, (ia, ib) in panes:
            self._pane(p, title, rect, tracks, pts, ia, ib, span)
        p.end()

    def _pane(self, p: QtGui.QPainter, title: str, rect: QtCore.QRectF,
              tracks: list[tuple[str, str, np.ndarray]], pts: np.ndarray, ia: int, ib: int,
              span: float) -> None:
        p.setPen(QtGui.QPen(QtGui.QColor(48, 52, 58), 1))
        p.setBrush(QtGui.QColor(30, 33, 38))
        p.drawRoundedRect(rect, 4, 4)
        lo = pts[:, [ia, ib]].min(axis=0)
        hi = pts[:, [ia, ib]].max(axis=0)
        center = (lo + hi) / 2
        scale = min(rect.width(), rect.height() - 16) / span

        def to_px(a: float, b: float) -> QtCore.QPointF:
            return QtCore.QPointF(rect.center().x() + (a - center[0]) * scale,
                                  rect.center().y() + 8 - (b - center[1]) * scale)

        # metre grid
        step = grid_step(span)
        self.grid_steps[title.split()[0].lower()] = step
        p.setPen(QtGui.QPen(QtGui.QColor(42, 46, 52), 1))
        for k in np.arange(np.floor((center[0] - span) / step), np.ceil((center[0] + span) / step)):
            x = to_px(k * step, 0).x()
            if rect.left() < x < rect.right():
                p.drawLine(QtCore.QPointF(x, rect.top() + 16), QtCore.QPointF(x, rect.bottom()))
        for k in np.arange(np.floor((center[1] - span) / step), np.ceil((center[1] + span) / step)):
            y = to_px(0, k * step).y()
            if rect.top() + 16 < y < rect.bottom():
                p.drawLine(QtCore.QPointF(rect.left(), y), QtCore.QPointF(rect.right(), y))
        p.setPen(QtGui.QColor(150, 156, 166))
        p.drawText(QtCore.QPointF(rect.left() + 6, rect.top() + 13), title)
        p.setPen(QtGui.QColor(110, 116, 126))
        p.drawText(QtCore.QRectF(rect.left(), rect.bottom() - 16, rect.width() - 6, 14),
                   QtCore.Qt.AlignmentFlag.AlignRight, f"grid {step:g} m")
        # subject / origin
        o = to_px(0.0, 0.0)
        p.setPen(QtGui.QPen(QtGui.QColor(120, 125, 135), 1))
        p.drawLine(o + QtCore.QPointF(-5, 0), o + QtCore.QPointF(5, 0))
        p.drawLine(o + QtCore.QPointF(0, -5), o + QtCore.QPointF(0, 5))
        i = self._index()
        for obj, kind, xyz in tracks:
            is_cam = kind == "camera"
            color = QtGui.QColor(102, 194, 255) if is_cam else QtGui.QColor(255, 205, 80)
            path = QtGui.QPainterPath(to_px(xyz[0, ia], xyz[0, ib]))
            for a, b in xyz[1:, [ia, ib]]:
                path.lineTo(to_px(a, b))
            faded = QtGui.QColor(color)
            faded.setAlpha(150)
            p.setPen(QtGui.QPen(faded, 1.4))
            p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            p.drawPath(path)
            here = to_px(xyz[i, ia], xyz[i, ib])
            p.setPen(QtGui.QPen(color.darker(150), 1))
            p.setBrush(color)
            if is_cam:
                self._camera_glyph(p, here, obj, i, ia, ib, color)
            else:
                p.drawEllipse(here, 5, 5)
            p.setPen(QtGui.QColor(220, 224, 230))
            p.drawText(here + QtCore.QPointF(8, -6), obj)

    def _camera_glyph(self, p: QtGui.QPainter, here: QtCore.QPointF, obj: str, i: int,
                      ia: int, ib: int, color: QtGui.QColor) -> None:
        assert self.channels is not None
        attrs = self.channels.of(obj)
        rot = [float(attrs[a][i]) if a in attrs else 0.0 for a in ("rx", "ry", "rz")]
        fwd = camera_forward(*rot)[[ia, ib]]
        norm = float(np.hypot(*fwd))
        p.drawRect(QtCore.QRectF(here.x() - 4, here.y() - 4, 8, 8))
        if norm > 1e-6 and any(a in attrs for a in ("rx", "ry", "rz")):
            d = fwd / norm
            tip = here + QtCore.QPointF(d[0] * 22, -d[1] * 22)
            p.setPen(QtGui.QPen(color, 1.6))
            p.drawLine(here, tip)
