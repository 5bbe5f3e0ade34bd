"""The properties panel: rows from the pydantic schema, edits as undoable engine commands."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from moks_graph.editor.properties import (
    BoolEditor,
    ColorEditor,
    EnumEditor,
    KelvinEditor,
    NumberEditor,
    OptionalEditor,
    VectorEditor,
    kelvin_color,
    linear_from_display,
    make_editor,
    param_specs,
    spec_from_schema,
)
from moks_graph.editor.qtcompat import QtCore, QtGui
from moks_graph.node import Param
from moks_graph.registry import default_registry


class Mode(StrEnum):
    FAST = "fast"
    SLOW = "slow"


class Sample(BaseModel):
    gain: float = Param(1.0, ge=0.0, le=10.0, description="multiplier", unit="x")
    freq: float = Param(2.0, ge=0.1, le=1e4, unit="Hz")
    count: int = Field(3, ge=1, le=64)
    op: Literal["add", "max"] = "add"
    mode: Mode = Mode.FAST
    on: bool = True
    target: tuple[float, float, float] = Param((0.0, 0.0, 1.6), description="aim point", unit="m")
    key_color: tuple[float, float, float] = (1.0, 0.5, 0.25)
    cct_K: float = Param(5600.0, ge=1000.0, le=20000.0, description="temperature", unit="K")
    focus: float | None = Param(None, gt=0.0, le=100.0, description="focus", unit="m")
    legacy: float = Field(1.0, description="old spelling [m]")
    tags: dict[str, int] = Field(default_factory=dict)


def specs() -> dict:
    schema = Sample.model_json_schema()
    return {n: spec_from_schema(n, raw, schema) for n, raw in schema["properties"].items()}


def test_specs_from_schema():
    s = specs()
    assert (s["gain"].kind, s["gain"].minimum, s["gain"].maximum, s["gain"].unit) == (
        "float", 0.0, 10.0, "x")
    assert s["gain"].description == "multiplier"
    assert s["freq"].unit == "Hz" and s["freq"].logarithmic and not s["gain"].logarithmic
    assert s["count"].kind == "int"
    assert s["op"].kind == "enum" and s["op"].choices == ("add", "max")
    assert s["mode"].kind == "enum" and s["mode"].choices == ("fast", "slow")
    assert s["on"].kind == "bool"
    assert (s["target"].kind, s["target"].size, s["target"].unit) == ("vector", 3, "m")
    assert s["key_color"].kind == "color"
    assert s["cct_K"].kind == "kelvin"
    assert s["focus"].optional and s["focus"].kind == "float" and s["focus"].unit == "m"
    assert s["focus"].exclusive_minimum and s["focus"].minimum == 0.0
    assert s["tags"].kind == "json"
    # one way only: a bracket in the text is text, not a unit
    assert (s["legacy"].unit, s["legacy"].description) == ("", "old spelling [m]")


def test_editor_classes(qapp):
    s = specs()
    kinds = {n: type(make_editor(spec, lambda v, m: None)) for n, spec in s.items()}
    assert kinds["gain"] is NumberEditor and kinds["on"] is BoolEditor
    assert kinds["op"] is EnumEditor and kinds["target"] is VectorEditor
    assert kinds["key_color"] is ColorEditor and kinds["cct_K"] is KelvinEditor
    assert kinds["focus"] is OptionalEditor


def test_log_slider_maps_ends_and_middle(qapp):
    sent = []
    editor = make_editor(specs()["freq"], lambda v, m: sent.append(v))
    assert editor.slider is not None
    assert editor._from_slider(0) == pytest.approx(0.1)
    assert editor._from_slider(1000) == pytest.approx(1e4, rel=1e-6)
    mid = editor._from_slider(500)  # geometric mean of the range
    assert mid == pytest.approx((0.1 * 1e4) ** 0.5, rel=1e-3)


def test_kelvin_swatch_is_warm_to_cool(qapp):
    warm, cool = kelvin_color(2000.0), kelvin_color(12000.0)
    assert warm.red() > warm.blue() + 80
    assert cool.blue() > cool.red()


def test_colour_round_trip_linear(qapp):
    c = QtGui.QColor.fromRgbF(1.0, 0.5, 0.0)
    lin = linear_from_display(c)
    assert lin[0] == 1.0 and lin[2] == 0.0
    assert lin[1] == pytest.approx(0.2140, abs=2e-3)  # sRGB 0.5 -> linear 0.214 (IEC 61966-2-1)


def test_oscillator_rows(qapp):
    cls = default_registry().get("moks.channels.oscillator")
    rows = {s.name: s for s in param_specs(cls)}
    assert rows["frequency_hz"].unit == "Hz" and rows["frequency_hz"].maximum == 1000.0
    assert rows["phase_deg"].unit == "deg" and rows["phase_deg"].minimum == -360.0
    assert rows["object"].kind == "string"


def test_panel_shows_a_node_units_from_param(qapp):
    """A real rig's Param(unit=...) is the spin box suffix and the tooltip; the text has none."""
    cls = default_registry().get("moks.rig.dolly")
    rows = {s.name: s for s in param_specs(cls)}
    length = rows["track_length"]
    assert (length.unit, length.description) == ("m", "Length of track laid")
    editor = make_editor(length, lambda v, m: None)
    assert editor.spin.suffix() == " m"
    heading = make_editor(rows["track_heading"], lambda v, m: None)
    assert heading.spin.suffix() == " deg"


