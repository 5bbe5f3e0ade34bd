"""Port types: a small closed set of value types with explicit compatibility.

Each type knows how to recognise its values (:meth:`PortType.check`) and how to
hash them canonically (:meth:`PortType.digest`, via :mod:`moks_graph.codec`).
Compatibility is explicit: a port of type ``B`` accepts an edge from ``A`` only
when ``A`` is ``B`` or ``A`` is listed in ``B``'s ``accepts``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel

from moks_graph import codec
from moks_graph.channels import Channels
from moks_graph.timebase import TimeArray


@dataclass(frozen=True)
class PortType:
    """A value type of a port: name, colour in the editor, value check, conversions."""

    name: str
    color: tuple[int, int, int]
    description: str
    check: Callable[[Any], bool] = field(repr=False, compare=False)
    accepts: frozenset[str] = frozenset()

    def accepts_from(self, other: PortType) -> bool:
        return other.name == self.name or other.name in self.accepts

    def coerce(self, value: Any, source: PortType) -> Any:
        """Convert a value arriving from a compatible ``source`` type (Int -> Float)."""
        if source.name == self.name:
            return value
        if self.name == "Float" and source.name in ("Int", "Bool"):
            return float(value)
        if self.name == "Int" and source.name == "Bool":
            return int(value)
        return value

    def digest(self, value: Any) -> str:
        return codec.digest(value)

    def __str__(self) -> str:
        return self.name


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)


def _is_vec3(v: Any) -> bool:
    return isinstance(v, np.ndarray) and v.shape == (3,) and v.dtype.kind == "f"


def _is_image(v: Any) -> bool:
    return isinstance(v, np.ndarray) and v.ndim == 3 and v.shape[2] == 3 and v.dtype == np.float32


def _is_transform(v: Any) -> bool:
    return isinstance(v, np.ndarray) and v.ndim in (2, 3) and v.shape[-2:] == (4, 4)


def _is_metrics(v: Any) -> bool:
    if not isinstance(v, Mapping):
        return False
    return all(isinstance(k, str) and _is_number(x) for k, x in v.items())


def _is_sh9(v: Any) -> bool:
    return isinstance(v, np.ndarray) and v.shape == (9, 3)


def _is_mesh(v: Any) -> bool:
    verts, faces = getattr(v, "vertices", None), getattr(v, "faces", None)
    return isinstance(verts, np.ndarray) and isinstance(faces, np.ndarray)


def _is_text(v: Any) -> bool:
    return isinstance(v, str)


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool | np.bool_)


def _is_time(v: Any) -> bool:
    return isinstance(v, TimeArray)


def _is_structured(v: Any) -> bool:
    return isinstance(v, BaseModel | Mapping)


FLOAT = PortType("Float", (161, 214, 97), "a real number", _is_number, frozenset({"Int", "Bool"}))
INT = PortType(
    "Int", (90, 170, 230), "an integer",
    lambda v: isinstance(v, int | np.integer) and not isinstance(v, bool), frozenset({"Bool"}),
)
BOOL = PortType("Bool", (230, 120, 120), "true or false", _is_bool)
ENUM = PortType("Enum", (200, 160, 240), "one word from a vocabulary", _is_text)
STRING = PortType("String", (240, 240, 240), "text", _is_text, frozenset({"Enum"}))
VEC3 = PortType("Vec3", (250, 200, 60), "a 3-vector (metres unless stated)", _is_vec3)
TIME = PortType("Time", (120, 220, 220), "a frame array with fps", _is_time)
CHANNELS = PortType(
    "Channels", (255, 140, 40), "named animation channels on a time array",
    lambda v: isinstance(v, Channels),
)
TRANSFORM = PortType("Transform", (250, 230, 120), "4x4 matrix or (N,4,4) samples", _is_transform)
IMAGE = PortType("Image", (120, 120, 250), "float32 HxWx3 linear RGB", _is_image)
METRICS = PortType("Metrics", (200, 90, 200), "named scalar image metrics", _is_metrics)
SCENE_SCRIPT = PortType("SceneScript", (250, 100, 170), "a 7-slot SceneScript", _is_structured)
SH9 = PortType("SH9", (90, 210, 160), "9 RGB L=2 spherical-harmonic coefficients", _is_sh9)
MESH = PortType("Mesh", (170, 170, 170), "a triangle mesh", _is_mesh)
LOOK = PortType("Look", (230, 180, 140), "a film look", _is_structured)

#: The closed set, by name.
PORT_TYPES: dict[str, PortType] = {
    t.name: t
    for t in (FLOAT, INT, BOOL, ENUM, STRING, VEC3, TIME, CHANNELS, TRANSFORM, IMAGE,
              METRICS, SCENE_SCRIPT, SH9, MESH, LOOK)
}
