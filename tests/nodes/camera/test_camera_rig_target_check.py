"""One "passes through the target" check for every moving rig (rig_parts.check_clears_target)."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pydantic
import pytest

import moks_graph.nodes.camera as camera
from moks_graph.nodes.camera.paths import LinePath, OrbitPath
from moks_graph.nodes.camera.rig_parts import (
    TARGET_CLEARANCE,
    check_clears_target,
    nearest_approach,
)
from moks_graph.nodes.camera.rigs import (
    DollyParams,
    DroneParams,
    HandheldParams,
    TechnocraneParams,
    WirecamParams,
)

MID = np.array([0.5])


def _on_path(points: object, **params: object) -> dict:
    """Params whose target sits halfway along the rig's lens path."""
    point = np.asarray(points)[0]
    return {**params, "target": tuple(float(v) for v in point)}


def _cases() -> list[tuple[type[pydantic.BaseModel], dict, str]]:
    wire = WirecamParams()
    lens = wire.move_path().points(MID) - np.array([0.0, 0.0, wire.hang_length])
    return [
        (DollyParams, _on_path(DollyParams().move_path().points(MID)),
         "target: the lens would pass through the target"),
        (HandheldParams, {"position": (0.0, -3.0, 1.55), "walk_to": (0.0, 3.0, 1.55),
                          "target": (0.0, 0.0, 1.55)},
         "walk_to: the camera would pass through the target"),
        (DroneParams, _on_path(DroneParams(path="reveal").move_path().points(MID),
                               path="reveal"),
         "reveal_end: the drone would fly through the target"),
        (TechnocraneParams, _on_path(TechnocraneParams().move_path().points(MID)),
         "target: the lens would pass through the target"),
        (WirecamParams, _on_path(lens),
         "target: the camera would pass through the target"),
    ]


@pytest.mark.parametrize(("model", "params", "message"), _cases(),
                         ids=lambda v: getattr(v, "__name__", None))
def test_every_moving_rig_refuses_a_path_through_its_target(model, params, message) -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        model(**params)
    assert message in str(info.value)
    model()  # the defaults clear their target


def test_nearest_approach_is_exact_on_a_line_and_sampled_elsewhere() -> None:
    line = LinePath((0.0, 0.0, 0.0), (2.0, 0.0, 0.0))
    assert nearest_approach(line, (1.0, 0.5, 0.0)) == pytest.approx(0.5)
    assert nearest_approach(line, (3.0, 0.0, 0.0)) == pytest.approx(1.0)  # past the end
    # a point between two samples of a coarse sampling is still found on a line
    assert nearest_approach(line, (1.0 + 1 / 3, 0.0, 0.0), samples=2) == pytest.approx(0.0)
    orbit = OrbitPath((0.0, 0.0, 0.0), 2.0, 2.0, 0.0, 360.0, 0.0, 0.0)
    assert nearest_approach(orbit, (0.0, 0.0, 0.0)) == pytest.approx(2.0)
    with pytest.raises(ValueError, match=r"^centre: the lens would pass through the target$"):
        check_clears_target(orbit, (2.0, 0.0, TARGET_CLEARANCE / 2), "centre")
    check_clears_target(orbit, (2.0, 0.0, 2 * TARGET_CLEARANCE), "centre")


def test_no_rig_writes_its_own_target_check_or_validator() -> None:
    """The message, the checks' calls and the one model validator are written once, in
    rig_parts; a rig only declares its TargetCheck."""
    folder = Path(camera.__file__).parent
    found: dict[str, set[str]] = {}
    for file in folder.glob("rig_*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and any(
                    isinstance(c, ast.Constant) and "through" in str(c.value)
                    for c in ast.walk(node)):
                found.setdefault("message", set()).add(file.name)
            if isinstance(node, ast.Name) and node.id in {
                    "check_clears_target", "check_not_target", "model_validator"}:
                found.setdefault(node.id, set()).add(file.name)
    assert found == {key: {"rig_parts.py"} for key in
                     ("message", "check_clears_target", "check_not_target", "model_validator")}
