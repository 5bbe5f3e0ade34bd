"""Units are declared one way: ``Param(unit=...)``, from the documented set, never in text."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from moks_graph.node import PARAM_UNITS, NodeParams, Param
from moks_graph.registry import default_registry

ROOT = Path(__file__).resolve().parents[2]
BRACKETED = re.compile(r"\[[^\[\]]+\]")


def _walk(schema: Any, key: str, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every ``key`` value anywhere in a JSON schema, with its path."""
    if isinstance(schema, dict):
        for k, v in schema.items():
            if k == key:
                yield path, v
            else:
                yield from _walk(v, key, f"{path}/{k}")
    elif isinstance(schema, list):
        for i, v in enumerate(schema):
            yield from _walk(v, key, f"{path}/{i}")


def _schemas() -> Iterator[tuple[str, dict[str, Any]]]:
    for cls in default_registry():
        yield cls.type_id, cls.Params.model_json_schema()


def test_no_param_description_carries_a_bracketed_unit() -> None:
    found = [f"{tid}{path}: {text!r}" for tid, schema in _schemas()
             for path, text in _walk(schema, "description")
             if isinstance(text, str) and BRACKETED.search(text)]
    assert not found, "\n".join(found)


def test_every_declared_unit_is_documented() -> None:
    units = [(tid, path, unit)
             for tid, schema in _schemas() for path, unit in _walk(schema, "unit")]
    assert len(units) > 200  # the built-in library declares its units structurally
    unknown = [f"{tid}{path}: {unit!r}" for tid, path, unit in units if unit not in PARAM_UNITS]
    assert not unknown, "\n".join(unknown)


def _described_with_unit(tree: ast.AST) -> Iterator[tuple[int, str]]:
    units = "|".join(re.escape(u) for u in PARAM_UNITS)
    pattern = re.compile(rf"\[({units})\]\s*$")
    for call in ast.walk(tree):
        if isinstance(call, ast.Call):
            for kw in call.keywords:
                if (kw.arg == "description" and isinstance(kw.value, ast.Constant)
                        and isinstance(kw.value.value, str) and pattern.search(kw.value.value)):
                    yield call.lineno, kw.value.value


def test_no_field_in_the_source_puts_its_unit_in_the_description() -> None:
    """Also models outside the registry (SceneScript parts, host options)."""
    found = [f"{file.relative_to(ROOT)}:{line}: {text!r}"
             for folder in ("moks_graph", "nodes", "hosts", "editor")
             for file in sorted((ROOT / folder).rglob("*.py"))
             for line, text in _described_with_unit(ast.parse(file.read_text(encoding="utf-8")))]
    assert not found, "\n".join(found)


def test_the_docs_list_the_same_units() -> None:
    page = (ROOT / "docs" / "writing-nodes.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `([^`]+)` \| ", page, re.MULTILINE)
    assert listed == list(PARAM_UNITS)


def test_param_unit_goes_to_the_schema_not_the_text() -> None:
    class P(NodeParams):
        height: float = Param(1.2, ge=0.0, description="lens height", unit="m")

    prop = P.model_json_schema()["properties"]["height"]
    assert (prop["unit"], prop["description"]) == ("m", "lens height")


def test_the_checker_sees_a_unit_in_text() -> None:
    """The source scan is not vacuous: it flags the old spelling."""
    tree = ast.parse('x = Field(1.0, description="Lens height [m]")')
    assert list(_described_with_unit(tree)) == [(1, "Lens height [m]")]
