"""The properties panel, generated from each node's pydantic ``Params`` JSON schema.

Entry points: :func:`param_specs`, :func:`spec_from_schema`, :class:`ParamSpec`.

Details (moved from this docstring, issue 15): docs/editor.md#editorpropertiespy
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moks_graph.editor.edit_ops import SetKeysOp
from moks_graph.editor.model import EditorDocument
from moks_graph.editor.qtcompat import QtCore, QtGui, QtWidgets
from moks_graph.node import Node

SLIDER_STEPS = 1000
#: Width of the parameter names column (longer names are elided; the tooltip has them).
LABEL_WIDTH = 128
#: A finite range wider than this ratio (min > 0) gets a logarithmic slider.
LOG_RATIO = 100.0


@dataclass(frozen=True)
class ParamSpec:
    """One parameter as the panel shows it."""

    name: str
    label: str
    kind: str  # float int bool enum string vector color kelvin json
    default: Any
    description: str = ""
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    choices: tuple[Any, ...] = ()
    size: int = 0
    optional: bool = False

    @property
    def bounded(self) -> bool:
        return self.minimum is not None and self.maximum is not None

    @property
    def logarithmic(self) -> bool:
        return (self.bounded and self.minimum is not None and self.maximum is not None
                and self.minimum > 0 and self.maximum / self.minimum > LOG_RATIO)


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return {**schema.get("$defs", {}).get(ref.rsplit("/", 1)[1], {}),
                **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _number_kind(node: dict[str, Any]) -> str | None:
    return {"number": "float", "integer": "int"}.get(node.get("type", ""))


#: Parameters of one light kind only, hidden while a node's ``kind`` is another (the spot
#: cone on an area light means nothing). A field's schema extra ``applies`` (e.g.
#: ``{"kind": ["light.spot"]}``) declares the same for any node.
KIND_ONLY: dict[str, tuple[str, ...]] = {"spot_angle_deg": ("light.spot",),
                                         "spot_blend": ("light.spot",),
                                         "size_m": ("light.area",)}


def applicability(cls: type[Node]) -> dict[str, dict[str, tuple[Any, ...]]]:
    """``{param: {other_param: allowed values}}``: when each parameter applies."""
    props = cls.Params.model_json_schema().get("properties", {})
    rules = {name: {k: tuple(v) for k, v in raw["applies"].items()}
             for name, raw in props.items() if isinstance(raw.get("applies"), dict)}
    if "kind" in props:
        rules.update({name: {"kind": kinds} for name, kinds in KIND_ONLY.items()
                      if name in props and name not in rules})
    return rules


def param_specs(cls: type[Node]) -> list[ParamSpec]:
    """The panel rows of a node class, in field order."""
    schema = cls.Params.model_json_schema()
    out = []
    for name, raw in schema.get("properties", {}).items():
        out.append(spec_from_schema(name, raw, schema))
    return out


def spec_from_schema(name: str, field: dict[str, Any], schema: dict[str, Any]) -> ParamSpec:
    """One :class:`ParamSpec` from a property of a pydantic JSON schema."""
    field = _resolve(schema, field)
    node = field
    optional = False
    variants = [_resolve(schema, v) for v in field.get("anyOf", [])]
    if variants:
        non_null = [v for v in variants if v.get("type") != "null"]
        optional = len(non_null) < len(variants)
        node = {**non_null[0], **{k: v for k, v in field.items() if k != "anyOf"}} if len(
            non_null) == 1 else field
    description = str(field.get("description") or "")
    unit = str(node.get("unit") or "")
    widget = str(node.get("widget") or "")
    label = name.replace("_", " ")
    base: dict[str, Any] = {"name": name, "label": label, "default": field.get("default"),
                            "description": description, "optional": optional}
    if "enum" in node or "const" in node:
        choices = tuple(node.get("enum", [node.get("const")]))
        return ParamSpec(kind="enum", choices=choices, **base)
    kind = _number_kind(node)
    if kind is not None:
        lo, hi = node.get("minimum"), node.get("maximum")
        xlo, xhi = node.get("exclusiveMinimum"), node.get("exclusiveMaximum")
        if widget == "kelvin" or unit == "K":
            kind = "kelvin"
        return ParamSpec(kind=kind, unit=unit, minimum=lo if lo is not None else xlo,
                         maximum=hi if hi is not None else xhi,
                         exclusive_minimum=lo is None and xlo is not None,
                         exclusive_maximum=hi is None and xhi is not None, **base)
    if node.get("type") == "boolean":
        return ParamSpec(kind="bool", **base)
    if node.get("type") == "array":
        items = node.get("prefixItems") or []
        size = int(node.get("minItems", 0)) if node.get("minItems") == node.get("maxItems") else 0
        numeric = (items and all(_number_kind(_resolve(schema, i)) for i in items)) or (
            _number_kind(_resolve(schema, node.get("items", {}))) is not None and size)
        if numeric and size:
            is_color = widget == "color" or (size == 3 and re.search(r"colou?r|rgb", name, re.I))
            return ParamSpec(kind="color" if is_color else "vector", unit=unit, size=size, **base)
    if node.get("type") == "string":
        return ParamSpec(kind="color" if widget == "color" else "string", **base)
    return ParamSpec(kind="json", **base)


def shown_unit(unit: str) -> bool:
    """Units worth a spin-box suffix (all but the bare multiplier ``x``)."""
    return bool(unit) and unit != "x"


# -- colour helpers -------------------------------------------------------------------
def display_rgb(linear: tuple[float, float, float] | list[float]) -> QtGui.QColor:
    """A linear RGB triple as an 8-bit sRGB-encoded QColor (clipped, for swatches)."""
    try:
        from moks_graph.nodes.imaging.colorimetry import srgb_encode
    except ImportError:  # the node library is optional for the editor
        def srgb_encode(x: Any) -> Any:
            return [max(0.0, min(1.0, float(v))) ** (1 / 2.2) for v in x]
    enc = [max(0.0, min(1.0, float(v))) for v in srgb_encode(list(linear))]
    return QtGui.QColor.fromRgbF(*enc)


def _cct_range() -> tuple[float, float]:
    """The project's colour-temperature range (1000-20000 K without the node library)."""
    try:
        from moks_graph.nodes.imaging.colorimetry import CCT_RANGE_K
    except ImportError:  # the node library is optional for the editor
        return 1000.0, 20000.0
    return CCT_RANGE_K


