"""The contracts of the inverse-cinematography loop.

Everything in the loop speaks SceneScript vocabulary (azimuth/elevation in
degrees around the subject, key/fill ratios, rim modes, kelvin, φ), never raw XYZ:

- a :class:`ForwardModel` renders a SceneScript to a linear float32 ``Image``;
- an :class:`Inspector` compares reference and preview and returns
  :class:`Critique` items (validated by pydantic: a malformed or hostile reply is
  rejected, never executed);
- :class:`MatchResult` is what ``moks match`` writes as ``match.json``.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from moks_graph.nodes.scenescript.schema import RimMode, SceneScript

#: Preview size of the loop (width, height).
PREVIEW_SIZE = (512, 288)

SlotName = Literal["subject", "shot", "camera", "key", "fill_rim", "atmosphere", "look"]


@runtime_checkable
class ForwardModel(Protocol):
    """Renders a SceneScript as a linear float32 HxWx3 image (deterministic)."""

    name: str

    def render(self, script: SceneScript, size: tuple[int, int] = PREVIEW_SIZE) -> np.ndarray:
        ...


class Critique(BaseModel):
    """One suggestion in SceneScript vocabulary: set ``slot.field`` toward ``value``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slot: SlotName
    # SceneScript field names carry unit suffixes such as ``cct_K``
    field: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=40)
    value: float | str | bool
    reason: str = Field("", max_length=500)
    confidence: float = Field(0.5, ge=0.0, le=1.0)


class Critiques(BaseModel):
    """What an inspector returns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    items: list[Critique] = Field(default_factory=list, max_length=32)
    summary: str = Field("", max_length=2000)


@runtime_checkable
class Inspector(Protocol):
    """Compares a reference with a preview; returns critiques in SceneScript vocabulary."""

    name: str

    def critique(self, reference: np.ndarray, preview: np.ndarray,
                 metrics: dict[str, float], script: SceneScript) -> Critiques:
        ...


class Iteration(BaseModel):
    """One step of the match loop: what was tried, who proposed it, and the residual after."""

    model_config = ConfigDict(extra="forbid")

    step: int
    proposal: str = Field(max_length=200)
    proposed_by: str = Field(max_length=60)
    accepted: bool
    residual: float
    reason: str = Field("", max_length=500)


LIGHT_FIELDS: tuple[str, ...] = ("key_azimuth_deg", "key_elevation_deg", "key_fill_ratio",
                                  "key_cct_K", "rim", "rim_mode", "haze", "film_stock")
"""What a match measures: all set, or all ``null`` on a failed one."""


class MatchResult(BaseModel):
    """``match.json``: the matched lighting in SceneScript conventions, plus how it went.

    ``status``: ``matched`` only when the residual supports it (``reasons`` is then empty),
    ``approximate`` with the reasons otherwise, ``failed`` when nothing could be measured:
    a failed result's lights (:data:`LIGHT_FIELDS`) are ``null``, never a default that reads
    as a measurement.
    ``uncertainty``: 1-sigma per parameter (degrees, stops, kelvin). ``history``: every
    iteration of the loop. ``subject``: where the subject was found (frame units).
    ``ambient``: the L=2 SH ambient read from the subject's shading (``coefficients``: 27
    radiance values, nits, in the world of ``scene.mgraph``; ``relative_to_key``: its
    irradiance over the key's on surfaces facing above, below, the camera and away), empty
    when no subject was found. ``fill``: the fill's direction as the subject's shading
    reads it (``azimuth_deg``, ``elevation_deg``; ``scene.mgraph`` places the fill by
    ``compile_scene``'s convention, at that ratio), empty when the proxy scene won or no
    subject was found. ``key_hint``: a user's hint of the key's side and height
    (``hint``) and where the shading alone puts the key (``unhinted_*``), empty without one.
    """

    model_config = ConfigDict(extra="forbid")

    image: str
    key_azimuth_deg: float | None
    key_elevation_deg: float | None
    key_fill_ratio: float | None
    key_cct_K: float | None
    rim: bool | None
    rim_mode: RimMode | None
    haze: float | None
    film_stock: str | None
    iterations: int
    residual: float
    seconds: float
    forward: str = "builtin"
    inspector: str = "offline"
    status: Literal["matched", "approximate", "failed"] = "matched"
    message: str = ""
    reasons: list[str] = Field(default_factory=list)
    uncertainty: dict[str, float] = Field(default_factory=dict)
    history: list[Iteration] = Field(default_factory=list)
    subject: dict[str, float | bool | str | list[float]] = Field(default_factory=dict)
    method: str = ""
    script: dict[str, object] = Field(default_factory=dict)
    ambient: dict[str, object] = Field(default_factory=dict)
    key_hint: dict[str, object] = Field(default_factory=dict)
    fill: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _failed_measures_nothing(cls, data: Any) -> Any:
        """A failed match's lights read as null (older files held defaults there)."""
        if isinstance(data, dict) and data.get("status") == "failed":
            return {**data, **dict.fromkeys(LIGHT_FIELDS)}
        return data

    @model_validator(mode="after")
    def _lights_match_status(self) -> MatchResult:
        missing = [f for f in LIGHT_FIELDS if getattr(self, f) is None]
        if self.status != "failed" and missing:
            raise ValueError(f"a {self.status} match needs its lights: "
                             f"{', '.join(missing)} missing")
        return self

    def ambient_coefficients(self) -> list[float] | None:
        """The 27 SH coefficients of :attr:`ambient` (what ``scene.mgraph`` bakes), ``None``
        when the match read none."""
        coeffs = self.ambient.get("coefficients")
        if not isinstance(coeffs, list) or len(coeffs) != 27:
            return None
        return [float(v) for v in coeffs]
