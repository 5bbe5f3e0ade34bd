"""The offline inspector: deterministic, rule-based critiques in SceneScript vocabulary.

The details (moved from this docstring): docs/inverse.md, "Module notes",
`nodes/inverse/critique.py`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

import numpy as np

from moks_graph.nodes.imaging.colorimetry import CCT_RANGE_K
from moks_graph.nodes.imaging.metrics import extract_metrics
from moks_graph.nodes.inverse.interfaces import Critique, Critiques
from moks_graph.nodes.scenescript.schema import SceneScript

SHADOW_EV: Final[float] = 0.7
RIM_MARGIN: Final[float] = 0.15
RIM_STOPS: Final[float] = 0.25
ANGLE_DEG: Final[float] = 5.0
RATIO_STOPS: Final[float] = 0.25
MIRED: Final[float] = 10.0
EXPOSURE_EV: Final[float] = 0.2
HAZE: Final[float] = 0.03
MONO_SATURATION: Final[float] = 0.01
_RIM_MODES: Final[tuple[str, ...]] = ("none", "camera_left", "camera_right", "both", "top")
_NEGATIVES: Final[dict[str, str]] = {"vision3_250d": "vision3_500t",
                                     "vision3_500t": "vision3_250d"}


def _wrap(angle: float) -> float:
    return (angle + 180.0) % 360.0 - 180.0


def _stock_rules(ref: Mapping[str, float], pre: Mapping[str, float],
                 script: SceneScript) -> list[Critique]:
    stock = script.look.stock
    out: list[Critique] = []
    ref_mono = ref["saturation"] < MONO_SATURATION
    if ref_mono and stock != "tri_x":
        out.append(Critique(slot="look", field="stock", value="tri_x", confidence=0.9,
                            reason="the reference is black and white"))
        return out
    if not ref_mono and stock == "tri_x":
        out.append(Critique(slot="look", field="stock", value="vision3_250d", confidence=0.9,
                            reason="the reference has colour; Tri-X cannot make it"))
        return out
    shadow = ref["luminance_p05"] - pre["luminance_p05"]
    if stock in _NEGATIVES and shadow < -SHADOW_EV:
        out.append(Critique(slot="look", field="stock", value="kodachrome", confidence=0.6,
                            reason=f"the reference's shadows sit {-shadow:.1f} EV deeper: a "
                                   "reversal toe"))
    elif stock == "kodachrome" and shadow > SHADOW_EV:
        out.append(Critique(slot="look", field="stock", value="vision3_250d", confidence=0.6,
                            reason=f"the reference's shadows sit {shadow:.1f} EV higher: a "
                                   "negative's longer toe"))
    if stock in _NEGATIVES:
        out.append(Critique(slot="look", field="stock", value=_NEGATIVES[stock],
                            confidence=0.3,
                            reason="the Vision3 negatives differ only in toe and grain"))
    return out


def _rim_rules(ref: Mapping[str, float], pre: Mapping[str, float],
               script: SceneScript) -> list[Critique]:
    current = script.fill_rim.rim
    out: list[Critique] = []
    if f"cue_fit_{current}_residual" in ref:
        base = ref[f"cue_fit_{current}_residual"]
        ranked = sorted((ref[f"cue_fit_{m}_residual"], m) for m in _RIM_MODES if m != current)
        for res, mode in ranked[:2]:
            if res <= (1.0 + RIM_MARGIN) * base:
                out.append(Critique(
                    slot="fill_rim", field="rim", value=mode, confidence=0.4,
                    reason=f"a {mode.replace('_', ' ')} rim fits the reference's shading "
                           f"within {100 * (res / base - 1):+.0f}%"))
    excess = ref.get("rim_light", 0.0) - pre.get("rim_light", 0.0)
    if current == "none" and excess > RIM_STOPS and not any(c.field == "rim" for c in out):
        out.append(Critique(slot="fill_rim", field="rim", value="both", confidence=0.3,
                            reason=f"the reference's silhouette outshines its inside by "
                                   f"{excess:.2f} stops more"))
    return out


def _continuous_rules(ref: Mapping[str, float], pre: Mapping[str, float],
                      script: SceneScript) -> list[Critique]:
    out: list[Critique] = []
    key = script.key
    d_az = _wrap(ref["key_azimuth"] - pre["key_azimuth"])
    if abs(d_az) > ANGLE_DEG:
        side = "camera right" if d_az > 0 else "camera left"
        out.append(Critique(slot="key", field="azimuth_deg", value=round(_wrap(
            key.azimuth_deg + d_az), 3), confidence=0.3,
            reason=f"the key falls {abs(d_az):.0f} deg further towards {side}"))
    d_el = ref["key_elevation"] - pre["key_elevation"]
    if abs(d_el) > ANGLE_DEG:
        out.append(Critique(slot="key", field="elevation_deg", value=round(float(np.clip(
            key.elevation_deg + d_el, -90.0, 90.0)), 3), confidence=0.3,
            reason=f"the key comes from {abs(d_el):.0f} deg {'higher' if d_el > 0 else 'lower'}"))
    d_ratio = math.log2(ref["key_fill_ratio"] / pre["key_fill_ratio"])
    if abs(d_ratio) > RATIO_STOPS:
        out.append(Critique(slot="fill_rim", field="key_fill_ratio", value=round(float(np.clip(
            script.fill_rim.key_fill_ratio * 2.0**d_ratio, 1.0, 64.0)), 4), confidence=0.3,
            reason=f"the shadow side is {abs(d_ratio):.2f} stops "
                   f"{'darker' if d_ratio > 0 else 'brighter'} relative to the lit side"))
    if ref["saturation"] >= MONO_SATURATION and script.look.stock != "tri_x":
        d_mired = 1e6 / ref["cct"] - 1e6 / pre["cct"]
        if abs(d_mired) > MIRED:
            cct = float(np.clip(1e6 / (1e6 / key.cct_K + d_mired), *CCT_RANGE_K))
            out.append(Critique(slot="key", field="cct_K", value=round(cct, 1), confidence=0.3,
                                reason=f"the reference is {'warmer' if d_mired > 0 else 'cooler'}"
                                       f" by {abs(d_mired):.0f} mired"))
    d_ev = ref["log_luminance_mean"] - pre["log_luminance_mean"]
    if abs(d_ev) > EXPOSURE_EV:
        out.append(Critique(slot="look", field="exposure_ev", value=round(float(np.clip(
            script.look.exposure_ev + d_ev, -6.0, 6.0)), 3), confidence=0.3,
            reason=f"the reference is {abs(d_ev):.2f} EV {'brighter' if d_ev > 0 else 'darker'}"))
    d_haze = ref["haze"] - pre["haze"]
    if abs(d_haze) > HAZE:
        out.append(Critique(slot="atmosphere", field="phi", value=round(float(np.clip(
            script.atmosphere.phi + 2.0 * d_haze, 0.0, 1.0)), 3), confidence=0.2,
            reason=f"the reference is {'hazier' if d_haze > 0 else 'clearer'}"))
    return out


class OfflineInspector:
    """The default :class:`~moks_graph.nodes.inverse.interfaces.Inspector` (rule based)."""

    name = "offline"

    def critique(self, reference: np.ndarray, preview: np.ndarray,
                 metrics: dict[str, float], script: SceneScript) -> Critiques:
        """Critiques of ``preview`` against ``reference`` (see the module docstring).

        ``metrics``: the reference's signature (at least the 18 metrics; the ``cue_fit_*``
        keys enable the rim ranking). The preview is measured here.
        """
        if not isinstance(script, SceneScript):
            raise TypeError(f"script: expected a SceneScript, got {type(script).__name__}")
        if not isinstance(metrics, Mapping):
            raise TypeError(f"metrics: expected a mapping, got {type(metrics).__name__}")
        ref = dict(metrics)
        if "saturation" not in ref:
            ref.update(extract_metrics(reference))
        pre = extract_metrics(preview)
        items = (_stock_rules(ref, pre, script) + _rim_rules(ref, pre, script)
                 + _continuous_rules(ref, pre, script))
        items.sort(key=lambda c: (-c.confidence, c.slot, c.field))
        summary = "; ".join(f"{c.slot}.{c.field} -> {c.value} ({c.reason})" for c in items)
        return Critiques(items=items[:32], summary=summary[:2000] or "preview matches")
