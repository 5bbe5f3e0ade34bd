"""Channels: named animation channels sampled on one time array.

Entry points: :class:`Channels`.

Details (moved from this docstring, issue 15): docs/architecture.md#moks_graphchannelspy
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from moks_graph.timebase import TimeArray

#: Object kinds hosts know how to create.
OBJECT_KINDS: dict[str, str] = {
    "camera": "a cinema camera (transform + lens)",
    "light.point": "an omni light",
    "light.spot": "a spot light (cone angle, blend)",
    "light.area": "a rectangular area light (size)",
    "light.sun": "a distant light",
    "atmosphere": "scene-wide fog / wind / flicker (no transform)",
    "null": "a transform-only locator (proxy targets, look-at targets)",
}

#: Standard attributes, their unit, and what they mean. Hosts map these.
ATTRIBUTES: dict[str, tuple[str, str]] = {
    "tx": ("m", "translation X"),
    "ty": ("m", "translation Y"),
    "tz": ("m", "translation Z (up)"),
    "rx": ("deg", "Euler X rotation (XYZ order)"),
    "ry": ("deg", "Euler Y rotation (XYZ order)"),
    "rz": ("deg", "Euler Z rotation (XYZ order)"),
    "focal_length": ("mm", "lens focal length"),
    "focus_distance": ("m", "focus distance"),
    "fstop": ("f-number", "aperture f-stop"),
    "sensor_width": ("mm", "horizontal film back"),
    "sensor_height": ("mm", "vertical film back"),
    "intensity": ("cd", "luminous intensity (candela), the one internal photometric unit"),
    "exposure_ev": ("EV", "exposure compensation in stops (already folded into intensity)"),
    "color_temperature": ("K", "correlated colour temperature"),
    "tint": ("Duv", "green-magenta offset from the Planckian locus"),
    "color_r": ("linear", "linear RGB colour, red"),
    "color_g": ("linear", "linear RGB colour, green"),
    "color_b": ("linear", "linear RGB colour, blue"),
    "spot_angle": ("deg", "spot cone full angle"),
    "spot_blend": ("0-1", "spot penumbra fraction"),
    "size": ("m", "area light edge length"),
    "fog_density": ("1/m", "exponential fog extinction coefficient"),
    "fog_scatter": ("0-1", "fog single-scattering albedo"),
    "wind_x": ("m/s", "wind velocity X"),
    "wind_y": ("m/s", "wind velocity Y"),
    "flicker": ("EV", "light flicker offset in stops"),
    "haze_r": ("linear", "haze colour, red"),
    "haze_g": ("linear", "haze colour, green"),
    "haze_b": ("linear", "haze colour, blue"),
    "turbulence": ("0-1", "particle turbulence"),
    "buffet": ("deg", "camera buffeting amplitude"),
}

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")
_CHECKED: set[str] = set()  # names already known to be well formed


def split_name(name: str) -> tuple[str, str]:
    """``"camera.tx"`` -> ``("camera", "tx")``."""
    if not _NAME.match(name):
        raise ValueError(f"channel name {name!r} is not '<object>.<attribute>'")
    obj, attr = name.split(".")
    return obj, attr


@dataclass(frozen=True)
class Channels(Mapping[str, np.ndarray]):
    """Named float64 channels sampled on one :class:`TimeArray`.

    Behaves as a read-only mapping from channel name to its sample array.
    """

    time: TimeArray
    values: Mapping[str, np.ndarray]
    kinds: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        shape = (self.time.frames.shape[0],)
        kinds = self.kinds
        clean: dict[str, np.ndarray] = {}
        for name in sorted(self.values):
            if name not in _CHECKED:
                split_name(name)
                if len(_CHECKED) < 100_000:
                    _CHECKED.add(name)
            obj = name.partition(".")[0]
            if obj not in kinds:
                raise ValueError(f"channel {name!r}: object {obj!r} has no kind")
            a = np.ascontiguousarray(self.values[name], dtype=np.float64)
            if a.shape != shape:
                raise ValueError(f"channel {name!r} has shape {a.shape}, time array has "
                                 f"{shape[0]}")
            a.setflags(write=False)
            clean[name] = a
        for obj, kind in kinds.items():
            if kind not in OBJECT_KINDS:
                raise ValueError(f"object {obj!r} has unknown kind {kind!r}")
        object.__setattr__(self, "values", clean)
        object.__setattr__(self, "kinds", {k: kinds[k] for k in sorted(kinds)})

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def objects(self) -> list[str]:
        return list(self.kinds)

    def of(self, obj: str) -> dict[str, np.ndarray]:
        """The attributes of one object: ``{"tx": array, ...}``."""
        prefix = obj + "."
        return {k[len(prefix):]: v for k, v in self.values.items() if k.startswith(prefix)}

    def merged(self, other: Channels) -> Channels:
        """This plus ``other`` (same time array); ``other`` wins on name clashes."""
        same = np.array_equal(self.time.frames, other.time.frames)
        if not same or self.time.fps != other.time.fps:
            raise ValueError("cannot merge channels sampled on different time arrays")
        return Channels(
            self.time, {**self.values, **other.values}, {**self.kinds, **other.kinds}
        )

    def renamed(self, mapping: Mapping[str, str]) -> Channels:
        """Rename objects (``{"camera": "cam_A"}``)."""
        values = {}
        for name, arr in self.values.items():
            obj, attr = split_name(name)
            values[f"{mapping.get(obj, obj)}.{attr}"] = arr
        kinds = {mapping.get(o, o): k for o, k in self.kinds.items()}
        return Channels(self.time, values, kinds)

    def finite(self) -> bool:
        return all(bool(np.isfinite(a).all()) for a in self.values.values())
