"""Everything ``moks metrics`` reports for one still: 15 metrics, Lotus point, Betti signature."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from moks_graph.nodes.imaging.colorimetry import luminance
from moks_graph.nodes.imaging.image_input import as_linear_rgb
from moks_graph.nodes.imaging.metrics import extract_metrics, specular_mask_of
from moks_graph.nodes.topology.betti import betti_signature
from moks_graph.nodes.topology.lotus import lotus_point


def analyse_still(image: np.ndarray, method: Literal["heuristic", "geometric"] = "heuristic"
                  ) -> dict[str, Any]:
    """``{"metrics": {name: value}, "lotus": {...}, "betti": {...}}`` for a linear image."""
    rgb = as_linear_rgb(image)
    lotus = lotus_point(luminance(rgb))
    betti = betti_signature(specular_mask_of(rgb) > 0.5)
    return {
        "metrics": extract_metrics(rgb, method=method),
        "lotus": {"x": float(lotus.x), "y": float(lotus.y), "value": float(lotus.value),
                  "contained": bool(lotus.contained), "area_fraction": float(lotus.area_fraction)},
        "betti": {"b0": int(betti.b0), "b1": int(betti.b1), "label": betti.label},
    }
