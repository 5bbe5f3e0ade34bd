"""Camera viewport: the shot seen through the evaluated camera at the current frame.

Entry points: :class:`CameraView`, :func:`camera_pose`.

Details (moved from this docstring, issue 15): docs/editor.md#editorcamera_viewpy
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from moks_graph.channels import Channels
from moks_graph.editor.qtcompat import QtCore, QtGui, QtWidgets
from moks_graph.editor.viewers import PANEL_BG, grid_step
from moks_graph.graph import Graph
from moks_graph.nodes.camera.lookat import camera_space, euler_xyz_to_matrix
from moks_graph.types import VEC3

#: Safe areas as fractions of the frame (SMPTE ST 2046-1: action 93 %, title 90 %).
ACTION_SAFE = 0.93
TITLE_SAFE = 0.90
#: Near clipping distance in front of the camera [m].
NEAR = 0.05
#: Where a subject stands when the graph says nothing (a standing subject's eye line) [m].
DEFAULT_SUBJECT = (0.0, 0.0, 1.6)
#: Subject proxy: box width (x), depth (y), head radius, head room above the point [m].
PROXY_SIZE = (0.5, 0.3, 0.12, 0.15)
#: Ground grid half extent bounds [m].
GRID_EXTENT = (10.0, 80.0)
FALLOFF_FACTOR = float(np.sqrt(2.0))  # one stop under the subject's level (inverse square)

LIGHT_COLORS = {"light.spot": (255, 170, 60), "light.area": (255, 225, 120),
                "light.point": (255, 200, 90), "light.sun": (255, 240, 160)}
SUBJECT_COLOR = (120, 230, 140)


@dataclass(frozen=True)
class CameraPose:
    """A camera at one sample: position [m], Euler XYZ [deg], focal length and film back [mm]."""

    position: np.ndarray
    euler_deg: np.ndarray
    focal_length: float
    sensor_width: float
    sensor_height: float

    @property
    def aspect(self) -> float:
        return self.sensor_width / self.sensor_height


def camera_object(channels: Channels | None) -> str | None:
    """The shot camera's object name: ``camera`` if there is one, else the first camera."""
    if channels is None:
        return None
    cams = [obj for obj, kind in channels.kinds.items() if kind == "camera"]
    return "camera" if "camera" in cams else (cams[0] if cams else None)


def camera_pose(channels: Channels, obj: str, index: int) -> CameraPose:
    """The camera ``obj`` at sample ``index`` (lens defaults 35 mm on 36 x 24 mm if absent)."""
    attrs = channels.of(obj)

    def at(name: str, default: float) -> float:
        return float(attrs[name][index]) if name in attrs else default

    return CameraPose(np.array([at("tx", 0.0), at("ty", 0.0), at("tz", 0.0)]),
                      np.array([at("rx", 0.0), at("ry", 0.0), at("rz", 0.0)]),
                      at("focal_length", 35.0), at("sensor_width", 36.0),
                      at("sensor_height", 24.0))


def to_camera(pose: CameraPose, points: np.ndarray) -> np.ndarray:
    """World points ``(N, 3)`` in camera space (``-z`` in front), by the engine's math."""
    return camera_space(pose.position, pose.euler_deg, np.reshape(points, (-1, 3)))


def screen_of_local(pose: CameraPose, local: np.ndarray) -> np.ndarray:
    """Frame fractions ``(N, 2)`` (x right, y up) of camera-space points in front (``z < 0``)."""
    depth = -local[:, 2]
    return np.stack([pose.focal_length / pose.sensor_width * local[:, 0] / depth,
                     pose.focal_length / pose.sensor_height * local[:, 1] / depth], axis=-1)


