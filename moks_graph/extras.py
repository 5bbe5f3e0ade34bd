"""Optional dependencies behind pip extras, imported only when a feature needs them.

The base install (engine, node math, CLI) stays small enough for a DCC's Python; each
heavier feature names its extra when its library is missing::

    ripser = require("ripser", "topology", "persistent Betti numbers")

raises :class:`MissingExtra` (an ``ImportError`` and a :class:`~moks_graph.errors.HostError`,
MG140, exit code 2): ``persistent Betti numbers: needs the 'ripser' module; install it
with pip install 'moks-graph[topology]'``.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from moks_graph.errors import NO_PATH, HostError, Problem

#: extra -> what it adds (README "Install" lists the same).
EXTRAS: dict[str, str] = {
    "usd": "USD host (usd-core)",
    "blender": "Blender host (bpy)",
    "editor": "the Qt graph editor (PySide6, NodeGraphQt, pyqtgraph)",
    "farm": "farm bakes and matches on Dask, OpenJD export",
    "vlm": "remote inspectors for moks match (Anthropic, OpenAI, Google)",
    "inverse": "face detection in moks match (OpenCV)",
    "topology": "persistent Betti numbers (ripser)",
    "ocio": "moks look export as OCIO configs, .cube and CLF (OpenColorIO)",
}


class MissingExtra(HostError, ImportError):
    """An optional library is not installed; the message names the extra to install."""

    def __init__(self, module: str, extra: str, purpose: str) -> None:
        self.module, self.extra, self.purpose = module, extra, purpose
        super().__init__(Problem(
            "MG140", f"{purpose}: needs the {module!r} module; install it with "
                     f"pip install 'moks-graph[{extra}]'", NO_PATH))


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtra` naming ``extra``."""
    try:
        return import_module(module)
    except ImportError as exc:  # missing, or one of its own imports failed (chained)
        raise MissingExtra(module, extra, purpose) from exc