def kelvin_color(kelvin: float) -> QtGui.QColor:
    """The display colour of a blackbody-like light at ``kelvin`` (brightest channel = 1)."""
    try:
        from moks_graph.nodes.lights.photometry import cct_to_rgb

        rgb = [float(v) for v in cct_to_rgb(float(kelvin))]
    except Exception:
        return QtGui.QColor(200, 200, 200)
    peak = max(rgb) or 1.0
    return display_rgb([v / peak for v in rgb])


def linear_from_display(color: QtGui.QColor) -> list[float]:
    """An sRGB-encoded QColor back to linear RGB (IEC 61966-2-1 EOTF), rounded to 1e-4."""
    def decode(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    return [round(decode(c), 4) for c in (color.redF(), color.greenF(), color.blueF())]


# -- editors --------------------------------------------------------------------------
Commit = Callable[[Any, bool], None]  # (value, merge)


class _Editor(QtWidgets.QWidget):
    """A value editor: ``set_value`` from the document, ``commit(value, merge)`` to it."""

    def __init__(self, spec: ParamSpec, commit: Commit) -> None:
        super().__init__()
        self.spec, self.commit = spec, commit
        self.layout_ = QtWidgets.QHBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setSpacing(4)

    def set_value(self, value: Any) -> None:
        raise NotImplementedError


class NumberBox(QtWidgets.QDoubleSpinBox):
    """A double spin box that shows only the digits a value needs (0.002, 1.6, 400)."""

    def textFromValue(self, value: float) -> str:
        text = f"{value:.{self.decimals()}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text in ("", "-0") else text


class NumberEditor(_Editor):
    """Spin box (with unit) and, for a finite range, a slider (linear or log)."""

    def __init__(self, spec: ParamSpec, commit: Commit) -> None:
        super().__init__(spec, commit)
        is_int = spec.kind == "int"
        lo = spec.minimum if spec.minimum is not None else -1e9
        hi = spec.maximum if spec.maximum is not None else 1e9
        self.decimals = 0 if is_int else self._decimals(lo, hi)
        step = 10.0 ** -self.decimals
        if spec.exclusive_minimum:
            lo += step
        if spec.exclusive_maximum:
            hi -= step
        self.lo, self.hi = lo, hi
        self.spin: QtWidgets.QAbstractSpinBox
        if is_int:
            self.spin = QtWidgets.QSpinBox()
            self.spin.setRange(int(max(lo, -2**31 + 1)), int(min(hi, 2**31 - 1)))
        else:
            self.spin = NumberBox()
            self.spin.setDecimals(self.decimals)
            self.spin.setRange(lo, hi)
            self.spin.setSingleStep(self._step(lo, hi))
        if shown_unit(spec.unit):
            self.spin.setSuffix(f" {spec.unit}")
        self.spin.setKeyboardTracking(False)
        self.spin.setMinimumWidth(76)
        self.spin.setMaximumWidth(120)
        self.spin.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight)
        self.slider: QtWidgets.QSlider | None = None
        if (spec.bounded and (hi - lo) <= 1e5) or spec.logarithmic:
            self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
            self.slider.setRange(0, SLIDER_STEPS)
            self.layout_.addWidget(self.slider, 1)
            self.slider.valueChanged.connect(self._slid)
            self.slider.sliderReleased.connect(self._released)
        if self.slider is None:
            self.layout_.addStretch(1)
        self.layout_.addWidget(self.spin)
        self.spin.valueChanged.connect(self._typed)
        self._value: float = 0.0

    @staticmethod
    def _decimals(lo: float, hi: float) -> int:
        """Six decimals: enough for every unit the nodes use, shown without trailing zeros."""
        return 6

    @staticmethod
    def _step(lo: float, hi: float) -> float:
        span = hi - lo
        return 10.0 ** math.floor(math.log10(span / 100.0)) if 0 < span < 1e6 else 1.0

    def _to_slider(self, v: float) -> int:
        if self.spec.logarithmic:
            t = math.log(max(v, self.lo) / self.lo) / math.log(self.hi / self.lo)
        else:
            t = (v - self.lo) / (self.hi - self.lo) if self.hi > self.lo else 0.0
        return round(max(0.0, min(1.0, t)) * SLIDER_STEPS)

    def _from_slider(self, i: int) -> float:
        t = i / SLIDER_STEPS
        if self.spec.logarithmic:
            v = self.lo * (self.hi / self.lo) ** t
        else:
            v = self.lo + t * (self.hi - self.lo)
        return self._round(v)

    def _round(self, v: float) -> Any:
        return round(v) if self.spec.kind == "int" else round(v, self.decimals)

    def set_value(self, value: Any) -> None:
        if value is None:
            return
        self._value = float(value)
        with QtCore.QSignalBlocker(self.spin):
            self.spin.setValue(self._round(float(value)))  # type: ignore[attr-defined]
        if self.slider is not None and not self.slider.isSliderDown():
            with QtCore.QSignalBlocker(self.slider):
                self.slider.setValue(self._to_slider(float(value)))

    def value(self) -> Any:
        return self._round(self.spin.value())  # type: ignore[attr-defined]

    def _typed(self, v: float) -> None:
        if self.slider is not None:
            with QtCore.QSignalBlocker(self.slider):
                self.slider.setValue(self._to_slider(v))
        self.commit(self._round(v), False)

    def _slid(self, i: int) -> None:
        v = self._from_slider(i)
        with QtCore.QSignalBlocker(self.spin):
            self.spin.setValue(v)  # type: ignore[attr-defined]
        self.commit(v, bool(self.slider and self.slider.isSliderDown()))

    def _released(self) -> None:
        return  # the last drag value was committed (merged) already


