"""The rigs as classes (issue 15): one Rig per rig, one validator with a declared target check,
and the same keyframes as the module-level rig functions they replaced."""

from __future__ import annotations

import hashlib

import numpy as np
import pydantic
import pytest

from moks_graph.node import Param
from moks_graph.nodes.camera.camera_nodes import RIG_NODES
from moks_graph.nodes.camera.paths import LinePath
from moks_graph.nodes.camera.rig_parts import (
    Disturbed,
    LimitedMoveParams,
    MovingRig,
    Rig,
    TargetCheck,
    Vec3,
    position_noise,
)
from moks_graph.nodes.camera.rigs import RIGS
from moks_graph.timebase import time_array

#: sha256 (first 32 hex digits) of every channel of each rig, fixed target and a walking
#: subject (:func:`_bake`), computed with the module-level functions ``tripod_locked(time,
#: params, key, target)`` etc. before the rigs became classes (commit b517364).
BASELINE = {
    "tripod_locked": ("281913d267ac2211958903860d9cfac5", "9105ba246521bfbd1f5f3329c25327b4"),
    "moco": ("32e6601bc02451f3c2f200e999771a32", "6ea4feebd800f585061a5f3606f21884"),
    "technocrane": ("2a3a15e861e7ad971bf96c8b43f0811e", "b0a9e3ce4ac40fb350565722cfb10032"),
    "wirecam": ("15222e0e2dbedeb94139c3ca4a0386a7", "061b476af8b699ec660041688104787b"),
    "dolly": ("21afaad713f7bf5181f0066f7087e2f3", "8ea2ec20e462eb88a7baea68bd84a415"),
    "drone": ("819b263d4bdfc04cdc7a49c3b7b146cb", "fb76c693cffaef1e516de0ffdb8b553c"),
    "handheld": ("ff889e39a95b3ca557ff1165bb45ebb1", "7190859097cad00aac8944f6777e1d9b"),
}

#: Per rig: parameters whose lens path runs through the target, and the field the error names.
#: ``None`` as target: put it on the lens path halfway along the move.
ON_TARGET: dict[str, tuple[dict, str]] = {
    "tripod_locked": ({}, "position"),
    "moco": ({}, "end_position"),
    "technocrane": ({}, "target"),
    "wirecam": ({}, "target"),
    "dolly": ({}, "target"),
    "drone": ({"path": "reveal"}, "reveal_end"),
    "handheld": ({"walk_to": (2.0, -3.0, 1.55)}, "walk_to"),
}


def _digest(channels: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(channels):
        h.update(name.encode())
        h.update(np.ascontiguousarray(channels[name], dtype="<f8").tobytes())
    return h.hexdigest()[:32]


def _bake(rig: Rig) -> tuple[str, str]:
    t = time_array(0, 96, 24, 2)
    params = rig.Params(noise_scale=1.5)
    walk = np.asarray(params.target) + np.linspace(0.0, 1.0, len(t))[:, None] * [0.6, 0.2, 0.0]
    return _digest(rig.channels(t, params, 7)), _digest(rig.channels(t, params, 7, walk))


def test_every_registered_rig_is_a_rig_named_by_its_key() -> None:
    assert list(RIGS) == list(BASELINE)
    for name, rig in RIGS.items():
        assert isinstance(rig, Rig) and type(rig) is not Rig
        assert rig.name == name and RIG_NODES[name].type_id == f"moks.rig.{name}"
        assert issubclass(rig.Params, pydantic.BaseModel)
        assert rig.Params.model_validate({}) == rig.Params() == rig.params(None)
        assert isinstance(rig.Params.target_check, TargetCheck)
        assert "target_check" not in rig.Params.model_fields  # a declaration, not a parameter


@pytest.mark.parametrize("name", list(RIGS))
def test_channels_equal_the_rig_functions_they_replaced(name: str) -> None:
    assert _bake(RIGS[name]) == BASELINE[name]


@pytest.mark.parametrize("name", list(RIGS))
def test_every_rig_refuses_a_camera_on_its_target(name: str) -> None:
    rig = RIGS[name]
    extra, field = ON_TARGET[name]
    lens = rig.Params(**extra).lens_path().points(np.array([0.5]))[0]
    bad = {**extra, "target": tuple(float(v) for v in lens)}
    for model in (rig.Params, RIG_NODES[name].Params):  # the node's parameters check it too
        with pytest.raises(pydantic.ValidationError) as info:
            model(**bad)
        message = info.value.errors()[0]["msg"]
        assert message.startswith(f"Value error, {field}: the "), message
        assert "target" in message or "aim point" in message, message


class SliderParams(LimitedMoveParams):
    """A slider: the lens on a short straight rail (the docs/writing-nodes.md example)."""

    start: Vec3 = Param((-0.5, -3.0, 1.2), description="Lens at the start", unit="m")
    end: Vec3 = Param((0.5, -3.0, 1.2), description="Lens at the end", unit="m")

    target_check = TargetCheck("end")

    def move_path(self) -> LinePath:
        return LinePath(self.start, self.end)


class Slider(MovingRig[SliderParams]):
    name = "slider"
    Params = SliderParams

    def disturb(self, move, params, key):
        return Disturbed(move.positions + position_noise(move.t, 0.001 * params.noise_scale,
                                                         2.0, key, self.name))


def test_a_new_rig_gets_the_target_check_and_limits_by_declaring_them() -> None:
    with pytest.raises(pydantic.ValidationError, match="end: the lens would pass through the "
                                                      "target"):
        SliderParams(target=(0.0, -3.0, 1.2))
    with pytest.raises(pydantic.ValidationError, match="move_duration"):
        SliderParams(move_duration=0.01)
    ch = Slider().channels(time_array(0, 96, 24), SliderParams(noise_scale=0.0), 0)
    assert ch["tx"][0] == -0.5 and ch["tx"][-1] == pytest.approx(0.5)
    shaken = Slider().channels(time_array(0, 96, 24), SliderParams(), 0)
    assert 0.0 < np.max(np.abs(shaken["tx"] - ch["tx"])) <= 0.001