def test_panel_edits_are_undoable_and_merge_slider_drags(editor, demo_path):
    editor.open_file(demo_path)
    editor.canvas.select(["sway"])
    panel = editor.properties
    assert panel.node_id == "sway"
    amp = panel.editors["amplitude"]
    amp.spin.setValue(0.75)
    assert editor.doc.graph.nodes["sway"].params["amplitude"] == 0.75
    assert panel.labels["amplitude"].font().bold()
    count = editor.doc.undo_stack.count()
    phase = panel.editors["phase_deg"]
    phase.slider.setSliderDown(True)
    for i in (600, 700, 800):
        phase.slider.setValue(i)
    phase.slider.setSliderDown(False)
    assert editor.doc.undo_stack.count() == count + 1  # one merged step
    assert editor.doc.graph.nodes["sway"].params["phase_deg"] == pytest.approx(216.0)
    editor.undo_action.trigger()
    assert "phase_deg" not in editor.doc.graph.nodes["sway"].params
    assert phase.spin.value() == 0.0  # the panel follows undo
    editor.undo_action.trigger()
    assert editor.doc.graph.nodes["sway"].params["amplitude"] == 0.25
    assert amp.spin.value() == 0.25


def test_settings_form_and_refused_value_reverts(editor, demo_path):
    editor.open_file(demo_path)
    editor.canvas.select([])
    panel = editor.properties
    assert panel.node_id is None and "frame_end" in panel.editors
    messages = []
    editor.canvas.message.connect(messages.append)
    editor.doc.refused.connect(lambda text, _p: messages.append(text))
    panel.editors["frame_end"].spin.setValue(-5)  # before frame_start: refused by the engine
    assert editor.doc.graph.settings.frame_end == 48
    assert panel.editors["frame_end"].spin.value() == 48
    assert messages and "frame_end" in messages[-1]
    panel.editors["frame_end"].spin.setValue(96)
    assert editor.doc.graph.settings.frame_end == 96
    seed = panel.editors["seed"]
    seed.edit.setText("12345678901")
    seed.edit.editingFinished.emit()
    assert editor.doc.graph.settings.seed == 12345678901


def test_enum_bool_optional_vector_editors_commit(qapp):
    s = specs()
    got: dict[str, object] = {}

    def sink(name):
        return lambda v, merge: got.__setitem__(name, v)

    op = make_editor(s["op"], sink("op"))
    op.set_value("add")
    op.combo.activated.emit(1)
    on = make_editor(s["on"], sink("on"))
    on.set_value(True)
    on.box.setChecked(False)
    vec = make_editor(s["target"], sink("target"))
    vec.set_value([0, 0, 1.6])
    vec.boxes[0].setValue(2.5)
    focus = make_editor(s["focus"], sink("focus"))
    focus.set_value(None)
    assert not focus.inner.isEnabled()
    focus.box.setChecked(True)
    assert got == {"op": "max", "on": False, "target": [2.5, 0.0, 1.6], "focus": 0.001}
    focus.set_value(4.0)
    focus.box.setChecked(False)
    assert got["focus"] is None
    assert QtCore.Qt.CheckState  # (Qt enums reachable through the compat module)
