"""Keyable parameters: a float parameter driven by keys, evaluated per sample.

Entry points: :func:`sample`, :func:`value_at`, :func:`keyed_params`, :func:`key_problems`.

Details (moved from this docstring, issue 15): docs/file-format.md#moks_graphkeyframespy
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ValidationError

from moks_graph.errors import Problem, problem_path

if TYPE_CHECKING:
    from moks_graph.node import Node

INTERPOLATIONS = ("linear", "smooth")


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def key_problems(node_id: str, cls: type[Node], params: Mapping[str, Any],
                 keys: Any) -> list[Problem]:
    """Everything wrong with a node's ``keys`` (MG110 shape, MG107 not keyable, MG105 range)."""
    def problem(code: str, message: str, *where: str | int) -> Problem:
        return Problem(code, f"node {node_id!r}: {message}",
                       problem_path("nodes", node_id, "keys", *where), node_id,
                       ".".join(["keys", *(str(w) for w in where[:1])]))

    if not isinstance(keys, Mapping):
        return [problem("MG110", f"'keys' must be an object of param -> curve, got "
                        f"{type(keys).__name__}")]
    out: list[Problem] = []
    for name, spec in keys.items():
        if name not in cls.keyable:
            allowed = ", ".join(cls.keyable) or "none"
            out.append(problem("MG107", f"parameter {name!r} of {cls.type_id} is not keyable "
                               f"(keyable: {allowed})", name))
            continue
        if not isinstance(spec, Mapping) or set(spec) - {"interp", "keys"}:
            out.append(problem("MG110", f"keys of {name!r} must be {{\"interp\", \"keys\"}}",
                               name))
            continue
        if spec.get("interp", "linear") not in INTERPOLATIONS:
            out.append(problem("MG106", f"interp of {name!r} must be one of "
                               f"{list(INTERPOLATIONS)}, got {spec.get('interp')!r}",
                               name, "interp"))
        pairs = spec.get("keys")
        if (not isinstance(pairs, list) or not pairs
                or not all(isinstance(p, list) and len(p) == 2 and all(map(_number, p))
                           for p in pairs)):
            out.append(problem("MG110", f"keys of {name!r} must be a non-empty list of "
                               "[frame, value] finite numbers", name, "keys"))
            continue
        frames = [p[0] for p in pairs]
        if any(b <= a for a, b in itertools.pairwise(frames)):
            out.append(problem("MG110", f"key frames of {name!r} must increase strictly, got "
                               f"{frames}", name, "keys"))
        for i, (_, value) in enumerate(pairs):
            try:
                cls.Params.model_validate({**params, name: value})
            except ValidationError as exc:
                first = exc.errors()[0]
                out.append(problem("MG105", f"key {i} of {name!r} ({value}): {first['msg']}",
                                   name, "keys", i))
            except Exception:  # a plugin validator that raises: reported, not raised
                out.append(problem("MG105", f"key {i} of {name!r} ({value}) is refused", name,
                                   "keys", i))
    return out


def sample(spec: Mapping[str, Any], frames: np.ndarray) -> np.ndarray:
    """The curve's value at each of ``frames`` (float64, held outside the keys)."""
    pairs = np.asarray(spec["keys"], dtype=np.float64)
    f, v = pairs[:, 0], pairs[:, 1]
    if len(f) == 1:
        return np.full(frames.shape, v[0])
    if spec.get("interp", "linear") == "linear":
        return np.interp(frames, f, v)
    i = np.clip(np.searchsorted(f, frames, side="right") - 1, 0, len(f) - 2)
    s = np.clip((frames - f[i]) / (f[i + 1] - f[i]), 0.0, 1.0)
    return v[i] + (v[i + 1] - v[i]) * (s * s * (3.0 - 2.0 * s))


def keyed_params(params: BaseModel, keys: Mapping[str, Any], frames: np.ndarray) -> BaseModel:
    """``params`` with each keyed field replaced by its per-sample array (not re-validated:
    every key value was validated by :func:`key_problems`)."""
    return params.model_copy(update={name: sample(spec, frames) for name, spec in keys.items()})


def value_at(spec: Mapping[str, Any], frame: float) -> float:
    """The curve at one frame."""
    return float(sample(spec, np.asarray([float(frame)]))[0])


def with_key(spec: Mapping[str, Any] | None, frame: float, value: float,
             interp: str | None = None) -> dict[str, Any]:
    """``spec`` with a key at ``frame`` set to ``value`` (replacing one at that frame)."""
    pairs = [list(p) for p in (spec or {}).get("keys", []) if p[0] != frame]
    pairs.append([frame, value])
    pairs.sort(key=lambda p: p[0])
    return {"interp": interp or (spec or {}).get("interp", "linear"), "keys": pairs}
