"""Film look nodes: pick a stock (a ``Look``), apply it to an ``Image``."""

from __future__ import annotations

from typing import Any

import numpy as np

from moks_graph.codec import register_value_class
from moks_graph.node import Input, Node, NodeContext, Output
from moks_graph.nodes.looks.stocks import LookParams, apply_stock
from moks_graph.types import IMAGE, LOOK

register_value_class(LookParams)


class FilmStock(Node):
    """A film look: Kodachrome, Vision3 500T / 250D or Tri-X, with exposure and grain.

    The same look exports as an OpenColorIO config, a .cube or a CLF with
    ``moks look export``. In a starter it feeds no other node on purpose: a bake writes it
    beside the host file (an OCIO config and a CLF); ``moks.look.apply`` takes it for images.
    """

    type_id = "moks.look.film_stock"
    category = "Looks"
    outputs = {"look": Output(LOOK)}
    Params = LookParams

    def compute(self, ctx: NodeContext, params: LookParams) -> dict[str, Any]:
        return {"look": params}


class ApplyLook(Node):
    """Render a linear image through a film look (display-referred linear out; seeded grain)."""

    type_id = "moks.look.apply"
    category = "Looks"
    reads = frozenset({"seed"})
    inputs = {"image": Input(IMAGE), "look": Input(LOOK)}
    outputs = {"image": Output(IMAGE)}

    def compute(self, ctx: NodeContext, params: Any, image: np.ndarray,
                look: LookParams) -> dict[str, Any]:
        look = LookParams.model_validate(look) if not isinstance(look, LookParams) else look
        grain = ctx.key("grain") if look.grain_strength > 0 else None
        out = apply_stock(image, look.stock, grain_key=grain, grain_strength=look.grain_strength,
                          exposure_ev=look.exposure_ev)
        return {"image": out.astype(np.float32, copy=False)}
