"""Math-Over-Matter as a node: check a shareable preset or graph file before it is shared."""

from __future__ import annotations

from typing import Any

from moks_graph.node import Node, NodeContext, NodeParams, Output, Param
from moks_graph.shareable import check_file
from moks_graph.types import INT, STRING


class ShareableCheck(Node):
    """Math-Over-Matter: count the violations of a preset/graph file (binary assets, paths, base64).

    ``report`` lists each violation with its code and JSON path (empty when clean).
    """

    type_id = "moks.check.shareable"
    category = "Presets"
    outputs = {"violations": Output(INT), "report": Output(STRING)}
    file_params = ("path",)

    class Params(NodeParams):
        path: str = Param("", description="preset or .mgraph file to check")

    def compute(self, ctx: NodeContext, params: Any) -> dict[str, Any]:
        violations = check_file(params.path)
        return {"violations": len(violations), "report": "\n".join(map(str, violations))}
