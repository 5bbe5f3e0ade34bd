"""Inverse cinematography: reference still in, matched SceneScript and bake graph out.

``match_image`` and ``match_still`` (the editor's Match action) are re-exported
lazily (module ``__getattr__``), so importing this package
does not import the renderer, the metrics or the optional inspectors.
"""

from __future__ import annotations

from typing import Any

__all__ = ["match_image", "match_still"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from moks_graph.nodes.inverse import match

        return getattr(match, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
