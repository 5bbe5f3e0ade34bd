"""The .mgraph format: canonical round trips, garbage input, migrations, placeholders,
atomic saves, and determinism across processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import moks_graph as mg
from moks_graph import mgraph
from moks_graph.errors import MoksError
from moks_graph.evaluate import Evaluator, output_digests

FIXTURES = Path(__file__).parent.parent / "fixtures"

# -- random valid graphs --------------------------------------------------------
finite = st.floats(min_value=-1e5, max_value=1e5, allow_nan=False, allow_infinity=False)
ident = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)


@st.composite
def random_graphs(draw):
    g = mg.Graph(mg.Settings(fps=draw(st.sampled_from([24.0, 25.0, 29.97, 60.0])),
                             frame_start=draw(st.integers(-50, 50)),
                             frame_end=draw(st.integers(51, 300)),
                             subframes=draw(st.integers(1, 8)),
                             seed=draw(st.integers(0, 2**40))))
    ids = draw(st.lists(ident, min_size=1, max_size=8, unique=True))
    channel_nodes = []
    for node_id in ids:
        kind = draw(st.sampled_from(["osc", "merge", "gain", "float"]))
        ui = {"pos": [draw(finite), draw(finite)]}
        if kind == "osc" or (not channel_nodes and kind != "float"):
            g.add_node("moks.channels.oscillator", node_id,
                       {"amplitude": draw(finite), "attribute": draw(ident),
                        "object": draw(ident), "frequency_hz": draw(st.floats(0, 100))}, ui)
            channel_nodes.append(node_id)
        elif kind == "merge":
            g.add_node("moks.channels.merge", node_id, ui=ui)
            g.connect(f"{draw(st.sampled_from(channel_nodes))}.channels", f"{node_id}.a")
            channel_nodes.append(node_id)
        elif kind == "gain":
            g.add_node("moks.channels.gain", node_id, {"gain": draw(finite)}, ui)
            g.connect(f"{draw(st.sampled_from(channel_nodes))}.channels", f"{node_id}.channels")
            channel_nodes.append(node_id)
        else:
            g.add_node("moks.value.float", node_id, {"value": draw(finite)}, ui)
    g.meta["note"] = draw(st.text(max_size=20))
    return g


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_graphs())
def test_round_trip_is_byte_identical(graph):
    text = mgraph.dumps(graph)
    again = mgraph.dumps(mgraph.loads(text, "rt.mgraph", graph.registry))
    assert again == text
    json.loads(text, parse_constant=_refuse)  # plain JSON: no NaN / Infinity literals
    assert text.endswith("\n")


def _refuse(name: str) -> None:
    raise AssertionError(f"{name} is not JSON")  # (a string "NaN" in the meta is fine)


def test_canonical_text_is_sorted_and_indented(chain_graph):
    text = mgraph.dumps(chain_graph)
    doc = json.loads(text)
    assert text == json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert list(doc) == sorted(doc)


# -- garbage never escapes as anything but MoksError ------------------------------------
def _mutations(text: str):
    return st.one_of(
        st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
        st.integers(0, len(text)).flatmap(
            lambda i: st.text(max_size=5).map(lambda t: text[:i] + t + text[i + 3:])),
        st.integers(0, len(text)).map(lambda i: text[:i]),
        st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                     lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c,
                                                                         max_size=3),
                     max_leaves=10).map(json.dumps),
    )


_BASE = (FIXTURES / "oscillator_v1.mgraph").read_text()


@settings(max_examples=300, deadline=None)
@given(_mutations(_BASE))
def test_garbage_only_raises_moks_errors(text):
    try:
        graph = mgraph.loads(text, "garbage.mgraph")
    except MoksError as exc:
        assert exc.problems and all(p.code.startswith("MG") for p in exc.problems)
        assert exc.source == "garbage.mgraph"
        return
    graph.validate()  # whatever loaded must validate without raising


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "MG111"),
        ("{", "MG111"),
        ("[]", "MG110"),
        ('{"schema_version": 99}', "MG113"),
        ('{"schema_version": "2"}', "MG110"),
        ('{"schema_version": 2, "nodes": {"a": {"type": "x", "type_version": 1}}}', "MG110"),
        ('{"schema_version": 2, "settings": {"fps": NaN}}', "MG111"),
        ('{"schema_version": 2, "settings": {"frame_start": 10, "frame_end": 1}}', "MG110"),
        ('{"schema_version": 2, "nodes": {"a": {}, "a": {}}}', "MG109"),
        ('{"schema_version": 2, "surprise": 1}', "MG110"),
    ],
)
def test_bad_files_have_stable_codes(text, code):
    with pytest.raises(MoksError) as e:
        mgraph.loads(text, "bad.mgraph")
    assert e.value.code == code
    assert "bad.mgraph" in str(e.value)


def test_loading_never_executes_code(tmp_path):
    marker = tmp_path / "pwned"
    evil = {
        "schema_version": 2,
        "nodes": {"x": {"type": "os.system", "type_version": 1,
                        "params": {"cmd": f"touch {marker}", "__reduce__": "os.system"}}},
        "meta": {"!!python/object": "os.system",
                 "eval": f"__import__('os').system('touch {marker}')"},
    }
    g = mgraph.loads(json.dumps(evil), "evil.mgraph")
    g.validate()
    Evaluator().evaluate(g)
    assert not marker.exists()
    assert g.nodes["x"].is_placeholder


# -- placeholders ---------------------------------------------------------------------
def test_unknown_types_save_back_byte_identical(tmp_path, chain_graph):
    doc = json.loads(mgraph.dumps(chain_graph))
    doc["nodes"]["vendor"] = {"type": "vendor.cloud_sim", "type_version": 7,
                              "params": {"density": 0.25, "nested": {"a": [1, 2.5, "x"]}},
                              "ui": {"pos": [1.5, -2], "color": "#ff0000"}}
    doc["nodes"]["newer"] = {"type": "moks.channels.gain", "type_version": 9,
                             "params": {"future_field": True}, "ui": {}}
    text = mgraph.canonical_text(doc)
    path = tmp_path / "mixed.mgraph"
    path.write_text(text)
    graph = mgraph.load(path)
    assert graph.nodes["vendor"].is_placeholder and graph.nodes["newer"].is_placeholder
    problems = {p.node: p.code for p in graph.validate()}
    assert problems == {"vendor": "MG101", "newer": "MG113"}
    mgraph.save(graph, tmp_path / "out.mgraph")
    assert (tmp_path / "out.mgraph").read_bytes() == text.encode()


# -- migrations ------------------------------------------------------------------------
def test_schema1_fixture_migrates():
    g = mgraph.load(FIXTURES / "schema1_prototype.mgraph")
    assert g.settings.fps == 25.0 and (g.settings.frame_start, g.settings.frame_end) == (10, 60)
    assert g.settings.seed == 11
    assert [str(e) for e in g.edges] == ["osc.channels -> out.channels"]
    assert g.nodes["osc"].ui == {"pos": [0, 0]}
    assert g.validate() == []
    doc = json.loads(mgraph.dumps(g))
    assert doc["schema_version"] == mgraph.SCHEMA_VERSION
    out = Evaluator().evaluate(g)["out.channels"]["cam.tx"]
    assert np.isclose(np.abs(out).max(), 1.0, atol=0.05)


def test_oscillator_v1_fixture_migrates_freq_param():
    g = mgraph.load(FIXTURES / "oscillator_v1.mgraph")
    rec = g.nodes["osc"]
    assert rec.type_version == 2
    assert rec.params["frequency_hz"] == 1.5 and "freq" not in rec.params
    assert g.validate() == []


def test_migrations_are_pure():
    from moks_graph.migrations import SCHEMA_MIGRATIONS

    raw = json.loads((FIXTURES / "schema1_prototype.mgraph").read_text())
    before = json.dumps(raw, sort_keys=True)
    a = SCHEMA_MIGRATIONS[1](raw)
    b = SCHEMA_MIGRATIONS[1](raw)
    assert a == b and json.dumps(raw, sort_keys=True) == before


# -- atomic save ---------------------------------------------------------------------
def test_killed_writer_leaves_old_file_intact(tmp_path, chain_graph):
    target = tmp_path / "scene.mgraph"
    mgraph.save(chain_graph, target)
    original = target.read_bytes()
    script = textwrap.dedent(f"""
        import time
        from moks_graph.cache import atomic_write_bytes
        def chunks():
            yield b'{{"schema_version": 2, "nodes": {{'
            print("writing", flush=True)
            while True:
                time.sleep(0.05)
                yield b' ' * 1024
        atomic_write_bytes({str(target)!r}, chunks())
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"writing"
    time.sleep(0.3)
    temps = list(tmp_path.glob(".scene.mgraph.*.tmp"))
    assert temps, "the writer writes to a temporary file beside the target"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert target.read_bytes() == original
    assert mgraph.load(target).validate() == []


def test_save_to_missing_folder_is_a_clear_error(tmp_path, chain_graph):
    with pytest.raises(MoksError) as e:
        mgraph.save(chain_graph, tmp_path / "nope" / "x.mgraph")
    assert e.value.code == "MG141"
    assert not (tmp_path / "nope").exists()


# -- determinism across processes -----------------------------------------------------
def _digests_in_subprocess(path: Path, hashseed: str) -> dict[str, str]:
    code = textwrap.dedent(f"""
        import json, moks_graph as mg
        from moks_graph.evaluate import Evaluator, output_digests
        g = mg.load({str(path)!r})
        print(json.dumps(output_digests(Evaluator().evaluate(g))))
    """)
    env = {**os.environ, "PYTHONHASHSEED": hashseed}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


def test_identical_outputs_across_processes_and_hash_seeds(tmp_path, chain_graph):
    path = tmp_path / "det.mgraph"
    chain_graph.settings.subframes = 3
    mgraph.save(chain_graph, path)
    a = _digests_in_subprocess(path, "0")
    b = _digests_in_subprocess(path, "12345")
    here = output_digests(Evaluator().evaluate(mgraph.load(path)))
    assert a == b == here
    assert len(a) == 4
