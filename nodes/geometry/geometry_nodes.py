"""Geometry nodes: target meshes, and the intrinsic TargetLink light that rides a surface.

``moks.light.surface_link`` moves a light over a target surface along a path
and orients it by a parallel-transported frame (Levi-Civita connection), not by
Euler interpolation or a world "up": no gimbal lock, no flip over a pole,
defined at umbilics. Transport is accumulated along the path, so to keep any
chunk of frames bit-identical to the whole bake it is computed once on a fixed
grid of the path parameter (a pure function of the parameters) and every time
sample takes the frame of its grid cell, blended linearly and re-orthonormalised.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import model_validator

from moks_graph.codec import register_value_class
from moks_graph.node import Input, Node, NodeContext, NodeParams, Output, Param
from moks_graph.nodes.channel_access import object_channels
from moks_graph.nodes.geometry.mesh import TriangleMesh, closest_points, cylinder, icosphere, torus
from moks_graph.nodes.geometry.target_link import linked_frame
from moks_graph.nodes.imaging.colorimetry import CCT_RANGE_K
from moks_graph.rotations import matrix_to_euler_xyz
from moks_graph.types import CHANNELS, MESH

register_value_class(TriangleMesh)

#: Samples of the path parameter on which transport is computed.
GRID = 257


class TargetMesh(Node):
    """A target surface: sphere, cylinder or torus (metres, centred on ``center``)."""

    type_id = "moks.geometry.target_mesh"
    category = "Geometry"
    outputs = {"mesh": Output(MESH)}

    class Params(NodeParams):
        shape: Literal["sphere", "cylinder", "torus"] = Param("sphere", description="shape")
        size: float = Param(1.0, gt=0.01, le=1000.0, unit="m", description="radius")
        center: tuple[float, float, float] = Param((0.0, 0.0, 1.0), description="centre", unit="m")
        detail: int = Param(3, ge=1, le=6, description="subdivision level")

    def compute(self, ctx: NodeContext, params: Any) -> dict[str, Any]:
        if params.shape == "sphere":
            mesh = icosphere(params.detail + 1, radius=params.size)
        elif params.shape == "cylinder":
            n = 16 * params.detail
            mesh = cylinder(radius=params.size, height=2 * params.size, segments=n, rings=n // 2)
        else:
            n = 16 * params.detail
            mesh = torus(major_radius=params.size, minor_radius=params.size / 3, segments=n,
                         rings=n // 2)
        return {"mesh": TriangleMesh(mesh.vertices + np.asarray(params.center), mesh.faces)}


def transported_grid(mesh: TriangleMesh, start: np.ndarray, end: np.ndarray,
                     initial: np.ndarray) -> np.ndarray:
    """Positions and frames ``(GRID, 4, 3)`` (position, tangent, bitangent, normal) on the path.

    The path is the segment ``start -> end`` projected onto the surface.
    """
    u = np.linspace(0.0, 1.0, GRID)[:, None]
    faces, bary = closest_points(mesh, start + u * (end - start))
    f = linked_frame(mesh, faces, initial, barycentric=bary)
    return np.stack([f.position, f.tangent, f.bitangent, f.normal], axis=1)


def sample_grid(grid: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Blend grid rows at parameters ``u`` in [0, 1]; frames re-orthonormalised."""
    x = np.clip(u, 0.0, 1.0) * (GRID - 1)
    i = np.minimum(np.floor(x).astype(np.int64), GRID - 2)
    w = (x - i)[:, None, None]
    out = grid[i] * (1.0 - w) + grid[i + 1] * w
    n = out[:, 3] / np.linalg.norm(out[:, 3], axis=1, keepdims=True)
    t = out[:, 1] - np.sum(out[:, 1] * n, axis=1, keepdims=True) * n
    t = t / np.linalg.norm(t, axis=1, keepdims=True)
    return np.stack([out[:, 0], t, np.cross(n, t), n], axis=1)


class SurfaceLinkLight(Node):
    """A light riding a target surface, oriented by parallel transport (intrinsic TargetLink).

    The light moves over ``duration_s`` seconds from ``start`` to ``end`` (points
    projected onto the surface), stands ``offset_m`` off the surface along its
    normal, and looks back at it; its up axis follows the transported tangent.
    """

    type_id = "moks.light.surface_link"
    category = "Lights"
    reads = frozenset({"frame"})
    inputs = {"mesh": Input(MESH, doc="the target surface")}
    outputs = {"channels": Output(CHANNELS)}

    class Params(NodeParams):
        object_name: str = Param("surface_light", description="light name")
        start: tuple[float, float, float] = Param((1.0, 0.0, 1.0), description="path start",
                                                  unit="m")
        end: tuple[float, float, float] = Param((-1.0, 0.0, 1.0), description="path end", unit="m")
        up_hint: tuple[float, float, float] = Param((0.0, 0.0, 1.0),
                                                   description="initial tangent direction")
        start_time_s: float = Param(0.0, ge=-1e5, le=1e5, unit="s", description="move start")
        duration_s: float = Param(4.0, gt=0.0, le=1e5, unit="s", description="move length")
        offset_m: float = Param(0.5, gt=0.0, le=100.0, unit="m", description="stand-off")
        intensity_cd: float = Param(200.0, ge=0.0, le=1e7, unit="cd", description="intensity")
        cct_K: float = Param(5600.0, ge=CCT_RANGE_K[0], le=CCT_RANGE_K[1], unit="K",
                             description="colour")

        @model_validator(mode="after")
        def _distinct(self) -> SurfaceLinkLight.Params:
            if np.allclose(self.start, self.end):
                raise ValueError("end: the path needs two different points")
            return self

    def compute(self, ctx: NodeContext, params: Any, mesh: TriangleMesh) -> dict[str, Any]:
        grid = transported_grid(mesh, np.asarray(params.start, float),
                                np.asarray(params.end, float), np.asarray(params.up_hint, float))
        t = ctx.time
        u = (t.seconds - params.start_time_s) / params.duration_s
        s = sample_grid(grid, u)
        position = s[:, 0] + params.offset_m * s[:, 3]
        # local axes: X = -bitangent, Y = travel direction, Z = surface normal (looks down -Z
        # at the surface); a sweep over the top of a subject stays far from Euler gimbal lock
        euler = matrix_to_euler_xyz(np.stack([-s[:, 2], s[:, 1], s[:, 3]], axis=-1))
        n = len(t)
        attrs = {"tx": position[:, 0], "ty": position[:, 1], "tz": position[:, 2],
                 "rx": euler[:, 0], "ry": euler[:, 1], "rz": euler[:, 2],
                 "intensity": np.full(n, params.intensity_cd),
                 "color_temperature": np.full(n, params.cct_K)}
        return {"channels": object_channels(t, params.object_name, "light.spot", attrs)}
