"""The built-in node library.

It registers through the ``moks_graph.nodes`` entry point, like any plugin.
"""

from __future__ import annotations

from moks_graph.registry import Registry

_MODULES = (
    "moks_graph.nodes.utility.value_nodes",
    "moks_graph.nodes.utility.channel_nodes",
    "moks_graph.nodes.camera.camera_nodes",
    "moks_graph.nodes.lights.light_nodes",
    "moks_graph.nodes.subject.subject_nodes",
    "moks_graph.nodes.atmosphere.atmosphere_nodes",
    "moks_graph.nodes.looks.look_nodes",
    "moks_graph.nodes.environment.environment_nodes",
    "moks_graph.nodes.imaging.imaging_nodes",
    "moks_graph.nodes.geometry.geometry_nodes",
    "moks_graph.nodes.utility.check_nodes",
    "moks_graph.nodes.inverse.inverse_nodes",
)


def register(registry: Registry) -> None:
    """Register every built-in node type; a module that fails is reported, the rest load."""
    from importlib import import_module

    for name in _MODULES:
        try:
            registry.load_module(import_module(name), f"built-in {name}")
        except Exception as exc:
            registry.record_failure(name, exc)
