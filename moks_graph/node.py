"""Node specs: how a node type declares its ports, parameters and computation.

Entry points: :class:`Node`, :class:`NodeParams`, :func:`Param`, :func:`node`.

Details (moved from this docstring, issue 15): docs/writing-nodes.md#moks_graphnodepy
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, create_model

from moks_graph import rng
from moks_graph.timebase import TimeArray
from moks_graph.types import PortType

#: Context variables a node may declare in ``reads``.
CONTEXT_VARS = ("frame", "fps", "seed")

_TYPE_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_PORT = re.compile(r"^[a-z][a-z0-9_]*$")


#: The units a parameter may declare with ``Param(unit=...)``, each with what it means.
#: Descriptions never carry a unit (no trailing ``[m]``): the editor and ``moks nodes``
#: read this one field. ``docs/writing-nodes.md`` lists the same set.
PARAM_UNITS: dict[str, str] = {
    "m": "metres",
    "mm": "millimetres (lens focal length, sensor and film back)",
    "1/m": "per metre (extinction)",
    "deg": "degrees (every user-facing angle)",
    "s": "seconds",
    "frame": "frames at the graph's fps",
    "Hz": "cycles per second",
    "m/s": "metres per second",
    "m/s^2": "metres per second squared",
    "m/s^3": "metres per second cubed (jerk)",
    "K": "kelvin (correlated colour temperature)",
    "Duv": "distance from the Planckian locus",
    "cd": "candela (luminous intensity)",
    "EV": "exposure value, stops",
    "f-number": "aperture as N = focal length / pupil diameter",
    "px": "pixels",
    "x": "multiplier",
    "ratio": "dimensionless ratio",
    "0-1": "fraction from 0 to 1",
    "linear RGB": "scene-linear RGB triple",
    "s, m": "keys of (time [s], x, y, z [m])",
}


class NodeParams(BaseModel):
    """Base for parameter models: unknown fields refused, instances immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def Param(
    default: Any,
    *,
    description: str = "",
    unit: str | None = None,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    lt: float | None = None,
    widget: str | None = None,
) -> Any:
    """A parameter field: default, range, unit and help text in one place.

    ``unit`` is the one way a parameter declares its unit, one of :data:`PARAM_UNITS`: it goes
    to the JSON schema as ``"unit"`` (read by the editor and ``moks nodes``), never into the
    description text.
    """
    extra: dict[str, Any] = {}
    if unit:
        extra["unit"] = unit
    if widget:
        extra["widget"] = widget
    return Field(default, description=description, ge=ge, le=le, gt=gt, lt=lt,
                 json_schema_extra=extra or None)


@dataclass(frozen=True)
class Input:
    """An input port: its type, whether it must be connected, a default when not."""

    type: PortType
    required: bool = True
    default: Any = None
    doc: str = ""


@dataclass(frozen=True)
class Output:
    """An output port."""

    type: PortType
    doc: str = ""


class UndeclaredContextError(RuntimeError):
    """A node used a context variable it did not declare in ``reads``."""


class NodeContext:
    """What a node may see of the evaluation: only the variables it declared."""

    __slots__ = ("_seed", "_time", "node_id", "reads")

    def __init__(self, node_id: str, reads: frozenset[str], time: TimeArray, seed: int) -> None:
        self.node_id = node_id
        self.reads = reads
        self._time = time
        self._seed = seed

    def _need(self, var: str) -> None:
        if var not in self.reads:
            raise UndeclaredContextError(
                f"node {self.node_id!r} uses context {var!r} but does not declare it in reads"
            )

    @property
    def time(self) -> TimeArray:
        """The time array (declare ``"frame"``)."""
        self._need("frame")
        return self._time

    @property
    def fps(self) -> float:
        """Frames per second (declare ``"fps"`` or ``"frame"``)."""
        if "frame" not in self.reads:
            self._need("fps")
        return self._time.fps

    @property
    def seed(self) -> int:
        """The graph seed (declare ``"seed"``)."""
        self._need("seed")
        return self._seed

    def key(self, stream: str) -> int:
        """A 64-bit counter-RNG key for ``stream`` of this node (declare ``"seed"``)."""
        return rng.stream_key(self.seed, self.node_id, stream)

    def rng(self, stream: str) -> np.random.Generator:
        """A counter-based Philox generator for ``stream`` of this node (declare ``"seed"``)."""
        return rng.generator(self.seed, self.node_id, stream)