class KelvinEditor(NumberEditor):
    """A colour temperature: the number editor plus a blackbody swatch."""

    def __init__(self, spec: ParamSpec, commit: Commit) -> None:
        if spec.minimum is None or spec.maximum is None:
            lo, hi = _cct_range()
            spec = ParamSpec(**{**spec.__dict__, "minimum": spec.minimum or lo,
                                "maximum": spec.maximum or hi})
        super().__init__(spec, commit)
        self.swatch = QtWidgets.QLabel()
        self.swatch.setFixedSize(22, 18)
        self.layout_.insertWidget(0, self.swatch)

    def set_value(self, value: Any) -> None:
        super().set_value(value)
        if value is not None:
            c = kelvin_color(float(value))
            self.swatch.setStyleSheet(f"background: {c.name()}; border: 1px solid #111; "
                                      "border-radius: 3px;")
            self.swatch.setToolTip(f"{float(value):.0f} K")


class BoolEditor(_Editor):
    def __init__(self, spec: ParamSpec, commit: Commit) -> None:
        super().__init__(spec, commit)
        self.box = QtWidgets.QCheckBox()
        self.layout_.addWidget(self.box)
        self.layout_.addStretch(1)
        self.box.toggled.connect(lambda on: self.commit(bool(on), False))

    def set_value(self, value: Any) -> None:
        with QtCore.QSignalBlocker(self.box):
            self.box.setChecked(bool(value))


