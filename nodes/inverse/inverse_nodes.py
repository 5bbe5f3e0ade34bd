"""Inverse-cinematography nodes: analyse, fuse, render a preview, calibrate.

Thin typed wrappers around :mod:`moks_graph.nodes.inverse.fuse`,
:mod:`~moks_graph.nodes.inverse.render` and :mod:`~moks_graph.nodes.inverse.calibrate`::

    image --analyse--> metrics --fuse--> script --render_preview--> image
      \\____________________________________ calibrate(image, script) --> script
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from moks_graph.codec import register_value_class
from moks_graph.node import Input, Node, NodeContext, NodeParams, Output, Param
from moks_graph.nodes.inverse.interfaces import PREVIEW_SIZE
from moks_graph.nodes.scenescript.schema import SceneScript
from moks_graph.types import FLOAT, IMAGE, INT, METRICS, SCENE_SCRIPT

register_value_class(SceneScript)


def _script(value: Any) -> SceneScript:
    return value if isinstance(value, SceneScript) else SceneScript.model_validate(value)


class Analyse(Node):
    """The signature of a reference: the 15 image metrics (18 keys) plus the fusers' cues."""

    type_id = "moks.inverse.analyse"
    category = "Inverse"
    inputs = {"image": Input(IMAGE, doc="reference still, linear RGB")}
    outputs = {"metrics": Output(METRICS, doc="metrics and cue_* keys")}

    def compute(self, ctx: NodeContext, params: Any, image: np.ndarray) -> dict[str, Any]:
        from moks_graph.nodes.inverse.fuse import signature

        return {"metrics": signature(image)}


class Fuse(Node):
    """A SceneScript start from a signature, slot by slot, with the renderer's prior offsets."""

    type_id = "moks.inverse.fuse"
    category = "Inverse"
    inputs = {"metrics": Input(METRICS, doc="the output of moks.inverse.analyse")}
    outputs = {"script": Output(SCENE_SCRIPT)}

    class Params(NodeParams):
        forward: Literal["builtin", "blender"] = Param(
            "builtin", description="forward renderer whose prior offsets apply")

    def compute(self, ctx: NodeContext, params: Any,
                metrics: dict[str, float]) -> dict[str, Any]:
        from moks_graph.nodes.inverse.fuse import fuse

        return {"script": fuse(metrics, forward=params.forward)}


class RenderPreview(Node):
    """The built-in preview renderer: a SceneScript as a display-linear image."""

    type_id = "moks.inverse.render_preview"
    category = "Inverse"
    reads = frozenset({"seed"})
    inputs = {"script": Input(SCENE_SCRIPT)}
    outputs = {"image": Output(IMAGE)}

    class Params(NodeParams):
        width: int = Param(PREVIEW_SIZE[0], ge=16, le=4096, unit="px", description="width")
        height: int = Param(PREVIEW_SIZE[1], ge=16, le=4096, unit="px", description="height")
        grain: bool = Param(False, description="render the look's film grain (seeded)")

    def compute(self, ctx: NodeContext, params: Any, script: Any) -> dict[str, Any]:
        from moks_graph.nodes.inverse.render import BuiltinRenderer

        renderer = BuiltinRenderer(grain=params.grain, seed=ctx.seed)
        image = renderer.render(_script(script), (params.width, params.height))
        return {"image": np.ascontiguousarray(image, dtype=np.float32)}


class Calibrate(Node):
    """Levenberg-Marquardt calibration of a SceneScript's lighting against a reference."""

    type_id = "moks.inverse.calibrate"
    category = "Inverse"
    inputs = {"image": Input(IMAGE, doc="reference still"),
              "script": Input(SCENE_SCRIPT, doc="start, e.g. from moks.inverse.fuse")}
    outputs = {"script": Output(SCENE_SCRIPT), "residual": Output(FLOAT),
               "iterations": Output(INT)}

    class Params(NodeParams):
        iterations: int = Param(2, ge=0, le=20, description="most LM iterations")

    def compute(self, ctx: NodeContext, params: Any, image: np.ndarray,
                script: Any) -> dict[str, Any]:
        from moks_graph.nodes.imaging.image_input import as_linear_rgb
        from moks_graph.nodes.inverse.calibrate import calibrate
        from moks_graph.nodes.inverse.render import preview_size, resample

        reference = as_linear_rgb(image, "image")
        size = preview_size(reference.shape)
        res = calibrate(resample(reference, size), _script(script),
                        max_iterations=params.iterations, size=size)
        return {"script": res.script, "residual": float(res.residual),
                "iterations": int(res.iterations)}


class FitLights(Node):
    """The subject of a reference still and its lights, fitted per pixel, as a SceneScript.

    The subject-fit hypothesis of ``moks match`` (``docs/inverse.md``) without the file
    output, the proxy scene or the critique rounds: silhouette, inflated normals, robust
    light fit. ``fit`` carries the residual, the status and the 1-sigma uncertainties.
    ``key_side`` / ``key_height``: a TD's hint of where the key is (``moks match
    --key-hint``); ``auto`` leaves it to the still.
    """

    type_id = "moks.inverse.fit_lights"
    category = "Inverse"
    inputs = {"image": Input(IMAGE, doc="reference still, linear RGB")}
    outputs = {"script": Output(SCENE_SCRIPT), "fit": Output(METRICS),
               "preview": Output(IMAGE)}

    class Params(NodeParams):
        key_side: Literal["auto", "left", "right"] = Param(
            "auto", description="the key's side of the camera, as you see it")
        key_height: Literal["auto", "above", "below"] = Param(
            "auto", description="the key above or below the horizon, as you see it")

    def compute(self, ctx: NodeContext, params: Any, image: np.ndarray) -> dict[str, Any]:
        from moks_graph.nodes.imaging.image_input import as_linear_rgb
        from moks_graph.nodes.inverse.estimate import (
            estimate_still,
            judge,
            preview,
            subject_residual,
            to_script,
        )
        from moks_graph.nodes.inverse.key_hint import KeyHint
        from moks_graph.nodes.inverse.render import area_reduce

        hint = KeyHint.parse(",".join(v for v in (params.key_side, params.key_height)
                                      if v != "auto"))
        est = estimate_still(area_reduce(as_linear_rgb(image, "image")), hint=hint)
        shown = preview(est)
        residual = subject_residual(est, shown)
        status, _ = judge(est, residual)
        fit = {"residual": residual, "matched": 1.0 if status == "matched" else 0.0,
               "subject_found": 1.0 if est.subject.found else 0.0,
               **{f"sigma_{k}": v for k, v in est.fit.sigma.items()}}
        return {"script": to_script(est), "fit": fit,
                "preview": np.ascontiguousarray(shown, dtype=np.float32)}