def clip_segments(pose: CameraPose, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World segments ``a -> b`` clipped to the near plane; their screen ends ``(M, 2)`` each."""
    la, lb = to_camera(pose, a), to_camera(pose, b)
    za, zb = -la[:, 2], -lb[:, 2]
    keep = (za > NEAR) | (zb > NEAR)
    la, lb, za, zb = la[keep], lb[keep], za[keep], zb[keep]
    t = ((NEAR - za) / np.where(zb != za, zb - za, 1.0))[:, None]  # where z crosses NEAR
    cut = la + (lb - la) * t
    la = np.where((za < NEAR)[:, None], cut, la)
    lb = np.where((zb < NEAR)[:, None], cut, lb)
    return screen_of_local(pose, la), screen_of_local(pose, lb)


def subject_track(graph: Graph | None, values: Mapping[str, Any],
                  channels: Channels | None) -> np.ndarray:
    """Subject positions ``(N, 3)`` per sample (or ``(1, 3)`` when it stands still).

    A moving subject is the first ``null`` object of the channels (``moks.subject.path``);
    else the ``target`` Vec3 a camera rig frames; else :data:`DEFAULT_SUBJECT`.
    """
    if channels is not None:
        for obj, kind in channels.kinds.items():
            attrs = channels.of(obj)
            if kind == "null" and {"tx", "ty", "tz"} <= set(attrs):
                return np.stack([attrs["tx"], attrs["ty"], attrs["tz"]], axis=1)
    if graph is not None:
        for nid in sorted(graph.nodes):
            cls = graph.node_class(nid)
            out = getattr(cls, "outputs", {}).get("target") if cls is not None else None
            value = values.get(f"{nid}.target")
            if out is not None and out.type is VEC3 and value is not None:
                return np.reshape(np.asarray(value, dtype=float), (1, 3))
    return np.array([DEFAULT_SUBJECT], dtype=float)


def _ring(center: np.ndarray, u: np.ndarray, v: np.ndarray, radius: float,
          n: int = 32) -> np.ndarray:
    t = np.linspace(0.0, 2 * np.pi, n + 1)
    return center + radius * (np.cos(t)[:, None] * u + np.sin(t)[:, None] * v)


class CameraView(QtWidgets.QWidget):
    """The shot through the evaluated camera at the current frame (QPainter, no evaluation)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(240, 160)
        self.channels: Channels | None = None
        self.subject = np.array([DEFAULT_SUBJECT], dtype=float)
        self.frame = 0.0
        self.show_safe = True
        #: what the last paint put where (widget pixels): read by tests and tools
        self.drawn: dict[str, Any] = {}

    # -- inputs -------------------------------------------------------------------------
    def set_scene(self, channels: Channels | None, subject: np.ndarray | None = None) -> None:
        """The evaluated scene (cameras, lights) and the subject's positions per sample."""
        self.channels = channels
        if subject is not None:
            self.subject = np.reshape(np.asarray(subject, dtype=float), (-1, 3))
        self.update()

    def set_frame(self, frame: float) -> None:
        self.frame = float(frame)
        self.update()

    def index(self) -> int:
        if self.channels is None or not len(self.channels.time):
            return 0
        return int(np.argmin(np.abs(self.channels.time.frames - self.frame)))

    def subject_at(self, i: int) -> np.ndarray:
        return self.subject[min(i, len(self.subject) - 1)]

    def gate(self) -> QtCore.QRectF:
        """The film gate in widget pixels: the film back's aspect, letterboxed with a margin."""
        obj = camera_object(self.channels)
        aspect = (camera_pose(self.channels, obj, self.index()).aspect
                  if obj is not None and self.channels is not None else 1.5)
        w, h = self.width() - 16.0, self.height() - 30.0
        gw, gh = (w, w / aspect) if w / aspect <= h else (h * aspect, h)
        return QtCore.QRectF((self.width() - gw) / 2, 22 + (h - gh) / 2, gw, gh)

    @staticmethod
    def to_widget(gate: QtCore.QRectF, screen: np.ndarray) -> np.ndarray:
        """Frame fractions ``(N, 2)`` -> widget pixels ``(N, 2)``."""
        c = gate.center()
        return np.stack([c.x() + screen[:, 0] * gate.width(),
                         c.y() - screen[:, 1] * gate.height()], axis=-1)

    # -- painting ---------------------------------------------------------------------
    def paintEvent(self, _event: QtGui.QPaintEvent) -> None:
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QtGui.QColor(12, 13, 15))
        font = p.font()
        font.setPointSizeF(8.5)
        p.setFont(font)
        self.drawn = {"lights": {}}
        obj = camera_object(self.channels)
        if obj is None or self.channels is None:
            p.setPen(QtGui.QColor(150, 156, 166))
            p.drawText(self.rect(), QtCore.Qt.AlignmentFlag.AlignCenter,
                       "no camera: the graph's outputs have no camera object")
            self.drawn["empty"] = True
            p.end()
            return
        i = self.index()
        pose = camera_pose(self.channels, obj, i)
        gate = self.gate()
        p.fillRect(gate, QtGui.QColor(*PANEL_BG))
        p.setClipRect(gate)
        subject = self.subject_at(i)
        self._grid(p, pose, gate, subject)
        self._subject(p, pose, gate, subject)
        self._lights(p, pose, gate, i, subject)
        p.setClipping(False)
        self._guides(p, gate)
        p.setPen(QtGui.QColor(170, 176, 186))
        p.drawText(QtCore.QPointF(8, 15),
                   f"CAMERA  {obj}   {pose.focal_length:.0f} mm   "
                   f"{pose.sensor_width:g}x{pose.sensor_height:g} mm   frame {self.frame:g}")
        p.end()

    def _segments(self, p: QtGui.QPainter, pose: CameraPose, gate: QtCore.QRectF,
                  a: np.ndarray, b: np.ndarray) -> int:
        sa, sb = clip_segments(pose, a, b)
        pa, pb = self.to_widget(gate, sa), self.to_widget(gate, sb)
        lines = [QtCore.QLineF(x0, y0, x1, y1) for (x0, y0), (x1, y1) in zip(pa, pb, strict=True)
                 if max(abs(x0), abs(y0), abs(x1), abs(y1)) < 1e6]
        p.drawLines(lines)
        return len(lines)

    def _polyline(self, p: QtGui.QPainter, pose: CameraPose, gate: QtCore.QRectF,
                  pts: np.ndarray) -> int:
        return self._segments(p, pose, gate, pts[:-1], pts[1:])

    def _grid(self, p: QtGui.QPainter, pose: CameraPose, gate: QtCore.QRectF,
              subject: np.ndarray) -> None:
        reach = float(np.hypot(*(pose.position[:2] - subject[:2])))
        half = float(np.clip(6.0 * reach, *GRID_EXTENT))
        step = grid_step(half)  # the top/side rule over the camera's own neighbourhood
        cx, cy = (np.round(subject[:2] / step) * step)
        ks = np.arange(-np.ceil(half / step), np.ceil(half / step) + 1) * step
        n = len(ks)
        a = np.concatenate([np.stack([cx + ks, np.full(n, cy - half), np.zeros(n)], 1),
                            np.stack([np.full(n, cx - half), cy + ks, np.zeros(n)], 1)])
        b = np.concatenate([np.stack([cx + ks, np.full(n, cy + half), np.zeros(n)], 1),
                            np.stack([np.full(n, cx + half), cy + ks, np.zeros(n)], 1)])
        p.setPen(QtGui.QPen(QtGui.QColor(58, 64, 72), 1))
        self.drawn["grid"] = {"step": step, "lines": self._segments(p, pose, gate, a, b)}

    def _subject(self, p: QtGui.QPainter, pose: CameraPose, gate: QtCore.QRectF,
                 point: np.ndarray) -> None:
        w, d, head, room = PROXY_SIZE
        top = max(float(point[2]) + room, 0.3)
        x, y = float(point[0]), float(point[1])
        base = np.array([[x - w / 2, y - d / 2], [x + w / 2, y - d / 2], [x + w / 2, y + d / 2],
                         [x - w / 2, y + d / 2]])
        lo = np.column_stack([base, np.zeros(4)])
        hi = np.column_stack([base, np.full(4, top)])
        a = np.concatenate([lo, hi, lo])
        b = np.concatenate([np.roll(lo, -1, 0), np.roll(hi, -1, 0), hi])
        color = QtGui.QColor(*SUBJECT_COLOR)
        p.setPen(QtGui.QPen(color, 1.4))
        self._segments(p, pose, gate, a, b)
        local = to_camera(pose, point)
        if -local[0, 2] <= NEAR:
            self.drawn["subject"] = None
            return
        here = self.to_widget(gate, screen_of_local(pose, local))[0]
        r = head * pose.focal_length / pose.sensor_width / -local[0, 2] * gate.width()
        centre = QtCore.QPointF(*here)
        p.drawEllipse(centre, r, r)
        p.setPen(QtGui.QPen(color, 2.0))
        p.drawLine(centre + QtCore.QPointF(-7, 0), centre + QtCore.QPointF(7, 0))
        p.drawLine(centre + QtCore.QPointF(0, -7), centre + QtCore.QPointF(0, 7))
        self.drawn["subject"] = (float(here[0]), float(here[1]))

    def _lights(self, p: QtGui.QPainter, pose: CameraPose, gate: QtCore.QRectF, i: int,
                subject: np.ndarray) -> None:
        assert self.channels is not None
        for obj, kind in self.channels.kinds.items():
            if not kind.startswith("light"):
                continue
            attrs = self.channels.of(obj)
            if not {"tx", "ty", "tz"} <= set(attrs):
                continue
            pos = np.array([attrs[a][i] for a in ("tx", "ty", "tz")], dtype=float)
            rot = euler_xyz_to_matrix(np.array([[float(attrs[a][i]) if a in attrs else 0.0
                                                 for a in ("rx", "ry", "rz")]]))[0]
            right, up, fwd = rot[:, 0], rot[:, 1], -rot[:, 2]
            color = QtGui.QColor(*LIGHT_COLORS.get(kind, (255, 200, 90)))
            info: dict[str, Any] = {"kind": kind, "cone": False, "at": None}
            dist = float(np.linalg.norm(subject - pos))
            cone_pen = QtGui.QColor(color)
            cone_pen.setAlpha(170)
            p.setPen(QtGui.QPen(cone_pen, 1.2))
            if kind == "light.spot" and "spot_angle" in attrs:
                half = np.radians(float(attrs["spot_angle"][i]) / 2)
                rim = _ring(pos + fwd * dist, right, up, dist * float(np.tan(half)))
                drawn = self._polyline(p, pose, gate, rim)
                drawn += self._segments(p, pose, gate, np.repeat(pos[None], 4, 0), rim[[0, 8, 16,
                                                                                         24]])
                info["cone"] = drawn > 0
            elif kind == "light.area" and "size" in attrs:
                s = float(attrs["size"][i]) / 2
                corners = np.array([pos + s * (cx * right + cy * up)
                                    for cx, cy in ((-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1))])
                info["panel"] = self._polyline(p, pose, gate, corners) > 0
            if kind != "light.sun" and dist > 0:
                info["falloff_m"] = FALLOFF_FACTOR * dist
                dim = QtGui.QColor(color)
                dim.setAlpha(90)
                p.setPen(QtGui.QPen(dim, 1, QtCore.Qt.PenStyle.DotLine))
                view_right, view_up = euler_xyz_to_matrix(pose.euler_deg[None])[0][:, :2].T
                self._polyline(p, pose, gate, _ring(pos, view_right, view_up,
                                                    FALLOFF_FACTOR * dist, 48))
            local = to_camera(pose, pos)
            if -local[0, 2] > NEAR:
                here = QtCore.QPointF(*self.to_widget(gate, screen_of_local(pose, local))[0])
                p.setPen(QtGui.QPen(color.darker(160), 1))
                p.setBrush(color)
                p.drawEllipse(here, 5, 5)
                p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
                p.setPen(QtGui.QColor(230, 232, 236))
                p.drawText(here + QtCore.QPointF(8, -6), obj)
                info["at"] = (here.x(), here.y())
            self.drawn["lights"][obj] = info

    def _guides(self, p: QtGui.QPainter, gate: QtCore.QRectF) -> None:
        p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        p.setPen(QtGui.QPen(QtGui.QColor(200, 204, 210), 1.2))
        p.drawRect(gate)
        self.drawn["safe"] = {}
        if not self.show_safe:
            return
        for name, frac in (("action", ACTION_SAFE), ("title", TITLE_SAFE)):
            r = QtCore.QRectF(0, 0, gate.width() * frac, gate.height() * frac)
            r.moveCenter(gate.center())
            p.setPen(QtGui.QPen(QtGui.QColor(150, 156, 166, 150), 1, QtCore.Qt.PenStyle.DashLine))
            p.drawRect(r)
            self.drawn["safe"][name] = (r.x(), r.y(), r.width(), r.height())