class EnumEditor(_Editor):
    def __init__(self, spec: ParamSpec, commit: Commit) -> None:
        super().__init__(spec, commit)
        self.combo = QtWidgets.QComboBox()
        for choice in spec.choices:
            self.combo.addItem(str(choice), choice)
        self.layout_.addWidget(self.combo, 1)
        self.combo.activated.connect(lambda i: self.commit(self.combo.itemData(i), False))

    def set_value(self, value: Any) -> None:
        with QtCore.QSignalBlocker(self.combo):
            index = self.combo.findData(value)
            self.combo.setCurrentIndex(index)


class TextEditor(_Editor):
    """Strings; and, with ``as_json``, any other value as JSON text."""

    def __init__(self, spec: ParamSpec, commit: Commit, as_json: bool = False) -> None:
        super().__init__(spec, commit)
        self.as_json = as_json
        self.edit = QtWidgets.QLineEdit()
        self.layout_.addWidget(self.edit, 1)
        self.edit.editingFinished.connect(self._finished)
        self._shown = ""

    def set_value(self, value: Any) -> None:
        self._shown = json.dumps(value) if self.as_json else str(value if value is not None else "")
        with QtCore.QSignalBlocker(self.edit):
            self.edit.setText(self._shown)

    def _finished(self) -> None:
        text = self.edit.text()
        if text == self._shown:
            return
        if self.as_json:
            try:
                value = json.loads(text)
            except ValueError:
                self.edit.setText(self._shown)
                return
        else:
            value = text
        self.commit(value, False)


class IntTextEditor(TextEditor):
    """Integers beyond a spin box's 32-bit range (seeds): typed digits."""

    def __init__(self, spec: ParamSpec, commit: Commit) -> None:
        super().__init__(spec, commit)
        self.edit.setValidator(QtGui.QRegularExpressionValidator(
            QtCore.QRegularExpression(r"-?\d{1,19}")))

    def _finished(self) -> None:
        text = self.edit.text()
        if text != self._shown and text.lstrip("-").isdigit():
            self.commit(int(text), False)


class VectorEditor(_Editor):
    """A fixed-length number array (x y z ...)."""

    def __init__(self, spec: ParamSpec, commit: Commit) -> None:
        super().__init__(spec, commit)
        self.boxes = []
        for i in range(spec.size):
            box = NumberBox()
            box.setDecimals(4)
            box.setRange(-1e6, 1e6)
            box.setSingleStep(0.1)
            box.setKeyboardTracking(False)
            box.setPrefix("xyzw"[i] + " " if i < 4 else "")
            box.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight)
            box.setMinimumWidth(60)
            box.valueChanged.connect(self._changed)
            self.layout_.addWidget(box, 1)
            self.boxes.append(box)
        if spec.unit:
            self.layout_.addWidget(QtWidgets.QLabel(spec.unit))

    def set_value(self, value: Any) -> None:
        for box, v in zip(self.boxes, list(value or []), strict=False):
            with QtCore.QSignalBlocker(box):
                box.setValue(float(v))

    def _changed(self, _v: float) -> None:
        self.commit([round(b.value(), 4) for b in self.boxes], False)


