"""MOKS Graph: Scene Stager's camera physics and dynamic lighting as a typed node-graph DAG.

The Python API a TD uses: :func:`load`, :meth:`Graph.evaluate`, :func:`save`, :func:`node`,
:func:`Param`.

Details (moved from this docstring, issue 15): docs/quickstart.md#moks_graph__init__py
"""

# ruff: noqa: E402  (numpy's kernels are chosen when it is first imported: pin them first)
from moks_graph.numerics import pin as _pin_numerics

_pin_numerics()

from moks_graph.cache import DiskCache, MemoryCache
from moks_graph.channels import Channels
from moks_graph.errors import GraphEditError, GraphFileError, MoksError, Problem
from moks_graph.evaluate import EvalResult, Evaluator
from moks_graph.graph import Edge, Graph, Settings
from moks_graph.mgraph import dumps, load, loads, save
from moks_graph.node import Input, Node, NodeContext, NodeParams, Output, Param, node
from moks_graph.registry import Registry, default_registry
from moks_graph.timebase import TimeArray, time_array
from moks_graph.types import (
    BOOL,
    CHANNELS,
    ENUM,
    FLOAT,
    IMAGE,
    INT,
    LOOK,
    MESH,
    METRICS,
    PORT_TYPES,
    SCENE_SCRIPT,
    SH9,
    STRING,
    TIME,
    TRANSFORM,
    VEC3,
    PortType,
)

__version__ = "0.1.0"

__all__ = [
    "BOOL", "CHANNELS", "ENUM", "FLOAT", "IMAGE", "INT", "LOOK", "MESH", "METRICS", "PORT_TYPES",
    "SCENE_SCRIPT", "SH9", "STRING", "TIME", "TRANSFORM", "VEC3",
    "Channels", "DiskCache", "Edge", "EvalResult", "Evaluator", "Graph", "GraphEditError",
    "GraphFileError", "Input", "MemoryCache", "MoksError", "Node", "NodeContext", "NodeParams",
    "Output", "Param", "PortType", "Problem", "Registry", "Settings", "TimeArray",
    "default_registry", "dumps", "load", "loads", "node", "save", "time_array",
]
