"""Constant and arithmetic nodes."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from moks_graph.node import Input, Node, NodeContext, NodeParams, Output, Param
from moks_graph.types import FLOAT, TIME, VEC3


class FloatValue(Node):
    """A constant number."""

    type_id = "moks.value.float"
    category = "Values"
    outputs = {"value": Output(FLOAT)}

    class Params(NodeParams):
        value: float = Param(0.0, ge=-1e9, le=1e9, description="the number")

    def compute(self, ctx: NodeContext, params: Any) -> dict[str, Any]:
        return {"value": float(params.value)}


class Vec3Value(Node):
    """A constant 3-vector (a position in metres, Z up)."""

    type_id = "moks.value.vec3"
    category = "Values"
    outputs = {"value": Output(VEC3)}

    class Params(NodeParams):
        x: float = Param(0.0, ge=-1e6, le=1e6, unit="m", description="X")
        y: float = Param(0.0, ge=-1e6, le=1e6, unit="m", description="Y")
        z: float = Param(0.0, ge=-1e6, le=1e6, unit="m", description="Z (up)")

    def compute(self, ctx: NodeContext, params: Any) -> dict[str, Any]:
        return {"value": np.array([params.x, params.y, params.z], dtype=np.float64)}


class Arithmetic(Node):
    """Two numbers combined: add, subtract, multiply, min or max."""

    type_id = "moks.math.arithmetic"
    category = "Values"
    inputs = {"a": Input(FLOAT), "b": Input(FLOAT, required=False, default=0.0)}
    outputs = {"value": Output(FLOAT)}

    class Params(NodeParams):
        op: Literal["add", "subtract", "multiply", "min", "max"] = Param(
            "add", description="operation")

    def compute(self, ctx: NodeContext, params: Any, a: float, b: float) -> dict[str, Any]:
        ops = {"add": a + b, "subtract": a - b, "multiply": a * b, "min": min(a, b),
               "max": max(a, b)}
        return {"value": float(ops[params.op])}


class Frames(Node):
    """The graph's time array: frame numbers (with sub-frame samples) and fps."""

    type_id = "moks.time.frames"
    category = "Time"
    reads = frozenset({"frame"})
    outputs = {"time": Output(TIME)}

    def compute(self, ctx: NodeContext, params: Any) -> dict[str, Any]:
        return {"time": ctx.time}