class ColorEditor(_Editor):
    """A colour swatch; linear RGB arrays (or ``#rrggbb`` strings) edited with a dialog."""

    def __init__(self, spec: ParamSpec, commit: Commit) -> None:
        super().__init__(spec, commit)
        self.button = QtWidgets.QPushButton()
        self.button.setFixedHeight(22)
        self.button.clicked.connect(self._pick)
        self.label = QtWidgets.QLabel()
        self.label.setObjectName("dim")
        self.layout_.addWidget(self.button, 1)
        self.layout_.addWidget(self.label)
        self._value: Any = None

    def _color(self) -> QtGui.QColor:
        if isinstance(self._value, str):
            return QtGui.QColor(self._value)
        return display_rgb(list(self._value or [0, 0, 0])[:3])

    def set_value(self, value: Any) -> None:
        self._value = value
        c = self._color()
        self.button.setStyleSheet(f"background: {c.name()}; border: 1px solid #111; "
                                  "border-radius: 3px;")
        self.label.setText(value if isinstance(value, str) else
                           " ".join(f"{float(v):.3g}" for v in (value or [])))

    def _pick(self) -> None:
        c = QtWidgets.QColorDialog.getColor(self._color(), self, self.spec.label)
        if c.isValid():
            self.choose(c)

    def choose(self, color: QtGui.QColor) -> None:
        """Commit a colour picked in display (sRGB) space."""
        if isinstance(self._value, str) or (self.spec.kind == "color" and self.spec.size == 0):
            self.commit(color.name(), False)
        else:
            value = linear_from_display(color)
            extra = list(self._value or [])[3:] if self._value is not None else []
            self.commit(value + extra, False)


class OptionalEditor(_Editor):
    """``X | None``: a check box (set / unset) in front of the value editor."""

    def __init__(self, spec: ParamSpec, commit: Commit, inner: _Editor) -> None:
        super().__init__(spec, commit)
        self.inner = inner
        self.box = QtWidgets.QCheckBox()
        self.box.setToolTip("set a value (unchecked: none / automatic)")
        self.layout_.addWidget(self.box)
        self.layout_.addWidget(inner, 1)
        self.box.toggled.connect(self._toggled)

    def set_value(self, value: Any) -> None:
        with QtCore.QSignalBlocker(self.box):
            self.box.setChecked(value is not None)
        self.inner.setEnabled(value is not None)
        spin = getattr(self.inner, "spin", None)
        if spin is not None:  # "auto" shown while unset (the spin box rests at its minimum)
            spin.setSpecialValueText("" if value is not None else "auto")
            if value is None:
                with QtCore.QSignalBlocker(spin):
                    spin.setValue(spin.minimum())
        if value is not None:
            self.inner.set_value(value)

    def _toggled(self, on: bool) -> None:
        if not on:
            self.commit(None, False)
            return
        lo = self.spec.minimum if self.spec.minimum is not None else 0.0
        guess = self.spec.default if self.spec.default is not None else (
            lo + (1e-3 if self.spec.exclusive_minimum else 0.0))
        self.commit(guess, False)


def make_editor(spec: ParamSpec, commit: Commit) -> _Editor:
    """The editor widget for a :class:`ParamSpec`."""
    big = spec.kind == "int" and not (spec.bounded and (spec.minimum or 0) > -2**31
                                      and (spec.maximum or 0) < 2**31)
    factories: dict[str, Callable[[], _Editor]] = {
        "float": lambda: NumberEditor(spec, commit),
        "int": lambda: IntTextEditor(spec, commit) if big else NumberEditor(spec, commit),
        "kelvin": lambda: KelvinEditor(spec, commit),
        "bool": lambda: BoolEditor(spec, commit),
        "enum": lambda: EnumEditor(spec, commit),
        "string": lambda: TextEditor(spec, commit),
        "vector": lambda: VectorEditor(spec, commit),
        "color": lambda: ColorEditor(spec, commit),
    }
    editor = factories.get(spec.kind, lambda: TextEditor(spec, commit, as_json=True))()
    if spec.optional and spec.kind != "json":
        return OptionalEditor(spec, commit, editor)
    return editor


# -- the panel ------------------------------------------------------------------------
#: Before the name of a parameter driven by keys.
KEYED_MARK = "\u25c6"


