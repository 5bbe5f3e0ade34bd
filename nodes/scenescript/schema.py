"""The 7-slot SceneScript: subject, shot, camera rig, key light, fill/rim, atmosphere, look.

Every slot is a controlled vocabulary plus typed numeric fields in degrees,
ratios, EV, kelvin and metres, never raw XYZ (DESIGN.md conventions):

- azimuth 0 deg = key on the camera side of the subject, +90 = camera's right,
  ±180 = behind; elevation 0 = subject height, +90 = overhead;
- key/fill ratio = key illuminance over fill illuminance at the subject
  (4 = 4:1, two stops).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from moks_graph.node import Param
from moks_graph.nodes.imaging.colorimetry import CCT_RANGE_K
from moks_graph.nodes.looks.stocks import StockName

SubjectKind = Literal["person", "product", "crowd", "vehicle", "landscape"]
ShotSize = Literal["extreme_close_up", "close_up", "medium_close_up", "medium", "full", "wide",
                   "extreme_wide"]
CameraAngle = Literal["eye_level", "low", "high", "overhead", "dutch"]
RigName = Literal["tripod_locked", "moco", "technocrane", "wirecam", "dolly", "drone", "handheld"]
CameraMove = Literal["static", "push_in", "pull_out", "orbit", "reveal", "track", "sweep",
                     "turntable", "chase"]
RimMode = Literal["none", "camera_left", "camera_right", "both", "top"]
SubjectMotion = Literal["still", "walk_in", "walk_away", "cross"]


class _Slot(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SubjectSlot(_Slot):
    """Who or what the shot is about."""

    kind: SubjectKind = Field("person", description="subject kind")
    height_m: float = Param(1.75, gt=0.01, le=500.0, description="subject height", unit="m")
    motion: SubjectMotion = Field(
        "still", description="subject motion: still, walk_in (toward the camera, stopping on "
                             "its mark), walk_away (from its mark), cross (across the frame "
                             "through its mark)")
    travel_m: float = Param(3.0, gt=0.0, le=100.0,
                            description="how far a moving subject walks", unit="m")


class ShotSlot(_Slot):
    """Framing: shot size, camera angle, where the subject sits on screen, lens."""

    size: ShotSize = Field("medium", description="shot size")
    angle: CameraAngle = Field("eye_level", description="camera angle")
    screen_x: float = Field(0.0, ge=-0.5, le=0.5, description="subject screen x (frame widths)")
    screen_y: float = Field(0.0, ge=-0.5, le=0.5, description="subject screen y (frame heights)")
    focal_length_mm: float | None = Field(None, ge=8.0, le=600.0,
                                          description="lens [mm]; default by shot size")


class CameraSlot(_Slot):
    """Which rig, what move, how energetic the operator is."""

    rig: RigName = Field("tripod_locked", description="camera rig")
    move: CameraMove = Field("static", description="camera move")
    energy: float = Field(0.5, ge=0.0, le=1.0, description="operator energy / imperfection (0-1)")
    sweep_deg: float | None = Param(
        None, ge=-3600.0, le=3600.0,
        description="angle an orbit sweeps round the subject; empty = 90 (orbit), 360 "
                    "(turntable)", unit="deg")
    duration_s: float | None = Param(
        None, gt=0.0, le=3600.0, description="length of the move; empty = fits the shot",
        unit="s")
    fstop: float = Param(2.8, ge=0.7, le=32.0, description="aperture", unit="f-number")


class KeySlot(_Slot):
    """The key light, by SceneScript angles."""

    azimuth_deg: float = Param(45.0, ge=-180.0, le=180.0, description="key azimuth", unit="deg")
    elevation_deg: float = Param(30.0, ge=-90.0, le=90.0, description="key elevation", unit="deg")
    illuminance_lux: float = Param(800.0, gt=0.0, le=200_000.0,
                                   description="illuminance at the subject", unit="lux")
    cct_K: float = Param(5600.0, ge=CCT_RANGE_K[0], le=CCT_RANGE_K[1],
                         description="colour temperature", unit="K")
    softness: float = Field(0.5, ge=0.0, le=1.0, description="0 hard (small source) .. 1 soft")


class FillRimSlot(_Slot):
    """Fill by ratio; rim/back light by mode."""

    key_fill_ratio: float = Field(4.0, ge=1.0, le=64.0, description="key/fill illuminance ratio")
    rim: RimMode = Field("none", description="rim light mode")
    rim_ev: float = Param(0.0, ge=-6.0, le=6.0, description="rim level relative to the key",
                          unit="EV")
    practical: bool = Field(False, description="a practical light in frame")


class AtmosphereSlot(_Slot):
    """One slider φ drives wind, fog, flicker, haze colour, turbulence and buffeting."""

    phi: float = Field(0.0, ge=0.0, le=1.0, description="atmospheric phase φ (0 calm .. 1 storm)")


class LookSlot(_Slot):
    """Film stock and exposure."""

    stock: StockName = Field("vision3_250d", description="film stock")
    exposure_ev: float = Param(0.0, ge=-6.0, le=6.0, description="exposure offset", unit="EV")
    grain: float = Field(0.5, ge=0.0, le=2.0, description="grain strength")


class SceneScript(_Slot):
    """The seven slots of a shot."""

    subject: SubjectSlot = Field(default_factory=SubjectSlot)
    shot: ShotSlot = Field(default_factory=ShotSlot)
    camera: CameraSlot = Field(default_factory=CameraSlot)
    key: KeySlot = Field(default_factory=KeySlot)
    fill_rim: FillRimSlot = Field(default_factory=FillRimSlot)
    atmosphere: AtmosphereSlot = Field(default_factory=AtmosphereSlot)
    look: LookSlot = Field(default_factory=LookSlot)

    def with_slot(self, slot: str, **fields: object) -> SceneScript:
        """A copy with some fields of one slot replaced (validated)."""
        current = getattr(self, slot).model_dump()
        current.update(fields)
        return SceneScript.model_validate({**self.model_dump(), slot: current})
