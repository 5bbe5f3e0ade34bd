"""The editor's Bake dialog offers ``--link-to-target`` (issue 17): a moving-subject starter
baked from the dialog has its lights under the subject and the camera under an aimed null."""

from __future__ import annotations

from pathlib import Path

from moks_graph import mgraph
from moks_graph.editor.bake_dialog import BakeDialog

GRAPHS = Path(__file__).resolve().parents[2] / "graphs"


def test_bake_dialog_links_lights_and_aim_to_the_moving_subject(qtbot, tmp_path):
    graph = mgraph.load(GRAPHS / "tripod_walk_to_mark.mgraph")
    dialog = BakeDialog(graph, None, str(tmp_path))
    qtbot.addWidget(dialog)
    dialog.host.setCurrentIndex(dialog.host.findData("maya"))
    assert dialog.link.isEnabled()
    results = []
    dialog.finished_bake.connect(lambda ok, text: results.append((ok, text)))
    out = tmp_path / "walk.ma"
    assert dialog.start_bake("maya", str(out), link_to_target=True)
    assert dialog.wait(30000)
    assert results[-1][0], results[-1][1]
    text = out.read_text()
    assert 'createNode transform -n "key" -p "subject";' in text
    assert 'createNode aimConstraint -n "camera_aim_aimConstraint1" -p "camera_aim";' in text
    # a host without links, and a graph without a moving subject: not offered
    dialog.host.setCurrentIndex(dialog.host.findData("chan"))
    assert not dialog.link.isEnabled()
    assert not dialog.start_bake("chan", str(tmp_path / "walk.chan"), link_to_target=True)
    assert "--link-to-target applies to" in results[-1][1]
    still = BakeDialog(mgraph.load(GRAPHS / "foggy_tripod_noir.mgraph"), None, str(tmp_path))
    qtbot.addWidget(still)
    still.host.setCurrentIndex(still.host.findData("maya"))
    assert not still.link.isEnabled()
