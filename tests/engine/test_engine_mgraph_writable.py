"""The loader refuses what the saver cannot write: lone surrogates (MG111), overflowing
numbers (MG107); whatever ``load`` accepts, ``save`` writes and ``load`` reads back equal."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moks_graph import mgraph
from moks_graph.errors import GraphFileError, MoksError

DEMO = Path(mgraph.__file__).parent / "data" / "demo.mgraph"
DOC = json.loads(DEMO.read_text())
NODE = next(iter(DOC["nodes"]))
MARK = '"@@VALUE@@"'


def _file_with(tmp_path: Path, where: str, token: str, name: str = "bad.mgraph") -> Path:
    """The demo graph with the raw JSON ``token`` at ``where`` (``meta`` or ``param``)."""
    doc = json.loads(json.dumps(DOC))
    if where == "meta":
        doc["meta"] = {"note": "@@VALUE@@"}
    else:
        doc["nodes"][NODE].setdefault("params", {})["extra"] = "@@VALUE@@"
    path = tmp_path / name
    path.write_text(json.dumps(doc).replace(MARK, token), encoding="utf-8")
    return path


@pytest.mark.parametrize("token, code", [
    ('"\\ud800"', "MG111"), ('"ok \\udfff then"', "MG111"), ('"\\uDBFF"', "MG111"),
    ("-1e309", "MG107"), ("1e400", "MG107"), ("1" + "0" * 400 + ".5", "MG107"),
    ("-9.9e308", "MG107"),
])
@pytest.mark.parametrize("where", ["meta", "param"])
def test_unwritable_values_are_refused_at_load(tmp_path, token, code, where):
    path = _file_with(tmp_path, where, token)
    with pytest.raises(GraphFileError) as info:
        mgraph.load(path)
    exc = info.value
    assert exc.source == str(path)
    assert [p.code for p in exc.problems] == [code]
    problem = exc.problems[0]
    if where == "meta":
        assert problem.path == "$.meta.note"
    else:
        assert problem.path == f"$.nodes.{NODE}.params.extra"
        assert (problem.node, problem.field) == (NODE, "extra")
    str(exc.problems[0]).encode("utf-8")  # the message itself is printable


def test_lone_surrogate_in_a_key_and_in_str_input():
    text = json.dumps({**DOC, "meta": {"\ud800k": 1}})  # ensure_ascii: written as \ud800
    with pytest.raises(GraphFileError) as info:
        mgraph.loads(text, "k.mgraph")
    assert [p.code for p in info.value.problems] == ["MG111"]
    assert info.value.problems[0].path == "$.meta.\\ud800k"
    raw = json.dumps({**DOC, "meta": {"k": "a\udc80"}}, ensure_ascii=False)  # a real surrogate
    with pytest.raises(GraphFileError) as info:
        mgraph.loads(raw, "s.mgraph")
    assert info.value.problems[0].path == "$.meta.k"


def test_every_problem_is_reported():
    doc = {**DOC, "meta": {"a": "@@A@@", "b": ["@@B@@"]}}
    text = json.dumps(doc).replace('"@@A@@"', '"\\ud800"').replace('"@@B@@"', "-1e999")
    with pytest.raises(GraphFileError) as info:
        mgraph.loads(text, "two.mgraph")
    assert [(p.code, p.path) for p in info.value.problems] == [("MG111", "$.meta.a"),
                                                               ("MG107", "$.meta.b[0]")]


@pytest.mark.parametrize("token", ['"\\ud83d\\ude00"', '"\\\\ud800"', "1e308", "-2.5e-310",
                                   "1" + "0" * 400, '"e123 and 1e999 in text"'])
def test_what_looks_close_but_is_writable_still_loads_and_saves(tmp_path, token):
    path = _file_with(tmp_path, "meta", token)
    graph = mgraph.load(path)
    out = tmp_path / "out.mgraph"
    mgraph.save(graph, out)
    assert mgraph.to_document(mgraph.load(out)) == mgraph.to_document(graph)


def test_moks_validate_names_file_code_and_path(tmp_path):
    path = _file_with(tmp_path, "param", "-1e309")
    r = subprocess.run([sys.executable, "-m", "moks_graph.cli", "validate", "--json", str(path)],
                       capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    report = json.loads(r.stdout)
    assert [(p["code"], p["path"]) for p in report[str(path)]] == [
        ("MG107", f"$.nodes.{NODE}.params.extra")]
    r = subprocess.run([sys.executable, "-m", "moks_graph.cli", "validate", str(path)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and str(path) in r.stderr and "MG107" in r.stderr
    assert "Traceback" not in r.stderr


# -- property: whatever load accepts, save writes and load reads back equal -------------
_chars = st.characters(codec=None, categories=None)  # every code point, surrogates included
_keys = st.text(_chars, max_size=6)
_numbers = st.one_of(
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.from_regex(r"-?(0|[1-9][0-9]{0,2})(\.[0-9]{1,3})?([eE][+-]?[0-9]{1,4})?", fullmatch=True),
    st.from_regex(r"[1-9][0-9]{300,320}(\.5)?", fullmatch=True),
    st.sampled_from(["-1e309", "1e308", "1.7976931348623157e308", "4.9e-324", "-0.0"]),
)
_strings = st.builds(lambda s, ascii_: json.dumps(s, ensure_ascii=ascii_),
                     st.text(_chars, max_size=8), st.booleans())
_scalars = st.one_of(_numbers, _strings, st.sampled_from(["true", "false", "null"]))
_tokens = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(_keys, inner), max_size=3).map(
            lambda kv: "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in kv) + "}")),
    max_leaves=8)


def _document(meta: str, param: str, extra_node: str, ui: str) -> str:
    doc = json.loads(json.dumps(DOC))
    doc["meta"] = {"m": "@@META@@"}
    doc["nodes"][NODE].setdefault("params", {})["extra"] = "@@PARAM@@"
    doc["nodes"][NODE]["ui"] = {"u": "@@UI@@"}
    doc["nodes"]["mystery"] = {"type": "vendor.mystery", "type_version": 1,
                               "params": {"p": "@@NODE@@"}}
    text = json.dumps(doc)
    for mark, token in (("@@META@@", meta), ("@@PARAM@@", param), ("@@UI@@", ui),
                        ("@@NODE@@", extra_node)):
        text = text.replace(f'"{mark}"', token)
    return text


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(meta=_tokens, param=_tokens, extra_node=_tokens, ui=_tokens, as_bytes=st.booleans())
def test_whatever_loads_saves_and_reads_back_equal(tmp_path, meta, param, extra_node, ui,
                                                    as_bytes):
    text = _document(meta, param, extra_node, ui)
    data = text.encode("utf-8", "surrogatepass") if as_bytes else text
    try:
        graph = mgraph.loads(data, "prop.mgraph")
    except MoksError:
        return  # refused with a coded problem: fine
    out = tmp_path / "prop.mgraph"
    mgraph.save(graph, out)  # never raises for a graph that loaded
    again = mgraph.load(out)
    assert mgraph.to_document(again) == mgraph.to_document(graph)
    assert mgraph.dumps(again) == out.read_text(encoding="utf-8")
