"""Faces in a reference still, by OpenCV's Haar cascades that ship inside its package.

Frontal and profile faces (the profile cascade run on the frame and its mirror image).
Nothing is downloaded: the cascades are part of ``opencv-python-headless``
(the ``inverse`` extra). Without it, :func:`detect_faces` finds none and says so once.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from typing import Any

import numpy as np

from moks_graph.nodes.imaging.colorimetry import srgb_encode

Box = tuple[float, float, float, float]
"""``(x, y, width, height)`` in frame units (0..1 from the top-left corner)."""


CASCADES = ("haarcascade_frontalface_default.xml", "haarcascade_profileface.xml")


@lru_cache(maxsize=1)
def _cascades() -> tuple[Any, ...]:
    try:
        import cv2
    except ImportError:
        warnings.warn("face detection needs the 'inverse' extra (opencv-python-headless); "
                      "people are matched as plain subjects", stacklevel=3)
        return ()
    loaded = [cv2.CascadeClassifier(cv2.data.haarcascades + name) for name in CASCADES]
    return tuple(c for c in loaded if not c.empty())


def detect_faces(linear: np.ndarray, min_fraction: float = 0.06) -> list[Box]:
    """Frontal faces at least ``min_fraction`` of the frame height, largest first."""
    cascades = _cascades()
    if not cascades:
        return []
    grey = (srgb_encode(np.clip(linear, 0.0, 1.0)) @ np.array([0.299, 0.587, 0.114]))
    grey8 = np.ascontiguousarray((grey * 255.0 + 0.5).astype(np.uint8))
    h, w = grey8.shape
    side = max(24, round(min_fraction * h))
    boxes: list[Box] = []
    for k, cascade in enumerate(cascades):
        for mirrored in ((False, True) if k else (False,)):
            image = np.ascontiguousarray(grey8[:, ::-1]) if mirrored else grey8
            found = cascade.detectMultiScale(image, scaleFactor=1.1, minNeighbors=6,
                                             minSize=(side, side))
            for x, y, bw, bh in np.asarray(found).reshape(-1, 4):
                x0 = (w - x - bw) if mirrored else x
                boxes.append((x0 / w, y / h, bw / w, bh / h))
    return sorted(_distinct(boxes), key=lambda b: -b[2] * b[3])


def _distinct(boxes: list[Box]) -> list[Box]:
    """Boxes with the smaller of any two overlapping by half dropped."""
    out: list[Box] = []
    for b in sorted(boxes, key=lambda b: -b[2] * b[3]):
        if all(_overlap(b, o) < 0.5 for o in out):
            out.append(b)
    return out


def _overlap(a: Box, b: Box) -> float:
    w = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return w * h / max(min(a[2] * a[3], b[2] * b[3]), 1e-12)