class PropertiesPanel(QtWidgets.QScrollArea):
    """Parameters of the selected node (or the graph settings when none is selected)."""

    def __init__(self, doc: EditorDocument, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.node_id: str | None = None
        self.editors: dict[str, _Editor] = {}
        self.labels: dict[str, QtWidgets.QLabel] = {}
        #: when a parameter applies (see :func:`applicability`); others' rows are hidden
        self.rules: dict[str, dict[str, tuple[Any, ...]]] = {}
        self.form: QtWidgets.QFormLayout | None = None
        self.setWidgetResizable(True)
        self.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        doc.params_changed.connect(self._params_changed)
        doc.node_removed.connect(lambda n: self.show_node(None) if n == self.node_id else None)
        doc.reset.connect(lambda: self.show_node(None))
        doc.settings_changed.connect(lambda: self.node_id is None and self._refresh_values())
        doc.refused.connect(lambda *_: self._refresh_values())
        self.show_node(None)

    def show_node(self, node_id: str | None) -> None:
        """Build the form for a node (None: graph settings)."""
        if node_id is not None and node_id not in self.doc.graph.nodes:
            node_id = None
        self.node_id = node_id
        self.editors.clear()
        self.labels.clear()
        body = QtWidgets.QWidget()
        body.setObjectName("propertiesBody")
        outer = QtWidgets.QVBoxLayout(body)
        outer.setContentsMargins(10, 8, 10, 8)
        outer.setSpacing(6)
        form = QtWidgets.QFormLayout()
        form.setLabelAlignment(QtCore.Qt.AlignmentFlag.AlignRight)
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(6)
        self.form, self.rules = form, {}
        if node_id is None:
            self._settings_form(outer, form)
        else:
            self._node_form(outer, form, node_id)
        outer.addStretch(1)
        self.setWidget(body)
        self._refresh_values()

    def _header(self, outer: QtWidgets.QVBoxLayout, title: str, subtitle: str, doc: str) -> None:
        head = QtWidgets.QLabel(title)
        head.setObjectName("propertiesTitle")
        outer.addWidget(head)
        sub = QtWidgets.QLabel(subtitle)
        sub.setObjectName("dim")
        sub.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(sub)
        if doc:
            text = QtWidgets.QLabel(doc.split("\n\n")[0])  # the summary paragraph
            text.setToolTip(doc)
            text.setWordWrap(True)
            text.setObjectName("docText")
            outer.addWidget(text)
        line = QtWidgets.QFrame()
        line.setFrameShape(QtWidgets.QFrame.Shape.HLine)
        line.setObjectName("separator")
        outer.addWidget(line)

    def _settings_form(self, outer: QtWidgets.QVBoxLayout, form: QtWidgets.QFormLayout) -> None:
        name = self.doc.display_name
        self._header(outer, "Graph settings", name, "Select a node to edit its parameters.")
        fields = self.doc.graph.settings.model_json_schema()["properties"]
        for key, raw in fields.items():
            spec = spec_from_schema(key, raw, {})
            editor = make_editor(spec, lambda v, merge, k=key: self._commit_setting(k, v))
            self._add_row(form, key, spec, editor)
        outer.addLayout(form)

    def _node_form(self, outer: QtWidgets.QVBoxLayout, form: QtWidgets.QFormLayout,
                   node_id: str) -> None:
        rec = self.doc.graph.nodes[node_id]
        cls = self.doc.graph.registry.get(rec.type) if rec.raw is None else None
        doc = cls.doc() if cls is not None else (
            "Placeholder: this node type is not installed here. Its data is kept exactly as "
            "written and saved back unchanged.")
        self._header(outer, node_id, f"{rec.type}  v{rec.type_version}", doc)
        if cls is None:
            raw = QtWidgets.QPlainTextEdit(json.dumps(rec.raw, indent=2, sort_keys=True))
            raw.setReadOnly(True)
            outer.addWidget(raw, 1)
            return
        for spec in param_specs(cls):
            editor = make_editor(spec, lambda v, merge, n=spec.name: self._commit(n, v, merge))
            self._add_row(form, spec.name, spec, editor)
        self.rules = applicability(cls)
        outer.addLayout(form)
        self.problem_label = QtWidgets.QLabel()
        self.problem_label.setObjectName("problemText")
        self.problem_label.setWordWrap(True)
        outer.addWidget(self.problem_label)

    def _add_row(self, form: QtWidgets.QFormLayout, key: str, spec: ParamSpec,
                 editor: _Editor) -> None:
        label = QtWidgets.QLabel()
        label.setFixedWidth(LABEL_WIDTH)
        label.setText(label.fontMetrics().elidedText(spec.label, QtCore.Qt.TextElideMode.ElideRight,
                                                     LABEL_WIDTH))
        tip = spec.description + (f" [{spec.unit}]" if spec.unit else "")
        rng = ""
        if spec.minimum is not None or spec.maximum is not None:
            lo = "(" if spec.exclusive_minimum else "["
            hi = ")" if spec.exclusive_maximum else "]"
            rng = f"\nrange {lo}{spec.minimum}, {spec.maximum}{hi}"
        label.setToolTip(f"{key}: {tip}{rng}\ndefault: {spec.default!r}\n(right-click: reset)")
        editor.setToolTip(label.toolTip())
        label.setContextMenuPolicy(QtCore.Qt.ContextMenuPolicy.CustomContextMenu)
        label.customContextMenuRequested.connect(lambda _p, k=key: self._reset(k))
        label.setProperty("moks_text", spec.label)
        label.setProperty("moks_tip", label.toolTip())
        form.addRow(label, editor)
        self.editors[key] = editor
        self.labels[key] = label

    def _values(self) -> dict[str, Any]:
        if self.node_id is None:
            return self.doc.graph.settings.model_dump()
        rec = self.doc.graph.nodes[self.node_id]
        validated = self.doc.graph.validated(self.node_id)
        if validated is not None:
            return {**validated.model_dump(mode="json"), **rec.params}
        cls = self.doc.graph.registry.get(rec.type)
        defaults = {s.name: s.default for s in param_specs(cls)} if cls is not None else {}
        return {**defaults, **rec.params}

    def _refresh_values(self) -> None:
        if self.node_id is not None and self.node_id not in self.doc.graph.nodes:
            return
        values = self._values()
        explicit = (set(self.doc.graph.nodes[self.node_id].params) if self.node_id is not None
                    else set())
        keys = self.doc.graph.nodes[self.node_id].keys if self.node_id is not None else {}
        for key, editor in self.editors.items():
            editor.set_value(values.get(key))
            rule = self.rules.get(key, {})
            if self.form is not None:
                self.form.setRowVisible(editor, all(values.get(k) in ok for k, ok in rule.items()))
            label = self.labels[key]
            font = label.font()
            font.setBold(key in explicit)
            label.setFont(font)
            self._show_keyed(key, label, editor, keys.get(key))
        if self.node_id is not None and hasattr(self, "problem_label"):
            problems = self.doc.graph.problems(self.node_id)
            self.problem_label.setText("\n".join(f"{p.code}: {p.message}" for p in problems))

    @staticmethod
    def _show_keyed(key: str, label: QtWidgets.QLabel, editor: _Editor,
                    curve: dict[str, Any] | None) -> None:
        """A keyed parameter: ``◆`` before its name, its keys in the tooltip, the static value
        greyed out (the curve drives it; K on the canvas sets keys, right-click deletes them)."""
        text, tip = str(label.property("moks_text")), str(label.property("moks_tip"))
        if curve:
            frames = [k[0] for k in curve["keys"]]
            text = f"{KEYED_MARK} {text}"
            tip = (f"{key}: keyed, {len(frames)} key(s) at frames {frames[0]:g}–{frames[-1]:g} "
                   f"({curve.get('interp', 'linear')}); the curve drives it, the value here is "
                   f"not used.\nK on the canvas sets a key; right-click: delete the keys")
        label.setText(label.fontMetrics().elidedText(text, QtCore.Qt.TextElideMode.ElideRight,
                                                     LABEL_WIDTH))
        label.setToolTip(tip)
        editor.setToolTip(tip)
        editor.setEnabled(not curve)

    def _params_changed(self, node_id: str) -> None:
        if node_id == self.node_id:
            self._refresh_values()

    def _commit(self, name: str, value: Any, merge: bool) -> None:
        if self.node_id is not None:
            self.doc.set_param(self.node_id, name, value, merge=merge)

    def _commit_setting(self, name: str, value: Any) -> None:
        self.doc.set_settings(**{name: value})

    def _reset(self, name: str) -> None:
        """Right-click on a name: delete its keys when keyed, else reset it to its default."""
        if self.node_id is None:
            return
        if name in self.doc.graph.nodes[self.node_id].keys:
            self.doc.perform(f"delete keys {self.node_id}.{name}",
                             [SetKeysOp(self.node_id, name, None)])
        else:
            self.doc.reset_param(self.node_id, name)
