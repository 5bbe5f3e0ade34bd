"""The Bake dialog reaches the issue-17 hosts and features: Unreal (FBX + Level Sequence script
carrying the film look and the SH ambient) and Alembic (geometry only: no look, no ambient, no
links), driven through the real widgets offscreen."""

from __future__ import annotations

from pathlib import Path

import pytest

from moks_graph.editor.bake_dialog import BakeDialog
from moks_graph.hosts.commands.scene import prose_graph

pytest.importorskip("bpy")
pytest.importorskip("OpenImageIO")


@pytest.fixture(scope="module")
def shot():
    graph, _ = prose_graph("handheld close-up, actor walks in, tri-x", frames=(1, 8),
                           ambient="overcast")
    return graph


def _bake(dialog: BakeDialog, host: str, out: Path) -> tuple[bool, str]:
    dialog.host.setCurrentIndex(dialog.host.findData(host))
    dialog.path.setText(str(out))
    results: list[tuple[bool, str]] = []
    dialog.finished_bake.connect(lambda ok, text: results.append((ok, text)))
    assert dialog.start_bake()
    assert dialog.wait(120000)
    return results[-1]


def test_unreal_from_the_dialog_carries_the_look_and_the_ambient(qtbot, tmp_path, shot):
    from moks_graph.hosts.unreal.script import script_data

    dialog = BakeDialog(shot, None, str(tmp_path))
    qtbot.addWidget(dialog)
    dialog.host.setCurrentIndex(dialog.host.findData("unreal"))
    assert dialog.look.isEnabled() and dialog.ambient.isEnabled()
    assert dialog.link.isEnabled()  # Unreal links by attachment and look-at (efb7ae0)
    assert "--host unreal" in " ".join(dialog.command_line())
    ok, text = _bake(dialog, "unreal", tmp_path / "shot.fbx")
    assert ok, text
    names = sorted(p.name for p in tmp_path.iterdir())
    exr = [n for n in names if n.startswith("moks_ambient_") and n.endswith(".exr")]
    assert len(exr) == 1
    assert names == sorted(["shot.fbx", "shot.py", "moks_look_tri_x.ocio",
                            "moks_look_tri_x.clf", *exr])
    data = script_data((tmp_path / "shot.py").read_text(encoding="utf-8"))
    assert data["look"]["config"] == "moks_look_tri_x.ocio" and data["look"]["view"] == \
        "Film tri_x"
    assert data["ambient"]["image"] == exr[0]
    # the boxes off: the script carries neither, and nothing is written beside it
    again = BakeDialog(shot, None, str(tmp_path / "plain"))
    qtbot.addWidget(again)
    (tmp_path / "plain").mkdir()
    again.host.setCurrentIndex(again.host.findData("unreal"))
    again.look.setChecked(False)
    again.ambient.setChecked(False)
    assert {"--no-look", "--no-ambient"} <= set(again.command_line())
    ok, text = _bake(again, "unreal", tmp_path / "plain" / "shot.fbx")
    assert ok, text
    assert sorted(p.name for p in (tmp_path / "plain").iterdir()) == ["shot.fbx", "shot.py"]
    plain = script_data((tmp_path / "plain" / "shot.py").read_text(encoding="utf-8"))
    assert plain["look"] is None and plain["ambient"] is None


def test_alembic_from_the_dialog_offers_no_look_ambient_or_links(qtbot, tmp_path, shot):
    dialog = BakeDialog(shot, None, str(tmp_path))
    qtbot.addWidget(dialog)
    dialog.host.setCurrentIndex(dialog.host.findData("alembic"))
    assert not dialog.look.isEnabled() and not dialog.ambient.isEnabled()
    assert not dialog.link.isEnabled()
    assert dialog.path.text().endswith(".abc")
    ok, text = _bake(dialog, "alembic", tmp_path / "shot.abc")
    assert ok, text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shot.abc"]
    dialog.host.setCurrentIndex(dialog.host.findData("usd"))  # back on a host that takes them
    assert dialog.look.isEnabled() and dialog.ambient.isEnabled() and dialog.link.isEnabled()
