"""The match application: reference stills in, matched SceneScripts and match folders out.

The loop and the match folders (:mod:`.match`), the calibration library (:mod:`.library`,
``moks library``), the preset promoter (:mod:`.promote`, ``moks promote``), the vendors'
VLM inspectors (:mod:`.inspectors_remote`) and ``moks match`` (:mod:`.cli`). The math they
run (analysis, rendering, calibration, fusion, critique rules) is in
:mod:`moks_graph.nodes.inverse`.

``match_image`` and ``match_still`` (the editor's Match action) are re-exported
lazily (module ``__getattr__``), so importing this package
does not import the renderer, the metrics or the optional inspectors.
"""

from __future__ import annotations

from typing import Any

__all__ = ["compare_image", "match_image", "match_still", "subject_outline"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from moks_graph.hosts.inverse import match

        return getattr(match, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