class Node:
    """Base class of every node type. Subclasses set the class attributes and ``compute``."""

    type_id: ClassVar[str] = ""
    type_version: ClassVar[int] = 1
    category: ClassVar[str] = "General"
    inputs: ClassVar[Mapping[str, Input]] = {}
    outputs: ClassVar[Mapping[str, Output]] = {}
    Params: ClassVar[type[BaseModel]] = NodeParams
    reads: ClassVar[frozenset[str]] = frozenset()
    #: Names of params that are paths of files the node reads: the engine folds a
    #: fingerprint of each file's content into the node's cache key, so a rewritten file
    #: recomputes (locally and through a shared disk cache).
    file_params: ClassVar[tuple[str, ...]] = ()
    #: Float params that keys may drive (:mod:`moks_graph.keyframes`): ``compute`` then gets
    #: an array with one value per time sample there.
    keyable: ClassVar[tuple[str, ...]] = ()
    #: ``{v: f}``: pure function upgrading raw params from version ``v`` to ``v + 1``.
    migrations: ClassVar[Mapping[int, Callable[[dict[str, Any]], dict[str, Any]]]] = {}

    def compute(self, ctx: NodeContext, params: Any, **inputs: Any) -> Mapping[str, Any]:
        raise NotImplementedError

    @classmethod
    def doc(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "").strip()

    @classmethod
    def title(cls) -> str:
        return cls.doc().split("\n", 1)[0] or cls.type_id


def check_node_class(cls: type) -> list[str]:
    """Everything wrong with a node class declaration (empty when it is well formed)."""
    errors: list[str] = []
    if not (isinstance(cls, type) and issubclass(cls, Node)):
        return [f"{cls!r} is not a Node subclass"]
    if not _TYPE_ID.match(cls.type_id or ""):
        errors.append(f"type_id {cls.type_id!r} must be dotted lowercase like 'studio.gain'")
    if not isinstance(cls.type_version, int) or cls.type_version < 1:
        errors.append("type_version must be an int >= 1")
    if not (isinstance(cls.Params, type) and issubclass(cls.Params, BaseModel)):
        errors.append("Params must be a pydantic BaseModel subclass")
    if not cls.outputs:
        errors.append("a node needs at least one output")
    for kind, ports in (("input", cls.inputs), ("output", cls.outputs)):
        for name, port in ports.items():
            if not _PORT.match(name):
                errors.append(f"{kind} port name {name!r} must be lowercase snake_case")
            if not isinstance(getattr(port, "type", None), PortType):
                errors.append(f"{kind} port {name!r} has no PortType")
    bad = set(cls.reads) - set(CONTEXT_VARS)
    if bad:
        errors.append(f"reads {sorted(bad)} not in {CONTEXT_VARS}")
    if not callable(getattr(cls, "compute", None)) or cls.compute is Node.compute:
        errors.append("compute is not implemented")
    return errors


def node(
    type_id: str,
    *,
    outputs: Mapping[str, PortType | Output],
    inputs: Mapping[str, PortType | Input] | None = None,
    version: int = 1,
    category: str = "General",
    reads: tuple[str, ...] = (),
) -> Callable[[Callable[..., Any]], type[Node]]:
    """Make a node type from a plain function.

    Keyword-only arguments become parameters (their defaults may be
    :func:`Param`); names in ``inputs`` are input ports; an argument named
    ``ctx`` receives the :class:`NodeContext`. Return a dict of outputs, or a
    single value when there is one output::

        @node("studio.exposure_offset", inputs={"base": FLOAT}, outputs={"ev": FLOAT})
        def exposure_offset(base, *, stops: float = Param(1.0, ge=-10, le=10, unit="EV")):
            \"\"\"Adds a stop offset.\"\"\"
            return base + stops
    """
    in_ports = {k: v if isinstance(v, Input) else Input(v) for k, v in (inputs or {}).items()}
    out_ports = {k: v if isinstance(v, Output) else Output(v) for k, v in outputs.items()}

    def wrap(fn: Callable[..., Any]) -> type[Node]:
        sig = inspect.signature(fn)
        fields: dict[str, Any] = {}
        for p in sig.parameters.values():
            if p.kind is inspect.Parameter.KEYWORD_ONLY:
                annotation = p.annotation if p.annotation is not inspect.Parameter.empty else Any
                fields[p.name] = (annotation, p.default)
        missing = set(in_ports) - set(sig.parameters)
        if missing:
            raise TypeError(f"{fn.__name__}: inputs {sorted(missing)} are not arguments")
        params_model = create_model(  # type: ignore[call-overload]
            f"{fn.__name__}_Params", __base__=NodeParams, **fields
        )
        wants_ctx = "ctx" in sig.parameters
        single = next(iter(out_ports)) if len(out_ports) == 1 else None

        def compute(self: Node, ctx: NodeContext, params: Any, **values: Any) -> Mapping[str, Any]:
            kwargs = dict(values)
            kwargs.update({name: getattr(params, name) for name in fields})
            if wants_ctx:
                kwargs["ctx"] = ctx
            result = fn(**kwargs)
            if single is not None and not (isinstance(result, Mapping) and single in result):
                return {single: result}
            return result

        cls = type(
            fn.__name__,
            (Node,),
            {
                "__doc__": fn.__doc__,
                "__module__": fn.__module__,
                "type_id": type_id,
                "type_version": version,
                "category": category,
                "inputs": in_ports,
                "outputs": out_ports,
                "Params": params_model,
                "reads": frozenset(reads),
                "compute": compute,
            },
        )
        problems = check_node_class(cls)
        if problems:
            raise TypeError(f"node {type_id!r}: " + "; ".join(problems))
        return cls

    return wrap
