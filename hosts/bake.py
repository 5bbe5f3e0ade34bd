"""``moks bake``: evaluate a graph's Channels and hand them to one host writer.

The bake merges every ``Channels`` output of the graph's sink nodes (nodes
whose outputs feed nothing) into one set, then calls the host's writer, which
writes to a temporary file and renames it: a failed bake leaves nothing at the
output path.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moks_graph import mgraph
from moks_graph.channels import Channels
from moks_graph.errors import HostError, MoksError, Problem
from moks_graph.graph import Graph
from moks_graph.types import CHANNELS


@dataclass(frozen=True)
class HostSpec:
    """How to reach one host's writer and which extra installs its library."""

    module: str
    function: str
    library: str
    extra: str
    suffixes: tuple[str, ...]


HOSTS: dict[str, HostSpec] = {
    "usd": HostSpec("moks_graph.hosts.usd.writer", "write_usd", "pxr", "usd",
                    (".usda", ".usdc", ".usd")),
    "blender": HostSpec("moks_graph.hosts.blender.writer", "write_blend", "bpy", "blender",
                        (".blend",)),
    "maya": HostSpec("moks_graph.hosts.maya.ma_writer", "write_ma", "", "", (".ma",)),
    "unreal": HostSpec("moks_graph.hosts.usd.writer", "write_usd", "pxr", "usd",
                       (".usda", ".usdc", ".usd")),
}


def host_writer(host: str) -> Callable[..., Any]:
    """The writer function of a host, with clear errors when unknown or not installed."""
    spec = HOSTS.get(host)
    if spec is None:
        raise HostError(Problem("MG140", f"unknown host {host!r}; choose one of "
                                f"{', '.join(sorted(HOSTS))}"))
    if spec.library:
        try:
            importlib.import_module(spec.library)
        except ImportError:
            raise HostError(Problem("MG140", f"host {host!r} needs {spec.library!r}: install it "
                                    f"with  pip install 'moks-graph[{spec.extra}]'")) from None
    try:
        module = importlib.import_module(spec.module)
    except ImportError as exc:
        raise HostError(Problem("MG140", f"host {host!r} writer is unavailable: {exc}")) from None
    return getattr(module, spec.function)


def sink_channels(graph: Graph, result_values: dict[str, Any]) -> Channels:
    """Merge the Channels outputs of nodes that feed nothing (in node-id order)."""
    merged: Channels | None = None
    for node_id in sorted(graph.nodes):
        if graph.edges_from(node_id):
            continue
        cls = graph.node_class(node_id)
        if cls is None:
            continue
        for port, out in cls.outputs.items():
            value = result_values.get(f"{node_id}.{port}")
            if out.type is CHANNELS and value is not None:
                merged = value if merged is None else merged.merged(value)
    if merged is None:
        raise MoksError(Problem("MG120", "the graph has no Channels output to bake"), graph.source)
    return merged


def bake_graph(graph: Graph, frames: tuple[int, int] | None = None,
               subframes: int | None = None) -> Channels:
    """Evaluate a graph (must be valid) and return the merged sink Channels."""
    problems = graph.validate()
    if problems:
        raise MoksError(problems, graph.source)
    result = graph.evaluate(frames=frames, subframes=subframes)
    if result.problems:
        raise MoksError(result.problems, graph.source)
    return sink_channels(graph, result.values)


def bake_file(file: str, host: str, out: str, *, frames: tuple[int, int] | None = None,
              subframes: int | None = None, console: Any = None) -> Path:
    """Load, validate, evaluate and write ``out`` for ``host``. Returns the path written."""
    writer = host_writer(host)
    target = Path(out)
    if not target.parent.is_dir():
        raise HostError(Problem("MG141", f"output folder {str(target.parent)!r} does not exist"),
                        out)
    graph = mgraph.load(file)
    channels = bake_graph(graph, frames, subframes)
    try:
        writer(channels, target)
    except OSError as exc:
        raise HostError(Problem("MG141", f"cannot write: {exc.strerror or exc}"), out) from None
    if console is not None:
        console.print(f"baked {len(channels)} channels x {len(channels.time)} samples "
                      f"to {target} ({host})")
    return target
