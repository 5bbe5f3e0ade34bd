"""The φ slider in the editor reaches the camera, fog and flicker (issue 17)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

GRAPHS = Path(__file__).resolve().parents[2] / "graphs"


def test_phi_edited_in_the_editor_moves_the_camera_and_brings_fog(qapp):
    from moks_graph.editor.model import EditorDocument
    from moks_graph.editor.palette import palette_entries
    from moks_graph.hosts.bake import bake_graph

    doc = EditorDocument()
    assert doc.open(GRAPHS / "golden_hour_drone_reveal.mgraph") == []
    assert "moks.camera.weather" in {e.type_id for e in palette_entries(doc.registry)}
    calm = bake_graph(doc.graph)
    assert doc.set_param("atmosphere", "phi", 1.0)
    storm = bake_graph(doc.graph)
    for attr in ("tx", "ty", "rx", "rz"):
        assert np.max(np.abs(storm[f"camera.{attr}"] - calm[f"camera.{attr}"])) > 1e-4, attr
    assert not calm["atmosphere.fog_density"].any() and storm["atmosphere.fog_density"].min() > 0
    assert np.ptp(storm["key.flicker"]) > 0.0 == np.ptp(calm["key.flicker"])
    doc.undo_stack.undo()
    again = bake_graph(doc.graph)
    assert all(np.array_equal(again[k], calm[k]) for k in calm)
