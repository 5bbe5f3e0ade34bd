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

from typing import Literal, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

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
    field: str = Field(pattern=r"^[a-z_][a-z0-9_]*$", max_length=40)
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


class MatchResult(BaseModel):
    """``match.json``: the matched lighting in SceneScript conventions, plus how it went."""

    model_config = ConfigDict(extra="forbid")

    image: str
    key_azimuth_deg: float
    key_elevation_deg: float
    key_fill_ratio: float
    key_cct_K: float
    rim: bool
    rim_mode: RimMode
    haze: float
    film_stock: str
    iterations: int
    residual: float
    seconds: float
    forward: str = "builtin"
    inspector: str = "offline"
    status: Literal["matched", "failed"] = "matched"
    message: str = ""
    script: dict[str, object] = Field(default_factory=dict)
