"""Write a graph's camera as a Nuke ``.chan`` file, and read one back.

Entry points: :func:`write_chan`, :func:`read_chan`, :func:`chan_text`.

Details (moved from this docstring, issue 15): docs/hosts.md#hostsnukechanpy
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from moks_graph.atomic import atomic_output
from moks_graph.channels import Channels
from moks_graph.timebase import TimeArray

from .. import units
from ..output_paths import output_path
from ..writer_channels import attr_or, check_kinds, object_transform

CHAN_SUFFIXES: tuple[str, ...] = (".chan",)
#: Sensor height (mm) and focal length (mm) of a camera without those channels.
DEFAULT_SENSOR_HEIGHT_MM = 24.0
DEFAULT_FOCAL_LENGTH_MM = 35.0


@dataclass(frozen=True)
class ChanCamera:
    """The columns of a .chan file (Nuke units) and the sensor height the vfov assumes."""

    frames: np.ndarray
    translate: np.ndarray  # (n, 3) scene units, Y-up
    rotate: np.ndarray  # (n, 3) degrees, ZXY
    vfov: np.ndarray  # (n,) degrees
    sensor_height_mm: float


def _camera(channels: Channels, camera: str | None) -> str:
    cameras = [o for o, k in channels.kinds.items() if k == "camera"]
    if camera is not None:
        if camera not in cameras:
            raise ValueError(f"channels: no camera {camera!r}; cameras: {', '.join(cameras)}")
        return camera
    if not cameras:
        raise ValueError("channels: a .chan file holds a camera; the graph bakes none")
    return cameras[0]


def vertical_fov_deg(focal_length_mm: np.ndarray, sensor_height_mm: np.ndarray) -> np.ndarray:
    """Vertical field of view ``2 atan(h / 2f)`` in degrees."""
    f = np.asarray(focal_length_mm, dtype=np.float64)
    h = np.asarray(sensor_height_mm, dtype=np.float64)
    if not ((f > 0).all() and (h > 0).all()):
        raise ValueError("channels: focal_length and sensor_height must be positive")
    return np.degrees(2.0 * np.arctan(h / (2.0 * f)))


def chan_camera(channels: Channels, *, camera: str | None = None,
                meters_per_unit: float = 0.01) -> ChanCamera:
    """The .chan columns of ``camera`` (default: the first camera) in ``channels``."""
    check_kinds(channels, frozenset(channels.kinds.values()), "Nuke")
    name = _camera(channels, camera)
    n = len(channels.time)
    tr = object_transform(channels, name) or (np.zeros(n),) * 6
    tx, ty, tz, rx, ry, rz = units.to_nuke_transform(*tr, meters_per_unit=meters_per_unit)
    height = attr_or(channels, name, "sensor_height", DEFAULT_SENSOR_HEIGHT_MM)
    focal = attr_or(channels, name, "focal_length", DEFAULT_FOCAL_LENGTH_MM)
    return ChanCamera(np.asarray(channels.time.frames, dtype=np.float64),
                      np.stack([tx, ty, tz], -1), np.stack([rx, ry, rz], -1),
                      vertical_fov_deg(focal, height), float(height[0]))


def chan_text(cam: ChanCamera) -> str:
    """The file text: one ``frame tx ty tz rx ry rz vfov`` line per sample."""
    rows = np.column_stack([cam.frames, cam.translate, cam.rotate, cam.vfov])
    return "".join(" ".join(repr(float(v)) for v in row) + "\n" for row in rows)


def write_chan(channels: Channels, path: str | os.PathLike[str], *, camera: str | None = None,
               meters_per_unit: float = 0.01) -> str:
    """Write the camera of ``channels`` to a Nuke ``.chan`` file; returns the path written.

    ``ValueError`` when the channels hold no camera (or not ``camera``); an
    ``OSError`` subclass when ``path`` cannot be written; nothing is left then.
    """
    target = output_path(path, CHAN_SUFFIXES)
    text = chan_text(chan_camera(channels, camera=camera, meters_per_unit=meters_per_unit))
    with atomic_output(target) as tmp, open(tmp, "w", encoding="ascii", newline="\n") as fh:
        fh.write(text)
    return str(target)


def read_chan(path: str | os.PathLike[str], *, fps: float = 24.0, name: str = "camera",
              sensor_height_mm: float = DEFAULT_SENSOR_HEIGHT_MM,
              meters_per_unit: float = 0.01) -> Channels:
    """A .chan file back to internal Channels (``tx..rz`` and ``focal_length`` of ``name``).

    ``focal_length = h / (2 tan(vfov / 2))`` for the sensor height ``h`` the file was
    written for. Lines with 7 columns (no vfov) give no ``focal_length``.
    """
    rows = [line.split() for line in Path(path).read_text(encoding="ascii").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]
    if not rows or any(len(r) not in (7, 8) for r in rows) or len({len(r) for r in rows}) != 1:
        raise ValueError(f"{str(path)!r} is not a .chan file of 7 or 8 columns per line")
    data = np.array(rows, dtype=np.float64)
    internal = units.from_nuke_transform(*data[:, 1:7].T, meters_per_unit=meters_per_unit)
    values = {f"{name}.{a}": v for a, v in zip(("tx", "ty", "tz", "rx", "ry", "rz"), internal,
                                              strict=True)}
    if data.shape[1] == 8:
        values[f"{name}.focal_length"] = sensor_height_mm / (2.0 * np.tan(np.radians(data[:, 7])
                                                                          / 2.0))
    return Channels(TimeArray(frames=data[:, 0].copy(), fps=float(fps)), values,
                    {name: "camera"})
