"""EditorDocument: every edit through the engine, undo/redo, refusals, save and reload."""

from __future__ import annotations

import moks_graph as mg


def build_chain(doc) -> None:
    """osc_a -> merge.a, osc_b -> merge.b, merge -> gain."""
    assert doc.add_node("moks.channels.oscillator", (0, 0),
                        {"object": "cam", "kind": "camera", "attribute": "tx"}, "osc_a")
    assert doc.add_node("moks.channels.oscillator", (0, 150),
                        {"object": "cam", "kind": "camera", "attribute": "ty"}, "osc_b")
    assert doc.add_node("moks.channels.merge", (300, 75), node_id="merge")
    assert doc.add_node("moks.channels.gain", (600, 75), node_id="gain")
    assert doc.connect("osc_a.channels", "merge.a")
    assert doc.connect("osc_b.channels", "merge.b")
    assert doc.connect("merge.channels", "gain.channels")


def test_build_undo_redo_restores_exact_text(doc):
    empty = mg.dumps(doc.graph)
    build_chain(doc)
    built = mg.dumps(doc.graph)
    assert doc.undo_stack.count() == 7
    assert [tuple(e) for e in doc.graph.edges] == [
        ("osc_a", "channels", "merge", "a"), ("osc_b", "channels", "merge", "b"),
        ("merge", "channels", "gain", "channels")]
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert mg.dumps(doc.graph) == empty
    while doc.undo_stack.canRedo():
        doc.undo_stack.redo()
    assert mg.dumps(doc.graph) == built


def test_type_mismatch_refused_with_message_and_nothing_pushed(doc):
    build_chain(doc)
    doc.add_node("moks.value.float", (0, 300), {"value": 1.0}, "number")
    before, count = mg.dumps(doc.graph), doc.undo_stack.count()
    messages = []
    doc.refused.connect(lambda text, problems: messages.append((text, problems)))
    assert not doc.connect("number.value", "gain.channels")
    assert mg.dumps(doc.graph) == before  # the existing merge -> gain edge is back
    assert doc.undo_stack.count() == count
    assert messages and messages[0][1][0].code == "MG103"
    assert "MG103" in messages[0][0]


def test_cycle_refused(doc):
    build_chain(doc)
    before = mg.dumps(doc.graph)
    messages = []
    doc.refused.connect(lambda text, problems: messages.append(problems[0].code))
    assert not doc.connect("gain.channels", "merge.b")
    assert messages == ["MG104"]
    assert mg.dumps(doc.graph) == before


def test_rewire_replaces_the_connected_input_in_one_step(doc):
    build_chain(doc)
    count = doc.undo_stack.count()
    assert doc.connect("osc_b.channels", "merge.a")
    assert doc.undo_stack.count() == count + 1
    into = sorted((e.src, e.dst_port) for e in doc.graph.edges_into("merge"))
    assert into == [("osc_b", "a"), ("osc_b", "b")]
    doc.undo_stack.undo()
    into = sorted((e.src, e.dst_port) for e in doc.graph.edges_into("merge"))
    assert into == [("osc_a", "a"), ("osc_b", "b")]


def test_set_param_validated_undoable_and_merged(doc):
    build_chain(doc)
    assert doc.set_param("gain", "gain", 3.5)
    assert doc.graph.validated("gain").gain == 3.5
    codes = []
    doc.refused.connect(lambda _t, problems: codes.append(problems[0].code))
    assert not doc.set_param("gain", "gain", 1e9)  # le=1e6
    assert codes == ["MG105"]
    assert doc.graph.nodes["gain"].params["gain"] == 3.5
    count = doc.undo_stack.count()
    for value in (4.0, 5.0, 6.0):  # a slider drag: merged into one undo step
        assert doc.set_param("gain", "gain", value, merge=True)
    assert doc.undo_stack.count() == count + 1
    doc.undo_stack.undo()
    assert doc.graph.nodes["gain"].params["gain"] == 3.5
    doc.undo_stack.undo()
    assert "gain" not in doc.graph.nodes["gain"].params  # back to the default (not written)
    assert doc.graph.validated("gain").gain == 1.0


def test_remove_node_undo_restores_edges_in_order(doc):
    build_chain(doc)
    before = mg.dumps(doc.graph)
    assert doc.remove_nodes(["merge"])
    assert "merge" not in doc.graph.nodes and not doc.graph.edges
    doc.undo_stack.undo()
    assert mg.dumps(doc.graph) == before


