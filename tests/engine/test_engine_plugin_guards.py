"""The plugin guards' cheaper paths (issue 15): what they skip runs none of a plugin's code.

A plugin's static-key serializer runs under the plugin guard (time limit, stdout to stderr)
unless its ``Params`` serialize with pydantic-core's own code only
(:func:`moks_graph.validation.plain_serializer`); a node's compute is timed with
:func:`moks_graph.timelimit.arm` / ``disarm``, which restore what was there as
:func:`~moks_graph.timelimit.deadline` does.
"""

from __future__ import annotations

import enum
import hashlib
import signal
import threading
import time
from typing import Annotated, Any, Literal

import pytest
from pydantic import (
    BaseModel,
    Field,
    PlainSerializer,
    computed_field,
    field_serializer,
    field_validator,
    model_serializer,
)

import moks_graph as mg
from moks_graph import validation
from moks_graph.timelimit import ComputeTimeout, arm, deadline, disarm


def plugin_params(**fields: Any) -> type[BaseModel]:
    """A ``Params`` class as a plugin module would define it (not under ``moks_graph.``)."""
    namespace = {"__module__": "studio_nodes", "__annotations__": fields}
    return type("Params", (mg.NodeParams,), namespace)


class Shot(BaseModel):
    take: int = 1


class Mood(enum.Enum):
    DARK = "dark"


def test_plain_params_serialize_without_plugin_code():
    assert validation.plain_serializer(plugin_params(gain=float, name=str, on=bool))
    assert validation.plain_serializer(plugin_params(
        mode=Literal["a", "b"], take=int | None, curve=list[tuple[float, float]],
        tags=dict[str, float]))


@pytest.mark.parametrize("fields", [
    {"anything": Any}, {"shot": Shot}, {"mood": Mood}, {"shots": list[Shot]},
    {"value": Annotated[float, PlainSerializer(lambda v: v * 2)]},
    {"mood": Literal[Mood.DARK]},
    {"value": Annotated[float, Field(exclude_if=lambda v: v == 0)]},
], ids=["any", "nested-model", "enum", "list-of-models", "plain-serializer", "enum-literal",
        "exclude-if"])
def test_params_that_may_run_plugin_code_are_not_plain(fields):
    assert not validation.plain_serializer(plugin_params(**fields))


class WithFieldSerializer(mg.NodeParams):
    value: float = 1.0

    @field_serializer("value")
    def dump(self, v: float) -> float:
        return v


class WithModelSerializer(mg.NodeParams):
    value: float = 1.0

    @model_serializer
    def dump(self) -> dict[str, float]:
        return {"value": self.value}


class WithComputedField(mg.NodeParams):
    value: float = 1.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def double(self) -> float:
        return self.value * 2


class WithValidator(mg.NodeParams):
    value: float = 1.0

    @field_validator("value")
    @classmethod
    def check(cls, v: float) -> float:
        return v


@pytest.mark.parametrize("cls", [WithFieldSerializer, WithModelSerializer, WithComputedField,
                                 WithValidator])
def test_serializer_functions_are_not_plain(cls):
    """Any function in the schema keeps the guard (a validator too: conservative)."""
    assert not validation.plain_serializer(cls)


class Plain(mg.Node):
    """A plugin node with plain params."""

    type_id = "studio.plain"
    outputs = {"channels": mg.Output(mg.CHANNELS)}

    class Params(mg.NodeParams):
        value: float = mg.Param(1.0, ge=0, le=100)

    def compute(self, ctx: mg.NodeContext, params: Any) -> dict[str, Any]:
        return {"channels": mg.Channels(ctx.time, {"n.v": ctx.time.seconds * params.value},
                                        {"n": "null"})}


class Fancy(Plain):
    """A plugin node whose serializer is its own code."""

    type_id = "studio.fancy"

    class Params(WithFieldSerializer):
        pass


@pytest.fixture
def guard_calls(monkeypatch: pytest.MonkeyPatch) -> list[type]:
    calls: list[type] = []
    real = validation.plugin_guard

    def spy(cls: type) -> Any:
        calls.append(cls)
        return real(cls)

    monkeypatch.setattr(validation, "plugin_guard", spy)
    return calls


def _graph(*node_classes: type[mg.Node]) -> mg.Graph:
    reg = mg.Registry()
    for cls in node_classes:
        cls.__module__ = cls.Params.__module__ = "studio_nodes"
        reg.register(cls)
    graph = mg.Graph(registry=reg)
    for cls in node_classes:
        graph.add_node(cls.type_id, cls.__name__.lower(), {"value": 3.0})
    return graph


def test_the_static_key_guard_is_kept_for_a_plugin_serializer(guard_calls):
    graph = _graph(Plain, Fancy)
    guard_calls.clear()
    for node_id in ("plain", "fancy"):
        validated = graph.validated(node_id)
        record = graph.nodes[node_id]
        expected = hashlib.sha256(f"{record.type}\0{record.type_version}\0".encode()
                                  + validated.model_dump_json().encode()).digest()
        assert graph.static_key(node_id) == expected
    assert guard_calls == [Fancy.Params]  # the plain one skipped it: same key


def test_arm_and_disarm_restore_the_handler_and_an_outer_timer():
    def outer(signum: int, frame: Any) -> None:
        raise AssertionError("the outer timer fired inside")

    before = signal.signal(signal.SIGALRM, outer)
    try:
        signal.setitimer(signal.ITIMER_REAL, 50.0)
        armed = arm(5.0)
        assert signal.getsignal(signal.SIGALRM) is not outer
        assert 4.0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 5.0
        disarm(armed)
        assert signal.getsignal(signal.SIGALRM) is outer
        assert 45.0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 50.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


@pytest.mark.parametrize("where", ["main", "thread"])
def test_arm_stops_a_loop_and_deadline_is_the_same(where):
    found: list[str] = []

    def spin() -> None:
        for how in ("arm", "deadline"):
            t0 = time.monotonic()
            try:
                if how == "arm":
                    armed = arm(0.2)
                    try:
                        while time.monotonic() - t0 < 20:
                            pass
                    finally:
                        disarm(armed)
                else:
                    with deadline(0.2):
                        while time.monotonic() - t0 < 20:
                            pass
            except ComputeTimeout:
                found.append(how)

    if where == "main":
        spin()
    else:
        worker = threading.Thread(target=spin)
        worker.start()
        worker.join(60)
    assert found == ["arm", "deadline"]
