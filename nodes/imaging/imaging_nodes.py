"""Image nodes: load a still, measure its 15 metrics, find its Lotus point and Betti signature."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from moks_graph.node import Input, Node, NodeContext, NodeParams, Output, Param
from moks_graph.nodes.imaging.colorimetry import luminance
from moks_graph.nodes.imaging.io import load_image
from moks_graph.nodes.imaging.metrics import extract_metrics, specular_mask_of
from moks_graph.nodes.topology.betti import betti_signature
from moks_graph.nodes.topology.lotus import lotus_point
from moks_graph.types import ENUM, IMAGE, METRICS, VEC3


class LoadImage(Node):
    """A reference still from disk as linear RGB (PNG/JPEG/TIFF decoded from sRGB; .hdr linear)."""

    type_id = "moks.image.load"
    category = "Images"
    outputs = {"image": Output(IMAGE)}
    file_params = ("path",)

    class Params(NodeParams):
        path: str = Param("", description="image file (relative to the working folder)")

    def compute(self, ctx: NodeContext, params: Any) -> dict[str, Any]:
        return {"image": load_image(params.path)}


class ImageMetrics(Node):
    """The 15-metric signature of a linear image (18 numbers; see ``moks metrics``)."""

    type_id = "moks.image.metrics"
    category = "Images"
    inputs = {"image": Input(IMAGE)}
    outputs = {"metrics": Output(METRICS)}
    #: the mask a viewer draws over the input image: the specular highlights measured
    overlay_mask = staticmethod(specular_mask_of)

    class Params(NodeParams):
        method: Literal["heuristic", "geometric"] = Param("heuristic", description="estimator")

    def compute(self, ctx: NodeContext, params: Any, image: np.ndarray) -> dict[str, Any]:
        return {"metrics": extract_metrics(image, method=params.method)}


class LotusPoint(Node):
    """The Morse-Smale Lotus point: the contained maximum of the primary bright domain.

    Output ``point`` is (x pixel, y pixel, luminance).
    """

    type_id = "moks.image.lotus_point"
    category = "Images"
    inputs = {"image": Input(IMAGE)}
    outputs = {"point": Output(VEC3)}

    def compute(self, ctx: NodeContext, params: Any, image: np.ndarray) -> dict[str, Any]:
        p = lotus_point(luminance(image))
        return {"point": np.array([p.x, p.y, p.value], dtype=np.float64)}


class BettiSignature(Node):
    """Betti numbers of the specular mask: "machined" (many pieces) or "organic" (many loops)."""

    type_id = "moks.image.betti"
    category = "Images"
    inputs = {"image": Input(IMAGE)}
    outputs = {"betti": Output(METRICS), "label": Output(ENUM)}
    overlay_mask = staticmethod(specular_mask_of)  # the mask whose Betti numbers it counts

    def compute(self, ctx: NodeContext, params: Any, image: np.ndarray) -> dict[str, Any]:
        sig = betti_signature(specular_mask_of(image) > 0.5)
        return {"betti": {"b0": int(sig.b0), "b1": int(sig.b1)}, "label": sig.label}
