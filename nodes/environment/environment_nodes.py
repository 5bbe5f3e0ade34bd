"""Ambient-light nodes: procedural skies, HDRI loading, L=2 spherical-harmonic projection."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from moks_graph.node import Input, Node, NodeContext, NodeParams, Output, Param
from moks_graph.nodes.environment.hdri import load_hdri
from moks_graph.nodes.environment.sh import project_hdri
from moks_graph.nodes.environment.skies import overcast_sky, studio_sky, sun_sky
from moks_graph.types import IMAGE, SH9


class ProceduralSky(Node):
    """An equirectangular sky: sun + sky gradient, CIE overcast, or studio softboxes."""

    type_id = "moks.lighting.procedural_sky"
    category = "Ambient light"
    outputs = {"hdri": Output(IMAGE)}

    class Params(NodeParams):
        sky: Literal["sun", "overcast", "studio"] = Param("sun", description="sky model")
        height: int = Param(128, ge=16, le=4096, unit="px", description="map height (width = 2x)")
        sun_azimuth_deg: float = Param(30.0, ge=-360, le=360, unit="deg", description="sun azimuth")
        sun_elevation_deg: float = Param(40.0, ge=-90, le=90, unit="deg",
                                         description="sun elevation")

    def compute(self, ctx: NodeContext, params: Any) -> dict[str, Any]:
        if params.sky == "sun":
            sky = sun_sky(params.height, sun_azimuth_deg=params.sun_azimuth_deg,
                          sun_elevation_deg=params.sun_elevation_deg)
        elif params.sky == "overcast":
            sky = overcast_sky(params.height)
        else:
            sky = studio_sky(params.height)
        return {"hdri": np.asarray(sky, dtype=np.float32)}


class LoadHDRI(Node):
    """An equirectangular HDRI from a Radiance .hdr (or .exr where imageio can read it)."""

    type_id = "moks.lighting.load_hdri"
    category = "Ambient light"
    outputs = {"hdri": Output(IMAGE)}
    file_params = ("path",)

    class Params(NodeParams):
        path: str = Param("", description="HDRI file (relative to the working folder)")

    def compute(self, ctx: NodeContext, params: Any) -> dict[str, Any]:
        if not params.path:
            raise ValueError("path is empty: choose an .hdr file")
        return {"hdri": np.asarray(load_hdri(params.path), dtype=np.float32)}


class ProjectSH(Node):
    """Project an HDRI onto 9 RGB L=2 spherical-harmonic coefficients (irradiance-ready)."""

    type_id = "moks.lighting.project_sh"
    category = "Ambient light"
    inputs = {"hdri": Input(IMAGE)}
    outputs = {"sh": Output(SH9)}

    def compute(self, ctx: NodeContext, params: Any, hdri: np.ndarray) -> dict[str, Any]:
        return {"sh": project_hdri(hdri)}


class SHPreset(Node):
    """Spherical-harmonic ambient light from 27 stored floats (a sub-kilobyte preset)."""

    type_id = "moks.lighting.sh_preset"
    category = "Ambient light"
    outputs = {"sh": Output(SH9)}

    class Params(NodeParams):
        coefficients: list[float] = Param([0.0] * 27, description="9 RGB coefficients, L00 first")

    def compute(self, ctx: NodeContext, params: Any) -> dict[str, Any]:
        if len(params.coefficients) != 27:
            raise ValueError(f"coefficients needs 27 floats, got {len(params.coefficients)}")
        return {"sh": np.asarray(params.coefficients, dtype=np.float64).reshape(9, 3)}