def test_move_and_settings(doc):
    build_chain(doc)
    assert doc.move_nodes({"gain": (612.4, 80.6)})
    assert doc.graph.nodes["gain"].ui["pos"] == [612, 81]
    assert not doc.move_nodes({"gain": (612.2, 80.9)})  # same rounded position: no command
    doc.undo_stack.undo()
    assert doc.graph.nodes["gain"].ui["pos"] == [600, 75]
    assert doc.set_settings(frame_end=96)
    assert doc.graph.settings.frame_end == 96
    codes = []
    doc.refused.connect(lambda _t, problems: codes.append(problems[0].code))
    assert not doc.set_settings(frame_end=0)  # before frame_start
    assert codes and doc.graph.settings.frame_end == 96
    doc.undo_stack.undo()
    assert doc.graph.settings.frame_end == 240


def test_save_reload_equal_and_modified_flag(doc, tmp_path):
    flags = []
    doc.modified_changed.connect(flags.append)
    build_chain(doc)
    doc.set_param("osc_a", "amplitude", 0.25)
    assert doc.modified and flags[-1] is True
    path = tmp_path / "chain.mgraph"
    doc.save(path)
    assert not doc.modified and flags[-1] is False
    assert doc.display_name == "chain.mgraph"
    reloaded = mg.load(path)
    assert mg.dumps(reloaded) == mg.dumps(doc.graph)
    assert path.read_text() == mg.dumps(doc.graph)
    doc.undo_stack.undo()
    assert doc.modified
    doc.undo_stack.redo()
    assert not doc.modified  # back at the saved state


def test_error_file_opens_with_placeholders_and_saves_back_unchanged(doc, error_file, tmp_path):
    problems = doc.open(error_file)
    codes = {p.code for p in problems}
    assert {"MG101", "MG105"} <= codes
    assert doc.graph.nodes["mystery"].is_placeholder
    original = mg.dumps(mg.load(error_file))
    assert doc.remove_nodes(["mystery"])
    doc.undo_stack.undo()
    assert mg.dumps(doc.graph) == original
    # a placeholder's params cannot be edited, with a message
    codes_refused = []
    doc.refused.connect(lambda _t, problems: codes_refused.append(problems[0].code))
    assert not doc.set_param("mystery", "secret", 1)
    assert codes_refused == ["MG101"]
    # fixing the bad parameter through the editor, then undoing, keeps the file's value
    assert doc.set_param("osc", "frequency_hz", 5.0)
    doc.undo_stack.undo()
    assert doc.graph.nodes["osc"].params["frequency_hz"] == 5000.0
    out = tmp_path / "saved.mgraph"
    doc.save(out)
    assert out.read_text() == original


PLUGIN = '''
import moks_graph as mg


@mg.node("studio.exposure_offset", inputs={"base": mg.FLOAT}, outputs={"ev": mg.FLOAT},
         category="Studio")
def exposure_offset(base, *, stops: float = mg.Param(1.0, ge=-10, le=10, unit="EV")):
    """Adds a stop offset to an exposure."""
    return base + stops
'''


def test_plugins_in_palette_and_failures_listed(qapp, tmp_path):
    from moks_graph.editor.model import EditorDocument
    from moks_graph.editor.palette import filter_entries, palette_entries
    from moks_graph.registry import Registry

    (tmp_path / "studio_nodes.py").write_text(PLUGIN)
    (tmp_path / "broken_nodes.py").write_text("raise RuntimeError('no licence')\n")
    reg = Registry()
    reg.load_entry_points()
    reg.load_path([str(tmp_path)])
    entries = {e.type_id: e for e in palette_entries(reg)}
    studio = entries["studio.exposure_offset"]
    assert (studio.name, studio.category) == ("Exposure offset", "Studio")
    assert "Adds a stop offset" in studio.help and "studio_nodes.py" in studio.source
    assert [e.type_id for e in filter_entries(entries.values(), "stop offset")] == [
        "studio.exposure_offset"]
    doc = EditorDocument(registry=reg)
    failures = [p for p in doc.problems() if p.code == "MG130"]
    assert len(failures) == 1 and "no licence" in failures[0].message
    assert doc.add_node("studio.exposure_offset", (0, 0), {"stops": 2.0}) == "exposure_offset1"
