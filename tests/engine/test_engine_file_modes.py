"""Every atomic writer gives its file the umask's mode (mkstemp alone would give 0600)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from moks_graph.cache import atomic_write_bytes, current_umask, new_file_mode


@pytest.fixture(params=[0o022, 0o027, 0o002, 0o077])
def umask(request):
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _no_temp_left(folder: Path, *expected: str) -> None:
    assert sorted(p.name for p in folder.iterdir()) == sorted(expected)


def test_current_umask_follows_changes(umask):
    assert current_umask() == umask
    assert new_file_mode() == 0o666 & ~umask


def test_atomic_write_bytes_mode(tmp_path, umask):
    target = tmp_path / "out.bin"
    atomic_write_bytes(target, b"data")
    assert _mode(target) == 0o666 & ~umask
    _no_temp_left(tmp_path, "out.bin")


def test_mgraph_save_mode(tmp_path, umask):
    from moks_graph import mgraph

    demo = Path(mgraph.__file__).parent / "data" / "demo.mgraph"
    target = tmp_path / "copy.mgraph"
    mgraph.save(mgraph.load(demo), target)
    assert _mode(target) == 0o666 & ~umask


def test_host_atomic_output_mode(tmp_path, umask):
    from moks_graph.atomic import atomic_output

    target = tmp_path / "scene.usda"
    with atomic_output(target) as tmp:
        tmp.write_text("#usda 1.0\n")
    assert _mode(target) == 0o666 & ~umask
    _no_temp_left(tmp_path, "scene.usda")


def test_farm_chunk_writer_mode(tmp_path, umask):
    from moks_graph.hosts.farm.jobs import _replace_bytes

    target = tmp_path / "chunk.npz"
    _replace_bytes(target, b"chunk")
    assert _mode(target) == 0o666 & ~umask


def test_look_writer_mode(tmp_path, umask):
    from moks_graph.nodes.looks.ocio_looks import write_text_atomic

    target = tmp_path / "look.cube"
    write_text_atomic(target, "LUT_1D_SIZE 2\n")
    assert _mode(target) == 0o666 & ~umask
    _no_temp_left(tmp_path, "look.cube")


def test_moks_look_export_mode(tmp_path, umask):
    from moks_graph.cli import main

    target = tmp_path / "looks.ocio"
    r = CliRunner().invoke(main, ["look", "export", str(target)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert _mode(target) == 0o666 & ~umask
    _no_temp_left(tmp_path, "looks.ocio")
